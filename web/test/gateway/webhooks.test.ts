// Webhook delivery against a real PostgreSQL database, pg-boss and a real HTTP receiver: signature,
// event filters, retry schedule, redeliver/test-send, and crash recovery of the delivering process.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { eq, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { webhookDeliveries, webhookEndpoints } from "../../server/db/schema.ts";
import {
  DEFAULT_RETRY_POLICY,
  createWebhookService,
  minimumRetryWindowSeconds,
  retrySchedule,
  type WebhookService,
} from "../../server/gateway/webhooks/delivery.ts";
import { sealEndpointSecret } from "../../server/gateway/webhooks/secrets.ts";
import { verifySignature } from "../../server/gateway/webhooks/signature.ts";
import { LOCAL_TARGETS } from "../../server/gateway/webhooks/targets.ts";
import { startJobQueue } from "../../server/jobs.ts";
import { parseKeyring } from "../../server/secrets/keyring.ts";
import { createMerchant, createOrder, silentLogger, startDatabaseFixture, waitUntil, type DatabaseFixture } from "./support/fixtures.ts";
import { startReceiver, type Receiver } from "./support/webhook-receiver.ts";

const fakePredict = async () => `0x${randomBytes(20).toString("hex")}` as `0x${string}`;
const USDC = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const SMALL_RETRY = { retryLimit: 2, retryDelaySeconds: 1, retryDelayMaxSeconds: 4 };
const keyring = parseKeyring(`test:${Buffer.alloc(32, 7).toString("base64")}`);

