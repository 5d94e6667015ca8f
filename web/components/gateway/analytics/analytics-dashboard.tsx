"use client";

// The merchant's analytics: one card per metric of /api/merchants/{id}/analytics/*, each with its own
// loading, empty and error state and a CSV download of exactly what it shows. The server decides whose
// figures these are (the signed-in member's account, optionally with its sub-accounts).
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { formatUnits } from "viem";
import { useAccount } from "wagmi";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ComposedChart,
  Legend,
  Line,
  Pie,
  PieChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { Button, Card, fmt, inputClass, Notice, PageTitle, short, tokenOf, useTokens, type TokenInfo } from "../../apps/ui.tsx";
import { gatewayFetch } from "../api-client.ts";
import { SignIn } from "../dashboard.tsx";
import {
  analyticsUrl,
  bucketLabel,
  bucketStarts,
  formatUsd,
  MAX_HOUR_RANGE_SECONDS,
  plot,
  PRESETS,
  presetRange,
  revenueByToken,
  revenueSeries,
  type Filters,
  type Interval,
  type Range,
  type RevenueRow,
  type Scope,
} from "./analytics-data.ts";

type Merchant = { id: string; parentId: string | null; name: string; payoutAddress: string; role?: string };
type Me = { user: { id: string; address: string }; merchants: Merchant[] };

const COLORS = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#64748b"];
const METHOD_LABEL: Record<string, string> = {
  router: "Wallet (router)",
  permit: "Wallet with permit",
  native: "Native coin",
  deposit_address: "Deposit address (QR)",
  credit: "Pay with credit",
  loyalty: "Loyalty checkout",
  subscription: "Subscription",
};

export function AnalyticsDashboard({ initialMerchantId }: { initialMerchantId?: string }) {
  const { address, status } = useAccount();
  const [me, setMe] = useState<Me | null>();
  const [accountId, setAccountId] = useState<string | undefined>(initialMerchantId);

  const loadMe = useCallback(async () => {
    try {
      const data = await gatewayFetch<Me>("/api/auth/me");
      setMe(data);
      setAccountId((current) => (current && data.merchants.some((m) => m.id === current) ? current : data.merchants[0]?.id));
    } catch {
      setMe(null);
    }
  }, []);
  useEffect(() => void loadMe(), [loadMe]);

  const account = me?.merchants.find((m) => m.id === accountId);
  return (
    <div data-testid="analytics">
      <PageTitle title="Analytics" lead="Revenue, payers, payment methods, conversion, refunds, splits, loyalty and lending of your account, from the chain and your orders. Times are UTC." />
      <p className="-mt-4 mb-5 text-sm"><a href="/dashboard" className="text-brand-700 underline">← Back to the dashboard</a></p>
      {me === undefined ? (
        <Notice>Loading…</Notice>
      ) : me === null ? (
        status !== "connected" || !address ? <Notice>Connect your wallet (top right), then sign in.</Notice> : <SignIn address={address} onSignedIn={loadMe} />
      ) : me.merchants.length === 0 || !account ? (
        <Notice>You are not a member of any merchant account yet. <a className="underline" href="/dashboard">Create one on the dashboard.</a></Notice>
      ) : (
        <AccountAnalytics key={account.id} accounts={me.merchants} account={account} onAccount={setAccountId} />
      )}
    </div>
  );
}

