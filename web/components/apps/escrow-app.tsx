"use client";

import { escrowAbi } from "@coinpays/sdk/contracts";
import { useMemo, useState } from "react";
import { getAddress, isAddress, zeroAddress, type Abi, type Address } from "viem";
import { useAccount, useBlock, useReadContract, useReadContracts } from "wagmi";
import { TxStatus, useTransactionFlow } from "./tx-flow.tsx";
import { Badge, Button, Card, Field, fmt, inputClass, Notice, PageTitle, parseInput, RequireWallet, short, tokenOf, TokenSelect, useDeployment, useTokens, type TokenInfo } from "./ui.tsx";

const abi = escrowAbi as Abi;
export const ESCROW_STATES = ["None", "Funded", "Disputed", "Released", "Refunded", "Resolved"] as const;
const STATE_TONE = { None: "slate", Funded: "blue", Disputed: "amber", Released: "green", Refunded: "slate", Resolved: "green" } as const;
const MAX_FEE_BPS = 1_000;

type EscrowData = {
  buyer: Address;
  deadline: number;
  disputeWindow: number;
  state: number;
  seller: Address;
  arbiterFeeBps: number;
  arbiterTimeout: number;
  disputedAt: number;
  arbiter: Address;
  token: Address;
  amount: bigint;
};

export function EscrowApp() {
  return (
    <>
      <PageTitle
        title="Escrow"
        lead="Hold a payment until delivery. The buyer releases; at the deadline (plus the dispute window) the default is a full refund. With an arbiter either side can dispute, and the arbiter's fee is fixed now, before anything goes wrong."
      />
      <RequireWallet>
        <div className="grid gap-6 lg:grid-cols-[1fr_1.3fr]">
          <CreateEscrow />
          <div className="space-y-6">
            <MyEscrows />
            <Owed />
          </div>
        </div>
      </RequireWallet>
    </>
  );
}

function useChainNow(): bigint | undefined {
  const { data: block } = useBlock({ watch: true });
  return block?.timestamp;
}