describe("webhooks", { timeout: 120_000 }, () => {
  let dbf: DatabaseFixture;
  let boss: PgBoss;
  let service: WebhookService;
  const receivers: Receiver[] = [];

  before(async () => {
    dbf = await startDatabaseFixture("webhooks");
    boss = await startJobQueue(dbf.database, { kind: "postgres", url: dbf.url }, silentLogger, { superviseIntervalSeconds: 1 });
    service = createWebhookService({ db: dbf.database.db, boss, logger: silentLogger, keyring, targets: LOCAL_TARGETS, retry: SMALL_RETRY, relayIntervalMs: 50, pollingIntervalSeconds: 0.5 });
    await service.start();
  });
  after(async () => {
    await service?.stop();
    await boss?.stop({ graceful: false });
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await dbf?.close();
  });

  const receiverFor = async (respond?: Receiver["respond"]) => {
    const receiver = await startReceiver(respond);
    receivers.push(receiver);
    return receiver;
  };
  /** An endpoint stored as the dashboard stores it (secret sealed); returns its plaintext secret to verify with. */
  const endpointFor = async (merchantId: string, url: string, eventTypes: string[] = [], includeSubAccounts = false) => {
    const id = randomUUID();
    const secret = `whsec_${randomBytes(16).toString("hex")}`;
    const [endpoint] = await dbf.database.db
      .insert(webhookEndpoints)
      .values({ id, merchantId, url, secret: sealEndpointSecret(keyring, id, secret), eventTypes, includeSubAccounts })
      .returning();
    return { ...endpoint!, secret };
  };
  /** A redelivery is refused while an earlier job of the same (event, endpoint) is unfinished. */
  const deliveryJobsFinished = () =>
    waitUntil(async () => {
      const result = await dbf.database.db.execute(sql`select count(*)::int as open from pgboss.job where name = 'webhook-delivery' and state in ('created', 'retry', 'active')`);
      return (result as unknown as { rows: { open: number }[] }).rows[0]!.open === 0;
    }, 10_000);
  const deliveries = (endpointId: string) => dbf.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId));

  it("signs every delivery (t + v1 over '<t>.<body>') and sends the event id; filters by event type", async () => {
    const receiver = await receiverFor();
    const filtered = await receiverFor();
    const merchant = await createMerchant(dbf.database);
    const endpoint = await endpointFor(merchant.id, receiver.url);
    await endpointFor(merchant.id, filtered.url, ["order.settled"]);
    const order = await createOrder(dbf.database, { merchant, token: USDC, amount: 1n, predict: fakePredict });

    await waitUntil(async () => receiver.requests.length === 1, 10_000);
    const [request] = receiver.requests;
    const header = String(request!.headers["coinpays-signature"]);
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(verifySignature({ secret: endpoint.secret, header, body: request!.body }));
    assert.ok(!verifySignature({ secret: endpoint.secret, header, body: request!.body.replace("order.created", "order.settled") }));
    assert.ok(!verifySignature({ secret: "whsec_wrong", header, body: request!.body }));
    const body = JSON.parse(request!.body) as { id: string; type: string; data: { orderId: string } };
    assert.equal(body.id, request!.eventId);
    assert.equal(body.type, "order.created");
    assert.equal(body.data.orderId, order.id);

    await waitUntil(async () => (await deliveries(endpoint.id)).length === 1, 5_000);
    const [delivery] = await deliveries(endpoint.id);
    assert.equal(delivery!.statusCode, 200);
    assert.equal(delivery!.succeeded, true);
    assert.ok(delivery!.durationMs !== null && delivery!.durationMs >= 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(filtered.requests.length, 0, "an endpoint filtered to order.settled hears nothing of order.created");
  });

  it("keeps retrying for at least 3 days by default, with delays that grow", () => {
    const schedule = retrySchedule(DEFAULT_RETRY_POLICY);
    assert.ok(minimumRetryWindowSeconds(DEFAULT_RETRY_POLICY) >= 3 * 24 * 3600, `${minimumRetryWindowSeconds(DEFAULT_RETRY_POLICY)} s`);
    for (let k = 1; k < schedule.length; k++) assert.ok(schedule[k]!.min >= schedule[k - 1]!.min);
    assert.equal(schedule[0]!.min, 60);
    assert.equal(schedule.at(-1)!.min, 6 * 3600);
  });

  it("retries 5xx with exponential backoff and gives up after the retry limit", async () => {
    const receiver = await receiverFor(() => 503);
    const merchant = await createMerchant(dbf.database);
    const endpoint = await endpointFor(merchant.id, receiver.url);
    await createOrder(dbf.database, { merchant, token: USDC, amount: 1n, predict: fakePredict });
    await waitUntil(async () => receiver.requests.length === 3, 20_000);
    const gaps = [receiver.requests[1]!.at - receiver.requests[0]!.at, receiver.requests[2]!.at - receiver.requests[1]!.at];
    const schedule = retrySchedule(SMALL_RETRY);
    gaps.forEach((gap, k) => assert.ok(gap >= schedule[k]!.min * 1000 - 100, `gap ${k}: ${gap} ms`));
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    assert.equal(receiver.requests.length, 3, "1 attempt + retryLimit retries, then it gives up");
    const rows = await deliveries(endpoint.id);
    assert.deepEqual(rows.map((row) => row.attempt).sort(), [1, 2, 3]);
    assert.ok(rows.every((row) => row.statusCode === 503 && !row.succeeded));
    assert.equal(new Set(receiver.requests.map((request) => request.eventId)).size, 1, "retries carry the same event id");
  });

  it("retries 429 and network errors, but not other 4xx", async () => {
    const throttled = await receiverFor((_, index) => (index === 0 ? 429 : 200));
    const rejecting = await receiverFor(() => 400);
    const merchant = await createMerchant(dbf.database);
    const throttledEndpoint = await endpointFor(merchant.id, throttled.url);
    const rejectingEndpoint = await endpointFor(merchant.id, rejecting.url);
    // Nothing listens on this port: connection refused is a network error, retried.
    const deadEndpoint = await endpointFor(merchant.id, "http://127.0.0.1:9/hooks");
    await createOrder(dbf.database, { merchant, token: USDC, amount: 1n, predict: fakePredict });
    await waitUntil(async () => throttled.requests.length === 2 && (await deliveries(deadEndpoint.id)).length >= 2, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.equal(rejecting.requests.length, 1);
    assert.deepEqual((await deliveries(throttledEndpoint.id)).map((row) => row.statusCode).sort(), [200, 429]);
    assert.deepEqual((await deliveries(rejectingEndpoint.id)).map((row) => row.statusCode), [400]);
    const dead = await deliveries(deadEndpoint.id);
    // The log names the class of failure, never the raw error text (which would say what answered where).
    assert.ok(dead.every((row) => row.statusCode === null && row.error === "connection_refused"), JSON.stringify(dead.map((row) => row.error)));
  });

  it("redelivers an event and sends a test event on request", async () => {
    const receiver = await receiverFor();
    const merchant = await createMerchant(dbf.database);
    const endpoint = await endpointFor(merchant.id, receiver.url);
    await createOrder(dbf.database, { merchant, token: USDC, amount: 1n, predict: fakePredict });
    await waitUntil(async () => receiver.requests.length === 1, 10_000);
    const eventId = receiver.requests[0]!.eventId;
    await deliveryJobsFinished();
    assert.deepEqual(await service.redeliver(eventId, endpoint.id), { queued: 1 });
    await waitUntil(async () => receiver.requests.length === 2, 10_000);
    assert.equal(receiver.requests[1]!.eventId, eventId);
    assert.equal(receiver.requests[1]!.headers["coinpays-delivery-attempt"], "2");

    const { eventId: testEventId } = await service.testSend(endpoint.id);
    await waitUntil(async () => receiver.requests.length === 3, 10_000);
    assert.equal(receiver.requests[2]!.eventId, testEventId);
    assert.equal(receiver.requests[2]!.headers["coinpays-event-type"], "webhook.test");
  });

  it("delivers a sub-account's events to the parent's endpoints that include sub-accounts, and only to those", async () => {
    const parentAll = await receiverFor();
    const parentOwn = await receiverFor();
    const grandparentAll = await receiverFor();
    const subOwn = await receiverFor();
    const sibling = await receiverFor();
    const grandparent = await createMerchant(dbf.database);
    const parent = await createMerchant(dbf.database, { parentId: grandparent.id });
    const sub = await createMerchant(dbf.database, { parentId: parent.id });
    const siblingAccount = await createMerchant(dbf.database, { parentId: parent.id });
    const including = await endpointFor(parent.id, parentAll.url, [], true);
    await endpointFor(parent.id, parentOwn.url);
    await endpointFor(grandparent.id, grandparentAll.url, ["order.*"], true);
    await endpointFor(sub.id, subOwn.url);
    await endpointFor(siblingAccount.id, sibling.url, [], true);

    const order = await createOrder(dbf.database, { merchant: sub, token: USDC, amount: 5n, predict: fakePredict });
    await waitUntil(async () => parentAll.requests.length === 1 && subOwn.requests.length === 1 && grandparentAll.requests.length === 1, 10_000);
    const bodies = [parentAll, subOwn, grandparentAll].map((receiver) => JSON.parse(receiver.requests[0]!.body) as { id: string; merchantId: string; data: { orderId: string } });
    // One event, one id everywhere: a receiver hearing it twice through two accounts can de-duplicate.
    assert.equal(new Set(bodies.map((body) => body.id)).size, 1);
    assert.ok(bodies.every((body) => body.merchantId === sub.id && body.data.orderId === order.id), "the payload names the sub-account");
    // The parent's endpoint without the option, and a sibling's, hear nothing of it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(parentOwn.requests.length, 0);
    assert.equal(sibling.requests.length, 0);

    // A redelivery of the sub-account's event reaches the including parent endpoint again, with the same id.
    await deliveryJobsFinished();
    assert.deepEqual(await service.redeliver(bodies[0]!.id), { queued: 3 });
    await waitUntil(async () => parentAll.requests.length === 2, 10_000);
    assert.equal(parentAll.requests[1]!.eventId, bodies[0]!.id);
    // The attempt is recorded after the receiver has answered: wait for the job, not only the request.
    await deliveryJobsFinished();
    assert.equal((await deliveries(including.id)).length, 2);
  });
});

