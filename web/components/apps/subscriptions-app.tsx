"use client";

import { subscriptionsAbi } from "@coinpays/sdk/contracts";
import { subscriptionTermsTypedData } from "@coinpays/sdk";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { erc20Abi, zeroAddress, type Abi, type Address, type Hash } from "viem";
import { useAccount, useChainId, useConfig, usePublicClient, useReadContract, useReadContracts } from "wagmi";
import { readContract, signTypedData } from "wagmi/actions";
import { describeError, TxStatus, useTransactionFlow, type FlowState } from "./tx-flow.tsx";
import { Badge, Button, Card, Field, fmt, inputClass, Notice, PageTitle, parseInput, RequireWallet, short, tokenOf, TokenSelect, useDeployment, useTokens } from "./ui.tsx";

const abi = subscriptionsAbi as Abi;
const STATUS = ["None", "Active", "PastDue", "Cancelled"] as const;
const STATUS_TONE = { None: "slate", Active: "green", PastDue: "amber", Cancelled: "slate" } as const;
const UNITS = { hours: 3_600, days: 86_400 } as const;

type Plan = { merchant: Address; amount: bigint; token: Address; period: number; trial: number; active: boolean };
type Subscription = { subscriber: Address; anchor: number; nextPeriod: number; status: number; planId: bigint };

