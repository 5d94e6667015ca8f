// Webhook endpoints as the dashboard manages them: create (the signing secret is shown once), list,
// change, delete, the delivery log of an order, redeliver and test-send. Managers change endpoints;
// any member reads. Delivery itself lives in delivery.ts; this service only queues through it.
// A receiver's URL passes the target policy (targets.ts) when it is set; the secret is stored sealed.
import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { AppDatabase } from "../../db/index.ts";
import { orders, webhookDeliveries, webhookEndpoints, webhookEvents } from "../../db/schema.ts";
import type { Keyring } from "../../secrets/keyring.ts";
import { randomBase62 } from "../crypto.ts";
import { ApiError, notFound, unprocessable } from "../http/errors.ts";
import type { MerchantService } from "../merchants/service.ts";
import { DELIVERY_ERROR_CLASSES, type WebhookService } from "./delivery.ts";
import { openEndpointSecret, sealEndpointSecret, SECRET_PREFIX } from "./secrets.ts";
import { checkTarget, type TargetPolicy, type TargetRefusal } from "./targets.ts";

/** The shape of a receiver URL; whether it may be reached (https, public addresses) is the target policy's call. */
const endpointUrl = z.url({ protocol: /^https?$/ }).max(2_000);
const eventTypes = z.array(z.string().regex(/^([a-z_]+(\.[a-z_]+)*(\.\*)?|\*)$/, { error: "event types look like order.settled or order.*" })).max(50);

const includeSubAccounts = z.boolean().meta({ description: "Also deliver the events of this account's sub-accounts (and theirs); the payload's merchantId names the account." });

export const createWebhookEndpointSchema = z.object({ url: endpointUrl, eventTypes: eventTypes.default([]), includeSubAccounts: includeSubAccounts.default(false) }).strict();
export const updateWebhookEndpointSchema = z.object({ url: endpointUrl.optional(), eventTypes: eventTypes.optional(), enabled: z.boolean().optional(), includeSubAccounts: includeSubAccounts.optional() }).strict();

type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** The refusal of a receiver URL: one code per reason, nothing about what answers where (nothing is connected to). */
const REFUSALS: Record<TargetRefusal, [code: string, message: string]> = {
  insecure_url: ["webhook_url_insecure", "Webhook receivers must use https"],
  blocked_address: ["webhook_url_not_public", "The receiver's host must resolve only to public internet addresses"],
  dns_failure: ["webhook_url_unresolvable", "The receiver's host name does not resolve"],
};

/** Rows logged before the log kept classes hold raw error text (what answered where): shown as a class too. */
function loggedError(error: string | null): string | null {
  return error === null || (DELIVERY_ERROR_CLASSES as readonly string[]).includes(error) ? error : "connection_error";
}

