// One place where an order's story is written: the order_events row (its history), the webhook
// outbox row (what the merchant's systems will hear, with the event id they de-duplicate on), and a
// NOTIFY that wakes WebSocket hubs in every server process. All three happen in the caller's
// transaction, so an event exists exactly when the change that caused it was committed.
import { sql, type SQL } from "drizzle-orm";
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

/**
 * The statement that writes an event: `history` (the order_events row) and `outbox` (the webhook
 * event row) as CTEs, then the NOTIFY of an OrderEventNotification carrying the outbox row's id, in one
 * round trip. pg_notify runs inside the caller's transaction: delivered only if it commits. `after`
 * names earlier CTEs of a larger statement that must have produced a row for the event to be written
 * (order creation writes its order row and its first event in one statement).
 */
export function orderEventStatement(input: OrderEventInput, after?: { ctes: SQL; source: string }): SQL {
  const data = input.data ?? {};
  const payload = { type: input.type, orderId: input.orderId, status: input.toStatus ?? null, previousStatus: input.fromStatus ?? null, data };
  const from = after ? sql.raw(`from ${after.source}`) : sql``;
  return sql`
    with ${after ? sql`${after.ctes}, ` : sql``}history as (
      insert into ${orderEvents} (order_id, type, from_status, to_status, data)
      select ${input.orderId}::text, ${input.type}::text, ${input.fromStatus ?? null}::order_status, ${input.toStatus ?? null}::order_status, ${JSON.stringify(data)}::jsonb ${from}
    ), outbox as (
      insert into ${webhookEvents} (merchant_id, type, order_id, payload)
      select ${input.merchantId}::uuid, ${input.type}::text, ${input.orderId}::text, ${JSON.stringify(payload)}::jsonb ${from}
      returning id
    )
    select id::text as id, pg_notify(${ORDER_EVENTS_CHANNEL}, json_build_object(
        'eventId', id, 'orderId', ${input.orderId}::text, 'merchantId', ${input.merchantId}::text,
        'type', ${input.type}::text, 'status', ${input.toStatus ?? null}::text
      )::text)
    from outbox`;
}

export async function appendOrderEvent(tx: Executor, input: OrderEventInput): Promise<{ eventId: string }> {
  const result = await tx.execute(orderEventStatement(input));
  const [event] = (result as unknown as { rows: { id: string }[] }).rows;
  return { eventId: event!.id };
}
