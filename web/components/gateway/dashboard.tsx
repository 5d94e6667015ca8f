"use client";

import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { useAccount, useChainId, useSignMessage } from "wagmi";
import { createSiweMessage } from "viem/siwe";
import { formatAmount, parseAmount } from "@coinpays/sdk";
import { paymentRouterAbi } from "@coinpays/sdk/contracts";
import { zeroAddress, type Abi, type Address, type Hex } from "viem";
import { TxStatus, useTransactionFlow } from "../apps/tx-flow.tsx";
import { Badge, Button, Card, inputClass, Notice, PageTitle } from "../apps/ui.tsx";
import { gatewayFetch, type ApiOrder, type Money, type OrderPage } from "./api-client.ts";
import { SubscriptionsSection } from "./subscriptions-section.tsx";
import { STATUS_LABEL } from "./use-live-order.ts";

type PayoutAddressProof = { status: "verified" | "unverified"; method: "signature" | "member_session" | null; provenAt: string | null; inheritedFrom: string | null };
type Merchant = { id: string; parentId: string | null; name: string; payoutAddress: string; payoutAddressProof?: PayoutAddressProof; role?: string; orderExpirySeconds: number };
type Me = { user: { id: string; address: string }; merchants: Merchant[] };
type Tab = "orders" | "subscriptions" | "keys" | "webhooks" | "settings" | "subaccounts";

const STATUSES = ["new", "processing", "underpaid", "settled", "overpaid", "paid_late", "expired", "cancelled", "refunded", "partially_refunded", "invalid"];

export function Dashboard() {
  const { address, status } = useAccount();
  const [me, setMe] = useState<Me | null>();
  const [merchantId, setMerchantId] = useState<string>();
  const [tab, setTab] = useState<Tab>("orders");

  const loadMe = useCallback(async () => {
    try {
      const data = await gatewayFetch<Me>("/api/auth/me");
      setMe(data);
      setMerchantId((current) => current ?? data.merchants[0]?.id);
    } catch {
      setMe(null);
    }
  }, []);
  useEffect(() => void loadMe(), [loadMe]);

  const merchant = me?.merchants.find((m) => m.id === merchantId);

  return (
    <div data-testid="dashboard">
      <PageTitle title="Merchant dashboard" lead="Orders, API keys, webhooks and settings of your CoinPays account. Sign in with your wallet (Sign-In with Ethereum)." />
      {me === undefined ? (
        <Notice>Loading…</Notice>
      ) : me === null ? (
        status !== "connected" || !address ? (
          <Notice>Connect your wallet (top right), then sign in.</Notice>
        ) : (
          <SignIn address={address} onSignedIn={loadMe} />
        )
      ) : me.merchants.length === 0 ? (
        <CreateMerchant defaultPayout={me.user.address} onCreated={async (m) => { setMerchantId(m.id); await loadMe(); }} />
      ) : (
        <>
          <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
            <div className="flex items-center gap-2 text-sm text-slate-600">
              <span>Signed in as <span className="font-mono" data-testid="signed-in-address">{me.user.address.slice(0, 6)}…{me.user.address.slice(-4)}</span></span>
              {me.merchants.length > 1 && (
                <select aria-label="Account" className="rounded-lg border border-slate-300 px-2 py-1" value={merchantId} onChange={(e) => setMerchantId(e.target.value)}>
                  {me.merchants.map((m) => (
                    <option key={m.id} value={m.id}>{m.parentId ? "↳ " : ""}{m.name}</option>
                  ))}
                </select>
              )}
            </div>
            <div className="flex items-center gap-4">
              <a href={`/dashboard/analytics${merchantId ? `?merchant=${merchantId}` : ""}`} className="text-sm font-medium text-brand-700 underline" data-testid="analytics-link">Analytics</a>
              <button type="button" className="text-sm text-slate-600 underline" onClick={async () => { await gatewayFetch("/api/auth/logout", { method: "POST" }); setMe(null); }}>
                Sign out
              </button>
            </div>
          </div>
          <nav className="mb-5 flex flex-wrap gap-2" aria-label="Dashboard sections">
            {([["orders", "Orders"], ["subscriptions", "Subscriptions"], ["keys", "API keys"], ["webhooks", "Webhooks"], ["settings", "Settings"], ["subaccounts", "Sub-accounts"]] as const).map(([id, label]) => (
              <button key={id} type="button" onClick={() => setTab(id)} data-testid={`tab-${id}`} aria-pressed={tab === id} className={`rounded-full px-4 py-1.5 text-sm font-medium ${tab === id ? "bg-slate-900 text-white" : "bg-white text-slate-700 ring-1 ring-slate-200 hover:bg-slate-100"}`}>
                {label}
              </button>
            ))}
          </nav>
          {merchant && tab === "orders" && <Orders merchant={merchant} />}
          {merchant && tab === "subscriptions" && <SubscriptionsSection merchant={merchant} />}
          {merchant && tab === "keys" && <ApiKeys merchant={merchant} />}
          {merchant && tab === "webhooks" && <Webhooks merchant={merchant} />}
          {merchant && tab === "settings" && <Settings merchant={merchant} onSaved={loadMe} />}
          {merchant && tab === "subaccounts" && <SubAccounts merchant={merchant} onCreated={loadMe} />}
        </>
      )}
    </div>
  );
}