function endpointJson(keyring: Keyring, row: EndpointRow) {
  let secretPrefix: string | null;
  try {
    secretPrefix = openEndpointSecret(keyring, row.id, row.secret).slice(0, 10);
  } catch {
    secretPrefix = null; // sealed with a key no longer configured: the endpoint is listed, its prefix unknown
  }
  return {
    id: row.id,
    merchantId: row.merchantId,
    url: row.url,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    includeSubAccounts: row.includeSubAccounts,
    /** Enough to tell secrets apart; the whole secret is shown only when the endpoint is created. */
    secretPrefix,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function createWebhookEndpointService(deps: {
  db: AppDatabase;
  merchants: MerchantService;
  delivery: () => WebhookService | undefined;
  keyring: Keyring;
  targets: TargetPolicy;
}) {
  const { db, merchants, keyring } = deps;
  const toJson = (row: EndpointRow) => endpointJson(keyring, row);

  async function assertTargetAllowed(url: string): Promise<void> {
    const refusal = await checkTarget(url, deps.targets);
    if (!refusal) return;
    const [code, message] = REFUSALS[refusal];
    throw unprocessable(code, message, [{ field: "url", message }]);
  }

  async function endpointOf(merchantId: string, endpointId: string): Promise<EndpointRow> {
    if (!z.uuid().safeParse(endpointId).success) throw notFound("Webhook endpoint");
    const [row] = await db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.merchantId, merchantId)));
    if (!row) throw notFound("Webhook endpoint");
    return row;
  }

  function delivery(): WebhookService {
    const service = deps.delivery();
    if (!service) throw new ApiError(503, "webhook_delivery_unavailable", "Webhook delivery is not running in this server process");
    return service;
  }

  return {
    async create(userId: string, merchantId: string, input: z.output<typeof createWebhookEndpointSchema>) {
      await merchants.authorize(userId, merchantId, "manager");
      await assertTargetAllowed(input.url);
      const secret = `${SECRET_PREFIX}${randomBase62(32)}`;
      // The id is chosen here: the sealed secret is bound to it.
      const id = randomUUID();
      const [row] = await db
        .insert(webhookEndpoints)
        .values({ id, merchantId, url: input.url, eventTypes: input.eventTypes, includeSubAccounts: input.includeSubAccounts, secret: sealEndpointSecret(keyring, id, secret) })
        .returning();
      return { ...toJson(row!), secret };
    },

    async list(userId: string, merchantId: string) {
      await merchants.authorize(userId, merchantId, "viewer");
      const rows = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.merchantId, merchantId)).orderBy(desc(webhookEndpoints.createdAt));
      return rows.map(toJson);
    },

    async update(userId: string, merchantId: string, endpointId: string, input: z.output<typeof updateWebhookEndpointSchema>) {
      await merchants.authorize(userId, merchantId, "manager");
      await endpointOf(merchantId, endpointId);
      if (input.url !== undefined) await assertTargetAllowed(input.url);
      const [row] = await db.update(webhookEndpoints).set({ ...input, updatedAt: new Date() }).where(eq(webhookEndpoints.id, endpointId)).returning();
      return toJson(row!);
    },

    async remove(userId: string, merchantId: string, endpointId: string) {
      await merchants.authorize(userId, merchantId, "manager");
      const row = await endpointOf(merchantId, endpointId);
      await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, row.id));
      return { id: row.id, deleted: true };
    },

    async testSend(userId: string, merchantId: string, endpointId: string) {
      await merchants.authorize(userId, merchantId, "manager");
      await endpointOf(merchantId, endpointId);
      return delivery().testSend(endpointId);
    },

    async redeliver(userId: string, merchantId: string, eventId: string, endpointId?: string) {
      await merchants.authorize(userId, merchantId, "manager");
      if (!z.uuid().safeParse(eventId).success) throw notFound("Event");
      const [event] = await db.select({ id: webhookEvents.id }).from(webhookEvents).where(and(eq(webhookEvents.id, eventId), eq(webhookEvents.merchantId, merchantId)));
      if (!event) throw notFound("Event");
      if (endpointId) await endpointOf(merchantId, endpointId);
      return delivery().redeliver(eventId, endpointId);
    },

    /** The endpoint's latest delivery attempts (test events included), newest first: its log in the dashboard. */
    async deliveriesOfEndpoint(userId: string, merchantId: string, endpointId: string, limit = 20) {
      await merchants.authorize(userId, merchantId, "viewer");
      await endpointOf(merchantId, endpointId);
      const rows = await db
        .select({ attempt: webhookDeliveries, type: webhookEvents.type, orderId: webhookEvents.orderId })
        .from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
        .where(eq(webhookDeliveries.endpointId, endpointId))
        .orderBy(desc(webhookDeliveries.createdAt))
        .limit(limit);
      return rows.map(({ attempt, type, orderId }) => ({
        eventId: attempt.eventId,
        type,
        orderId,
        attempt: attempt.attempt,
        statusCode: attempt.statusCode,
        succeeded: attempt.succeeded,
        durationMs: attempt.durationMs,
        error: loggedError(attempt.error),
        at: attempt.createdAt.toISOString(),
      }));
    },

    /** The order's events with every delivery attempt, for the order detail page. */
    async deliveriesOfOrder(userId: string, merchantId: string, orderId: string) {
      await merchants.authorize(userId, merchantId, "viewer");
      const [order] = await db.select({ id: orders.id }).from(orders).where(and(eq(orders.id, orderId), eq(orders.merchantId, merchantId)));
      if (!order) throw notFound("Order");
      const events = await db.select().from(webhookEvents).where(eq(webhookEvents.orderId, orderId)).orderBy(webhookEvents.createdAt);
      const attempts = events.length
        ? await db.select().from(webhookDeliveries).where(inArray(webhookDeliveries.eventId, events.map((event) => event.id))).orderBy(webhookDeliveries.createdAt)
        : [];
      return events.map((event) => ({
        eventId: event.id,
        type: event.type,
        createdAt: event.createdAt.toISOString(),
        deliveries: attempts
          .filter((attempt) => attempt.eventId === event.id)
          .map((attempt) => ({
            endpointId: attempt.endpointId,
            attempt: attempt.attempt,
            statusCode: attempt.statusCode,
            succeeded: attempt.succeeded,
            durationMs: attempt.durationMs,
            error: loggedError(attempt.error),
            at: attempt.createdAt.toISOString(),
          })),
      }));
    },
  };
}

export type WebhookEndpointService = ReturnType<typeof createWebhookEndpointService>;
