// Webhook delivery: the outbox (webhook_events, written by appendOrderEvent in the transaction of
// the change) → a relay → one pg-boss job per event × endpoint → an HTTP POST per attempt.
//
// Exactly-once enqueueing: the relay takes undispatched events with FOR UPDATE SKIP LOCKED, sends
// their jobs through the same transaction (pg-boss `db: fromDrizzle(tx)`) and sets dispatched_at
// in it. A crash before the commit leaves the event undispatched (picked up again); after it, the
// jobs exist. The queue's `exclusive` policy with singletonKey "<event>:<endpoint>" (plus a job id
// derived from both) means no second job for the same pair can be queued while one is pending.
//
// At-least-once delivery: a job whose worker died stays `active` until expireInSeconds, then pg-boss
// retries it; receivers de-duplicate on the CoinPays-Event-Id header (the outbox row's id).
import { createHash, randomUUID } from "node:crypto";
import { and, count, eq, inArray, isNull, sql } from "drizzle-orm";
import { fromDrizzle, type DrizzleTransactionLike, type PgBoss } from "pg-boss";
import type { Logger } from "pino";
import type { AppDatabase } from "../../db/index.ts";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "../../db/schema.ts";
import type { Executor } from "../events.ts";
import { MAX_HIERARCHY_DEPTH } from "../merchants/service.ts";
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader } from "./signature.ts";

export const WEBHOOK_QUEUE = "webhook-delivery";

/** pg-boss backoff: the k-th retry (k = 0, 1, …) waits min(maxDelay, delay · 2^k · (1 + random)) seconds. */
export type RetryPolicy = { retryLimit: number; retryDelaySeconds: number; retryDelayMaxSeconds: number };

/** 21 attempts over at least 3.1 days: 1 min, 2, 4 … doubling, capped at 6 h between attempts. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retryLimit: 20, retryDelaySeconds: 60, retryDelayMaxSeconds: 6 * 3600 };

/** The bounds pg-boss's formula gives for each retry's delay, in seconds. */
export function retrySchedule(policy: RetryPolicy): { min: number; max: number }[] {
  return Array.from({ length: policy.retryLimit }, (_, k) => ({
    min: Math.min(policy.retryDelayMaxSeconds, policy.retryDelaySeconds * 2 ** Math.min(16, k)),
    max: Math.min(policy.retryDelayMaxSeconds, policy.retryDelaySeconds * 2 ** Math.min(16, k) * 2),
  }));
}

/** The shortest time from the first attempt to giving up. */
export function minimumRetryWindowSeconds(policy: RetryPolicy): number {
  return retrySchedule(policy).reduce((total, delay) => total + delay.min, 0);
}

/** Retry on 5xx, 408 and 429 (and network errors / timeouts, which have no status). */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export type WebhookServiceOptions = {
  db: AppDatabase;
  boss: PgBoss;
  logger: Logger;
  retry?: RetryPolicy;
  /** Per-attempt HTTP timeout. */
  requestTimeoutMs?: number;
  /** How long a job may stay active before pg-boss assumes its worker died and retries it. */
  jobExpireSeconds?: number;
  relayIntervalMs?: number;
  concurrency?: number;
  pollingIntervalSeconds?: number;
};

export type DeliveryOutcome = { succeeded: boolean; statusCode: number | null; retry: boolean; error?: string };

export type WebhookService = {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Moves undispatched outbox events into delivery jobs; returns how many events it dispatched. */
  relayOnce(): Promise<number>;
  /** Queues another delivery of an event to one endpoint (or every matching endpoint). */
  redeliver(eventId: string, endpointId?: string): Promise<{ queued: number }>;
  /** Sends a `webhook.test` event to one endpoint; returns its event id. */
  testSend(endpointId: string): Promise<{ eventId: string }>;
};

type JobData = { eventId: string; endpointId: string };

export function endpointWants(eventTypes: readonly string[], type: string): boolean {
  if (eventTypes.length === 0) return true;
  return eventTypes.some((pattern) => pattern === "*" || pattern === type || (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1))));
}

type EndpointTarget = { accountId: string; id: string; eventTypes: string[] };