function ErrorText({ error }: { error?: string }) {
  return error ? <p className="mt-2 text-sm text-red-600" data-testid="dashboard-error">{error}</p> : null;
}

export function SignIn({ address, onSignedIn }: { address: `0x${string}`; onSignedIn: () => Promise<void> }) {
  const chainId = useChainId();
  const { signMessageAsync } = useSignMessage();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const signIn = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const { nonce } = await gatewayFetch<{ nonce: string }>("/api/auth/nonce");
      const message = createSiweMessage({ domain: location.host, address, statement: "Sign in to the CoinPays dashboard.", uri: location.origin, version: "1", chainId, nonce, issuedAt: new Date() });
      const signature = await signMessageAsync({ message });
      await gatewayFetch("/api/auth/verify", { body: { message, signature } });
      await onSignedIn();
    } catch (e) {
      setError((e as { shortMessage?: string }).shortMessage ?? (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Sign in">
      <p className="text-sm text-slate-600">Your wallet signs a one-time message; no transaction, no gas.</p>
      <div className="mt-4">
        <Button onClick={signIn} disabled={busy} testId="dashboard-sign-in">{busy ? "Check your wallet…" : "Sign in with Ethereum"}</Button>
      </div>
      <ErrorText error={error} />
    </Card>
  );
}

function CreateMerchant({ defaultPayout, onCreated }: { defaultPayout: string; onCreated: (m: Merchant) => Promise<void> }) {
  const [name, setName] = useState("");
  const [payout, setPayout] = useState(defaultPayout);
  const [error, setError] = useState<string>();
  return (
    <Card title="Create your merchant account" testId="merchant-create">
      <form
        className="grid gap-3 sm:grid-cols-2"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await onCreated(await gatewayFetch<Merchant>("/api/merchants", { body: { name, payoutAddress: payout } }));
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <label className="text-sm"><span className="font-medium text-slate-700">Business name</span><input name="name" className={`${inputClass} mt-1`} value={name} onChange={(e) => setName(e.target.value)} required /></label>
        <label className="text-sm"><span className="font-medium text-slate-700">Payout address</span><input name="payoutAddress" className={`${inputClass} mt-1`} value={payout} onChange={(e) => setPayout(e.target.value)} required /></label>
        <div><Button type="submit" testId="merchant-create-submit">Create merchant</Button></div>
      </form>
      <ErrorText error={error} />
    </Card>
  );
}

function statusTone(status: string): "slate" | "green" | "amber" | "red" | "blue" {
  if (["settled", "overpaid", "paid_late"].includes(status)) return "green";
  if (["processing", "underpaid"].includes(status)) return "amber";
  if (status === "invalid") return "red";
  if (status === "new") return "blue";
  return "slate";
}

/**
 * The account's live stream on /ws, authenticated by the httpOnly session cookie the browser sends with
 * the upgrade (sub-accounts' orders included); calls `onEvent` per order event, reconnecting with backoff.
 */
function useMerchantStream(merchantId: string, onEvent: () => void): boolean {
  const [live, setLive] = useState(false);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    let socket: WebSocket | undefined;
    let closed = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      socket = new WebSocket(`${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`);
      socket.onopen = () => socket?.send(JSON.stringify({ type: "subscribe_merchant", merchantId }));
      socket.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as { type: string };
        if (data.type === "subscribed") {
          attempt = 0;
          setLive(true);
          handler.current(); // catch up on anything missed while disconnected
        } else if (data.type === "order.event") handler.current();
        else if (data.type === "error") setLive(false); // session ended or no longer a member: the list still works, just not live
      };
      socket.onclose = () => {
        setLive(false);
        if (!closed) timer = setTimeout(open, Math.min(10_000, 250 * 2 ** attempt++));
      };
    };
    open();
    return () => {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, [merchantId]);
  return live;
}

