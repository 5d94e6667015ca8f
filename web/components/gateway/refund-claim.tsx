"use client";

import { useCallback, useEffect, useState } from "react";
import { isAddress } from "viem";
import { useAccount } from "wagmi";
import { Badge, Button, inputClass } from "../apps/ui.tsx";
import { gatewayFetch, GatewayError, type Money } from "./api-client.ts";

type Claim = {
  refund: { id: string; status: "awaiting_claim" | "pending" | "completed" | "failed" | "cancelled"; amount: Money; toAddress: string | null };
  order: { id: string; reference: string | null; chainId: number; token: { symbol: string } };
};

const STATUS_TEXT: Record<Claim["refund"]["status"], string> = {
  awaiting_claim: "Tell the merchant where to send your refund.",
  pending: "Claimed. The merchant sends the refund from their wallet; this page updates when it is on chain.",
  completed: "Refunded on chain.",
  failed: "The merchant's refund transaction failed; they can send it again.",
  cancelled: "The merchant withdrew this refund. Contact them if you expected it.",
};

/**
 * The page a claim link opens: the payer (who may have paid from an exchange or a wallet they no longer
 * use) names the address to refund to, once; the link's token is the only credential.
 */
export function RefundClaim({ token }: { token: string }) {
  const { address } = useAccount();
  const [claim, setClaim] = useState<Claim | null>();
  const [toAddress, setToAddress] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const load = useCallback(
    () =>
      gatewayFetch<Claim>(`/api/refunds/claim/${encodeURIComponent(token)}`)
        .then(setClaim)
        .catch((e: GatewayError) => (e.status === 404 ? setClaim(null) : setError(e.message))),
    [token],
  );
  useEffect(() => void load(), [load]);
  useEffect(() => {
    if (address) setToAddress((current) => current || address);
  }, [address]);
  // A claimed refund waits for the merchant's transaction: look again now and then.
  useEffect(() => {
    if (claim?.refund.status !== "pending") return;
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, [claim?.refund.status, load]);

  if (claim === undefined) return <p className="text-sm text-slate-600">Loading…</p>;
  if (claim === null) {
    return (
      <div className="mx-auto max-w-lg rounded-3xl border border-slate-200 bg-white p-8 text-center shadow-sm" data-testid="claim-not-found">
        <h1 className="text-xl font-semibold text-slate-900">Refund link not found</h1>
        <p className="mt-2 text-sm text-slate-600">Check the link you were given, or ask the merchant for a new one.</p>
      </div>
    );
  }
  const { refund, order } = claim;
  const submit = async () => {
    setError(undefined);
    if (!isAddress(toAddress, { strict: false })) return setError("Enter a 0x address (42 characters).");
    setBusy(true);
    try {
      await gatewayFetch(`/api/refunds/claim/${encodeURIComponent(token)}`, { body: { toAddress } });
      await load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="mx-auto max-w-lg rounded-3xl border border-slate-200 bg-white p-6 shadow-sm" data-testid="refund-claim" data-status={refund.status}>
      <p className="text-sm text-slate-500">Refund for order {order.reference ?? order.id}</p>
      <p className="mt-1 font-mono text-4xl font-semibold text-slate-900" data-testid="claim-amount">{refund.amount.formatted} {order.token.symbol}</p>
      <p className="mt-3 text-sm text-slate-700"><Badge tone={refund.status === "completed" ? "green" : refund.status === "cancelled" || refund.status === "failed" ? "red" : "amber"}>{refund.status.replace("_", " ")}</Badge> {STATUS_TEXT[refund.status]}</p>
      {refund.toAddress && <p className="mt-2 break-all font-mono text-xs text-slate-600" data-testid="claim-to">To {refund.toAddress} on chain {order.chainId}</p>}
      {refund.status === "awaiting_claim" && (
        <div className="mt-5 space-y-3">
          <label className="block text-sm">
            <span className="font-medium text-slate-700">Your address on chain {order.chainId}</span>
            <input name="toAddress" className={`${inputClass} mt-1 font-mono`} value={toAddress} onChange={(e) => setToAddress(e.target.value.trim())} placeholder="0x…" />
            <span className="mt-1 block text-xs text-slate-500">Double-check it: a refund sent on chain cannot be taken back. You can claim only once.</span>
          </label>
          <Button onClick={() => void submit()} disabled={busy} testId="claim-submit">{busy ? "Claiming…" : "Claim refund"}</Button>
        </div>
      )}
      {error && <p className="mt-3 text-sm text-red-600" data-testid="claim-error">{error}</p>}
    </div>
  );
}
