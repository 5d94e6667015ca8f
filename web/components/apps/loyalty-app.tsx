"use client";

import { loyaltyCheckoutAbi, loyaltyProgramFactoryAbi, loyaltyTokenAbi } from "@coinpays/sdk/contracts";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { getAddress, isAddress, keccak256, stringToHex, zeroAddress, type Abi, type Address, type Hex } from "viem";
import { useAccount, usePublicClient, useReadContract, useReadContracts } from "wagmi";
import { TxStatus, useTransactionFlow } from "./tx-flow.tsx";
import { Badge, Button, Card, Field, fmt, inputClass, PageTitle, parseInput, RequireWallet, short, tokenOf, TokenSelect, useDeployment, useTokens } from "./ui.tsx";

const factoryAbi = loyaltyProgramFactoryAbi as Abi;
const tokenAbi = loyaltyTokenAbi as Abi;
const checkoutAbi = loyaltyCheckoutAbi as Abi;

export function LoyaltyApp() {
  const [tab, setTab] = useState<"pay" | "merchant">("pay");
  return (
    <>
      <PageTitle
        title="Loyalty"
        lead="Each merchant runs its own loyalty token. Points are minted at the merchant's rate when a payment settles, and redeemed only with that merchant, burned as a discount inside the paying transaction."
      />
      <div className="mb-4 flex gap-2" role="tablist">
        <Button variant={tab === "pay" ? "primary" : "secondary"} onClick={() => setTab("pay")} testId="tab-pay">
          Pay a merchant
        </Button>
        <Button variant={tab === "merchant" ? "primary" : "secondary"} onClick={() => setTab("merchant")} testId="tab-merchant">
          My loyalty program
        </Button>
      </div>
      <RequireWallet>{tab === "pay" ? <PayWithPoints /> : <MerchantProgram />}</RequireWallet>
    </>
  );
}

function useProgram(merchant: Address | undefined) {
  const deployment = useDeployment()!;
  const factory = deployment.contracts.LoyaltyProgramFactory.address as Address;
  const { address } = useAccount();
  const { data: program } = useReadContract({ address: factory, abi: factoryAbi, functionName: "programOf", args: [merchant ?? zeroAddress], query: { enabled: !!merchant, refetchInterval: 5_000 } });
  const p = program as Address | undefined;
  const exists = !!p && p !== zeroAddress;
  const { data } = useReadContracts({
    contracts: ["name", "symbol", "asset", "rewardBps", "nonTransferable", "totalSupply", "totalMinted", "totalRedeemed", "balanceOf"].map((fn) => ({
      address: p ?? zeroAddress,
      abi: tokenAbi,
      functionName: fn,
      args: fn === "balanceOf" ? [address] : [],
    })),
    query: { enabled: exists, refetchInterval: 4_000 },
  });
  if (!exists) return { program: undefined } as const;
  const [name, symbol, asset, rewardBps, nonTransferable, totalSupply, totalMinted, totalRedeemed, balance] = (data ?? []).map((d) => d.result);
  return {
    program: p,
    name: name as string | undefined,
    symbol: symbol as string | undefined,
    asset: asset as Address | undefined,
    rewardBps: rewardBps as number | undefined,
    nonTransferable: nonTransferable as boolean | undefined,
    totalSupply: totalSupply as bigint | undefined,
    totalMinted: totalMinted as bigint | undefined,
    totalRedeemed: totalRedeemed as bigint | undefined,
    balance: balance as bigint | undefined,
  } as const;
}

