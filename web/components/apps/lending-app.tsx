"use client";

import { formatAmount } from "@coinpays/sdk";
import { coinPaysLendingAbi } from "@coinpays/sdk/contracts";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type Address, type Hex } from "viem";
import { useAccount, usePublicClient } from "wagmi";
import { formatHealthFactor, HealthBadge, lendingAbi, pct, priceInLoan, useMarkets, useMarketState, usePosition, type MarketParams } from "./lending-data.tsx";
import { health, liquidationIncentive, ORACLE_SCALE, toAssetsDown, WAD, type MarketTotals } from "./lending-math.ts";
import { TxStatus, useTransactionFlow } from "./tx-flow.tsx";
import { Button, Card, Field, fmt, inputClass, Notice, PageTitle, parseInput, RequireWallet, short, tokenOf, useDeployment, useTokens, type TokenInfo } from "./ui.tsx";

export function LendingMarkets() {
  const markets = useMarkets();
  return (
    <>
      <PageTitle title="Lending" lead="Isolated markets: lend stablecoins for interest, or borrow them against collateral. Rates follow utilisation; a position is liquidated when its debt exceeds the collateral's value times the market's LLTV." />
      {markets.length === 0 ? (
        <Notice>No lending market is deployed on this chain.</Notice>
      ) : (
        <div className="overflow-hidden rounded-2xl border border-slate-200 bg-white">
          <table className="w-full text-sm" data-testid="markets">
            <thead className="bg-slate-50 text-left text-xs text-slate-500 uppercase">
              <tr>
                <th className="px-4 py-3">Market</th>
                <th className="px-4 py-3">LLTV</th>
                <th className="px-4 py-3">Supplied</th>
                <th className="px-4 py-3">Borrowed</th>
                <th className="px-4 py-3">Utilisation</th>
                <th className="px-4 py-3">Supply APY</th>
                <th className="px-4 py-3">Borrow APY</th>
                <th className="px-4 py-3">Oracle price</th>
              </tr>
            </thead>
            <tbody>
              {markets.map((m) => (
                <MarketRow key={m.id} id={m.id} params={m.params} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function MarketRow({ id, params }: { id: Hex; params: MarketParams }) {
  const tokens = useTokens();
  const loan = tokenOf(tokens, params.loanToken);
  const coll = tokenOf(tokens, params.collateralToken);
  const s = useMarketState(id, params);
  return (
    <tr className="border-t border-slate-100" data-testid={`market-${id}`}>
      <td className="px-4 py-3 font-semibold">
        <a href={`/lending/${id}`} className="text-brand-700 hover:underline">
          {loan.symbol} / {coll.symbol}
        </a>
      </td>
      <td className="px-4 py-3">{formatAmount(params.lltv * 100n, 18)}%</td>
      <td className="px-4 py-3 font-mono">{fmt(s.totals?.totalSupplyAssets, loan.decimals, loan.symbol)}</td>
      <td className="px-4 py-3 font-mono">{fmt(s.totals?.totalBorrowAssets, loan.decimals, loan.symbol)}</td>
      <td className="px-4 py-3" data-testid="utilisation">{pct(s.utilisation)}</td>
      <td className="px-4 py-3">{pct(s.supplyApy)}</td>
      <td className="px-4 py-3">{pct(s.borrowApy)}</td>
      <td className="px-4 py-3 font-mono">{priceInLoan(s.price, coll, loan)}</td>
    </tr>
  );
}

export function LendingMarket({ id }: { id: string }) {
  const markets = useMarkets();
  const market = markets.find((m) => m.id.toLowerCase() === id.toLowerCase());
  if (!market) return <Notice>Unknown market {id}.</Notice>;
  return <MarketView id={market.id} params={market.params} />;
}

function MarketView({ id, params }: { id: Hex; params: MarketParams }) {
  const tokens = useTokens();
  const loan = tokenOf(tokens, params.loanToken);
  const coll = tokenOf(tokens, params.collateralToken);
  const s = useMarketState(id, params);
  const [tab, setTab] = useState<"position" | "liquidations">("position");
  return (
    <>
      <PageTitle title={`${loan.symbol} / ${coll.symbol} market`} lead={`Borrow ${loan.symbol} against ${coll.symbol} up to ${formatAmount(params.lltv * 100n, 18)}% of its value; lenders earn what borrowers pay.`} />
      <div className="mb-6 grid gap-3 sm:grid-cols-5" data-testid="market-stats">
        <Stat label="Supplied" value={fmt(s.totals?.totalSupplyAssets, loan.decimals, loan.symbol)} />
        <Stat label="Borrowed" value={fmt(s.totals?.totalBorrowAssets, loan.decimals, loan.symbol)} />
        <Stat label="Utilisation" value={pct(s.utilisation)} />
        <Stat label="Supply / borrow APY" value={`${pct(s.supplyApy)} / ${pct(s.borrowApy)}`} />
        <Stat label={`${coll.symbol} price`} value={priceInLoan(s.price, coll, loan)} testId="oracle-price" />
      </div>
      <div className="mb-4 flex gap-2">
        <Button variant={tab === "position" ? "primary" : "secondary"} onClick={() => setTab("position")} testId="tab-position">
          My position
        </Button>
        <Button variant={tab === "liquidations" ? "primary" : "secondary"} onClick={() => setTab("liquidations")} testId="tab-liquidations">
          Liquidations
        </Button>
      </div>
      <RequireWallet>{tab === "position" ? <PositionView id={id} params={params} loan={loan} coll={coll} price={s.price} totals={s.totals} /> : <Liquidations id={id} params={params} loan={loan} coll={coll} price={s.price} />}</RequireWallet>
    </>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="rounded-2xl border border-slate-200 bg-white px-4 py-3">
      <p className="text-xs text-slate-500">{label}</p>
      <p className="mt-1 font-mono text-sm font-semibold text-slate-900" data-testid={testId}>
        {value}
      </p>
    </div>
  );
}

type Action = "supply" | "withdraw" | "supplyCollateral" | "withdrawCollateral" | "borrow" | "repay";
const ACTIONS: { key: Action; label: string }[] = [
  { key: "supply", label: "Supply" },
  { key: "withdraw", label: "Withdraw supply" },
  { key: "supplyCollateral", label: "Deposit collateral" },
  { key: "borrow", label: "Borrow" },
  { key: "repay", label: "Repay" },
  { key: "withdrawCollateral", label: "Withdraw collateral" },
];

function PositionView({ id, params, loan, coll, price, totals }: { id: Hex; params: MarketParams; loan: TokenInfo; coll: TokenInfo; price: bigint | undefined; totals: MarketTotals | undefined }) {
  const lending = useDeployment()!.contracts.CoinPaysLending.address as Address;
  const { address } = useAccount();
  const { position, debt } = usePosition(id, params, address);
  const [action, setAction] = useState<Action>("supply");
  const [amount, setAmount] = useState("");
  const flow = useTransactionFlow();
  const token = action === "supplyCollateral" || action === "withdrawCollateral" ? coll : loan;
  const parsed = parseInput(amount, token.decimals);
  const supplied = position && totals ? toAssetsDown(position.supplyShares, totals.totalSupplyAssets, totals.totalSupplyShares) : undefined;
  const current = { collateral: position?.collateral ?? 0n, debt: debt ?? 0n };
  const a = parsed.amount ?? 0n;
  const projected = {
    collateral: action === "supplyCollateral" ? current.collateral + a : action === "withdrawCollateral" ? (current.collateral > a ? current.collateral - a : 0n) : current.collateral,
    debt: action === "borrow" ? current.debt + a : action === "repay" ? (current.debt > a ? current.debt - a : 0n) : current.debt,
  };
  const now = health(current, price, params.lltv);
  const next = health(projected, price, params.lltv);
  const ready = parsed.amount !== undefined && parsed.amount > 0n && !!address;
  const repayAll = action === "repay" && parsed.amount !== undefined && debt !== undefined && parsed.amount >= debt;

  async function submit() {
    if (!ready || !address || parsed.amount === undefined) return;
    const label = `${ACTIONS.find((x) => x.key === action)!.label} ${amount} ${token.symbol}`;
    const base = { address: lending, abi: lendingAbi };
    let done;
    switch (action) {
      case "supply":
        done = await flow.run(label, { ...base, functionName: "supply", args: [params, parsed.amount, 0n, address] }, { token: loan.address, spender: lending, amount: parsed.amount, symbol: loan.symbol });
        break;
      case "withdraw":
        done = await flow.run(label, { ...base, functionName: "withdraw", args: [params, parsed.amount, 0n, address, address] });
        break;
      case "supplyCollateral":
        done = await flow.run(label, { ...base, functionName: "supplyCollateral", args: [params, parsed.amount, address] }, { token: coll.address, spender: lending, amount: parsed.amount, symbol: coll.symbol });
        break;
      case "withdrawCollateral":
        done = await flow.run(label, { ...base, functionName: "withdrawCollateral", args: [params, parsed.amount, address, address] });
        break;
      case "borrow":
        done = await flow.run(label, { ...base, functionName: "borrow", args: [params, parsed.amount, 0n, address, address] });
        break;
      case "repay":
        // Repaying everything goes by shares (interest keeps accruing every second); allow a little headroom.
        done = repayAll
          ? await flow.run(label, { ...base, functionName: "repay", args: [params, 0n, position!.borrowShares, address] }, { token: loan.address, spender: lending, amount: parsed.amount + parsed.amount / 1000n + 1n, symbol: loan.symbol })
          : await flow.run(label, { ...base, functionName: "repay", args: [params, parsed.amount, 0n, address] }, { token: loan.address, spender: lending, amount: parsed.amount, symbol: loan.symbol });
        break;
    }
    if (done) setAmount("");
  }

  return (
    <div className="grid gap-6 lg:grid-cols-[1.2fr_1fr]">
      <Card title="Act" testId="lending-actions">
        <div className="flex flex-wrap gap-2" role="tablist">
          {ACTIONS.map((x) => (
            <button
              key={x.key}
              type="button"
              role="tab"
              aria-selected={action === x.key}
              data-testid={`action-${x.key}`}
              onClick={() => setAction(x.key)}
              className={`rounded-full px-3 py-1 text-xs font-semibold ${action === x.key ? "bg-slate-900 text-white" : "bg-slate-100 text-slate-700 hover:bg-slate-200"}`}
            >
              {x.label}
            </button>
          ))}
        </div>
        <div className="mt-4 space-y-3">
          <Field label={`Amount (${token.symbol})`} error={parsed.error} hint={action === "repay" && debt !== undefined ? `Your debt: ${fmt(debt, loan.decimals, loan.symbol)}; enter it (or more) to repay everything.` : undefined}>
            <div className="flex gap-2">
              <input className={inputClass} name="lendingAmount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
              {action === "repay" && debt !== undefined && debt > 0n && (
                <Button variant="secondary" onClick={() => setAmount(formatAmount(debt, loan.decimals))}>
                  Max
                </Button>
              )}
            </div>
          </Field>
          {(action === "borrow" || action === "repay" || action === "supplyCollateral" || action === "withdrawCollateral") && (
            <p className="rounded-xl bg-slate-50 px-3 py-2 text-xs text-slate-600" data-testid="projected-health">
              After this: health factor {formatHealthFactor(next.hf)}
              {next.liquidationPrice !== undefined ? ` · liquidation at ${priceInLoan(next.liquidationPrice, coll, loan)} per ${coll.symbol}` : ""}
              {next.hf !== undefined && next.hf < 1 ? " · would be unhealthy: the contract will refuse" : ""}
            </p>
          )}
          <Button testId="lending-submit" disabled={!ready || flow.busy} onClick={submit}>
            {ACTIONS.find((x) => x.key === action)!.label}
          </Button>
          <TxStatus state={flow.state} earlier={flow.earlier} />
        </div>
      </Card>
      <Card title="My position" testId="lending-position">
        <dl className="grid grid-cols-2 gap-y-2 text-sm">
          <dt className="text-slate-500">Supplied</dt>
          <dd className="font-mono" data-testid="position-supplied">{fmt(supplied, loan.decimals, loan.symbol)}</dd>
          <dt className="text-slate-500">Collateral</dt>
          <dd className="font-mono" data-testid="position-collateral">{fmt(position?.collateral, coll.decimals, coll.symbol)}</dd>
          <dt className="text-slate-500">Debt</dt>
          <dd className="font-mono" data-testid="position-debt">{fmt(debt, loan.decimals, loan.symbol)}</dd>
          <dt className="text-slate-500">Borrow limit</dt>
          <dd className="font-mono">{fmt(now.maxBorrow, loan.decimals, loan.symbol)}</dd>
          <dt className="text-slate-500">Health factor</dt>
          <dd data-testid="health-factor" data-value={now.hf === undefined ? "" : String(now.hf)}>
            <HealthBadge hf={now.hf} />
          </dd>
          <dt className="text-slate-500">Liquidation price</dt>
          <dd className="font-mono" data-testid="liquidation-price">
            {now.liquidationPrice !== undefined ? `${priceInLoan(now.liquidationPrice, coll, loan)} per ${coll.symbol}` : "—"}
          </dd>
        </dl>
      </Card>
    </div>
  );
}

function Liquidations({ id, params, loan, coll, price }: { id: Hex; params: MarketParams; loan: TokenInfo; coll: TokenInfo; price: bigint | undefined }) {
  const lending = useDeployment()!.contracts.CoinPaysLending.address as Address;
  const client = usePublicClient();
  const { data: borrowers = [] } = useQuery({
    queryKey: ["lending-borrowers", id],
    enabled: !!client,
    refetchInterval: 5_000,
    queryFn: async () => {
      const logs = await client!.getContractEvents({ address: lending, abi: coinPaysLendingAbi, eventName: "Borrowed", args: { id }, fromBlock: 0n });
      return [...new Set(logs.map((l) => l.args.onBehalf as Address))];
    },
  });
  return (
    <Card title="Positions" testId="liquidations">
      {borrowers.length === 0 ? (
        <p className="text-sm text-slate-600">Nobody has borrowed in this market yet.</p>
      ) : (
        <table className="w-full text-sm">
          <thead className="text-left text-xs text-slate-500 uppercase">
            <tr>
              <th className="py-2">Borrower</th>
              <th>Collateral</th>
              <th>Debt</th>
              <th>Health</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {borrowers.map((b) => (
              <BorrowerRow key={b} borrower={b} id={id} params={params} loan={loan} coll={coll} price={price} />
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function BorrowerRow({ borrower, id, params, loan, coll, price }: { borrower: Address; id: Hex; params: MarketParams; loan: TokenInfo; coll: TokenInfo; price: bigint | undefined }) {
  const lending = useDeployment()!.contracts.CoinPaysLending.address as Address;
  const { address } = useAccount();
  const { position, debt } = usePosition(id, params, borrower);
  const flow = useTransactionFlow();
  if (!position || debt === undefined) return null;
  const h = health({ collateral: position.collateral, debt }, price, params.lltv);
  const unhealthy = h.hf !== undefined && h.hf < 1 && debt > 0n;
  const lif = liquidationIncentive(params.lltv);
  // Seize for the whole debt when the collateral covers it with the incentive; otherwise seize everything.
  const seizeForAll = price ? (((debt * lif) / WAD) * ORACLE_SCALE) / price : undefined;
  const full = seizeForAll !== undefined && seizeForAll <= position.collateral;
  const seize = full ? seizeForAll : position.collateral;
  return (
    <tr className="border-t border-slate-100" data-testid={`borrower-${borrower}`} data-unhealthy={unhealthy ? "true" : "false"}>
      <td className="py-2 font-mono">{short(borrower)}{borrower.toLowerCase() === address?.toLowerCase() ? " (you)" : ""}</td>
      <td className="font-mono">{fmt(position.collateral, coll.decimals, coll.symbol)}</td>
      <td className="font-mono">{fmt(debt, loan.decimals, loan.symbol)}</td>
      <td>
        <HealthBadge hf={debt === 0n ? Infinity : h.hf} />
      </td>
      <td className="py-2 text-right">
        {unhealthy && (
          <div>
            <p className="mb-1 text-xs text-slate-500">
              Repay ≈ {fmt(full ? debt : undefined, loan.decimals, loan.symbol)} · seize ≈ {fmt(seize, coll.decimals, coll.symbol)}
            </p>
            <Button
              variant="danger"
              testId={`liquidate-${borrower}`}
              disabled={flow.busy}
              onClick={() =>
                flow.run(
                  `Liquidate ${short(borrower)}`,
                  full
                    ? { address: lending, abi: lendingAbi, functionName: "liquidate", args: [params, borrower, 0n, position.borrowShares] }
                    : { address: lending, abi: lendingAbi, functionName: "liquidate", args: [params, borrower, position.collateral, 0n] },
                  { token: loan.address, spender: lending, amount: debt + debt / 100n + 1n, symbol: loan.symbol },
                )
              }
            >
              Liquidate
            </Button>
          </div>
        )}
        <TxStatus state={flow.state} earlier={flow.earlier} />
      </td>
    </tr>
  );
}
