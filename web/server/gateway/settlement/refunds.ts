// Completing on-chain refunds: one place that turns a PaymentRouter `PaymentRefunded` log into the
// refund row, the order's refunded amount, its events and its status. Two paths reach it: the
// dashboard reporting the transaction its wallet sent (orders/service.ts), and the chain watcher
// reading the router's logs, so a refund is recorded even when the browser closed before reporting
// it, or when the merchant refunded through the router outside the dashboard. Both run under the
// order's row lock; whichever comes second finds the transaction already recorded and does nothing.
import { and, asc, eq, sql } from "drizzle-orm";
import { getAddress, type Address, type Hex } from "viem";
import { orders, refunds } from "../../db/schema.ts";
import { appendOrderEvent, type Executor } from "../events.ts";
import { sameAddress, syncOrder, type OrderRow, type SyncResult } from "./order-sync.ts";

type RefundRow = typeof refunds.$inferSelect;

export type RouterRefundLog = { orderRef: Hex; merchant: Address; to: Address; amount: bigint; transactionHash: Hex; blockNumber: bigint };

/** Marks `refund` completed by `transactionHash` and moves the order's refunded amount and status with it. */
export async function completeRefund(tx: Executor, order: OrderRow, refund: RefundRow, proof: { transactionHash: Hex; blockNumber: bigint }, now: Date): Promise<{ refund: RefundRow; sync: SyncResult }> {
  const [completed] = await tx
    .update(refunds)
    .set({ status: "completed", transactionHash: proof.transactionHash, error: null, updatedAt: sql`now()` })
    .where(eq(refunds.id, refund.id))
    .returning();
  await tx.update(orders).set({ amountRefunded: sql`${orders.amountRefunded} + ${refund.amount.toString()}::numeric` }).where(eq(orders.id, order.id));
  await appendOrderEvent(tx, {
    orderId: order.id,
    merchantId: order.merchantId,
    type: "refund.completed",
    data: { refundId: refund.id, amount: refund.amount.toString(), toAddress: completed!.toAddress, transactionHash: proof.transactionHash, blockNumber: proof.blockNumber.toString() },
  });
  return { refund: completed!, sync: await syncOrder(tx, order.id, now) };
}

/**
 * A `PaymentRefunded` log seen on chain: completes the refund it belongs to (a pending one to the same
 * address for the same amount, the one reported with this transaction first, else the oldest), or records it as
 * a refund made outside the dashboard. Returns false when the log is not ours or already recorded.
 */
export async function recordRouterRefund(tx: Executor, log: RouterRefundLog, now: Date): Promise<boolean> {
  const [order] = await tx.select().from(orders).where(eq(orders.orderRef, log.orderRef.toLowerCase() as Hex)).for("update");
  // The router keys settlements by (merchant, orderRef): a refund by somebody else is not this order's.
  if (!order || !sameAddress(order.destination, log.merchant)) return false;
  const [recorded] = await tx
    .select({ id: refunds.id })
    .from(refunds)
    .where(and(eq(refunds.orderId, order.id), eq(refunds.transactionHash, log.transactionHash), eq(refunds.status, "completed"), eq(refunds.amount, log.amount)))
    .limit(1);
  if (recorded) return false;
  const to = getAddress(log.to);
  const [pending] = await tx
    .select()
    .from(refunds)
    // Any recorded hash may match: a wallet's speed-up or cancel-and-resend replaces the transaction.
    .where(and(eq(refunds.orderId, order.id), eq(refunds.status, "pending"), eq(refunds.amount, log.amount), eq(refunds.toAddress, to)))
    .orderBy(sql`(${refunds.transactionHash} is not distinct from ${log.transactionHash}) desc`, asc(refunds.createdAt))
    .limit(1);
  const refund =
    pending ??
    (await tx.insert(refunds).values({ orderId: order.id, kind: "onchain", status: "pending", amount: log.amount, toAddress: to }).returning())[0]!;
  await completeRefund(tx, order, refund, log, now);
  return true;
}