function MerchantProgram() {
  const deployment = useDeployment()!;
  const factory = deployment.contracts.LoyaltyProgramFactory.address as Address;
  const { address } = useAccount();
  const tokens = useTokens();
  const program = useProgram(address);
  const flow = useTransactionFlow();
  const [name, setName] = useState("");
  const [symbol, setSymbol] = useState("");
  const [asset, setAsset] = useState<Address>(tokens[0]?.address ?? zeroAddress);
  const [rate, setRate] = useState("100");
  const [bound, setBound] = useState(true);
  const rateNumber = Number(rate);
  const rateOk = Number.isInteger(rateNumber) && rateNumber >= 0 && rateNumber <= 10_000;

  if (program.program) {
    const info = tokenOf(tokens, program.asset);
    return (
      <div className="space-y-6">
      <Card title={`${program.name ?? "…"} (${program.symbol ?? "…"})`} testId="loyalty-program" aside={<Badge tone="green">live</Badge>}>
        <dl className="grid grid-cols-2 gap-2 text-sm">
          <dt className="text-slate-500">Program address</dt>
          <dd className="truncate font-mono text-xs" data-testid="loyalty-program-address" data-address={program.program}>{program.program}</dd>
          <dt className="text-slate-500">Earned on payments in</dt>
          <dd>{info.symbol}</dd>
          <dt className="text-slate-500">Reward rate</dt>
          <dd data-testid="loyalty-rate">{program.rewardBps !== undefined ? `${program.rewardBps} bps (${(program.rewardBps / 100).toFixed(2)}% of cash paid)` : "…"}</dd>
          <dt className="text-slate-500">Points</dt>
          <dd>{program.nonTransferable ? "bound to the payer" : "transferable"}</dd>
          <dt className="text-slate-500">Outstanding / minted / redeemed</dt>
          <dd className="font-mono text-xs">
            {fmt(program.totalSupply, info.decimals)} / {fmt(program.totalMinted, info.decimals)} / {fmt(program.totalRedeemed, info.decimals)}
          </dd>
        </dl>
        <div className="mt-4 flex items-end gap-2">
          <Field label="New reward rate (bps)" error={!rateOk ? "0 to 10000" : undefined}>
            <input className={inputClass} name="newRate" value={rate} onChange={(e) => setRate(e.target.value)} />
          </Field>
          <Button disabled={!rateOk || flow.busy} onClick={() => flow.run("Set reward rate", { address: program.program!, abi: tokenAbi, functionName: "setRewardRate", args: [rateNumber] })}>
            Update rate
          </Button>
        </div>
        <TxStatus state={flow.state} earlier={flow.earlier} />
      </Card>
      <LoyaltyPayments pointsSymbol={program.symbol} />
      </div>
    );
  }

  return (
    <Card title="Create your loyalty program" testId="loyalty-setup">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Name">
          <input className={inputClass} name="programName" placeholder="Corner Café Points" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Symbol">
          <input className={inputClass} name="programSymbol" placeholder="CAFE" value={symbol} onChange={(e) => setSymbol(e.target.value)} />
        </Field>
        <Field label="Earned on payments in">
          <TokenSelect tokens={tokens} value={asset} onChange={setAsset} label="Program asset" />
        </Field>
        <Field label="Reward rate (basis points of cash paid)" hint={rateOk ? `${(rateNumber / 100).toFixed(2)}%: 1 point = 1 base unit of the asset` : undefined} error={!rateOk ? "0 to 10000" : undefined}>
          <input className={inputClass} name="rewardBps" value={rate} onChange={(e) => setRate(e.target.value)} />
        </Field>
      </div>
      <label className="mt-3 flex items-center gap-2 text-sm text-slate-700">
        <input type="checkbox" checked={bound} onChange={(e) => setBound(e.target.checked)} /> Non-transferable points
      </label>
      <div className="mt-4">
        <Button testId="loyalty-create" disabled={!name || !symbol || !rateOk || flow.busy} onClick={() => flow.run("Create loyalty program", { address: factory, abi: factoryAbi, functionName: "createProgram", args: [name, symbol, asset, rateNumber, bound] })}>
          Create program
        </Button>
      </div>
      <TxStatus state={flow.state} earlier={flow.earlier} />
    </Card>
  );
}