function CreateEscrow() {
  const deployment = useDeployment()!;
  const escrow = deployment.contracts.Escrow.address as Address;
  const { address } = useAccount();
  const tokens = useTokens(true);
  const now = useChainNow();
  const [token, setToken] = useState<Address>(tokens[1]?.address ?? zeroAddress);
  const [amount, setAmount] = useState("");
  const [seller, setSeller] = useState("");
  const [arbiter, setArbiter] = useState("");
  const [deadlineHours, setDeadlineHours] = useState("72");
  const [windowHours, setWindowHours] = useState("24");
  const [feeBps, setFeeBps] = useState("100");
  const [timeoutDays, setTimeoutDays] = useState("3");
  const flow = useTransactionFlow();

  const info = tokenOf(tokens, token);
  const parsed = parseInput(amount, info.decimals);
  const hasArbiter = arbiter.trim() !== "";
  const sellerOk = isAddress(seller.trim());
  const arbiterOk = !hasArbiter || isAddress(arbiter.trim());
  const fee = hasArbiter ? Number(feeBps) : 0;
  const feeOk = Number.isInteger(fee) && fee >= 0 && fee <= MAX_FEE_BPS;
  const hours = Number(deadlineHours);
  const windowH = hasArbiter ? Number(windowHours) : 0;
  const timeout = hasArbiter ? Number(timeoutDays) : 0;
  const numbersOk = Number.isInteger(hours) && hours > 0 && Number.isInteger(windowH) && windowH >= 0 && Number.isInteger(timeout) && (!hasArbiter || timeout >= 1);
  const feeAmount = parsed.amount !== undefined ? (parsed.amount * BigInt(feeOk ? fee : 0)) / 10_000n : undefined;
  const deadline = now !== undefined && numbersOk ? now + BigInt(hours * 3600) : undefined;
  const ready = parsed.amount !== undefined && parsed.amount > 0n && sellerOk && arbiterOk && feeOk && numbersOk && deadline !== undefined;

  async function submit() {
    if (!ready || !address) return;
    const terms = {
      seller: getAddress(seller.trim()),
      arbiter: hasArbiter ? getAddress(arbiter.trim()) : zeroAddress,
      token,
      amount: parsed.amount!,
      deadline: Number(deadline),
      disputeWindow: windowH * 3600,
      arbiterFeeBps: fee,
      arbiterTimeout: timeout * 86_400,
    };
    const native = token === zeroAddress;
    const funded = await flow.run(
      `Fund escrow of ${amount} ${info.symbol}`,
      { address: escrow, abi, functionName: "fund", args: [terms], value: native ? parsed.amount : undefined },
      native ? undefined : { token, spender: escrow, amount: parsed.amount!, symbol: info.symbol },
    );
    // The new escrow appears under "My escrows"; clear the amount so a double click cannot fund twice.
    if (funded) setAmount("");
  }

  return (
    <Card title="Create and fund an escrow" testId="escrow-create">
      <div className="space-y-3">
        <div className="grid grid-cols-[1fr_8rem] gap-2">
          <Field label="Amount" error={parsed.error}>
            <input className={inputClass} name="amount" inputMode="decimal" placeholder="100.00" value={amount} onChange={(e) => setAmount(e.target.value)} />
          </Field>
          <Field label="Token">
            <TokenSelect tokens={tokens} value={token} onChange={setToken} />
          </Field>
        </div>
        <Field label="Seller" error={seller && !sellerOk ? "Not an address" : undefined}>
          <input className={inputClass} name="seller" placeholder="0x…" value={seller} onChange={(e) => setSeller(e.target.value)} />
        </Field>
        <Field label="Arbiter (optional)" hint="Without an arbiter there are no disputes: the buyer releases or the deadline refunds." error={!arbiterOk ? "Not an address" : undefined}>
          <input className={inputClass} name="arbiter" placeholder="0x… (leave empty for none)" value={arbiter} onChange={(e) => setArbiter(e.target.value)} />
        </Field>
        <div className="grid grid-cols-2 gap-2">
          <Field label="Deadline in (hours)" hint={deadline !== undefined ? `at ${new Date(Number(deadline) * 1000).toISOString().replace(".000Z", "Z")}` : undefined}>
            <input className={inputClass} name="deadlineHours" inputMode="numeric" value={deadlineHours} onChange={(e) => setDeadlineHours(e.target.value)} />
          </Field>
          <Field label="Dispute window after it (hours)">
            <input className={inputClass} name="disputeWindowHours" inputMode="numeric" disabled={!hasArbiter} value={hasArbiter ? windowHours : "0"} onChange={(e) => setWindowHours(e.target.value)} />
          </Field>
          <Field label="Arbiter fee (basis points, max 1000)" error={!feeOk ? "0 to 1000" : undefined}>
            <input className={inputClass} name="arbiterFeeBps" inputMode="numeric" disabled={!hasArbiter} value={hasArbiter ? feeBps : "0"} onChange={(e) => setFeeBps(e.target.value)} />
          </Field>
          <Field label="Arbiter has (days) to rule">
            <input className={inputClass} name="arbiterTimeoutDays" inputMode="numeric" disabled={!hasArbiter} value={hasArbiter ? timeoutDays : "0"} onChange={(e) => setTimeoutDays(e.target.value)} />
          </Field>
        </div>
        <p className="rounded-xl bg-slate-50 px-3 py-2 text-xs text-slate-600" data-testid="escrow-fee-summary">
          {hasArbiter
            ? `Arbiter fee if a dispute is ruled: ${fmt(feeAmount, info.decimals, info.symbol)} (${(fee / 100).toFixed(2)}%). No fee on release, refund, or if the arbiter does not rule in time.`
            : "No arbiter: no fee, no disputes."}
        </p>
        <Button onClick={submit} disabled={!ready || flow.busy} testId="escrow-fund">
          {token === zeroAddress ? "Fund escrow" : "Approve & fund escrow"}
        </Button>
        <TxStatus state={flow.state} earlier={flow.earlier} />
      </div>
    </Card>
  );
}

