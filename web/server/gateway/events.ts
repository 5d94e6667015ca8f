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
  const payload = { type: input.type, orderId: input.orderId, status: input.toStatus ?? null, previousStatus: input.fromStatus ?? null, data };
  // One statement, one round trip (every order change writes this, each creation included): the history
  // row, the outbox row, and the NOTIFY of an OrderEventNotification carrying the outbox row's id.
  // pg_notify inside the transaction: delivered only if it commits.
  const result = await tx.execute(sql`
    with history as (
      insert into ${orderEvents} (order_id, type, from_status, to_status, data)
      values (${input.orderId}, ${input.type}, ${input.fromStatus ?? null}, ${input.toStatus ?? null}, ${JSON.stringify(data)}::jsonb)
    ), outbox as (
      insert into ${webhookEvents} (merchant_id, type, order_id, payload)
      values (${input.merchantId}, ${input.type}, ${input.orderId}, ${JSON.stringify(payload)}::jsonb)
      returning id
    )
    select id::text as id, pg_notify(${ORDER_EVENTS_CHANNEL}, json_build_object(
        'eventId', id, 'orderId', ${input.orderId}::text, 'merchantId', ${input.merchantId}::text,
        'type', ${input.type}::text, 'status', ${input.toStatus ?? null}::text
      )::text)
    from outbox`);
  const [event] = (result as unknown as { rows: { id: string }[] }).rows;
  return { eventId: event!.id };
}