function PayWithPoints() {
  const deployment = useDeployment()!;
  const checkout = deployment.contracts.LoyaltyCheckout.address as Address;
  const tokens = useTokens();
  const [merchantInput, setMerchantInput] = useState("");
  const [amount, setAmount] = useState("");
  const [points, setPoints] = useState("");
  const [token, setToken] = useState<Address>(tokens[0]?.address ?? zeroAddress);
  const flow = useTransactionFlow();
  const merchant = isAddress(merchantInput.trim()) ? getAddress(merchantInput.trim()) : undefined;
  const program = useProgram(merchant);
  const payToken = program.asset ?? token;
  const info = tokenOf(tokens, payToken);
  const gross = parseInput(amount, info.decimals);
  const discount = parseInput(points, info.decimals);
  const discountAmount = discount.amount ?? 0n;
  const cash = gross.amount !== undefined ? gross.amount - discountAmount : undefined;
  const tooManyPoints = program.balance !== undefined && discountAmount > program.balance;
  const ready = !!merchant && gross.amount !== undefined && gross.amount > 0n && cash !== undefined && cash >= 0n && !discount.error && !tooManyPoints;
  const earn = program.rewardBps !== undefined && cash !== undefined ? (cash * BigInt(program.rewardBps)) / 10_000n : undefined;

  async function pay() {
    if (!ready || !merchant || gross.amount === undefined || cash === undefined) return;
    const orderRef = keccak256(stringToHex(`loyalty-demo-${Date.now()}-${Math.random()}`));
    const write =
      discountAmount > 0n
        ? { address: checkout, abi: checkoutAbi, functionName: "payWithRedemption", args: [orderRef, merchant, payToken, gross.amount, discountAmount] }
        : { address: checkout, abi: checkoutAbi, functionName: "pay", args: [orderRef, merchant, payToken, gross.amount] };
    const paid = await flow.run(`Pay ${amount} ${info.symbol}`, write, { token: payToken, spender: checkout, amount: cash, symbol: info.symbol });
    if (paid) setPoints("");
  }

  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <Card title="Checkout" testId="loyalty-pay">
        <div className="space-y-3">
          <Field label="Merchant">
            <input className={inputClass} name="merchant" placeholder="0x…" value={merchantInput} onChange={(e) => setMerchantInput(e.target.value)} />
          </Field>
          <div className="grid grid-cols-[1fr_8rem] gap-2">
            <Field label="Order amount" error={gross.error}>
              <input className={inputClass} name="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
            </Field>
            <Field label="Token">
              {program.asset ? <p className="py-2 text-sm">{info.symbol}</p> : <TokenSelect tokens={tokens} value={token} onChange={setToken} />}
            </Field>
          </div>
          {program.program && (
            <Field label={`Pay with points (you have ${fmt(program.balance, info.decimals, program.symbol)})`} error={discount.error ?? (tooManyPoints ? "More points than you hold" : undefined)}>
              <input className={inputClass} name="points" inputMode="decimal" placeholder="0" value={points} onChange={(e) => setPoints(e.target.value)} />
            </Field>
          )}
          <p className="rounded-xl bg-slate-50 px-3 py-2 text-xs text-slate-600" data-testid="loyalty-summary">
            You pay {fmt(cash, info.decimals, info.symbol)}
            {discountAmount > 0n ? ` + ${fmt(discountAmount, info.decimals, program.symbol)} points` : ""}
            {program.program ? ` · you earn ${fmt(earn, info.decimals, program.symbol)}` : merchant ? " · this merchant has no loyalty program" : ""}
          </p>
          <Button testId="loyalty-pay-button" disabled={!ready || flow.busy} onClick={pay}>
            Pay
          </Button>
          <TxStatus state={flow.state} earlier={flow.earlier} />
        </div>
      </Card>
      <Card title="Your points" testId="loyalty-balance">
        {program.program ? (
          <p className="text-2xl font-semibold tabular-nums" data-testid="loyalty-points" data-raw={program.balance?.toString()}>
            {fmt(program.balance, info.decimals, program.symbol)}
          </p>
        ) : (
          <p className="text-sm text-slate-600">Enter a merchant to see your points with it.</p>
        )}
        {program.program && <p className="mt-1 text-xs text-slate-500">Earned at {program.rewardBps} bps of cash paid; redeemable only with this merchant, 1 point = 1 {info.symbol} base unit.</p>}
      </Card>
    </div>
  );
}

type LoyaltyOrder = { payer: Address; amount: bigint; token: Address; discount: bigint; refunded: bigint; pointsMinted: bigint; pointsReversed: bigint };

/** The merchant's loyalty-checkout payments, newest first, each refundable from here (points clawed back). */
function LoyaltyPayments({ pointsSymbol }: { pointsSymbol?: string }) {
  const client = usePublicClient();
  const { address: me } = useAccount();
  const checkout = useDeployment()!.contracts.LoyaltyCheckout.address as Address;
  const { data: paid = [] } = useQuery({
    queryKey: ["loyalty-payments", checkout, me],
    enabled: !!client && !!me,
    refetchInterval: 5_000,
    queryFn: async () =>
      (await client!.getContractEvents({ address: checkout, abi: loyaltyCheckoutAbi, eventName: "PaymentSettled", args: { merchant: me }, fromBlock: 0n }))
        .map((log) => log.args.orderRef as Hex)
        .reverse(),
  });
  return (
    <Card title="Payments and refunds" testId="loyalty-payments">
      <p className="mb-3 text-sm text-slate-600">
        A refund is paid from your wallet (approve the checkout for it) and claws back the points the payment earned, in proportion. Points the payer already spent are deducted from the cash refund, so nobody keeps both.
      </p>
      {paid.length === 0 ? <p className="text-sm text-slate-600">No payments yet.</p> : (
        <ul className="space-y-3">
          {paid.map((orderRef) => <LoyaltyPaymentRow key={orderRef} orderRef={orderRef} pointsSymbol={pointsSymbol} />)}
        </ul>
      )}
    </Card>
  );
}