function MyEscrows() {
  const deployment = useDeployment()!;
  const escrow = deployment.contracts.Escrow.address as Address;
  const { address } = useAccount();
  const { data: next } = useReadContract({ address: escrow, abi, functionName: "nextEscrowId", query: { refetchInterval: 4_000 } });
  const ids = useMemo(() => Array.from({ length: Math.max(0, Number((next as bigint | undefined) ?? 1n) - 1) }, (_, i) => BigInt(i + 1)), [next]);
  const { data } = useReadContracts({ contracts: ids.map((id) => ({ address: escrow, abi, functionName: "getEscrow", args: [id] })), query: { refetchInterval: 4_000 } });
  const me = address?.toLowerCase();
  const mine = ids
    .map((id, i) => ({ id, escrow: data?.[i]?.result as EscrowData | undefined }))
    .filter((e): e is { id: bigint; escrow: EscrowData } => !!e.escrow && [e.escrow.buyer, e.escrow.seller, e.escrow.arbiter].some((a) => a.toLowerCase() === me))
    .reverse();

  return (
    <Card title="My escrows" testId="escrow-list">
      {mine.length === 0 ? (
        <Notice>No escrow where you are the buyer, the seller or the arbiter yet.</Notice>
      ) : (
        <ul className="space-y-3">
          {mine.map(({ id, escrow: e }) => (
            <EscrowRow key={id.toString()} id={id} escrow={e} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function EscrowRow({ id, escrow: e }: { id: bigint; escrow: EscrowData }) {
  const deployment = useDeployment()!;
  const escrowAddress = deployment.contracts.Escrow.address as Address;
  const { address } = useAccount();
  const tokens = useTokens(true);
  const now = useChainNow();
  const flow = useTransactionFlow();
  const info = tokenOf(tokens, e.token);
  const state = ESCROW_STATES[e.state] ?? "None";
  const me = address?.toLowerCase();
  const roles = [
    e.buyer.toLowerCase() === me && "buyer",
    e.seller.toLowerCase() === me && "seller",
    e.arbiter.toLowerCase() === me && "arbiter",
  ].filter(Boolean) as string[];
  const hasArbiter = e.arbiter !== zeroAddress;
  const fee = (e.amount * BigInt(e.arbiterFeeBps)) / 10_000n;
  const windowEnd = BigInt(e.deadline) + BigInt(e.disputeWindow);
  const rulingEnd = BigInt(e.disputedAt) + BigInt(e.arbiterTimeout);
  const refundable = now !== undefined && ((state === "Funded" && now >= windowEnd) || (state === "Disputed" && now >= rulingEnd));
  const call = (label: string, functionName: string, args: readonly unknown[]) => flow.run(label, { address: escrowAddress, abi, functionName, args });
  const open = state === "Funded" || state === "Disputed";

  return (
    <li className="rounded-xl border border-slate-200 p-4" data-testid={`escrow-${id}`} data-state={state}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="font-semibold text-slate-900">
          #{id.toString()} · <span className="font-mono">{fmt(e.amount, info.decimals, info.symbol)}</span>
        </p>
        <div className="flex gap-1">
          {roles.map((r) => (
            <Badge key={r}>{r}</Badge>
          ))}
          <Badge tone={STATE_TONE[state]}>{state}</Badge>
        </div>
      </div>
      <dl className="mt-2 grid grid-cols-2 gap-x-4 gap-y-1 text-xs text-slate-600">
        <dt>Buyer</dt>
        <dd className="font-mono">{short(e.buyer)}</dd>
        <dt>Seller</dt>
        <dd className="font-mono">{short(e.seller)}</dd>
        <dt>Arbiter</dt>
        <dd className="font-mono">{hasArbiter ? `${short(e.arbiter)} · fee ${fmt(fee, info.decimals, info.symbol)}` : "none"}</dd>
        <dt>Deadline</dt>
        <dd>{new Date(e.deadline * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC</dd>
        {state === "Disputed" && (
          <>
            <dt>Arbiter must rule by</dt>
            <dd>{new Date(Number(rulingEnd) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC</dd>
          </>
        )}
      </dl>
      <div className="mt-3 flex flex-wrap gap-2">
        {roles.includes("buyer") && open && (
          <Button testId={`escrow-${id}-release`} disabled={flow.busy} onClick={() => call(`Release escrow #${id}`, "release", [id])}>
            Release to seller
          </Button>
        )}
        {roles.includes("seller") && open && (
          <Button variant="secondary" disabled={flow.busy} onClick={() => call(`Refund escrow #${id}`, "refund", [id])}>
            Refund buyer
          </Button>
        )}
        {(roles.includes("buyer") || roles.includes("seller")) && state === "Funded" && hasArbiter && now !== undefined && now < windowEnd && (
          <Button variant="danger" testId={`escrow-${id}-dispute`} disabled={flow.busy} onClick={() => call(`Dispute escrow #${id}`, "dispute", [id])}>
            Dispute
          </Button>
        )}
        {refundable && (
          <Button variant="secondary" testId={`escrow-${id}-claim`} disabled={flow.busy} onClick={() => call(`Claim refund of escrow #${id}`, "claimRefund", [id])}>
            Claim refund for the buyer
          </Button>
        )}
      </div>
      {roles.includes("arbiter") && state === "Disputed" && <RuleForm id={id} escrow={e} info={info} fee={fee} run={call} busy={flow.busy} />}
      <TxStatus state={flow.state} earlier={flow.earlier} />
    </li>
  );
}

function RuleForm({ id, escrow: e, info, fee, run, busy }: { id: bigint; escrow: EscrowData; info: TokenInfo; fee: bigint; run: (label: string, fn: string, args: readonly unknown[]) => unknown; busy: boolean }) {
  const [percent, setPercent] = useState(50);
  const available = e.amount - fee;
  const toSeller = (available * BigInt(percent)) / 100n;
  const toBuyer = available - toSeller;
  return (
    <div className="mt-3 rounded-xl bg-amber-50 p-3" data-testid={`escrow-${id}-rule`}>
      <p className="text-sm font-medium text-amber-900">Arbiter ruling</p>
      <input type="range" min={0} max={100} step={1} value={percent} aria-label="Share to the seller (%)" onChange={(ev) => setPercent(Number(ev.target.value))} className="mt-2 w-full" />
      <p className="mt-1 text-xs text-amber-900">
        Seller {percent}%: <span className="font-mono">{fmt(toSeller, info.decimals, info.symbol)}</span> · Buyer: <span className="font-mono">{fmt(toBuyer, info.decimals, info.symbol)}</span> · Your fee: <span className="font-mono">{fmt(fee, info.decimals, info.symbol)}</span>
      </p>
      <div className="mt-2">
        <Button disabled={busy} onClick={() => run(`Rule escrow #${id}`, "rule", [id, toSeller])}>
          Rule
        </Button>
      </div>
    </div>
  );
}

function Owed() {
  const deployment = useDeployment()!;
  const escrow = deployment.contracts.Escrow.address as Address;
  const { address } = useAccount();
  const tokens = useTokens(true);
  const flow = useTransactionFlow();
  const { data } = useReadContracts({ contracts: tokens.map((t) => ({ address: escrow, abi, functionName: "owed", args: [address, t.address] })), query: { refetchInterval: 4_000 } });
  const owed = tokens.map((t, i) => ({ token: t, amount: data?.[i]?.result as bigint | undefined })).filter((o) => o.amount !== undefined && o.amount > 0n);
  return (
    <Card title="Owed to you" testId="escrow-owed">
      {owed.length === 0 ? (
        <p className="text-sm text-slate-600">Nothing to withdraw. Released, refunded and ruled amounts appear here; you collect them yourself.</p>
      ) : (
        <ul className="space-y-2">
          {owed.map(({ token, amount }) => (
            <li key={token.address} className="flex items-center justify-between gap-3">
              <span className="font-mono text-sm" data-testid={`owed-${token.symbol}`}>{fmt(amount, token.decimals, token.symbol)}</span>
              <Button testId={`withdraw-${token.symbol}`} disabled={flow.busy} onClick={() => flow.run(`Withdraw ${token.symbol}`, { address: escrow, abi, functionName: "withdraw", args: [token.address] })}>
                Withdraw
              </Button>
            </li>
          ))}
        </ul>
      )}
      <TxStatus state={flow.state} earlier={flow.earlier} />
    </Card>
  );
}