function AccountAnalytics({ accounts, account, onAccount }: { accounts: Merchant[]; account: Merchant; onAccount: (id: string) => void }) {
  const tokens = useTokens(true);
  const [subAccounts, setSubAccounts] = useState<Merchant[]>([]);
  // "self", "tree" (with every sub-account) or the id of one sub-account.
  const [scopeChoice, setScopeChoice] = useState("self");
  const [preset, setPreset] = useState<string>("30d");
  const [custom, setCustom] = useState({ from: "", to: "" });
  const [interval, setInterval] = useState<Interval>("day");
  const [token, setToken] = useState("");
  const [now] = useState(() => Math.floor(Date.now() / 1000));

  useEffect(() => {
    gatewayFetch<{ data: Merchant[] }>(`/api/merchants/${account.id}/sub-accounts`).then((r) => setSubAccounts(r.data)).catch(() => setSubAccounts([]));
  }, [account.id]);

  const range: Range | { error: string } = useMemo(() => {
    if (preset === "custom") {
      const from = Date.parse(`${custom.from}T00:00:00Z`) / 1000;
      const to = Date.parse(`${custom.to}T00:00:00Z`) / 1000 + 86_400;
      if (!custom.from || !custom.to || Number.isNaN(from) || Number.isNaN(to)) return { error: "Pick both dates." };
      if (from >= to) return { error: "The start must be before the end." };
      if (interval === "hour" && to - from > MAX_HOUR_RANGE_SECONDS) return { error: "Hourly buckets cover at most 93 days; pick daily or a shorter range." };
      return { from, to, interval };
    }
    const chosen = PRESETS.find((p) => p.id === preset)!;
    const effective = interval === "hour" && chosen.seconds > MAX_HOUR_RANGE_SECONDS ? "day" : interval;
    return presetRange(chosen.seconds, effective, now);
  }, [preset, custom, interval, now]);

  const scope: Scope =
    scopeChoice === "tree" ? { merchantId: account.id, subAccounts: "include" } : scopeChoice === "self" ? { merchantId: account.id, subAccounts: "exclude" } : { merchantId: scopeChoice, subAccounts: "exclude" };
  const filters: Filters = token ? { token } : {};
  const sharedPayout = scopeChoice !== "self" && scopeChoice !== "tree" ? subAccounts.find((s) => s.id === scopeChoice)?.payoutAddress.toLowerCase() === account.payoutAddress.toLowerCase() : false;

  return (
    <>
      <div className="mb-5 grid gap-3 rounded-2xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-2 lg:grid-cols-5" data-testid="analytics-filters">
        <Picker label="Account">
          <select aria-label="Account" className={inputClass} value={account.id} onChange={(e) => { onAccount(e.target.value); setScopeChoice("self"); }}>
            {accounts.map((m) => <option key={m.id} value={m.id}>{m.parentId ? "↳ " : ""}{m.name}</option>)}
          </select>
        </Picker>
        <Picker label="Sub-accounts">
          <select aria-label="Sub-accounts" data-testid="analytics-scope" className={inputClass} value={scopeChoice} onChange={(e) => setScopeChoice(e.target.value)}>
            <option value="self">{account.name} only</option>
            <option value="tree" disabled={subAccounts.length === 0}>With all sub-accounts</option>
            {subAccounts.map((s) => <option key={s.id} value={s.id}>Only {s.name}</option>)}
          </select>
        </Picker>
        <Picker label="Time range">
          <select aria-label="Time range" data-testid="analytics-range" className={inputClass} value={preset} onChange={(e) => { setPreset(e.target.value); const p = PRESETS.find((x) => x.id === e.target.value); if (p) setInterval(p.interval); }}>
            {PRESETS.map((p) => <option key={p.id} value={p.id}>Last {p.label}</option>)}
            <option value="custom">Custom dates…</option>
          </select>
        </Picker>
        <Picker label="Interval">
          <select aria-label="Interval" data-testid="analytics-interval" className={inputClass} value={"error" in range ? interval : range.interval} onChange={(e) => setInterval(e.target.value as Interval)}>
            <option value="hour">Hourly</option>
            <option value="day">Daily</option>
          </select>
        </Picker>
        <Picker label="Token">
          <select aria-label="Token" className={inputClass} value={token} onChange={(e) => setToken(e.target.value)}>
            <option value="">All tokens</option>
            {tokens.map((t) => <option key={t.address} value={t.address.toLowerCase()}>{t.symbol}</option>)}
          </select>
        </Picker>
        {preset === "custom" && (
          <div className="grid grid-cols-2 gap-3 sm:col-span-2">
            <Picker label="From (UTC)"><input type="date" aria-label="From" className={inputClass} value={custom.from} onChange={(e) => setCustom((c) => ({ ...c, from: e.target.value }))} /></Picker>
            <Picker label="To (UTC, inclusive)"><input type="date" aria-label="To" className={inputClass} value={custom.to} onChange={(e) => setCustom((c) => ({ ...c, to: e.target.value }))} /></Picker>
          </div>
        )}
      </div>
      {sharedPayout && (
        <Notice>This sub-account pays out to the same address as {account.name}, so its on-chain figures are that address's figures; conversion counts its own orders only.</Notice>
      )}
      {"error" in range ? (
        <Notice>{range.error}</Notice>
      ) : (
        <div className="mt-5 grid grid-cols-1 gap-5 lg:grid-cols-2 [&>*]:min-w-0">
          <div className="lg:col-span-2"><Revenue scope={scope} range={range} filters={filters} tokens={tokens} /></div>
          <Conversion scope={scope} range={range} filters={filters} />
          <PaymentMethods scope={scope} range={range} filters={filters} />
          <TopPayers scope={scope} range={range} filters={filters} />
          <Refunds scope={scope} range={range} filters={filters} tokens={tokens} />
          <SplitPayouts scope={scope} range={range} filters={filters} tokens={tokens} />
          <Loyalty scope={scope} range={range} filters={filters} />
          <div className="lg:col-span-2"><Lending scope={scope} range={range} filters={filters} tokens={tokens} /></div>
        </div>
      )}
    </>
  );
}

