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
//
// Every attempt goes through targets.ts's policy (https and public addresses only in production),
// connecting to the address its own lookup checked, and never follows redirects (a 3xx is the
// receiver's answer, not a new target). The log keeps a coarse error class, never the raw error: an
// error text is a port scanner's read-out ("connect ECONNREFUSED 10.0.0.5:5432", a banner…).
import { createHash, randomUUID } from "node:crypto";
import { and, count, eq, inArray, isNull, sql } from "drizzle-orm";
import { fromDrizzle, type DrizzleTransactionLike, type PgBoss } from "pg-boss";
import type { Logger } from "pino";
import { Agent, request } from "undici";
import type { AppDatabase } from "../../db/index.ts";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "../../db/schema.ts";
import type { Executor } from "../events.ts";
import { MAX_HIERARCHY_DEPTH } from "../merchants/service.ts";
import type { Keyring } from "../../secrets/keyring.ts";
import { openEndpointSecret } from "./secrets.ts";
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader } from "./signature.ts";
import { BlockedAddressError, guardedLookup, refusalBeforeConnect, type TargetPolicy } from "./targets.ts";

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
  /** Opens the endpoints' sealed signing secrets. */
  keyring: Keyring;
  /** Which receivers may be reached (targets.ts): production allows only public https ones. */
  targets: TargetPolicy;
  retry?: RetryPolicy;
  /** Per-attempt HTTP timeout. */
  requestTimeoutMs?: number;
  /** How long a job may stay active before pg-boss assumes its worker died and retries it. */
  jobExpireSeconds?: number;
  relayIntervalMs?: number;
  concurrency?: number;
  pollingIntervalSeconds?: number;
};

/**
 * What the delivery log says about an attempt that got no HTTP answer. Coarse on purpose: enough for
 * a merchant to fix their receiver, nothing about what (if anything) listens at an address.
 */
export const DELIVERY_ERROR_CLASSES = [
  "timeout",
  "connection_refused",
  "dns_failure",
  "blocked_address",
  "insecure_url",
  "tls_error",
  "connection_error",
  "secret_unavailable",
] as const;
export type DeliveryErrorClass = (typeof DELIVERY_ERROR_CLASSES)[number];

/** Maps whatever undici / net / tls threw to its class (the error and its causes are searched). */
export function deliveryErrorClass(error: unknown): DeliveryErrorClass {
  const codes: string[] = [];
  for (let current = error as { code?: unknown; name?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; current = current.cause as typeof current, depth++) {
    if (current instanceof BlockedAddressError) return "blocked_address";
    if (typeof current.code === "string") codes.push(current.code);
    if (current.name === "TimeoutError" || current.name === "AbortError") codes.push("ETIMEDOUT");
  }
  for (const code of codes) {
    if (code === "EWEBHOOKBLOCKED") return "blocked_address";
    if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_ABORTED") return "timeout"; // the only abort is the timeout's
    if (code === "ECONNREFUSED") return "connection_refused";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_FAIL" || code === "ENODATA" || code === "ESERVFAIL") return "dns_failure";
    if (code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_") || code.startsWith("CERT_") || code.includes("CERT") || code === "EPROTO" || code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE") return "tls_error";
  }
  return "connection_error";
}

/** Refusals of the target itself are not retried: the same URL would be refused again. */
const NOT_RETRIED: ReadonlySet<DeliveryErrorClass> = new Set(["blocked_address", "insecure_url"]);

export type DeliveryOutcome = { succeeded: boolean; statusCode: number | null; retry: boolean; error?: DeliveryErrorClass | "event or endpoint gone" };

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
  // One connection pool for all receivers. Its lookup is the address check: a socket only ever
  // connects to an address the policy allowed at that moment (targets.ts, guardedLookup).
  const agent = new Agent({
    connect: { lookup: guardedLookup(options.targets), timeout: requestTimeoutMs },
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
  });
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
    let cause: unknown;
    const url = new URL(endpoint.url);
    const refusal = refusalBeforeConnect(url, options.targets);
    let secret: string | undefined;
    try {
      secret = openEndpointSecret(options.keyring, endpoint.id, endpoint.secret);
    } catch (error) {
      cause = error;
    }
    if (refusal) {
      outcome = { succeeded: false, statusCode: null, retry: false, error: refusal };
    } else if (secret === undefined) {
      // Sealed with a key no longer in ENCRYPTION_KEYS (or tampered with): retried, an operator may restore the key.
      outcome = { succeeded: false, statusCode: null, retry: true, error: "secret_unavailable" };
    } else {
      try {
        // undici's request follows no redirects: a 3xx is logged as the receiver's answer.
        const response = await request(url, {
          method: "POST",
          dispatcher: agent,
          headers: {
            "content-type": "application/json",
            "user-agent": "CoinPays-Webhooks/1",
            [SIGNATURE_HEADER]: signatureHeader(secret, body),
            [EVENT_ID_HEADER]: event.id,
            [EVENT_TYPE_HEADER]: event.type,
            "CoinPays-Delivery-Attempt": String(attempt),
          },
          body,
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        await response.body.dump().catch(() => undefined);
        const ok = response.statusCode >= 200 && response.statusCode < 300;
        outcome = { succeeded: ok, statusCode: response.statusCode, retry: !ok && isRetryableStatus(response.statusCode) };
      } catch (error) {
        cause = error;
        const errorClass = deliveryErrorClass(error);
        outcome = { succeeded: false, statusCode: null, retry: !NOT_RETRIED.has(errorClass), error: errorClass };
      }
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
    // The operator's log may say more than the merchant's (the error code, not its message).
    const code = (cause as { code?: unknown; cause?: { code?: unknown } } | undefined)?.cause?.code ?? (cause as { code?: unknown } | undefined)?.code;
    logger.info({ eventId: event.id, endpointId: endpoint.id, attempt, statusCode: outcome.statusCode, succeeded: outcome.succeeded, error: outcome.error, code }, "webhook attempt");
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
      await agent.close().catch(() => undefined);
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
