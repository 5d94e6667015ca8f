// Recomputes an order from its recorded payments, under a row lock, and writes an event when its
// status changes. Every settlement path (watcher, confirmations, reorgs, expiry) goes through here,
// so the amounts on the order row are always the sum of its payments and the status is always
// deriveOrderStatus of those facts, whichever process did the work.
import type { OrderSnapshot } from "@coinpays/sdk";
import { and, asc, eq } from "drizzle-orm";
import { orders, payments } from "../../db/schema.ts";
import { appendOrderEvent, type Executor } from "../events.ts";
import { amountDue, deriveOrderStatus, type OrderStatus } from "../order-state.ts";

export type OrderRow = typeof orders.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;

/** Statuses in which the order counts as paid: settledAt is set when one is entered. */
const PAID_STATUSES: ReadonlySet<OrderStatus> = new Set(["settled", "overpaid", "paid_late"]);

/**
 * The JSON shape of an order in events, webhooks and WebSocket messages: the SDK's published type, so
 * server and integrators share one definition (amounts are integer strings of base units).
 */
export type { OrderSnapshot };

export function orderSnapshot(order: OrderRow): OrderSnapshot {
  return {
    id: order.id,
    merchantId: order.merchantId,
    reference: order.reference,
    status: order.status,
    chainId: order.chainId,
    token: order.token,
    amount: order.amount.toString(),
    amountPaid: order.amountPaid.toString(),
    amountPending: order.amountPending.toString(),
    amountRefunded: order.amountRefunded.toString(),
    amountDue: amountDue(order).toString(),
    depositAddress: order.depositAddress,
    expiresAt: order.expiresAt.toISOString(),
    settledAt: order.settledAt?.toISOString() ?? null,
  };
}

export function paymentSnapshot(payment: PaymentRow): Record<string, unknown> {
  return {
    id: payment.id,
    method: payment.method,
    token: payment.token,
    amount: payment.amount.toString(),
    payer: payment.payer,
    transactionHash: payment.transactionHash,
    logIndex: payment.logIndex,
    blockNumber: payment.blockNumber.toString(),
    blockHash: payment.blockHash,
    status: payment.status,
    late: payment.late,
  };
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export type SyncResult = { order: OrderRow; from: OrderStatus; to: OrderStatus; changed: boolean };

/**
 * Locks the order (SELECT … FOR UPDATE), sums its payments in the order's token, derives the status
 * and stores the result; a status change is written as an `order.<status>` event. Payments in any
 * other token are never counted (they are recorded as `payment.wrong_token` events by the watcher).
 */
export async function syncOrder(tx: Executor, orderId: string, now: Date): Promise<SyncResult> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for("update");
  if (!order) throw new Error(`order ${orderId} not found`);
  const rows = await tx
    .select()
    .from(payments)
    .where(eq(payments.orderId, orderId))
    .orderBy(asc(payments.blockNumber), asc(payments.logIndex));
  const counted = rows.filter((payment) => sameAddress(payment.token, order.token));

  let amountPaid = 0n;
  let amountPending = 0n;
  let paidLate = false;
  for (const payment of counted) {
    if (payment.status === "pending") amountPending += payment.amount;
    if (payment.status !== "confirmed") continue;
    const before = amountPaid;
    amountPaid += payment.amount;
    // The payment that completed the order decides whether it was paid late.
    if (before < order.amount && amountPaid >= order.amount) paidLate = payment.late;
  }
  const lostToReorg = counted.some((payment) => payment.status === "reorged") && amountPaid === 0n && amountPending === 0n;
  const status = deriveOrderStatus(
    {
      amount: order.amount,
      amountPaid,
      amountPending,
      amountRefunded: order.amountRefunded,
      paidLate,
      cancelled: order.status === "cancelled",
      lostToReorg,
      expiresAt: order.expiresAt,
    },
    now,
  );

  const from = order.status;
  if (status === from && amountPaid === order.amountPaid && amountPending === order.amountPending) {
    return { order, from, to: from, changed: false };
  }
  const settledAt = PAID_STATUSES.has(status) ? (order.settledAt ?? now) : null;
  const [updated] = await tx
    .update(orders)
    .set({ amountPaid, amountPending, status, settledAt, updatedAt: now })
    .where(and(eq(orders.id, orderId)))
    .returning();
  if (status !== from) {
    await appendOrderEvent(tx, {
      orderId,
      merchantId: order.merchantId,
      type: `order.${status}`,
      fromStatus: from,
      toStatus: status,
      data: { order: orderSnapshot(updated!) },
    });
  }
  return { order: updated!, from, to: status, changed: true };
}