function Picker({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="text-sm"><span className="font-medium text-slate-700">{label}</span><div className="mt-1">{children}</div></label>
  );
}

type MetricProps = { scope: Scope; range: Range; filters: Filters };
type Loaded<T> = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; body: T };

/** Loads one metric whenever the scope, range or filters change; a stale answer never overwrites a newer one. */
function useMetric<T>(metric: string, { scope, range, filters }: MetricProps, extra: Record<string, string> = {}) {
  const url = analyticsUrl(scope, metric, range, filters, extra);
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    setLoaded({ state: "loading" });
    gatewayFetch<T>(url)
      .then((body) => current && setLoaded({ state: "ready", body }))
      .catch((error: Error) => current && setLoaded({ state: "error", message: error.message }));
    return () => {
      current = false;
    };
  }, [url, attempt]);
  const csvUrl = analyticsUrl(scope, metric, range, filters, { ...extra, format: "csv" });
  return { loaded, csvUrl, retry: () => setAttempt((n) => n + 1) };
}

function MetricCard<T>({ title, metric, loaded, csvUrl, retry, isEmpty, empty, children }: { title: string; metric: string; loaded: Loaded<T>; csvUrl: string; retry: () => void; isEmpty: (body: T) => boolean; empty: string; children: (body: T) => ReactNode }) {
  return (
    <Card
      title={title}
      testId={`analytics-${metric}`}
      aside={<a href={csvUrl} download className="text-sm text-brand-700 underline" data-testid={`analytics-${metric}-csv`}>CSV</a>}
    >
      <div data-state={loaded.state === "ready" ? (isEmpty(loaded.body) ? "empty" : "ready") : loaded.state} data-testid={`analytics-${metric}-body`}>
        {loaded.state === "loading" ? (
          <div className="h-48 animate-pulse rounded-xl bg-slate-100" aria-label="Loading" />
        ) : loaded.state === "error" ? (
          <div className="flex h-48 flex-col items-center justify-center gap-3 rounded-xl bg-red-50 p-4 text-center text-sm text-red-700">
            <p data-testid={`analytics-${metric}-error`}>Could not load: {loaded.message}</p>
            <Button variant="secondary" onClick={retry}>Try again</Button>
          </div>
        ) : isEmpty(loaded.body) ? (
          <div className="flex h-48 items-center justify-center rounded-xl bg-slate-50 text-sm text-slate-500">{empty}</div>
        ) : (
          children(loaded.body)
        )}
      </div>
    </Card>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="rounded-xl bg-slate-50 px-3 py-2">
      <p className="text-xs uppercase tracking-wide text-slate-500">{label}</p>
      <p className="font-mono text-lg text-slate-900" data-testid={testId}>{value}</p>
    </div>
  );
}