function Orders({ merchant }: { merchant: Merchant }) {
  const [filter, setFilter] = useState("");
  const [account, setAccount] = useState("");
  const [subAccounts, setSubAccounts] = useState<Merchant[]>([]);
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<OrderPage>();
  const [selectedId, setSelectedId] = useState<string>();
  const [error, setError] = useState<string>();
  const cursor = pages.at(-1);

  useEffect(() => {
    gatewayFetch<{ data: Merchant[] }>(`/api/merchants/${merchant.id}/sub-accounts`).then((r) => setSubAccounts(r.data)).catch(() => setSubAccounts([]));
  }, [merchant.id]);

  const load = useCallback(async () => {
    const query = new URLSearchParams({ limit: "20" });
    if (filter) query.set("status", filter);
    if (account) query.set("account", account);
    if (cursor) query.set("cursor", cursor);
    try {
      setPage(await gatewayFetch<OrderPage>(`/api/merchants/${merchant.id}/orders?${query}`));
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [merchant.id, filter, account, cursor]);
  useEffect(() => void load(), [load]);
  // Bumped by every event of the stream: the open order's refunds and deliveries reload with it.
  const [streamTick, setStreamTick] = useState(0);
  const live = useMerchantStream(merchant.id, () => {
    setStreamTick((tick) => tick + 1);
    void load();
  });
  const selected = page?.data.find((order) => order.id === selectedId);
  const accountName = (id: string) => (id === merchant.id ? merchant.name : (subAccounts.find((s) => s.id === id)?.name ?? "sub-account"));

  return (
    <div className="grid gap-5 lg:grid-cols-[1.4fr_1fr]">
      <Card
        title="Orders"
        testId="orders"
        aside={
          <div className="flex flex-wrap items-center gap-2">
            <span className={`text-xs ${live ? "text-emerald-700" : "text-slate-400"}`} data-testid="orders-live" data-live={live}>{live ? "● live" : "○ offline"}</span>
            {subAccounts.length > 0 && (
              <select aria-label="Account filter" data-testid="orders-account" className="rounded-lg border border-slate-300 px-2 py-1 text-sm" value={account} onChange={(e) => { setAccount(e.target.value); setPages([undefined]); }}>
                <option value="">{merchant.name} and sub-accounts</option>
                <option value={merchant.id}>{merchant.name} only</option>
                {subAccounts.map((s) => <option key={s.id} value={s.id}>↳ {s.name}</option>)}
              </select>
            )}
            <select aria-label="Status filter" className="rounded-lg border border-slate-300 px-2 py-1 text-sm" value={filter} onChange={(e) => { setFilter(e.target.value); setPages([undefined]); }}>
              <option value="">All statuses</option>
              {STATUSES.map((s) => <option key={s} value={s}>{STATUS_LABEL[s] ?? s}</option>)}
            </select>
            <Button variant="secondary" onClick={() => void load()}>Refresh</Button>
          </div>
        }
      >
        <ErrorText error={error} />
        {page && page.data.length === 0 ? (
          <p className="text-sm text-slate-500">No orders{filter ? " with this status" : " yet"}.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-xs uppercase text-slate-500">
                <tr className="[&>th]:pr-3"><th className="py-2">Created</th><th>Reference</th><th>Account</th><th>Amount</th><th>Status</th></tr>
              </thead>
              <tbody>
                {page?.data.map((order) => (
                  <tr key={order.id} data-testid={`order-row-${order.id}`} data-status={order.status} className={`cursor-pointer border-t border-slate-100 hover:bg-slate-50 ${selectedId === order.id ? "bg-slate-50" : ""}`} onClick={() => setSelectedId(order.id)}>
                    <td className="py-2 text-slate-600">{new Date(order.createdAt).toLocaleString()}</td>
                    <td className="font-mono text-xs">{order.reference ?? order.id.slice(0, 12)}</td>
                    <td className="text-xs text-slate-600">{accountName(order.merchantId)}</td>
                    <td className="font-mono">{order.amount.formatted} {order.token.symbol}</td>
                    <td><Badge tone={statusTone(order.status)}>{STATUS_LABEL[order.status] ?? order.status}</Badge></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div className="mt-3 flex gap-2">
          <Button variant="secondary" disabled={pages.length <= 1} onClick={() => setPages((p) => p.slice(0, -1))}>Previous</Button>
          <Button variant="secondary" disabled={!page?.nextCursor} onClick={() => page?.nextCursor && setPages((p) => [...p, page.nextCursor!])} testId="orders-next">Next</Button>
        </div>
      </Card>
      {selected ? <OrderDetail order={selected} onChanged={load} streamTick={streamTick} /> : <Notice>Select an order to see its events, refunds and webhook deliveries.</Notice>}
    </div>
  );
}

/** The delivery log's coarse error classes (server/gateway/webhooks/delivery.ts), in words. */
const DELIVERY_ERRORS: Record<string, string> = {
  timeout: "timed out",
  connection_refused: "connection refused",
  dns_failure: "host name does not resolve",
  blocked_address: "refused: not a public address",
  insecure_url: "refused: https required",
  tls_error: "TLS error",
  connection_error: "connection failed",
  secret_unavailable: "signing secret unavailable",
};
const deliveryErrorLabel = (error: string | null) => (error === null ? "no response" : (DELIVERY_ERRORS[error] ?? error));

type EventWithDeliveries = { eventId: string; type: string; createdAt: string; deliveries: { endpointId: string; attempt: number; statusCode: number | null; succeeded: boolean; durationMs: number | null; error: string | null; at: string }[] };

function OrderDetail({ order, onChanged, streamTick }: { order: ApiOrder; onChanged: () => Promise<void>; streamTick: number }) {
  // The order's own account: a parent's dashboard shows sub-accounts' orders, whose routes live there.
  const base = `/api/merchants/${order.merchantId}`;
  const [events, setEvents] = useState<EventWithDeliveries[]>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const loadEvents = useCallback(
    () => gatewayFetch<{ data: EventWithDeliveries[] }>(`${base}/orders/${order.id}/deliveries`).then((r) => setEvents(r.data)).catch((e: Error) => setError(e.message)),
    [base, order.id],
  );
  // Reloaded on every live event of the account (refund and delivery events do not change the order row).
  useEffect(() => void loadEvents(), [loadEvents, streamTick]);

  const redeliver = async (eventId: string) => {
    setError(undefined);
    try {
      const { queued } = await gatewayFetch<{ queued: number }>(`${base}/events/${eventId}/redeliver`, { method: "POST" });
      setMessage(queued > 0 ? `Redelivery queued to ${queued} endpoint${queued === 1 ? "" : "s"}.` : "Nothing queued: a delivery of this event is still pending, or no endpoint wants it.");
      setTimeout(() => void loadEvents(), 1_500);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <Card title="Order detail" testId="order-detail">
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Id</dt><dd className="truncate font-mono text-xs">{order.id}</dd>
        <dt className="text-slate-500">Status</dt><dd><Badge tone={statusTone(order.status)}>{STATUS_LABEL[order.status] ?? order.status}</Badge></dd>
        <dt className="text-slate-500">Amount</dt><dd className="font-mono">{order.amount.formatted} {order.token.symbol}</dd>
        <dt className="text-slate-500">Paid</dt><dd className="font-mono" data-testid="order-detail-paid">{order.amountPaid.formatted} {order.token.symbol}</dd>
        <dt className="text-slate-500">Refunded</dt><dd className="font-mono" data-testid="order-detail-refunded">{order.amountRefunded.formatted} {order.token.symbol}</dd>
        <dt className="text-slate-500">Deposit</dt><dd className="truncate font-mono text-xs">{order.depositAddress}</dd>
        <dt className="text-slate-500">Checkout</dt><dd><a className="text-brand-700 underline" href={`/pay/${order.id}`} target="_blank" rel="noreferrer">Open</a></dd>
      </dl>
      {order.amountPaid.baseUnits !== "0" && <Refunds base={base} order={order} onChanged={onChanged} streamTick={streamTick} />}
      <h3 className="mt-5 text-sm font-semibold text-slate-900">Events and webhook deliveries</h3>
      <ErrorText error={error} />
      {message && <p className="mt-1 text-xs text-emerald-700" data-testid="redeliver-message">{message}</p>}
      <ol className="mt-2 space-y-2 text-sm" data-testid="order-events">
        {events?.length === 0 && <li className="text-slate-500">No events yet.</li>}
        {events?.map((event) => (
          <li key={event.eventId} className="rounded-xl border border-slate-100 p-2" data-testid="order-event" data-type={event.type}>
            <div className="flex items-center justify-between gap-2">
              <span className="font-mono text-xs">{event.type}</span>
              <span className="flex items-center gap-2">
                <span className="text-xs text-slate-500">{new Date(event.createdAt).toLocaleTimeString()}</span>
                <button type="button" className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700 hover:bg-slate-200" data-testid="redeliver" onClick={() => void redeliver(event.eventId)}>Redeliver</button>
              </span>
            </div>
            {event.deliveries.length === 0 ? (
              <p className="text-xs text-slate-500">No deliveries</p>
            ) : (
              <ul className="mt-1 space-y-0.5 text-xs">
                {event.deliveries.map((d) => (
                  <li key={`${d.endpointId}-${d.attempt}`} data-testid="delivery" data-succeeded={d.succeeded} data-attempt={d.attempt}>
                    Attempt {d.attempt}: <span className={d.succeeded ? "text-emerald-700" : "text-red-700"}>{d.statusCode ?? deliveryErrorLabel(d.error)}</span>
                    {d.durationMs !== null && <span className="text-slate-500"> · {d.durationMs} ms</span>}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ol>
    </Card>
  );
}

type Refund = { id: string; kind: "onchain" | "claim_link"; status: "awaiting_claim" | "pending" | "completed" | "failed" | "cancelled"; amount: Money; toAddress: string | null; transactionHash: string | null; error: string | null; createdAt: string };
type RefundInfo = { data: Refund[]; orderRef: Hex; refunder: Address; paymentRouter: Address | null; routerRefundable: boolean };

const REFUND_TONE = { completed: "green", pending: "amber", awaiting_claim: "amber", failed: "red", cancelled: "slate" } as const;

/**
 * On-chain refunds through PaymentRouter.refund, sent by the merchant's own wallet (the order's payout
 * address, which is who the router lets refund): the server records the refund, the wallet approves and
 * sends it, and the server checks the transaction on chain, so "completed" means the chain says so.
 */
function Refunds({ base, order, onChanged, streamTick }: { base: string; order: ApiOrder; onChanged: () => Promise<void>; streamTick: number }) {
  const { address } = useAccount();
  const flow = useTransactionFlow();
  const [info, setInfo] = useState<RefundInfo>();
  const [amount, setAmount] = useState("");
  const [link, setLink] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => gatewayFetch<RefundInfo>(`${base}/orders/${order.id}/refunds`).then(setInfo).catch((e: Error) => setError(e.message)), [base, order.id]);
  useEffect(() => void load(), [load, streamTick]);

  const refundable = BigInt(order.amountPaid.baseUnits) - (info?.data ?? []).filter((r) => r.status === "pending" || r.status === "completed" || r.status === "awaiting_claim").reduce((sum, r) => sum + BigInt(r.amount.baseUnits), 0n);
  const walletIsRefunder = Boolean(address && info && address.toLowerCase() === info.refunder.toLowerCase());

  const send = async (refund: Refund) => {
    if (!info?.paymentRouter || !refund.toAddress) return;
    const value = BigInt(refund.amount.baseUnits);
    const native = order.token.address === zeroAddress;
    const receipt = await flow.run(
      `Refund ${refund.amount.formatted} ${order.token.symbol}`,
      { address: info.paymentRouter, abi: paymentRouterAbi as Abi, functionName: "refund", args: [info.orderRef, refund.toAddress as Address, value], value: native ? value : 0n },
      native ? undefined : { token: order.token.address as Address, spender: info.paymentRouter, amount: value, symbol: order.token.symbol },
    );
    const hash = receipt?.transactionHash;
    if (hash) {
      try {
        await gatewayFetch(`${base}/orders/${order.id}/refunds/${refund.id}/transaction`, { body: { transactionHash: hash } });
      } catch (e) {
        setError((e as Error).message);
      }
    }
    await load();
    await onChanged();
  };

  const cancel = async (refund: Refund) => {
    setError(undefined);
    try {
      await gatewayFetch(`${base}/orders/${order.id}/refunds/${refund.id}/cancel`, { method: "POST" });
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const claimLink = async () => {
    setError(undefined);
    try {
      const refund = await gatewayFetch<Refund & { claimUrl: string }>(`${base}/orders/${order.id}/refunds`, { body: { kind: "claim_link", ...(amount ? { amount } : {}) }, idempotencyKey: crypto.randomUUID() });
      setLink(refund.claimUrl);
      setAmount("");
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const start = async () => {
    setError(undefined);
    try {
      if (amount) parseAmount(amount, order.token.decimals);
      const refund = await gatewayFetch<Refund>(`${base}/orders/${order.id}/refunds`, { body: { kind: "onchain", ...(amount ? { amount } : {}) }, idempotencyKey: crypto.randomUUID() });
      setAmount("");
      await load();
      await send(refund);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div className="mt-5" data-testid="refunds">
      <h3 className="text-sm font-semibold text-slate-900">Refunds</h3>
      <ul className="mt-2 space-y-1 text-xs">
        {info?.data.map((refund) => (
          <li key={refund.id} className="flex flex-wrap items-center justify-between gap-2" data-testid="refund" data-status={refund.status}>
            <span><Badge tone={REFUND_TONE[refund.status]}>{refund.status}</Badge> <span className="font-mono">{refund.amount.formatted} {order.token.symbol}</span> → <span className="font-mono">{refund.toAddress ? `${refund.toAddress.slice(0, 6)}…${refund.toAddress.slice(-4)}` : "payer's claim"}</span></span>
            {refund.error && <span className="text-red-700">{refund.error}</span>}
            <span className="flex gap-2">
              {refund.status === "pending" && refund.toAddress && !flow.busy && walletIsRefunder && (
                <Button variant="secondary" testId="refund-send" onClick={() => void send(refund)}>Send from wallet</Button>
              )}
              {(refund.status === "awaiting_claim" || (refund.status === "pending" && !refund.transactionHash)) && !flow.busy && (
                <Button variant="secondary" testId="refund-cancel" onClick={() => void cancel(refund)}>Cancel</Button>
              )}
            </span>
          </li>
        ))}
      </ul>
      {info && !info.routerRefundable ? (
        <p className="mt-2 text-xs text-slate-500">This order was paid to its deposit address, not through the PaymentRouter, so the router cannot refund it.</p>
      ) : info && refundable > 0n ? (
        walletIsRefunder ? (
          <div className="mt-2 flex flex-wrap gap-2">
            <input aria-label="Refund amount" name="refundAmount" placeholder={`All (${formatAmount(refundable, order.token.decimals)})`} className={`${inputClass} max-w-[10rem]`} value={amount} onChange={(e) => setAmount(e.target.value)} />
            <Button variant="danger" disabled={flow.busy} onClick={() => void start()} testId="refund-start">{flow.busy ? "Refunding…" : "Refund to payer"}</Button>
            <Button variant="secondary" disabled={flow.busy} onClick={() => void claimLink()} testId="refund-claim-link">Claim link</Button>
          </div>
        ) : (
          <p className="mt-2 text-xs text-slate-500" data-testid="refund-wallet-hint">Connect the payout wallet {info.refunder.slice(0, 6)}…{info.refunder.slice(-4)} to refund: the router refunds from the address that was paid.</p>
        )
      ) : null}
      {link && <SecretOnce label="Send this link to the payer; they choose the address, then you send the refund here" value={link} testId="refund-claim-url" onDone={() => setLink(undefined)} />}
      <TxStatus state={flow.state} earlier={flow.earlier} testId="tx-status" />
      <ErrorText error={error} />
    </div>
  );
}

type ApiKey = { id: string; name: string; scope: "full" | "pos"; prefix: string; createdAt: string; lastUsedAt: string | null; revokedAt?: string | null };

function ApiKeys({ merchant }: { merchant: Merchant }) {
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [name, setName] = useState("");
  const [scope, setScope] = useState<ApiKey["scope"]>("full");
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => gatewayFetch<{ data: ApiKey[] }>(`/api/merchants/${merchant.id}/api-keys`).then((r) => setKeys(r.data)).catch((e: Error) => setError(e.message)), [merchant.id]);
  useEffect(() => void load(), [load]);
  return (
    <Card title="API keys" testId="api-keys">
      <form
        className="flex flex-wrap gap-2"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const created = await gatewayFetch<ApiKey & { secret: string }>(`/api/merchants/${merchant.id}/api-keys`, { body: { name, scope } });
            setSecret(created.secret);
            setName("");
            await load();
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <input name="keyName" aria-label="Key name" placeholder="Key name, e.g. Till 1" className={`${inputClass} max-w-xs`} value={name} onChange={(e) => setName(e.target.value)} required />
        <select name="keyScope" aria-label="Key scope" className="rounded-lg border border-slate-300 px-2 py-1 text-sm" value={scope} onChange={(e) => setScope(e.target.value as ApiKey["scope"])}>
          <option value="full">Full access (your servers)</option>
          <option value="pos">POS till (create and watch its own sales)</option>
        </select>
        <Button type="submit" testId="api-key-create">Create key</Button>
      </form>
      <p className="mt-2 text-xs text-slate-500">A full key can refund and read every order: keep it on your servers. A till runs in a browser, so give it a POS key: it creates sales and sees only the sales it made.</p>
      {secret && <SecretOnce label="Your new API key" value={secret} testId="api-key-secret" onDone={() => setSecret(undefined)} />}
      <ErrorText error={error} />
      <ul className="mt-4 divide-y divide-slate-100 text-sm">
        {keys.map((key) => (
          <li key={key.id} className="flex items-center justify-between gap-3 py-2" data-testid={`api-key-${key.id}`}>
            <div>
              <p className="font-medium text-slate-900">{key.name} <Badge tone={key.scope === "pos" ? "blue" : "slate"}>{key.scope === "pos" ? "POS till" : "full"}</Badge> {key.revokedAt && <Badge tone="red">revoked</Badge>}</p>
              <p className="font-mono text-xs text-slate-500">{key.prefix}… · created {new Date(key.createdAt).toLocaleDateString()} · {key.lastUsedAt ? `last used ${new Date(key.lastUsedAt).toLocaleString()}` : "never used"}</p>
            </div>
            {!key.revokedAt && (
              <Button variant="danger" onClick={async () => { await gatewayFetch(`/api/merchants/${merchant.id}/api-keys/${key.id}`, { method: "DELETE" }); await load(); }}>Revoke</Button>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}

function SecretOnce({ label, value, testId, onDone }: { label: string; value: string; testId: string; onDone: () => void }) {
  return (
    <div className="mt-4 rounded-2xl border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900">
      <p className="font-medium">{label}: copy it now, it is shown only once.</p>
      <code className="mt-2 block break-all rounded-lg bg-white px-3 py-2 font-mono text-xs" data-testid={testId}>{value}</code>
      <div className="mt-2 flex gap-2">
        <Button variant="secondary" onClick={() => void navigator.clipboard?.writeText(value)}>Copy</Button>
        <Button variant="secondary" onClick={onDone}>Done</Button>
      </div>
    </div>
  );
}

type Endpoint = { id: string; url: string; eventTypes: string[]; enabled: boolean; includeSubAccounts: boolean; secretPrefix: string | null; createdAt: string };

function Webhooks({ merchant }: { merchant: Merchant }) {
  const [endpoints, setEndpoints] = useState<Endpoint[]>([]);
  const [url, setUrl] = useState("");
  const [types, setTypes] = useState("");
  const [includeSubAccounts, setIncludeSubAccounts] = useState(false);
  const [logTick, setLogTick] = useState(0);
  const [secret, setSecret] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => gatewayFetch<{ data: Endpoint[] }>(`/api/merchants/${merchant.id}/webhooks`).then((r) => setEndpoints(r.data)).catch((e: Error) => setError(e.message)), [merchant.id]);
  useEffect(() => void load(), [load]);
  return (
    <Card title="Webhooks" testId="webhooks">
      <form
        className="grid gap-2 sm:grid-cols-[2fr_1fr_auto]"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            const eventTypes = types.split(",").map((t) => t.trim()).filter(Boolean);
            const created = await gatewayFetch<Endpoint & { secret: string }>(`/api/merchants/${merchant.id}/webhooks`, { body: { url, eventTypes, includeSubAccounts } });
            setSecret(created.secret);
            setUrl("");
            await load();
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <input name="webhookUrl" aria-label="Endpoint URL" placeholder="https://example.com/coinpays/webhooks" className={inputClass} value={url} onChange={(e) => setUrl(e.target.value)} required />
        <input name="eventTypes" aria-label="Event types" placeholder="All events (or order.settled, order.*)" className={inputClass} value={types} onChange={(e) => setTypes(e.target.value)} />
        <Button type="submit" testId="webhook-create">Add endpoint</Button>
        <label className="flex items-center gap-2 text-sm text-slate-700 sm:col-span-3">
          <input type="checkbox" name="includeSubAccounts" checked={includeSubAccounts} onChange={(e) => setIncludeSubAccounts(e.target.checked)} />
          Also send the events of {merchant.name}'s sub-accounts
        </label>
      </form>
      {secret && <SecretOnce label="Signing secret" value={secret} testId="webhook-secret" onDone={() => setSecret(undefined)} />}
      <ErrorText error={error} />
      {message && <p className="mt-2 text-sm text-emerald-700" data-testid="webhook-message">{message}</p>}
      <ul className="mt-4 divide-y divide-slate-100 text-sm">
        {endpoints.map((endpoint) => (
          <li key={endpoint.id} className="flex flex-wrap items-center justify-between gap-3 py-2" data-testid={`webhook-${endpoint.id}`}>
            <div className="min-w-0">
              <p className="truncate font-mono text-xs text-slate-900">{endpoint.url}</p>
              <p className="text-xs text-slate-500">{endpoint.eventTypes.length ? endpoint.eventTypes.join(", ") : "all events"}{endpoint.includeSubAccounts ? " · with sub-accounts" : ""} · secret {endpoint.secretPrefix ? `${endpoint.secretPrefix}…` : "unreadable (key missing)"} · {endpoint.enabled ? "enabled" : "disabled"}</p>
            </div>
            <div className="flex gap-2">
              <Button variant="secondary" testId={`webhook-test-${endpoint.id}`} onClick={async () => {
                try {
                  await gatewayFetch(`/api/merchants/${merchant.id}/webhooks/${endpoint.id}/test`, { method: "POST" });
                  setMessage("Test event queued; its delivery appears in the log below.");
                  setLogTick((tick) => tick + 1);
                } catch (err) {
                  setError((err as Error).message);
                }
              }}>Send test</Button>
              <Button variant="danger" onClick={async () => { await gatewayFetch(`/api/merchants/${merchant.id}/webhooks/${endpoint.id}`, { method: "DELETE" }); await load(); }}>Delete</Button>
            </div>
            <EndpointLog merchantId={merchant.id} endpointId={endpoint.id} refresh={logTick} />
          </li>
        ))}
      </ul>
    </Card>
  );
}

type EndpointAttempt = { eventId: string; type: string; orderId: string | null; attempt: number; statusCode: number | null; succeeded: boolean; durationMs: number | null; error: string | null; at: string };

/** An endpoint's latest attempts; after a test-send it polls briefly so the result shows without a reload. */
function EndpointLog({ merchantId, endpointId, refresh }: { merchantId: string; endpointId: string; refresh: number }) {
  const [attempts, setAttempts] = useState<EndpointAttempt[]>([]);
  useEffect(() => {
    let polls = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      gatewayFetch<{ data: EndpointAttempt[] }>(`/api/merchants/${merchantId}/webhooks/${endpointId}/deliveries`)
        .then((r) => setAttempts(r.data))
        .catch(() => undefined)
        .finally(() => {
          if (refresh > 0 && ++polls < 10) timer = setTimeout(() => void load(), 1_000);
        });
    void load();
    return () => clearTimeout(timer);
  }, [merchantId, endpointId, refresh]);
  if (attempts.length === 0) return <p className="w-full text-xs text-slate-500">No deliveries yet.</p>;
  return (
    <ul className="w-full space-y-0.5 text-xs" data-testid={`webhook-log-${endpointId}`}>
      {attempts.slice(0, 5).map((a) => (
        <li key={`${a.eventId}-${a.attempt}`} data-testid="endpoint-delivery" data-type={a.type} data-succeeded={a.succeeded}>
          <span className="font-mono">{a.type}</span> · attempt {a.attempt}: <span className={a.succeeded ? "text-emerald-700" : "text-red-700"}>{a.statusCode ?? deliveryErrorLabel(a.error)}</span>
          <span className="text-slate-500"> · {new Date(a.at).toLocaleTimeString()}</span>
        </li>
      ))}
    </ul>
  );
}

function Settings({ merchant, onSaved }: { merchant: Merchant; onSaved: () => Promise<void> }) {
  const [name, setName] = useState(merchant.name);
  const [payout, setPayout] = useState(merchant.payoutAddress);
  const [expiry, setExpiry] = useState(String(Math.round(merchant.orderExpirySeconds / 60)));
  const [state, setState] = useState<{ error?: string; saved?: boolean }>({});
  return (
    <Card title="Settings" testId="settings">
      <form
        className="grid max-w-xl gap-3"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await gatewayFetch(`/api/merchants/${merchant.id}`, { method: "PATCH", body: { name, payoutAddress: payout, orderExpirySeconds: Number(expiry) * 60 } });
            setState({ saved: true });
            await onSaved();
          } catch (err) {
            setState({ error: (err as Error).message });
          }
        }}
      >
        <Labeled label="Name"><input name="name" className={inputClass} value={name} onChange={(e) => setName(e.target.value)} /></Labeled>
        <Labeled label="Payout address"><input name="payoutAddress" className={inputClass} value={payout} onChange={(e) => setPayout(e.target.value)} /></Labeled>
        <Labeled label="Order expiry (minutes)"><input name="expiry" type="number" min={1} max={10080} className={inputClass} value={expiry} onChange={(e) => setExpiry(e.target.value)} /></Labeled>
        <div><Button type="submit" testId="settings-save">Save</Button></div>
      </form>
      {state.saved && <p className="mt-2 text-sm text-emerald-700">Saved.</p>}
      <ErrorText error={state.error} />
      <PayoutAddressVerification merchant={merchant} onVerified={onSaved} />
    </Card>
  );
}

/**
 * Whether the payout address is proven, and a way to prove it: the owner signs the server's challenge with
 * the payout wallet connected (a contract wallet such as a Safe signs it through its own app). Until then
 * analytics and subscription plans leave the address out: anybody can type any wallet in.
 */
function PayoutAddressVerification({ merchant, onVerified }: { merchant: Merchant; onVerified: () => Promise<void> }) {
  const { address: connected } = useAccount();
  const { signMessageAsync } = useSignMessage();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const proof = merchant.payoutAddressProof;
  const verified = proof?.status === "verified";
  const otherWallet = connected !== undefined && connected.toLowerCase() !== merchant.payoutAddress.toLowerCase();
  return (
    <div className="mt-4 rounded-xl border border-slate-200 p-3 text-sm" data-testid="payout-verification" data-state={verified ? "verified" : "unverified"}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium text-slate-700">Payout address</span>
        <span className="font-mono text-xs">{merchant.payoutAddress}</span>
        {verified ? (
          <Badge tone="green">verified{proof?.method === "member_session" ? " (your signed-in wallet)" : proof?.inheritedFrom ? " (by the parent account)" : " (signed)"}</Badge>
        ) : (
          <Badge tone="amber">unverified — sign to verify</Badge>
        )}
      </div>
      {!verified && (
        <>
          <p className="mt-2 text-slate-600">
            Payments still arrive at this address, but analytics and subscription plans use it only once its wallet has signed a verification message (no transaction, no fee).
            {otherWallet && " Connect the payout wallet in your wallet app first; a Safe or other contract wallet signs the message in its own app."}
          </p>
          <div className="mt-2">
            <Button
              testId="payout-verify"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                setError(undefined);
                try {
                  const challenge = await gatewayFetch<{ message: string }>(`/api/merchants/${merchant.id}/payout-address/challenge`, { body: {} });
                  const signature = await signMessageAsync({ message: challenge.message });
                  await gatewayFetch(`/api/merchants/${merchant.id}/payout-address/proof`, { body: { message: challenge.message, signature } });
                  await onVerified();
                } catch (err) {
                  setError((err as Error).message);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {busy ? "Waiting for the signature…" : "Sign to verify"}
            </Button>
          </div>
        </>
      )}
      <ErrorText error={error} />
    </div>
  );
}

function Labeled({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="text-sm"><span className="font-medium text-slate-700">{label}</span><div className="mt-1">{children}</div></label>
  );
}

function SubAccounts({ merchant, onCreated }: { merchant: Merchant; onCreated: () => Promise<void> }) {
  const [subs, setSubs] = useState<Merchant[]>([]);
  const [name, setName] = useState("");
  const [error, setError] = useState<string>();
  const load = useCallback(() => gatewayFetch<{ data: Merchant[] }>(`/api/merchants/${merchant.id}/sub-accounts`).then((r) => setSubs(r.data)).catch((e: Error) => setError(e.message)), [merchant.id]);
  useEffect(() => void load(), [load]);
  return (
    <Card title="Sub-accounts" testId="sub-accounts">
      <p className="text-sm text-slate-600">Stores or branches under {merchant.name}; they pay out to {merchant.name}'s address unless you change it, and your role applies to them.</p>
      <form
        className="mt-3 flex gap-2"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await gatewayFetch(`/api/merchants/${merchant.id}/sub-accounts`, { body: { name } });
            setName("");
            await load();
            await onCreated();
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <input name="subName" aria-label="Sub-account name" placeholder="Store name" className={`${inputClass} max-w-xs`} value={name} onChange={(e) => setName(e.target.value)} required />
        <Button type="submit">Add</Button>
      </form>
      <ErrorText error={error} />
      <ul className="mt-3 divide-y divide-slate-100 text-sm">
        {subs.length === 0 && <li className="py-2 text-slate-500">No sub-accounts.</li>}
        {subs.map((s) => (
          <li key={s.id} className="py-2">
            {s.name} <span className="font-mono text-xs text-slate-500">{s.payoutAddress}</span>{" "}
            {s.payoutAddressProof?.status === "verified" ? <Badge tone="green">verified</Badge> : <Badge tone="amber">unverified — sign to verify in its settings</Badge>}
          </li>
        ))}
      </ul>
    </Card>
  );
}