function describePeriod(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? "day" : `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return seconds === 3_600 ? "hour" : `${seconds / 3_600} hours`;
  return `${seconds} s`;
}

export function SubscriptionsApp({ initialPlan }: { initialPlan?: string }) {
  const [tab, setTab] = useState<"subscribe" | "merchant">(initialPlan ? "subscribe" : "merchant");
  return (
    <>
      <PageTitle
        title="Subscriptions"
        lead="Merchants publish plans; a subscriber authorises the schedule once (a subscribe transaction, or EIP-712 signed terms that CoinPays submits for you) with an ERC-20 allowance, and a keeper charges each period at most once. Either side can cancel at any time."
      />
      <div className="mb-4 flex gap-2">
        <Button variant={tab === "subscribe" ? "primary" : "secondary"} onClick={() => setTab("subscribe")} testId="tab-subscribe">
          Subscribe
        </Button>
        <Button variant={tab === "merchant" ? "primary" : "secondary"} onClick={() => setTab("merchant")} testId="tab-merchant">
          My plans
        </Button>
      </div>
      <RequireWallet>{tab === "subscribe" ? <SubscribeView initialPlan={initialPlan} /> : <MerchantView />}</RequireWallet>
    </>
  );
}

function useSubscriptionsAddress(): Address {
  return useDeployment()!.contracts.Subscriptions.address as Address;
}

function useEvents(eventName: "PlanCreated" | "Subscribed") {
  const client = usePublicClient();
  const address = useSubscriptionsAddress();
  return useQuery({
    queryKey: ["subscription-events", eventName, address],
    enabled: !!client,
    refetchInterval: 5_000,
    queryFn: async () => (await client!.getContractEvents({ address, abi: subscriptionsAbi, eventName, fromBlock: 0n })).map((log) => log.args as Record<string, unknown>),
  });
}

function MerchantView() {
  const address = useSubscriptionsAddress();
  const { address: me } = useAccount();
  const tokens = useTokens();
  const flow = useTransactionFlow();
  const [token, setToken] = useState<Address>(tokens[0]?.address ?? zeroAddress);
  const [amount, setAmount] = useState("");
  const [period, setPeriod] = useState("30");
  const [unit, setUnit] = useState<keyof typeof UNITS>("days");
  const [trialDays, setTrialDays] = useState("0");
  const info = tokenOf(tokens, token);
  const parsed = parseInput(amount, info.decimals);
  const periodSeconds = Number(period) * UNITS[unit];
  const trialSeconds = Number(trialDays) * 86_400;
  const ok = parsed.amount !== undefined && parsed.amount > 0n && Number.isInteger(periodSeconds) && periodSeconds >= 3_600 && Number.isInteger(trialSeconds) && trialSeconds >= 0;
  const { data: plans = [] } = useEvents("PlanCreated");
  const myPlans = plans.filter((p) => String(p.merchant).toLowerCase() === me?.toLowerCase()).map((p) => p.planId as bigint);

  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_1.4fr]">
      <Card title="Create a plan" testId="plan-create">
        <div className="space-y-3">
          <div className="grid grid-cols-[1fr_8rem] gap-2">
            <Field label="Price per period" error={parsed.error}>
              <input className={inputClass} name="planAmount" inputMode="decimal" placeholder="9.99" value={amount} onChange={(e) => setAmount(e.target.value)} />
            </Field>
            <Field label="Token">
              <TokenSelect tokens={tokens} value={token} onChange={setToken} />
            </Field>
          </div>
          <div className="grid grid-cols-[1fr_8rem] gap-2">
            <Field label="Every" hint="At least one hour">
              <input className={inputClass} name="planPeriod" inputMode="numeric" value={period} onChange={(e) => setPeriod(e.target.value)} />
            </Field>
            <Field label="Unit">
              <select aria-label="Period unit" className={inputClass} value={unit} onChange={(e) => setUnit(e.target.value as keyof typeof UNITS)}>
                <option value="hours">hours</option>
                <option value="days">days</option>
              </select>
            </Field>
          </div>
          <Field label="Free trial (days)">
            <input className={inputClass} name="planTrial" inputMode="numeric" value={trialDays} onChange={(e) => setTrialDays(e.target.value)} />
          </Field>
          <Button testId="plan-submit" disabled={!ok || flow.busy} onClick={() => flow.run("Create plan", { address, abi, functionName: "createPlan", args: [token, parsed.amount, periodSeconds, trialSeconds] })}>
            Create plan
          </Button>
          <TxStatus state={flow.state} earlier={flow.earlier} />
        </div>
      </Card>
      <div className="space-y-4" data-testid="my-plans">
        {myPlans.length === 0 ? <Notice>No plans yet.</Notice> : [...myPlans].reverse().map((id) => <PlanSubscribers key={id.toString()} planId={id} />)}
      </div>
    </div>
  );
}

function PlanSubscribers({ planId }: { planId: bigint }) {
  const address = useSubscriptionsAddress();
  const tokens = useTokens();
  const { data: plan } = useReadContract({ address, abi, functionName: "getPlan", args: [planId] });
  const { data: subscribed = [] } = useEvents("Subscribed");
  const ids = subscribed.filter((s) => s.planId === planId).map((s) => s.subscriptionId as bigint);
  const p = plan as Plan | undefined;
  const info = tokenOf(tokens, p?.token);
  const link = typeof window === "undefined" ? "" : `${window.location.origin}/subscriptions?plan=${planId}`;
  return (
    <Card title={`Plan #${planId}`} testId={`plan-${planId}`} aside={p && <Badge tone={p.active ? "green" : "slate"}>{p.active ? "open" : "closed"}</Badge>}>
      {p && (
        <p className="text-sm text-slate-700">
          <span className="font-mono">{fmt(p.amount, info.decimals, info.symbol)}</span> every {describePeriod(p.period)}
          {p.trial ? ` after a ${describePeriod(p.trial)} trial` : ""}
        </p>
      )}
      <p className="mt-1 truncate text-xs text-slate-500">
        Subscribe link: <a className="font-mono underline" href={`/subscriptions?plan=${planId}`}>{link || `/subscriptions?plan=${planId}`}</a>
      </p>
      <h3 className="mt-4 text-xs font-semibold tracking-wider text-slate-500 uppercase">Subscribers ({ids.length})</h3>
      {ids.length === 0 ? <p className="mt-1 text-sm text-slate-600">Nobody yet.</p> : (
        <ul className="mt-2 space-y-2">
          {ids.map((id) => (
            <SubscriptionRow key={id.toString()} id={id} plan={p} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function SubscriptionRow({ id, plan }: { id: bigint; plan?: Plan }) {
  const address = useSubscriptionsAddress();
  const tokens = useTokens();
  const flow = useTransactionFlow();
  const { data } = useReadContracts({
    contracts: [
      { address, abi, functionName: "getSubscription", args: [id] },
      { address, abi, functionName: "currentPeriod", args: [id] },
    ],
    query: { refetchInterval: 4_000 },
  });
  const sub = data?.[0]?.result as Subscription | undefined;
  const [periodIndex, due] = (data?.[1]?.result as [bigint, boolean] | undefined) ?? [];
  const status = STATUS[sub?.status ?? 0] ?? "None";
  const info = tokenOf(tokens, plan?.token);
  return (
    <li className="rounded-xl border border-slate-200 p-3 text-sm" data-testid={`subscription-${id}`} data-status={status} data-charged={sub?.nextPeriod}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <span>
          #{id.toString()} · <span className="font-mono">{short(sub?.subscriber)}</span>
        </span>
        <Badge tone={STATUS_TONE[status]}>{status}</Badge>
      </div>
      <p className="mt-1 text-xs text-slate-600">
        Periods charged: {sub?.nextPeriod ?? "…"}
        {plan && sub ? ` (${fmt(plan.amount * BigInt(sub.nextPeriod), info.decimals, info.symbol)})` : ""} · current period {periodIndex?.toString() ?? "…"} {status !== "Cancelled" && due ? "· due now" : ""}
      </p>
      {status !== "Cancelled" && (
        <div className="mt-2 flex gap-2">
          {due && (
            <Button variant="secondary" disabled={flow.busy} onClick={() => flow.run(`Charge subscription #${id}`, { address, abi, functionName: "charge", args: [id] })}>
              Charge now
            </Button>
          )}
          <Button variant="danger" testId={`subscription-${id}-cancel`} disabled={flow.busy} onClick={() => flow.run(`Cancel subscription #${id}`, { address, abi, functionName: "cancel", args: [id] })}>
            Cancel
          </Button>
        </div>
      )}
      <TxStatus state={flow.state} earlier={flow.earlier} />
    </li>
  );
}

function SubscribeView({ initialPlan }: { initialPlan?: string }) {
  const address = useSubscriptionsAddress();
  const config = useConfig();
  const { address: me } = useAccount();
  const tokens = useTokens();
  const flow = useTransactionFlow();
  const [planInput, setPlanInput] = useState(initialPlan ?? "");
  const [periods, setPeriods] = useState("12");
  const planId = /^\d+$/.test(planInput) ? BigInt(planInput) : undefined;
  const { data: plan } = useReadContract({ address, abi, functionName: "getPlan", args: [planId ?? 0n], query: { enabled: planId !== undefined } });
  const p = plan as Plan | undefined;
  const exists = !!p && p.merchant !== zeroAddress;
  const info = tokenOf(tokens, p?.token);
  const n = Number(periods);
  const periodsOk = Number.isInteger(n) && n >= 1 && n <= 1_000;
  const allowance = exists && periodsOk ? p!.amount * BigInt(n) : undefined;
  const { data: subscribed = [] } = useEvents("Subscribed");
  const mine = subscribed.filter((s) => String(s.subscriber).toLowerCase() === me?.toLowerCase());
  const [mode, setMode] = useState<"transaction" | "signed">("transaction");
  const signed = useSignedSubscription();
  const ready = exists && p!.active && allowance !== undefined && !flow.busy && !signed.busy;

  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_1.2fr]">
      <Card title="Subscribe to a plan" testId="subscribe">
        <div className="space-y-3">
          <Field label="Plan number">
            <input className={inputClass} name="planId" inputMode="numeric" value={planInput} onChange={(e) => setPlanInput(e.target.value)} />
          </Field>
          {exists ? (
            <div className="rounded-xl bg-slate-50 p-3 text-sm" data-testid="plan-summary">
              <p className="font-semibold text-slate-900">
                {fmt(p!.amount, info.decimals, info.symbol)} every {describePeriod(p!.period)}
              </p>
              <p className="text-xs text-slate-600">
                Merchant <span className="font-mono">{short(p!.merchant)}</span>
                {p!.trial ? ` · ${describePeriod(p!.trial)} free trial` : ""} · {p!.active ? "open for sign-ups" : "closed to new subscribers"}
              </p>
            </div>
          ) : planId !== undefined ? (
            <p className="text-sm text-slate-600">No plan #{planInput}.</p>
          ) : null}
          <Field label="Authorise charges for (periods)" hint={allowance !== undefined ? `Allowance: ${fmt(allowance, info.decimals, info.symbol)}. Each period is charged at most once; you can cancel any time.` : undefined}>
            <input className={inputClass} name="periods" inputMode="numeric" value={periods} onChange={(e) => setPeriods(e.target.value)} />
          </Field>
          <fieldset className="space-y-1 text-sm">
            <legend className="mb-1 text-xs font-semibold tracking-wider text-slate-500 uppercase">Authorise the schedule by</legend>
            <label className="flex items-center gap-2">
              <input type="radio" name="authMode" data-testid="auth-mode-transaction" checked={mode === "transaction"} onChange={() => setMode("transaction")} />
              a subscribe transaction (you pay its gas)
            </label>
            <label className="flex items-center gap-2">
              <input type="radio" name="authMode" data-testid="auth-mode-signed" checked={mode === "signed"} onChange={() => setMode("signed")} />
              signed terms (EIP-712): you sign, CoinPays submits and pays the gas
            </label>
          </fieldset>
          {mode === "transaction" ? (
            <Button
              testId="subscribe-button"
              disabled={!ready}
              onClick={() => flow.run(`Subscribe to plan #${planId}`, { address, abi, functionName: "subscribe", args: [planId, p!.amount] }, { token: p!.token, spender: address, amount: allowance!, symbol: info.symbol })}
            >
              Approve & subscribe
            </Button>
          ) : (
            <Button
              testId="subscribe-signed-button"
              disabled={!ready}
              onClick={async () => {
                // The allowance is still what the charges draw on: approved first (a transaction) when too low.
                const current = me ? await readContract(config, { address: p!.token, abi: erc20Abi, functionName: "allowance", args: [me, address] }) : 0n;
                if (current < allowance!) {
                  const approved = await flow.run(`Approve ${info.symbol}`, { address: p!.token, abi: erc20Abi as Abi, functionName: "approve", args: [address, allowance!] });
                  if (!approved) return;
                }
                await signed.subscribe(planId!, p!.amount, p!.period);
              }}
            >
              Sign terms & subscribe
            </Button>
          )}
          <TxStatus state={flow.state} earlier={flow.earlier} />
          <TxStatus state={signed.state} />
        </div>
      </Card>
      <Card title="My subscriptions" testId="my-subscriptions">
        {mine.length === 0 ? <p className="text-sm text-slate-600">None yet.</p> : (
          <ul className="space-y-2">
            {[...mine].reverse().map((s) => (
              <MySubscription key={String(s.subscriptionId)} id={s.subscriptionId as bigint} planId={s.planId as bigint} />
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

function MySubscription({ id, planId }: { id: bigint; planId: bigint }) {
  const address = useSubscriptionsAddress();
  const { data: plan } = useReadContract({ address, abi, functionName: "getPlan", args: [planId] });
  return <SubscriptionRow id={id} plan={plan as Plan | undefined} />;
}

/**
 * Sign-up by EIP-712 signed terms: the wallet signs SubscriptionTerms (the contract's domain, the
 * subscriber's current nonce, starting now and valid for an hour of chain time), and the gateway submits
 * subscribeWithSignature with its relayer (POST /api/v1/subscriptions/signed).
 */
function useSignedSubscription() {
  const config = useConfig();
  const chainId = useChainId();
  const client = usePublicClient();
  const queryClient = useQueryClient();
  const address = useSubscriptionsAddress();
  const { address: me } = useAccount();
  const [state, setState] = useState<FlowState>({ status: "idle" });

  async function subscribe(planId: bigint, amount: bigint, period: number): Promise<void> {
    const label = `Subscribe to plan #${planId} by signed terms`;
    let hash: Hash | undefined;
    try {
      if (!me || !client) throw new Error("Connect your wallet first.");
      setState({ status: "pending", label, step: "simulating" });
      const [nonce, block] = await Promise.all([readContract(config, { address, abi: subscriptionsAbi, functionName: "nonces", args: [me] }), client.getBlock()]);
      const now = Number(block.timestamp);
      const terms = { subscriber: me, planId, maxAmount: amount, period, start: now, nonce, deadline: BigInt(now + 3_600) };
      setState({ status: "pending", label, step: "signing" });
      const signature = await signTypedData(config, subscriptionTermsTypedData(chainId, address, terms));
      setState({ status: "pending", label, step: "confirming" });
      const response = await fetch("/api/v1/subscriptions/signed", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          terms: { ...terms, planId: planId.toString(), maxAmount: amount.toString(), nonce: nonce.toString(), deadline: terms.deadline.toString() },
          signature,
        }),
      });
      const body = (await response.json()) as { transactionHash?: Hash; error?: { message: string } };
      if (!response.ok) throw new Error(body.error?.message ?? `The relay answered HTTP ${response.status}`);
      hash = body.transactionHash!;
      setState({ status: "confirmed", label, hash });
      await queryClient.invalidateQueries();
    } catch (error) {
      setState({ status: "failed", label, message: describeError(error), hash });
    }
  }
  return { state, subscribe, busy: state.status === "pending" };
}