/**
 * A chart that fills its card's width. It clips: recharts redraws at a new width a frame after a resize,
 * and until then the drawing keeps its old width, which must not widen the page (a phone turned upright).
 * Tooltips stay inside the chart's view box, so nothing meant to be seen is clipped.
 */
function Chart({ children, height = 240 }: { children: ReactNode; height?: number }) {
  return (
    <div style={{ height }} className="w-full overflow-hidden">
      <ResponsiveContainer width="100%" height="100%">{children as never}</ResponsiveContainer>
    </div>
  );
}

const usdTick = (value: number) => `$${value.toLocaleString("en-US", { maximumFractionDigits: 0 })}`;

// ─── revenue ───────────────────────────────────────────────────────────────────────────────

type RevenueBody = { data: RevenueRow[]; totals: { paymentCount: number; volumeUsd: string; refundCount: number; refundVolumeUsd: string; unpricedCount: number } };

function Revenue(props: MetricProps & { tokens: TokenInfo[] }) {
  const { loaded, csvUrl, retry } = useMetric<RevenueBody>("revenue", props);
  return (
    <MetricCard title="Revenue over time" metric="revenue" loaded={loaded} csvUrl={csvUrl} retry={retry} isEmpty={(b) => b.data.length === 0} empty="No payments in this range.">
      {(body) => {
        const series = revenueSeries(body.data, props.range);
        const byToken = revenueByToken(body.data);
        return (
          <>
            <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
              <Stat label="Volume (USD at payment)" value={formatUsd(body.totals.volumeUsd)} testId="revenue-volume-usd" />
              <Stat label="Payments" value={String(body.totals.paymentCount)} testId="revenue-payment-count" />
              <Stat label="Refunds (USD)" value={formatUsd(body.totals.refundVolumeUsd)} testId="revenue-refunds-usd" />
              <Stat label="Refunds" value={String(body.totals.refundCount)} />
            </div>
            {body.totals.unpricedCount > 0 && <p className="mt-2 text-xs text-amber-700">{body.totals.unpricedCount} payments have no USD price for their time and count as $0.</p>}
            <div className="mt-4" data-testid="revenue-chart">
              <Chart height={280}>
                <ComposedChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="bucket" tick={{ fontSize: 11 }} />
                  <YAxis yAxisId="usd" tickFormatter={usdTick} tick={{ fontSize: 11 }} width={64} />
                  <YAxis yAxisId="count" orientation="right" allowDecimals={false} tick={{ fontSize: 11 }} width={32} />
                  <Tooltip formatter={(value, name, item) => (name === "Payments" ? value : formatUsd(name === "Volume" ? item.payload.volumeUsd : item.payload.refundsUsd))} />
                  <Legend />
                  <Bar isAnimationActive={false} maxBarSize={48} yAxisId="usd" dataKey="volumeUsdPlot" name="Volume" fill={COLORS[0]} radius={[4, 4, 0, 0]} />
                  <Bar isAnimationActive={false} maxBarSize={48} yAxisId="usd" dataKey="refundsUsdPlot" name="Refunds" fill={COLORS[4]} radius={[4, 4, 0, 0]} />
                  <Line isAnimationActive={false} yAxisId="count" dataKey="payments" name="Payments" stroke={COLORS[2]} strokeWidth={2} dot={false} />
                </ComposedChart>
              </Chart>
            </div>
            <div className="mt-4 overflow-x-auto">
              <table className="w-full text-left text-sm [&_td]:pr-3 [&_th]:pr-3 [&_th]:whitespace-nowrap" data-testid="revenue-by-token">
                <thead className="text-xs uppercase text-slate-500">
                  <tr><th className="py-2">Token</th><th>Payments</th><th>Volume</th><th>You received</th><th>Fees</th><th>Refunded</th></tr>
                </thead>
                <tbody>
                  {byToken.map((row) => {
                    const token = tokenOf(props.tokens, row.token);
                    return (
                      <tr key={`${row.chainId}:${row.token}`} className="border-t border-slate-100" data-token={token.symbol}>
                        <td className="py-2 font-medium">{token.symbol}</td>
                        <td>{row.paymentCount}</td>
                        <td className="font-mono">{fmt(row.volume, token.decimals)}</td>
                        <td className="font-mono">{fmt(row.merchantAmount, token.decimals)}</td>
                        <td className="font-mono">{fmt(row.fees, token.decimals)}</td>
                        <td className="font-mono">{fmt(row.refundVolume, token.decimals)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </>
        );
      }}
    </MetricCard>
  );
}

// ─── conversion ────────────────────────────────────────────────────────────────────────────

type ConversionBody = { data: { bucketStart: number; created: number; paid: number; expired: number; conversionRate: string }[]; totals: { created: number; paid: number; expired: number; conversionRate: string } };

const percent = (rate: string) => `${(Number(rate) * 100).toFixed(1)}%`;

function Conversion(props: MetricProps) {
  const { loaded, csvUrl, retry } = useMetric<ConversionBody>("conversion", props);
  return (
    <MetricCard title="Conversion (orders created vs paid)" metric="conversion" loaded={loaded} csvUrl={csvUrl} retry={retry} isEmpty={(b) => b.totals.created === 0} empty="No orders created in this range.">
      {(body) => (
        <>
          <div className="grid grid-cols-3 gap-3">
            <Stat label="Created" value={String(body.totals.created)} testId="conversion-created" />
            <Stat label="Paid" value={String(body.totals.paid)} testId="conversion-paid" />
            <Stat label="Rate" value={percent(body.totals.conversionRate)} testId="conversion-rate" />
          </div>
          <div className="mt-4" data-testid="conversion-chart">
            <Chart>
              <BarChart data={bucketStarts(props.range).map((start) => {
                const row = body.data.find((r) => r.bucketStart === start);
                return { bucket: bucketLabel(start, props.range.interval), created: row?.created ?? 0, paid: row?.paid ?? 0 };
              })}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                <XAxis dataKey="bucket" tick={{ fontSize: 11 }} />
                <YAxis allowDecimals={false} tick={{ fontSize: 11 }} width={32} />
                <Tooltip />
                <Legend />
                <Bar isAnimationActive={false} dataKey="created" name="Created" fill={COLORS[6]} radius={[4, 4, 0, 0]} />
                <Bar isAnimationActive={false} dataKey="paid" name="Paid" fill={COLORS[2]} radius={[4, 4, 0, 0]} />
              </BarChart>
            </Chart>
          </div>
        </>
      )}
    </MetricCard>
  );
}

// ─── payment methods ───────────────────────────────────────────────────────────────────────

type MethodsBody = { data: unknown[]; methods: { method: string; paymentCount: number; countShare: string; volumeUsd: string; volumeShare: string }[] };

function PaymentMethods(props: MetricProps) {
  const { loaded, csvUrl, retry } = useMetric<MethodsBody>("payment-methods", props);
  return (
    <MetricCard title="Payment method mix" metric="payment-methods" loaded={loaded} csvUrl={csvUrl} retry={retry} isEmpty={(b) => b.methods.length === 0} empty="No payments in this range.">
      {(body) => (
        <div className="grid items-center gap-4 sm:grid-cols-2">
          <div data-testid="methods-chart">
            <Chart height={200}>
              <PieChart>
                <Pie isAnimationActive={false} data={body.methods.map((m) => ({ name: METHOD_LABEL[m.method] ?? m.method, value: m.paymentCount }))} dataKey="value" nameKey="name" innerRadius={45} outerRadius={80} paddingAngle={2}>
                  {body.methods.map((m, i) => <Cell key={m.method} fill={COLORS[i % COLORS.length]} />)}
                </Pie>
                <Tooltip />
              </PieChart>
            </Chart>
          </div>
          <ul className="space-y-2 text-sm" data-testid="methods-list">
            {body.methods.map((m, i) => (
              <li key={m.method} className="flex items-center justify-between gap-2" data-method={m.method}>
                <span className="flex items-center gap-2"><span className="h-3 w-3 rounded-sm" style={{ background: COLORS[i % COLORS.length] }} />{METHOD_LABEL[m.method] ?? m.method}</span>
                <span className="font-mono text-xs text-slate-600">{m.paymentCount} · {percent(m.countShare)} · {formatUsd(m.volumeUsd)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </MetricCard>
  );
}

// ─── top payers ────────────────────────────────────────────────────────────────────────────

type PayersBody = { data: { rank: number; payer: string; paymentCount: number; volumeUsd: string; volumes: string }[] };

function TopPayers(props: MetricProps) {
  const { loaded, csvUrl, retry } = useMetric<PayersBody>("top-payers", props, { limit: "10" });
  return (
    <MetricCard title="Top payers" metric="top-payers" loaded={loaded} csvUrl={csvUrl} retry={retry} isEmpty={(b) => b.data.length === 0} empty="No payers in this range.">
      {(body) => (
        <>
          <div data-testid="payers-chart">
            <Chart height={Math.max(120, body.data.length * 32)}>
              <BarChart layout="vertical" data={body.data.map((row) => ({ payer: short(row.payer), usd: plot(row.volumeUsd), exact: row.volumeUsd }))} margin={{ left: 8, right: 16 }}>
                <XAxis type="number" tickFormatter={usdTick} tick={{ fontSize: 11 }} />
                <YAxis type="category" dataKey="payer" width={96} tick={{ fontSize: 11, fontFamily: "monospace" }} />
                <Tooltip formatter={(_value, _name, item) => formatUsd(item.payload.exact)} />
                <Bar isAnimationActive={false} dataKey="usd" name="Paid (USD)" fill={COLORS[1]} radius={[0, 4, 4, 0]} />
              </BarChart>
            </Chart>
          </div>
          <div className="overflow-x-auto">
            <table className="mt-3 w-full text-left text-sm [&_td]:pr-3 [&_th]:pr-3 [&_th]:whitespace-nowrap" data-testid="payers-table">
              <thead className="text-xs uppercase text-slate-500"><tr><th className="py-1">#</th><th>Payer</th><th>Payments</th><th>USD</th></tr></thead>
              <tbody>
                {body.data.map((row) => (
                  <tr key={row.payer} className="border-t border-slate-100" data-payer={row.payer}>
                    <td className="py-1">{row.rank}</td>
                    <td className="font-mono text-xs" title={row.payer}>{short(row.payer)}</td>
                    <td>{row.paymentCount}</td>
                    <td className="font-mono">{formatUsd(row.volumeUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </MetricCard>
  );
}

// ─── refunds ───────────────────────────────────────────────────────────────────────────────

type RefundsBody = {
  data: { source: string; recipient: string; token: string; amount: string; valueUsd: string | null; timestamp: number; transactionHash: string }[];
  totals: { chainId: number; token: string; refundCount: number; amount: string; valueUsd: string }[];
};

function Refunds(props: MetricProps & { tokens: TokenInfo[] }) {
  const { loaded, csvUrl, retry } = useMetric<RefundsBody>("refunds", props);
  return (
    <MetricCard title="Refunds" metric="refunds" loaded={loaded} csvUrl={csvUrl} retry={retry} isEmpty={(b) => b.data.length === 0} empty="No refunds in this range.">
      {(body) => (
        <>
          <div className="flex flex-wrap gap-3">
            {body.totals.map((total) => {
              const token = tokenOf(props.tokens, total.token);
              return <Stat key={`${total.chainId}:${total.token}`} label={`${total.refundCount} refunds in ${token.symbol}`} value={fmt(BigInt(total.amount), token.decimals, token.symbol)} />;
            })}
          </div>
          <ul className="mt-3 divide-y divide-slate-100 text-sm" data-testid="refunds-list">
            {body.data.map((row) => {
              const token = tokenOf(props.tokens, row.token);
              return (
                <li key={`${row.transactionHash}:${row.source}`} className="flex justify-between gap-2 py-2">
                  <span><span className="font-mono">{fmt(BigInt(row.amount), token.decimals, token.symbol)}</span> <span className="text-slate-500">to {short(row.recipient)}</span></span>
                  <span className="text-xs text-slate-500">{new Date(row.timestamp * 1000).toISOString().slice(0, 16).replace("T", " ")}</span>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </MetricCard>
  );
}

// ─── split payouts ─────────────────────────────────────────────────────────────────────────

type SplitsBody = {
  data: { split: string; token: string; ruleSetVersion: number; amount: string; merchantShare: string; merchantAllocationPpm: number; timestamp: number; transactionHash: string }[];
  withdrawals: { token: string; amount: string; timestamp: number }[];
};

function SplitPayouts(props: MetricProps & { tokens: TokenInfo[] }) {
  const { loaded, csvUrl, retry } = useMetric<SplitsBody>("split-payouts", props);
  return (
    <MetricCard title="Split payouts" metric="split-payouts" loaded={loaded} csvUrl={csvUrl} retry={retry} isEmpty={(b) => b.data.length === 0 && b.withdrawals.length === 0} empty="No split distributions to you in this range.">
      {(body) => (
        <>
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm [&_td]:pr-3 [&_th]:pr-3 [&_th]:whitespace-nowrap" data-testid="splits-table">
              <thead className="text-xs uppercase text-slate-500"><tr><th className="py-1">Split</th><th>Distributed</th><th>Your share</th><th>When</th></tr></thead>
              <tbody>
                {body.data.map((row) => {
                  const token = tokenOf(props.tokens, row.token);
                  return (
                    <tr key={row.transactionHash + row.split} className="border-t border-slate-100">
                      <td className="py-1 font-mono text-xs" title={row.split}>{short(row.split)} v{row.ruleSetVersion}</td>
                      <td className="font-mono">{fmt(BigInt(row.amount), token.decimals, token.symbol)}</td>
                      <td className="font-mono">{fmt(BigInt(row.merchantShare), token.decimals, token.symbol)} <span className="text-xs text-slate-500">({row.merchantAllocationPpm / 10_000}%)</span></td>
                      <td className="text-xs text-slate-500">{new Date(row.timestamp * 1000).toISOString().slice(0, 10)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {body.withdrawals.length > 0 && (
            <p className="mt-3 text-xs text-slate-600">
              Withdrawn from SplitMain: {body.withdrawals.map((w) => { const token = tokenOf(props.tokens, w.token); return fmt(BigInt(w.amount), token.decimals, token.symbol); }).join(", ")}
            </p>
          )}
        </>
      )}
    </MetricCard>
  );
}

// ─── loyalty ───────────────────────────────────────────────────────────────────────────────

type LoyaltyBody = {
  data: { bucketStart: number; program: string; issued: string; redeemed: string; clawedBack: string }[];
  programs: { program: string; name: string; symbol: string; totalSupply: string; totalMinted: string; totalRedeemed: string; holderCount: number }[];
};

/** Loyalty tokens have 18 decimals (LoyaltyToken is a plain ERC-20 clone). */
const POINT_DECIMALS = 18;

function Loyalty(props: MetricProps) {
  const { loaded, csvUrl, retry } = useMetric<LoyaltyBody>("loyalty", props);
  return (
    <MetricCard title="Loyalty points issued vs redeemed" metric="loyalty" loaded={loaded} csvUrl={csvUrl} retry={retry} isEmpty={(b) => b.data.length === 0 && b.programs.length === 0} empty="No loyalty program or activity in this range.">
      {(body) => {
        const buckets = new Map<number, { issued: bigint; redeemed: bigint; clawedBack: bigint }>();
        for (const row of body.data) {
          const entry = buckets.get(row.bucketStart) ?? { issued: 0n, redeemed: 0n, clawedBack: 0n };
          entry.issued += BigInt(row.issued);
          entry.redeemed += BigInt(row.redeemed);
          entry.clawedBack += BigInt(row.clawedBack);
          buckets.set(row.bucketStart, entry);
        }
        const points = (value: bigint) => plot(formatUnits(value, POINT_DECIMALS));
        const series = [...buckets].sort(([a], [b]) => a - b).map(([bucketStart, e]) => ({ bucket: bucketLabel(bucketStart, props.range.interval), issued: points(e.issued), redeemed: points(e.redeemed), clawedBack: points(e.clawedBack) }));
        return (
          <>
            {series.length > 0 ? (
              <div data-testid="loyalty-chart">
                <Chart>
                  <BarChart data={series}>
                    <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                    <XAxis dataKey="bucket" tick={{ fontSize: 11 }} />
                    <YAxis tick={{ fontSize: 11 }} width={48} />
                    <Tooltip />
                    <Legend />
                    <Bar isAnimationActive={false} dataKey="issued" name="Issued" fill={COLORS[2]} radius={[4, 4, 0, 0]} />
                    <Bar isAnimationActive={false} dataKey="redeemed" name="Redeemed" fill={COLORS[3]} radius={[4, 4, 0, 0]} />
                    <Bar isAnimationActive={false} dataKey="clawedBack" name="Clawed back" fill={COLORS[4]} radius={[4, 4, 0, 0]} />
                  </BarChart>
                </Chart>
              </div>
            ) : (
              <p className="text-sm text-slate-500">No points moved in this range.</p>
            )}
            <ul className="mt-3 space-y-1 text-sm">
              {body.programs.map((p) => (
                <li key={p.program}>{p.name} ({p.symbol}): {fmt(BigInt(p.totalMinted), POINT_DECIMALS)} issued, {fmt(BigInt(p.totalRedeemed), POINT_DECIMALS)} redeemed, {p.holderCount} holders</li>
              ))}
            </ul>
          </>
        );
      }}
    </MetricCard>
  );
}

// ─── lending ───────────────────────────────────────────────────────────────────────────────

type LendingBody = {
  data: { chainId: number; marketId: string; loanToken: string; collateralToken: string; totalSupplyAssets: string; totalBorrowAssets: string; utilisation: string; creditPaymentCount: number; creditVolume: string }[];
};

function Lending(props: MetricProps & { tokens: TokenInfo[] }) {
  const { loaded, csvUrl, retry } = useMetric<LendingBody>("lending", props);
  return (
    <MetricCard title="Lending utilisation" metric="lending" loaded={loaded} csvUrl={csvUrl} retry={retry} isEmpty={(b) => b.data.length === 0} empty="No lending markets on this chain.">
      {(body) => {
        const label = (row: LendingBody["data"][number]) => `${tokenOf(props.tokens, row.loanToken).symbol}/${tokenOf(props.tokens, row.collateralToken).symbol}`;
        return (
          <div className="grid gap-4 lg:grid-cols-2">
            <div data-testid="lending-chart">
              <Chart height={Math.max(140, body.data.length * 40)}>
                <BarChart layout="vertical" data={body.data.map((row) => ({ market: label(row), utilisation: plot(row.utilisation) * 100 }))} margin={{ left: 8, right: 16 }}>
                  <XAxis type="number" domain={[0, 100]} tickFormatter={(v: number) => `${v}%`} tick={{ fontSize: 11 }} />
                  <YAxis type="category" dataKey="market" width={96} tick={{ fontSize: 11 }} />
                  <Tooltip formatter={(value) => `${Number(value).toFixed(2)}%`} />
                  <Bar isAnimationActive={false} dataKey="utilisation" name="Utilisation" fill={COLORS[5]} radius={[0, 4, 4, 0]} />
                </BarChart>
              </Chart>
            </div>
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm [&_td]:pr-3 [&_th]:pr-3 [&_th]:whitespace-nowrap" data-testid="lending-table">
                <thead className="text-xs uppercase text-slate-500"><tr><th className="py-1">Market</th><th>Supplied</th><th>Borrowed</th><th>Paid to you on credit</th></tr></thead>
                <tbody>
                  {body.data.map((row) => {
                    const loan = tokenOf(props.tokens, row.loanToken);
                    return (
                      <tr key={`${row.chainId}:${row.marketId}`} className="border-t border-slate-100">
                        <td className="py-1">{label(row)}</td>
                        <td className="font-mono">{fmt(BigInt(row.totalSupplyAssets), loan.decimals)}</td>
                        <td className="font-mono">{fmt(BigInt(row.totalBorrowAssets), loan.decimals)}</td>
                        <td className="font-mono">{row.creditPaymentCount} · {fmt(BigInt(row.creditVolume), loan.decimals, loan.symbol)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </div>
        );
      }}
    </MetricCard>
  );
}
