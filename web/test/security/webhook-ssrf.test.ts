// Attack: a merchant turns webhooks into a server-side request forgery. The receiver URL is theirs to
// choose and the server makes the request, so without a filter they reach the database port, the
// cloud metadata service or anything else on the server's network, and read what answered from the
// delivery log. Against the production build WITHOUT "local-webhooks" (as a real deployment runs):
// such receivers are refused when registered and again at every delivery attempt, and the log holds
// a coarse error class only. DNS rebinding (a name that resolves somewhere public when checked and
// to 127.0.0.1 when connected to) is shown at the service level with a resolver the test controls.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { eq, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { webhookDeliveries, webhookEndpoints } from "../../server/db/schema.ts";
import { DELIVERY_ERROR_CLASSES, createWebhookService, type WebhookService } from "../../server/gateway/webhooks/delivery.ts";
import { sealEndpointSecret } from "../../server/gateway/webhooks/secrets.ts";
import { checkTarget, targetPolicy, type ResolvedAddress, type TargetPolicy } from "../../server/gateway/webhooks/targets.ts";
import { startJobQueue } from "../../server/jobs.ts";
import { parseKeyring } from "../../server/secrets/keyring.ts";
import { createMerchant as insertMerchant, silentLogger, startDatabaseFixture, waitUntil, type DatabaseFixture } from "../gateway/support/fixtures.ts";
import { startConnectionCounter, startWebhookGateway, WITHOUT_LOCAL_WEBHOOKS, type RestartableGateway } from "../gateway/support/webhook-server.ts";
import { startReceiver } from "../gateway/support/webhook-receiver.ts";
import { call, createMerchant, signIn, type SignedIn } from "../gateway/support.ts";
import { TEST_ENCRYPTION_KEYS } from "../support/server-process.ts";

const keyring = parseKeyring(TEST_ENCRYPTION_KEYS);

