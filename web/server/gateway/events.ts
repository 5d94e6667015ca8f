// One place where an order's story is written: the order_events row (its history), the webhook
// outbox row (what the merchant's systems will hear, with the event id they de-duplicate on), and a
// NOTIFY that wakes WebSocket hubs in every server process. All three happen in the caller's
// transaction, so an event exists exactly when the change that caused it was committed.
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { orderEvents, webhookEvents } from "../db/schema.ts";
import type { OrderStatus } from "./order-state.ts";

/** The Postgres channel WebSocket hubs LISTEN on. */
export const ORDER_EVENTS_CHANNEL = "coinpays_order_events";

/** Anything drizzle can run statements on: the database or a transaction. */
export type Executor = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

export type OrderEventInput = {
  orderId: string;
  merchantId: string;
  /** Dotted type: order.created, order.processing, order.settled, payment.detected, payment.reorged… */
  type: string;
  fromStatus?: OrderStatus | null;
  toStatus?: OrderStatus | null;
  /** JSON-safe data (amounts as decimal strings). Becomes the webhook payload's `data`. */
  data?: Record<string, unknown>;
};

/** What travels over NOTIFY (small: Postgres caps payloads at 8000 bytes); hubs load the rest. */
export type OrderEventNotification = { eventId: string; orderId: string; merchantId: string; type: string; status: OrderStatus | null };

export async function appendOrderEvent(tx: Executor, input: OrderEventInput): Promise<{ eventId: string }> {
  const data = input.data ?? {};
  await tx.insert(orderEvents).values({
    orderId: input.orderId,
    type: input.type,
    fromStatus: input.fromStatus ?? null,
    toStatus: input.toStatus ?? null,
    data,
  });
  const [event] = await tx
    .insert(webhookEvents)
    .values({
      merchantId: input.merchantId,
      type: input.type,
      orderId: input.orderId,
      payload: { type: input.type, orderId: input.orderId, status: input.toStatus ?? null, previousStatus: input.fromStatus ?? null, data },
    })
    .returning({ id: webhookEvents.id });
  const notification: OrderEventNotification = {
    eventId: event!.id,
    orderId: input.orderId,
    merchantId: input.merchantId,
    type: input.type,
    status: input.toStatus ?? null,
  };
  // pg_notify inside the transaction: delivered only if it commits.
  await tx.execute(sql`select pg_notify(${ORDER_EVENTS_CHANNEL}, ${JSON.stringify(notification)})`);
  return { eventId: event!.id };
}