function LoyaltyPaymentRow({ orderRef, pointsSymbol }: { orderRef: Hex; pointsSymbol?: string }) {
  const { address: me } = useAccount();
  const checkout = useDeployment()!.contracts.LoyaltyCheckout.address as Address;
  const tokens = useTokens();
  const flow = useTransactionFlow();
  const { data } = useReadContract({ address: checkout, abi: checkoutAbi, functionName: "orderOf", args: [me, orderRef], query: { refetchInterval: 4_000 } });
  const order = data as LoyaltyOrder | undefined;
  const client = usePublicClient();
  // What the refunds actually did: cash sent, points burned, and points missing that came off the cash.
  const { data: refunds } = useQuery({
    queryKey: ["loyalty-refunds", checkout, me, orderRef, order?.refunded.toString()],
    enabled: !!client && !!me && !!order && order.refunded > 0n,
    queryFn: async () =>
      (await client!.getContractEvents({ address: checkout, abi: loyaltyCheckoutAbi, eventName: "PaymentRefunded", args: { orderRef, merchant: me }, fromBlock: 0n })).reduce(
        (sum, log) => ({ cash: sum.cash + log.args.cashRefunded!, clawedBack: sum.clawedBack + log.args.pointsClawedBack!, shortfall: sum.shortfall + log.args.pointsShortfall! }),
        { cash: 0n, clawedBack: 0n, shortfall: 0n },
      ),
  });
  const info = tokenOf(tokens, order?.token);
  const cash = order ? order.amount - order.discount : 0n;
  const refundable = order ? cash - order.refunded : 0n;
  const [input, setInput] = useState("");
  const [to, setTo] = useState("");
  const parsed = parseInput(input, info.decimals);
  const amount = input.trim() === "" ? refundable : parsed.amount;
  const recipient = to.trim() === "" ? order?.payer : isAddress(to.trim()) ? getAddress(to.trim()) : undefined;
  const ok = !!order && amount !== undefined && amount > 0n && amount <= refundable && !!recipient;
  const state = !order ? "…" : order.refunded === 0n ? "paid" : order.refunded >= cash ? "refunded" : "partially refunded";
  return (
    <li className="rounded-xl border border-slate-200 p-3 text-sm" data-testid={`loyalty-payment-${orderRef}`} data-refunded={order?.refunded.toString()} data-points-reversed={order?.pointsReversed.toString()}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <span>
          <span className="font-mono text-xs">{orderRef.slice(0, 10)}…</span> from <span className="font-mono">{short(order?.payer)}</span>
        </span>
        <Badge tone={state === "paid" ? "green" : "amber"}>{state}</Badge>
      </div>
      {order && (
        <p className="mt-1 text-xs text-slate-600" data-testid="loyalty-payment-summary">
          {fmt(order.amount, info.decimals, info.symbol)}
          {order.discount > 0n ? ` (${fmt(order.discount, info.decimals, pointsSymbol)} points redeemed)` : ""} · earned {fmt(order.pointsMinted, info.decimals, pointsSymbol)} · refunded{" "}
          {fmt(order.refunded, info.decimals, info.symbol)} · points reversed {fmt(order.pointsReversed, info.decimals, pointsSymbol)}
        </p>
      )}
      {refunds && (
        <p className="mt-1 text-xs text-slate-600" data-testid="loyalty-refund-outcome">
          Cash sent {fmt(refunds.cash, info.decimals, info.symbol)} · {fmt(refunds.clawedBack, info.decimals, pointsSymbol)} clawed back
          {refunds.shortfall > 0n ? ` · ${fmt(refunds.shortfall, info.decimals, pointsSymbol)} already spent, deducted from the cash` : ""}
        </p>
      )}
      {refundable > 0n && (
        <div className="mt-2 grid gap-2 sm:grid-cols-[1fr_1.4fr_auto] sm:items-end">
          <Field label={`Refund (max ${fmt(refundable, info.decimals, info.symbol)})`} error={parsed.error ?? (amount !== undefined && amount > refundable ? "More than is refundable" : undefined)}>
            <input className={inputClass} name="refundAmount" inputMode="decimal" placeholder={fmt(refundable, info.decimals)} value={input} onChange={(e) => setInput(e.target.value)} />
          </Field>
          <Field label="To" error={to.trim() !== "" && !recipient ? "Not an address" : undefined}>
            <input className={inputClass} name="refundTo" placeholder={order?.payer} value={to} onChange={(e) => setTo(e.target.value)} />
          </Field>
          <Button
            variant="danger"
            testId={`loyalty-refund-${orderRef}`}
            disabled={!ok || flow.busy}
            onClick={async () => {
              const done = await flow.run(
                `Refund ${fmt(amount!, info.decimals, info.symbol)}`,
                { address: checkout, abi: checkoutAbi, functionName: "refund", args: [orderRef, recipient, amount] },
                { token: order!.token, spender: checkout, amount: amount!, symbol: info.symbol },
              );
              if (done) setInput("");
            }}
          >
            Refund
          </Button>
        </div>
      )}
      <TxStatus state={flow.state} earlier={flow.earlier} />
    </li>
  );
}
