"use client";
// Live part of the buyer's invoice page: countdown to expiry and the order's status, polled.
import { useEffect, useState } from "react";

type Order = {
  id: string;
  status: string;
  reservation: { status: string; expiresAt: string; paymentUrl: string | null; fiatAmount: string; voidReason: string | null } | null;
};

export function InvoiceStatus({ initial }: { initial: Order }) {
  const [order, setOrder] = useState(initial);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1_000);
    const poll = setInterval(async () => {
      const response = await fetch(`/api/p2p/orders/${initial.id}`, { cache: "no-store" });
      if (response.ok) setOrder(((await response.json()) as { order: Order }).order);
    }, 2_000);
    return () => {
      clearInterval(tick);
      clearInterval(poll);
    };
  }, [initial.id]);

  const reservation = order.reservation;
  const left = reservation ? Math.max(0, new Date(reservation.expiresAt).getTime() - now) : 0;
  const minutes = Math.floor(left / 60_000);
  const seconds = Math.floor((left % 60_000) / 1000);
  const label =
    order.status === "paid"
      ? "Paid: your balance is credited"
      : order.status === "reserved"
        ? "Awaiting payment"
        : order.status === "disputed"
          ? "In dispute: an operator is checking the payment"
          : `Order ${order.status}`;
  const tone = order.status === "paid" ? "bg-emerald-100 text-emerald-800" : order.status === "reserved" ? "bg-amber-100 text-amber-800" : "bg-slate-200 text-slate-700";
  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between">
        <span data-testid="order-status" className={`rounded-full px-3 py-1 text-xs font-semibold ${tone}`}>
          {label}
        </span>
        {order.status === "reserved" && reservation?.status === "pending" ? (
          <span className="font-mono text-sm text-slate-800" data-testid="countdown">
            {String(minutes).padStart(2, "0")}:{String(seconds).padStart(2, "0")}
          </span>
        ) : null}
      </div>
      {order.status === "reserved" && reservation?.paymentUrl ? (
        <a
          href={reservation.paymentUrl}
          className="block rounded-full bg-brand-600 px-5 py-2.5 text-center text-sm font-semibold text-white hover:bg-brand-700"
        >
          Pay with the provider
        </a>
      ) : null}
    </div>
  );
}