/**
 * The enabled endpoints that hear events of each account: its own, and those of its ancestors that
 * include sub-accounts (the account hierarchy). One query for a whole relay batch.
 */
async function endpointsHearing(tx: Executor, accountIds: string[]): Promise<EndpointTarget[]> {
  if (accountIds.length === 0) return [];
  const result = await tx.execute(sql`
    with recursive lineage(account_id, ancestor_id, depth) as (
      select id, id, 0 from merchants where id in (${sql.join(accountIds.map((id) => sql`${id}::uuid`), sql`, `)})
      union all
      select l.account_id, m.parent_id, l.depth + 1 from lineage l join merchants m on m.id = l.ancestor_id
      where m.parent_id is not null and l.depth < ${MAX_HIERARCHY_DEPTH}
    )
    select l.account_id as "accountId", e.id, e.event_types as "eventTypes"
    from lineage l join webhook_endpoints e on e.merchant_id = l.ancestor_id
    where e.enabled and (l.depth = 0 or e.include_sub_accounts)`);
  return (result as unknown as { rows: EndpointTarget[] }).rows;
}

/** A stable uuid per (event, endpoint): the first enqueue's job id, so a replayed relay inserts nothing. */
function jobIdFor(eventId: string, endpointId: string): string {
  const hex = createHash("sha256").update(`${eventId}:${endpointId}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function createWebhookService(options: WebhookServiceOptions): WebhookService {
  const { db, boss } = options;
  const logger = options.logger.child({ component: "webhooks" });
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const relayIntervalMs = options.relayIntervalMs ?? 250;
  let relayTimer: NodeJS.Timeout | undefined;
  let relaying: Promise<unknown> | undefined;
  let stopped = true;

  async function enqueue(tx: Executor, eventId: string, endpointId: string, first: boolean): Promise<boolean> {
    const id = await boss.send(WEBHOOK_QUEUE, { eventId, endpointId } satisfies JobData, {
      id: first ? jobIdFor(eventId, endpointId) : randomUUID(),
      singletonKey: `${eventId}:${endpointId}`,
      db: fromDrizzle(tx as unknown as DrizzleTransactionLike, sql),
    });
    return id !== null;
  }

  async function relayOnce(): Promise<number> {
    return db.transaction(async (tx) => {
      const events = await tx
        .select({ id: webhookEvents.id, merchantId: webhookEvents.merchantId, type: webhookEvents.type })
        .from(webhookEvents)
        .where(isNull(webhookEvents.dispatchedAt))
        .orderBy(webhookEvents.createdAt)
        .limit(200)
        .for("update", { skipLocked: true });
      if (events.length === 0) return 0;
      const endpoints = await endpointsHearing(tx, [...new Set(events.map((event) => event.merchantId))]);
      let jobs = 0;
      for (const event of events) {
        for (const endpoint of endpoints) {
          if (endpoint.accountId !== event.merchantId || !endpointWants(endpoint.eventTypes, event.type)) continue;
          if (await enqueue(tx, event.id, endpoint.id, true)) jobs++;
        }
      }
      await tx.update(webhookEvents).set({ dispatchedAt: new Date() }).where(inArray(webhookEvents.id, events.map((event) => event.id)));
      if (jobs > 0) logger.debug({ events: events.length, jobs }, "webhook events dispatched");
      return events.length;
    });
  }

  async function deliver(data: JobData): Promise<DeliveryOutcome> {
    const [event] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, data.eventId));
    const [endpoint] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, data.endpointId));
    if (!event || !endpoint || !endpoint.enabled) return { succeeded: false, statusCode: null, retry: false, error: "event or endpoint gone" };
    const [previous] = await db
      .select({ attempts: count() })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.eventId, event.id), eq(webhookDeliveries.endpointId, endpoint.id)));
    const attempt = (previous?.attempts ?? 0) + 1;
    // The body is a pure function of the stored event: every attempt sends the same bytes.
    const body = JSON.stringify({ id: event.id, type: event.type, createdAt: event.createdAt.toISOString(), merchantId: event.merchantId, data: event.payload });
    const startedAt = performance.now();
    let outcome: DeliveryOutcome;
    try {
      const response = await fetch(endpoint.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "CoinPays-Webhooks/1",
          [SIGNATURE_HEADER]: signatureHeader(endpoint.secret, body),
          [EVENT_ID_HEADER]: event.id,
          [EVENT_TYPE_HEADER]: event.type,
          "CoinPays-Delivery-Attempt": String(attempt),
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      const ok = response.status >= 200 && response.status < 300;
      outcome = { succeeded: ok, statusCode: response.status, retry: !ok && isRetryableStatus(response.status) };
    } catch (error) {
      const name = (error as Error).name;
      const message = name === "TimeoutError" ? `timed out after ${requestTimeoutMs} ms` : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
      outcome = { succeeded: false, statusCode: null, retry: true, error: message };
    }
    await db.insert(webhookDeliveries).values({
      eventId: event.id,
      endpointId: endpoint.id,
      attempt,
      statusCode: outcome.statusCode,
      error: outcome.error ?? null,
      durationMs: Math.round(performance.now() - startedAt),
      succeeded: outcome.succeeded,
    });
    logger.info({ eventId: event.id, endpointId: endpoint.id, attempt, statusCode: outcome.statusCode, succeeded: outcome.succeeded, error: outcome.error }, "webhook attempt");
    return outcome;
  }

  function scheduleRelay(delay: number): void {
    if (stopped) return;
    relayTimer = setTimeout(() => {
      relaying = relayOnce()
        .then((dispatched) => scheduleRelay(dispatched === 200 ? 0 : relayIntervalMs))
        .catch((error: unknown) => {
          logger.warn({ err: error }, "webhook relay failed");
          scheduleRelay(relayIntervalMs * 4);
        });
    }, delay);
  }

  return {
    relayOnce,
    async start() {
      await boss.createQueue(WEBHOOK_QUEUE, {
        policy: "exclusive",
        retryLimit: retry.retryLimit,
        retryDelay: retry.retryDelaySeconds,
        retryBackoff: true,
        retryDelayMax: retry.retryDelayMaxSeconds,
        expireInSeconds: options.jobExpireSeconds ?? Math.ceil(requestTimeoutMs / 1000) + 20,
        // Jobs must outlive the whole retry window.
        retentionSeconds: 14 * 24 * 3600,
      });
      await boss.work<JobData>(
        WEBHOOK_QUEUE,
        { batchSize: 1, localConcurrency: options.concurrency ?? 4, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 0.5 },
        async ([job]) => {
          const outcome = await deliver(job!.data);
          // Throwing hands the job back to pg-boss, which schedules the retry with backoff.
          if (outcome.retry) throw new Error(`delivery failed (${outcome.statusCode ?? outcome.error}); will retry`);
          return outcome;
        },
      );
      stopped = false;
      scheduleRelay(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(relayTimer);
      await relaying?.catch(() => undefined);
      await boss.offWork(WEBHOOK_QUEUE).catch(() => undefined);
    },
    async redeliver(eventId, endpointId) {
      return db.transaction(async (tx) => {
        const [event] = await tx.select().from(webhookEvents).where(eq(webhookEvents.id, eventId));
        if (!event) return { queued: 0 };
        // Explicitly named endpoints are redelivered to even when disabled or filtering the type out.
        const endpoints = endpointId
          ? await tx.select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes }).from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId))
          : await endpointsHearing(tx, [event.merchantId]);
        let queued = 0;
        for (const endpoint of endpoints) {
          if (!endpointId && !endpointWants(endpoint.eventTypes, event.type)) continue;
          if (await enqueue(tx, event.id, endpoint.id, false)) queued++;
        }
        return { queued };
      });
    },
    async testSend(endpointId) {
      return db.transaction(async (tx) => {
        const [endpoint] = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
        if (!endpoint) throw new Error(`webhook endpoint ${endpointId} not found`);
        // Dispatched at birth: the relay must not fan a test event out to the merchant's other endpoints.
        const [event] = await tx
          .insert(webhookEvents)
          .values({ merchantId: endpoint.merchantId, type: "webhook.test", payload: { type: "webhook.test", message: "Test event from CoinPays" }, dispatchedAt: new Date() })
          .returning({ id: webhookEvents.id });
        await enqueue(tx, event!.id, endpoint.id, true);
        return { eventId: event!.id };
      });
    },
  };
}