describe("webhook receivers on the server's own network are refused in production", { timeout: 180_000 }, () => {
  let gateway: RestartableGateway;
  let owner: SignedIn;
  let merchant: { id: string };
  let counter: Awaited<ReturnType<typeof startConnectionCounter>>;

  before(async () => {
    [gateway, counter] = await Promise.all([startWebhookGateway("webhook_ssrf", WITHOUT_LOCAL_WEBHOOKS), startConnectionCounter()]);
    owner = await signIn(gateway);
    merchant = await createMerchant(gateway, owner);
  });
  after(async () => {
    await Promise.all([gateway?.close(), counter?.close()]);
  });

  /** A row as if it had passed the check when created (the name resolved elsewhere then): what delivery must still refuse. */
  const storedEndpoint = async (url: string) => {
    const id = randomUUID();
    await gateway.sql("insert into webhook_endpoints (id, merchant_id, url, secret) values ($1, $2, $3, $4)", [id, merchant.id, url, sealEndpointSecret(keyring, id, `whsec_${randomBytes(16).toString("hex")}`)]);
    return id;
  };
  const logOf = async (endpointId: string, eventId: string) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const result = await call(gateway, "GET", `/api/merchants/${merchant.id}/webhooks/${endpointId}/deliveries`, { cookie: owner.cookie });
      const entry = result.body.data?.find((attempt: { eventId: string }) => attempt.eventId === eventId);
      if (entry) return entry as { statusCode: number | null; succeeded: boolean; error: string | null };
      if (Date.now() > deadline) throw new Error("no logged attempt");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it("refuses to register loopback, metadata, IPv6 loopback, localhost and plain-http receivers, with a code and nothing stored", async () => {
    const before = await gateway.count("webhook_endpoints");
    const refused: [url: string, code: string][] = [
      ["http://127.0.0.1:5432", "webhook_url_insecure"],
      ["https://127.0.0.1:5432/", "webhook_url_not_public"],
      ["https://169.254.169.254/latest/meta-data/", "webhook_url_not_public"],
      ["https://[::1]/", "webhook_url_not_public"],
      ["https://[::ffff:127.0.0.1]/", "webhook_url_not_public"],
      ["https://localhost/", "webhook_url_not_public"],
      ["https://127.1:5432/", "webhook_url_not_public"],
      ["https://10.0.0.5/", "webhook_url_not_public"],
      ["https://100.64.0.1/", "webhook_url_not_public"],
      ["http://example.com/hooks", "webhook_url_insecure"],
    ];
    for (const [url, code] of refused) {
      const result = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks`, { cookie: owner.cookie, body: { url } });
      assert.equal(result.status, 422, `${url}: ${JSON.stringify(result.body)}`);
      assert.equal(result.body.error.code, code, url);
    }
    assert.equal(await gateway.count("webhook_endpoints"), before);
    assert.equal(counter.connections(), 0);
  });

  it("refuses to change a public receiver into an internal one", async () => {
    // An IP literal: no DNS is needed offline to show a public receiver is accepted.
    const created = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks`, { cookie: owner.cookie, body: { url: "https://93.184.216.34/hooks" } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const changed = await call(gateway, "PATCH", `/api/merchants/${merchant.id}/webhooks/${created.body.id}`, { cookie: owner.cookie, body: { url: `https://localhost:${counter.port}/` } });
    assert.equal(changed.status, 422, JSON.stringify(changed.body));
    assert.equal(changed.body.error.code, "webhook_url_not_public");
    const [row] = await gateway.sql<{ url: string }>("select url from webhook_endpoints where id = $1", [created.body.id]);
    assert.equal(row!.url, "https://93.184.216.34/hooks");
  });

  it("a stored receiver that resolves to loopback is refused at delivery without a connection, and the log says only blocked_address", async () => {
    for (const url of [`https://localhost:${counter.port}/hooks`, `https://127.0.0.1:${counter.port}/hooks`, `https://[::ffff:127.0.0.1]:${counter.port}/hooks`]) {
      const endpointId = await storedEndpoint(url);
      const sent = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks/${endpointId}/test`, { cookie: owner.cookie });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      const log = await logOf(endpointId, sent.body.eventId);
      assert.deepEqual({ statusCode: log.statusCode, succeeded: log.succeeded, error: log.error }, { statusCode: null, succeeded: false, error: "blocked_address" }, url);
    }
    assert.equal(counter.connections(), 0, "the server never connected to the internal port");
  });

  it("a stored plain-http receiver is refused at delivery too", async () => {
    const receiver = await startReceiver();
    try {
      const endpointId = await storedEndpoint(receiver.url);
      const sent = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks/${endpointId}/test`, { cookie: owner.cookie });
      const log = await logOf(endpointId, sent.body.eventId);
      assert.equal(log.error, "insecure_url");
      assert.equal(receiver.requests.length, 0);
    } finally {
      await receiver.close();
    }
  });

  it("the delivery log holds error classes only, never an error text", async () => {
    const rows = await gateway.sql<{ error: string | null }>("select error from webhook_deliveries");
    assert.ok(rows.length >= 4);
    for (const row of rows) assert.ok(row.error === null || (DELIVERY_ERROR_CLASSES as readonly string[]).includes(row.error), `stored error ${JSON.stringify(row.error)}`);

    // A row logged by an older server with the raw error text is shown as a class as well.
    const [logged] = await gateway.sql<{ event_id: string; endpoint_id: string }>("select event_id, endpoint_id from webhook_deliveries limit 1");
    await gateway.sql("update webhook_deliveries set error = $1 where event_id = $2", ["connect ECONNREFUSED 10.0.0.5:5432", logged!.event_id]);
    const shown = await logOf(logged!.endpoint_id, logged!.event_id);
    assert.equal(shown.error, "connection_error");
  });
});

describe("DNS rebinding does not reach the server's network", { timeout: 120_000 }, () => {
  let dbf: DatabaseFixture;
  let boss: PgBoss;
  const services: WebhookService[] = [];

  before(async () => {
    dbf = await startDatabaseFixture("webhook_rebinding");
    boss = await startJobQueue(dbf.database, { kind: "postgres", url: dbf.url }, silentLogger, { superviseIntervalSeconds: 1 });
  });
  after(async () => {
    for (const service of services) await service.stop();
    await boss?.stop({ graceful: false });
    await dbf?.close();
  });

  /** A resolver whose answers the test changes between the check and the attempt, as a rebinding DNS server would. */
  const rebindingResolver = () => {
    const state = { answer: "93.184.216.34", asked: [] as string[] };
    const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
      state.asked.push(hostname);
      return [{ address: state.answer, family: 4 }];
    };
    return { state, resolve };
  };
  const startService = async (targets: TargetPolicy) => {
    const service = createWebhookService({ db: dbf.database.db, boss, logger: silentLogger, keyring, targets, retry: { retryLimit: 0, retryDelaySeconds: 1, retryDelayMaxSeconds: 1 }, relayIntervalMs: 50, pollingIntervalSeconds: 0.5 });
    await service.start();
    services.push(service);
    return service;
  };
  const endpoint = async (url: string) => {
    const merchant = await insertMerchant(dbf.database);
    const id = randomUUID();
    await dbf.database.db.insert(webhookEndpoints).values({ id, merchantId: merchant.id, url, secret: sealEndpointSecret(keyring, id, "whsec_rebinding") });
    return id;
  };

  it("a name that was public when registered and resolves to 127.0.0.1 at the attempt is refused before connecting", async () => {
    const counter = await startConnectionCounter();
    const { state, resolve } = rebindingResolver();
    const policy = targetPolicy(new Set(), resolve);
    try {
      const url = `https://rebind.attacker.example:${counter.port}/hooks`;
      assert.equal(await checkTarget(url, policy), undefined, "public when the endpoint is registered");
      const endpointId = await endpoint(url);
      state.answer = "127.0.0.1"; // the attacker's DNS now answers loopback, where the counter listens
      const service = await startService(policy);
      await service.testSend(endpointId);
      await waitUntil(async () => (await dbf.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId))).length > 0, 10_000);
      const [attempt] = await dbf.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId));
      assert.equal(attempt!.error, "blocked_address");
      assert.equal(attempt!.statusCode, null);
      assert.equal(counter.connections(), 0);
      assert.deepEqual(state.asked, ["rebind.attacker.example", "rebind.attacker.example"], "checked at registration and by the attempt itself");
    } finally {
      await Promise.all(services.splice(0).map((service) => service.stop()));
      await counter.close();
    }
  });

  it("the attempt connects to the address its own lookup returned (no second resolution)", async () => {
    // Local receivers allowed, so the connection goes ahead: it can only reach the receiver through the
    // test's resolver, since no real DNS knows this name.
    const receiver = await startReceiver();
    const { state, resolve } = rebindingResolver();
    state.answer = "127.0.0.1";
    try {
      const endpointId = await endpoint(receiver.url.replace("127.0.0.1", "pinned.attacker.example"));
      const service = await startService({ ...targetPolicy(new Set(["local-webhooks"]), resolve) });
      await service.testSend(endpointId);
      await waitUntil(async () => receiver.requests.length === 1, 10_000);
      assert.deepEqual(state.asked, ["pinned.attacker.example"]);
      await waitUntil(async () => {
        const result = await dbf.database.db.execute(sql`select count(*)::int as n from webhook_deliveries where endpoint_id = ${endpointId} and status_code = 200`);
        return (result as unknown as { rows: { n: number }[] }).rows[0]!.n === 1;
      }, 10_000);
    } finally {
      await Promise.all(services.splice(0).map((service) => service.stop()));
      await receiver.close();
    }
  });
});
