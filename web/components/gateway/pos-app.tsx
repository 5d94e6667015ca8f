"use client";

import { formatAmount, parseAmount } from "@coinpays/sdk";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useChainId } from "wagmi";
import { useTokens } from "../apps/ui.tsx";
import { ordersApi, type ApiOrder } from "./api-client.ts";
import { formatCountdown, PAID_STATUSES, STATUS_LABEL, useCountdown, useLiveOrder } from "./use-live-order.ts";

const KEY_STORAGE = "coinpays.pos.apiKey";
const TOKEN_STORAGE = "coinpays.pos.token";
const TIPS_STORAGE = "coinpays.pos.tips";

type Stage = "amount" | "tip" | "order";

/**
 * The till: the merchant enters a POS-scoped API key once (kept in this browser only; it can create
 * sales and read the ones it created, nothing else), then each sale is keypad → optional tip → QR with
 * live status → "Paid" → new sale. `?order=ord_…` reopens one of this till's sales.
 */
export function PosApp() {
  const chainId = useChainId();
  const tokens = useTokens(true);
  const [apiKey, setApiKey] = useState<string>();
  const [symbol, setSymbol] = useState("USDC");
  const [askTip, setAskTip] = useState(true);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [stage, setStage] = useState<Stage>("amount");
  const [entry, setEntry] = useState("");
  const [tip, setTip] = useState<bigint>(0n);
  const [order, setOrder] = useState<ApiOrder>();
  const [idempotencyKey, setIdempotencyKey] = useState(() => newKey());
  const [error, setError] = useState<string>();
  const [creating, setCreating] = useState(false);

  const token = tokens.find((t) => t.symbol === symbol) ?? tokens[0];
  const decimals = token?.decimals ?? 6;
  const maxDecimals = Math.min(decimals, 6);

  useEffect(() => {
    const key = localStorage.getItem(KEY_STORAGE) ?? undefined;
    setApiKey(key);
    setSymbol(localStorage.getItem(TOKEN_STORAGE) ?? "USDC");
    setAskTip(localStorage.getItem(TIPS_STORAGE) !== "off");
    setSettingsOpen(!key);
    setLoaded(true);
  }, []);

  // Watching an order created elsewhere: /pos?order=ord_…
  useEffect(() => {
    if (!loaded || !apiKey) return;
    const watched = new URLSearchParams(location.search).get("order");
    if (!watched) return;
    ordersApi
      .get(apiKey, watched)
      .then((found) => {
        setOrder(found);
        setStage("order");
      })
      .catch((e: Error & { status?: number }) =>
        setError(e.status === 404 ? "This till can only open sales it created itself (its POS key sees nothing else)." : e.message),
      );
  }, [loaded, apiKey]);

  const base = useMemo(() => {
    try {
      return entry ? parseAmount(entry, decimals) : 0n;
    } catch {
      return 0n;
    }
  }, [entry, decimals]);
  const total = base + tip;

  const press = (key: string) => {
    setError(undefined);
    setEntry((current) => {
      if (key === "⌫") return current.slice(0, -1);
      if (key === "C") return "";
      if (key === ".") return current.includes(".") ? current : (current || "0") + ".";
      const next = current === "0" ? key : current + key;
      const [whole, fraction] = next.split(".");
      if ((fraction?.length ?? 0) > maxDecimals || (whole?.length ?? 0) > 12) return current;
      return next;
    });
  };

  const createOrder = useCallback(
    async (amount: bigint, tipAmount: bigint) => {
      if (!apiKey || !token) return;
      setCreating(true);
      setError(undefined);
      try {
        const created = await ordersApi.create(
          apiKey,
          {
            amount: formatAmount(amount, decimals),
            token: token.symbol,
            chainId,
            metadata: { source: "pos", ...(tipAmount > 0n ? { tip: formatAmount(tipAmount, decimals) } : {}) },
          },
          idempotencyKey,
        );
        setOrder(created);
        setStage("order");
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setCreating(false);
      }
    },
    [apiKey, token, decimals, chainId, idempotencyKey],
  );

  const charge = () => {
    if (base === 0n) return;
    if (askTip) setStage("tip");
    else void createOrder(base, 0n);
  };

  const newSale = () => {
    setStage("amount");
    setEntry("");
    setTip(0n);
    setOrder(undefined);
    setError(undefined);
    setIdempotencyKey(newKey());
    if (location.search) history.replaceState(null, "", location.pathname);
  };

  if (!loaded) return null;

  return (
    <div className="mx-auto max-w-md" data-testid="pos">
      <div className="mb-4 flex items-center justify-between">
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Point of sale</h1>
        <button type="button" className="rounded-full bg-slate-100 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-200" onClick={() => setSettingsOpen((open) => !open)} data-testid="pos-settings-toggle">
          {settingsOpen ? "Close settings" : "Settings"}
        </button>
      </div>

      {settingsOpen && (
        <Settings
          apiKey={apiKey}
          symbol={symbol}
          askTip={askTip}
          tokens={tokens.map((t) => t.symbol)}
          onSave={(next) => {
            localStorage.setItem(KEY_STORAGE, next.apiKey);
            localStorage.setItem(TOKEN_STORAGE, next.symbol);
            localStorage.setItem(TIPS_STORAGE, next.askTip ? "on" : "off");
            setApiKey(next.apiKey);
            setSymbol(next.symbol);
            setAskTip(next.askTip);
            setSettingsOpen(false);
          }}
          onForget={() => {
            localStorage.removeItem(KEY_STORAGE);
            setApiKey(undefined);
          }}
        />
      )}

      {!apiKey && !settingsOpen && (
        <p className="rounded-2xl border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-600">Enter this till's API key in Settings to start selling.</p>
      )}

      {apiKey && stage === "amount" && (
        <div className="rounded-3xl border border-slate-200 bg-white p-5 shadow-sm">
          <p className="text-right text-xs font-medium uppercase tracking-wide text-slate-500">Amount · {symbol}</p>
          <p className="mt-1 truncate text-right font-mono text-5xl font-semibold text-slate-900" data-testid="pos-display">{entry || "0"}</p>
          <div className="mt-5 grid grid-cols-3 gap-3">
            {["1", "2", "3", "4", "5", "6", "7", "8", "9", ".", "0", "⌫"].map((key) => (
              <button key={key} type="button" onClick={() => press(key)} data-testid={`pos-key-${key === "." ? "dot" : key === "⌫" ? "back" : key}`} aria-label={key === "⌫" ? "Delete" : key === "." ? "Decimal point" : key} className="rounded-2xl bg-slate-100 py-4 text-2xl font-semibold text-slate-900 transition hover:bg-slate-200 active:bg-slate-300">
                {key}
              </button>
            ))}
          </div>
          <button type="button" onClick={charge} disabled={base === 0n || creating} data-testid="pos-charge" className="mt-4 w-full rounded-2xl bg-brand-600 py-4 text-lg font-semibold text-white shadow-sm hover:bg-brand-700 disabled:opacity-50">
            {creating ? "Creating…" : base === 0n ? "Enter an amount" : `Charge ${formatAmount(base, decimals)} ${symbol}`}
          </button>
        </div>
      )}

      {apiKey && stage === "tip" && (
        <TipStep
          base={base}
          decimals={decimals}
          maxDecimals={maxDecimals}
          symbol={symbol}
          busy={creating}
          onBack={() => setStage("amount")}
          onChoose={(tipAmount) => {
            setTip(tipAmount);
            void createOrder(base + tipAmount, tipAmount);
          }}
        />
      )}

      {apiKey && stage === "order" && order && <OrderScreen order={order} onNewSale={newSale} />}

      {error && (
        <p className="mt-4 rounded-2xl border border-red-200 bg-red-50 p-3 text-sm text-red-800" data-testid="pos-error">{error}</p>
      )}
    </div>
  );
}

function newKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

function Settings({ apiKey, symbol, askTip, tokens, onSave, onForget }: { apiKey?: string; symbol: string; askTip: boolean; tokens: string[]; onSave: (v: { apiKey: string; symbol: string; askTip: boolean }) => void; onForget: () => void }) {
  const [key, setKey] = useState(apiKey ?? "");
  const [tokenSymbol, setTokenSymbol] = useState(symbol);
  const [tips, setTips] = useState(askTip);
  return (
    <form
      className="mb-4 space-y-3 rounded-3xl border border-slate-200 bg-white p-5 text-sm shadow-sm"
      data-testid="pos-settings"
      onSubmit={(e) => {
        e.preventDefault();
        if (key.trim()) onSave({ apiKey: key.trim(), symbol: tokenSymbol, askTip: tips });
      }}
    >
      <label className="block">
        <span className="font-medium text-slate-700">POS key</span>
        <input name="apiKey" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder="cp_live_…" className="mt-1 w-full rounded-xl border border-slate-300 px-3 py-2 font-mono" />
        <span className="mt-1 block text-xs text-slate-500">Stored in this browser only. Create a <strong>POS till</strong> key in the dashboard under API keys: it can only create this till's sales and see them, so a lost or shared till exposes nothing else. Never enter a full-access key here.</span>
      </label>
      <label className="block">
        <span className="font-medium text-slate-700">Token</span>
        <select aria-label="Token" value={tokenSymbol} onChange={(e) => setTokenSymbol(e.target.value)} className="mt-1 w-full rounded-xl border border-slate-300 px-3 py-2">
          {tokens.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-2">
        <input type="checkbox" checked={tips} onChange={(e) => setTips(e.target.checked)} />
        <span className="text-slate-700">Ask for a tip</span>
      </label>
      <div className="flex gap-2">
        <button type="submit" data-testid="pos-save" className="rounded-full bg-brand-600 px-4 py-2 font-semibold text-white hover:bg-brand-700">Save</button>
        {apiKey && (
          <button type="button" onClick={onForget} className="rounded-full bg-slate-100 px-4 py-2 font-semibold text-slate-800 hover:bg-slate-200">Forget key</button>
        )}
      </div>
    </form>
  );
}

function TipStep({ base, decimals, maxDecimals, symbol, busy, onBack, onChoose }: { base: bigint; decimals: number; maxDecimals: number; symbol: string; busy: boolean; onBack: () => void; onChoose: (tip: bigint) => void }) {
  const [custom, setCustom] = useState("");
  // Percent tips in exact base units, rounded down to what the till shows (maxDecimals places).
  const unit = 10n ** BigInt(decimals - maxDecimals);
  const percent = (p: bigint) => ((base * p) / 100n / unit) * unit;
  let customAmount: bigint | undefined;
  try {
    customAmount = custom ? parseAmount(custom, decimals) : undefined;
  } catch {
    customAmount = undefined;
  }
  const fmt = (v: bigint) => `${formatAmount(v, decimals)} ${symbol}`;
  return (
    <div className="rounded-3xl border border-slate-200 bg-white p-5 shadow-sm" data-testid="pos-tip">
      <p className="text-center text-sm text-slate-500">Subtotal {fmt(base)}</p>
      <h2 className="mt-1 text-center text-2xl font-semibold text-slate-900">Add a tip?</h2>
      <div className="mt-5 grid grid-cols-3 gap-3">
        {[10n, 15n, 20n].map((p) => (
          <button key={String(p)} type="button" disabled={busy} onClick={() => onChoose(percent(p))} data-testid={`pos-tip-${p}`} className="rounded-2xl bg-slate-100 py-4 font-semibold text-slate-900 hover:bg-slate-200">
            <span className="block text-xl">{String(p)}%</span>
            <span className="block text-xs text-slate-500">{fmt(percent(p))}</span>
          </button>
        ))}
      </div>
      <div className="mt-3 flex gap-2">
        <input aria-label="Custom tip" inputMode="decimal" value={custom} onChange={(e) => setCustom(e.target.value)} placeholder={`Custom tip (${symbol})`} className="min-w-0 flex-1 rounded-xl border border-slate-300 px-3 py-2 font-mono text-sm" />
        <button type="button" disabled={busy || customAmount === undefined} onClick={() => customAmount !== undefined && onChoose(customAmount)} data-testid="pos-tip-custom" className="rounded-xl bg-slate-100 px-4 font-semibold text-slate-900 hover:bg-slate-200 disabled:opacity-50">
          Add
        </button>
      </div>
      <div className="mt-4 flex gap-2">
        <button type="button" onClick={onBack} className="flex-1 rounded-2xl bg-slate-100 py-3 font-semibold text-slate-800 hover:bg-slate-200">Back</button>
        <button type="button" disabled={busy} onClick={() => onChoose(0n)} data-testid="pos-tip-none" className="flex-1 rounded-2xl bg-brand-600 py-3 font-semibold text-white hover:bg-brand-700">
          {busy ? "Creating…" : "No tip"}
        </button>
      </div>
    </div>
  );
}

function OrderScreen({ order, onNewSale }: { order: ApiOrder; onNewSale: () => void }) {
  const { snapshot, connection } = useLiveOrder(order.id);
  const status = snapshot?.status ?? order.status;
  const decimals = order.token.decimals;
  const fmt = (v: string) => `${formatAmount(BigInt(v), decimals)} ${order.token.symbol}`;
  const secondsLeft = useCountdown(order.expiresAt);
  const paid = PAID_STATUSES.has(status);

  if (paid) {
    return (
      <div className="rounded-3xl bg-emerald-600 p-8 text-center text-white shadow-lg" data-testid="pos-paid" data-order-id={order.id} data-status={status}>
        <svg viewBox="0 0 24 24" className="mx-auto size-20" fill="none" stroke="currentColor" strokeWidth={2.5} aria-hidden>
          <path d="M5 12.5l4.5 4.5L19 7.5" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <p className="mt-2 text-5xl font-bold tracking-tight">Paid</p>
        <p className="mt-2 text-lg">{fmt(snapshot?.amountPaid ?? order.amountPaid.baseUnits)}</p>
        {status !== "settled" && <p className="mt-1 text-sm opacity-90">{STATUS_LABEL[status]}</p>}
        <button type="button" onClick={onNewSale} data-testid="pos-new-sale" className="mt-6 w-full rounded-2xl bg-white py-4 text-lg font-semibold text-emerald-700 hover:bg-emerald-50">
          New sale
        </button>
      </div>
    );
  }

  const closed = status === "expired" || status === "cancelled" || status === "invalid" || status === "refunded";
  return (
    <div className="rounded-3xl border border-slate-200 bg-white p-5 text-center shadow-sm" data-testid="pos-order" data-order-id={order.id} data-status={status}>
      <p className="text-sm text-slate-500">Scan to pay</p>
      <p className="mt-1 text-4xl font-semibold tracking-tight text-slate-900" data-testid="pos-order-amount">{fmt(order.amount.baseUnits)}</p>
      {/* eslint-disable-next-line @next/next/no-img-element */}
      <img src={`/api/v1/orders/${order.id}/qr.svg`} alt="Payment QR code" width={256} height={256} className="mx-auto mt-4 size-64 rounded-2xl border border-slate-200" data-testid="pos-qr" />
      <p className="mt-3 text-sm font-semibold" data-testid="pos-status">
        {STATUS_LABEL[status] ?? status}
        {status === "underpaid" && snapshot && <> · {fmt(snapshot.amountDue)} still due</>}
        {status === "processing" && <> · waiting for confirmations</>}
      </p>
      <p className="mt-1 text-xs text-slate-500">
        <span className={`mr-1 inline-block size-2 rounded-full ${connection === "live" ? "bg-emerald-500" : "bg-amber-400"}`} aria-hidden />
        {connection === "live" ? "Live" : "Connecting…"}
        {!closed && secondsLeft !== undefined && <> · expires in {formatCountdown(secondsLeft)}</>}
      </p>
      <a href={`/pay/${order.id}`} target="_blank" rel="noreferrer" className="mt-3 inline-block text-xs text-brand-700 underline" data-testid="pos-checkout-link">
        Open checkout page
      </a>
      <button type="button" onClick={onNewSale} className="mt-4 w-full rounded-2xl bg-slate-100 py-3 font-semibold text-slate-800 hover:bg-slate-200" data-testid="pos-new-sale">
        {closed ? "New sale" : "Cancel and start a new sale"}
      </button>
    </div>
  );
}