describe("webhook crash recovery", { timeout: 120_000 }, () => {
  it("kills the delivering process mid-delivery; after a restart every event reaches the receiver", async () => {
    const dbf = await startDatabaseFixture("webhook_crash");
    let slow = true;
    const receiver = await startReceiver(async () => {
      if (slow) await new Promise((resolve) => setTimeout(resolve, 1_500));
      return 200;
    });
    let worker: ChildProcess | undefined;
    try {
      const merchant = await createMerchant(dbf.database);
      const [endpoint] = await dbf.database.db.insert(webhookEndpoints).values({ merchantId: merchant.id, url: receiver.url, secret: "whsec_crash" }).returning();
      const created = await Promise.all(Array.from({ length: 10 }, () => createOrder(dbf.database, { merchant, token: USDC, amount: 1n, predict: fakePredict })));

      worker = await startWorker(dbf.url);
      await waitUntil(async () => receiver.requests.length >= 2, 15_000);
      worker.kill("SIGKILL"); // mid-delivery: requests are in flight, jobs are active
      await new Promise((resolve) => worker!.once("exit", resolve));
      const inFlightAtCrash = receiver.requests.length;

      // Events committed while nothing runs: only the outbox knows about them.
      const later = await Promise.all(Array.from({ length: 5 }, () => createOrder(dbf.database, { merchant, token: USDC, amount: 1n, predict: fakePredict })));
      slow = false;
      worker = await startWorker(dbf.url);

      const expected = new Set<string>();
      const { webhookEvents } = await import("../../server/db/schema.ts");
      for (const event of await dbf.database.db.select().from(webhookEvents)) expected.add(event.id);
      assert.equal(expected.size, created.length + later.length);
      await waitUntil(async () => {
        const succeeded = await dbf.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.succeeded, true));
        return new Set(succeeded.map((row) => row.eventId)).size === expected.size;
      }, 40_000);

      const received = new Set(receiver.requests.map((request) => request.eventId));
      assert.deepEqual([...received].sort(), [...expected].sort(), "every event reached the receiver");
      for (const request of receiver.requests) {
        assert.ok(expected.has(request.eventId));
        assert.equal((JSON.parse(request.body) as { id: string }).id, request.eventId, "a duplicate is the same event id");
        assert.ok(verifySignature({ secret: endpoint!.secret, header: String(request.headers["coinpays-signature"]), body: request.body }));
      }
      assert.ok(inFlightAtCrash >= 2);
    } finally {
      if (worker && worker.exitCode === null) {
        worker.kill("SIGTERM");
        await new Promise((resolve) => worker!.once("exit", resolve));
      }
      await receiver.close();
      await dbf.close();
    }
  });
});

async function startWorker(databaseUrl: string): Promise<ChildProcess> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "webhook-worker.ts");
  const child = spawn(process.execPath, [script], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  if (process.env.WORKER_LOG_LEVEL) child.stdout!.on("data", (chunk) => process.stderr.write(chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => chunk.includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`webhook worker exited (${code}): ${stderr}`)));
  });
  return child;
}
