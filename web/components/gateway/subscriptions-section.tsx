"use client";

// The dashboard's Subscriptions section: who subscribes to the account's on-chain plans, their status
// and every charge with the order it became. The keeper job writes these rows; this view only reads.
import { useCallback, useEffect, useState } from "react";
import { Badge, Button, Card, Notice } from "../apps/ui.tsx";
import { gatewayFetch, type Money } from "./api-client.ts";

type Charge = { periodIndex: number; amount: Money; fee: Money; orderId: string | null; transactionHash: string; chargedAt: string };
type SubscriptionRow = {
  subscriptionId: string;
  planId: string;
  subscriber: string;
  status: "active" | "past_due" | "cancelled";
  token: { symbol: string };
  amount: Money;
  periodSeconds: number;
  periodsCharged: number;
  totalCharged: Money;
  lastFailedAt: string | null;
  charges: Charge[];
};

const STATUS = { active: ["Active", "green"], past_due: ["Past due", "amber"], cancelled: ["Cancelled", "slate"] } as const;

function every(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? "day" : `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return seconds === 3_600 ? "hour" : `${seconds / 3_600} hours`;
  return `${seconds} s`;
}

export function SubscriptionsSection({ merchant }: { merchant: { id: string; payoutAddress: string } }) {
  const [rows, setRows] = useState<SubscriptionRow[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setRows((await gatewayFetch<{ data: SubscriptionRow[] }>(`/api/merchants/${merchant.id}/subscriptions`)).data);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [merchant.id]);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <Card title="Subscriptions" testId="subscriptions" aside={<Button variant="secondary" onClick={() => void load()}>Refresh</Button>}>
      <p className="mb-3 text-sm text-slate-600">
        Plans created on the Subscriptions page by your payout address <span className="font-mono">{merchant.payoutAddress.slice(0, 6)}…{merchant.payoutAddress.slice(-4)}</span> are
        charged by CoinPays every period; each charge is a settled order here and a <code>subscription.charged</code> webhook.
      </p>
      {error && <p className="text-sm text-red-600" data-testid="dashboard-error">{error}</p>}
      {rows === undefined ? <Notice>Loading…</Notice> : rows.length === 0 ? (
        <p className="text-sm text-slate-500">No subscribers yet.</p>
      ) : (
        <ul className="space-y-3">
          {rows.map((row) => {
            const [label, tone] = STATUS[row.status];
            return (
              <li key={row.subscriptionId} className="rounded-xl border border-slate-200 p-3 text-sm" data-testid={`dashboard-subscription-${row.subscriptionId}`} data-status={row.status} data-charges={row.charges.length}>
                <div className="flex flex-wrap items-center justify-between gap-2">
                  <span>
                    #{row.subscriptionId} · plan #{row.planId} · <span className="font-mono">{row.subscriber.slice(0, 6)}…{row.subscriber.slice(-4)}</span>
                  </span>
                  <Badge tone={tone}>{label}</Badge>
                </div>
                <p className="mt-1 text-xs text-slate-600">
                  {row.amount.formatted} {row.token.symbol} every {every(row.periodSeconds)} · {row.periodsCharged} period{row.periodsCharged === 1 ? "" : "s"} charged · {row.totalCharged.formatted} {row.token.symbol} in total
                  {row.lastFailedAt ? ` · last failed charge ${new Date(row.lastFailedAt).toLocaleString()}` : ""}
                </p>
                {row.charges.length > 0 && (
                  <table className="mt-2 w-full text-left text-xs">
                    <thead className="uppercase text-slate-500">
                      <tr><th className="py-1">Period</th><th>Charged</th><th>Amount</th><th>Order</th></tr>
                    </thead>
                    <tbody>
                      {row.charges.map((charge) => (
                        <tr key={charge.periodIndex} className="border-t border-slate-100" data-testid="subscription-charge" data-period={charge.periodIndex}>
                          <td className="py-1">{charge.periodIndex + 1}</td>
                          <td>{new Date(charge.chargedAt).toLocaleString()}</td>
                          <td className="font-mono">{charge.amount.formatted} {row.token.symbol}</td>
                          <td className="font-mono">{charge.orderId ?? "—"}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
