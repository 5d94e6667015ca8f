// Attack: whoever reads the database (a dump, a backup, a read-only SQL hole) takes the webhook
// signing secrets and forges webhooks that every merchant's receiver accepts ("order.settled").
// Against the production build and real PostgreSQL: the stored secret is sealed with the server
// keyring and bound to its endpoint, deliveries still verify with the secret shown at creation,
// and a row left in plaintext by an older server is sealed at the next start-up (idempotently,
// also when several processes do it at once).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import { webhookEndpoints } from "../../server/db/schema.ts";
import { openEndpointSecret, resealEndpointSecrets, sealEndpointSecret } from "../../server/gateway/webhooks/secrets.ts";
import { verifySignature } from "../../server/gateway/webhooks/signature.ts";
import { decryptSecret, parseKeyring } from "../../server/secrets/keyring.ts";
import { createMerchant as insertMerchant, silentLogger, startDatabaseFixture } from "../gateway/support/fixtures.ts";
import { startWebhookGateway, type RestartableGateway } from "../gateway/support/webhook-server.ts";
import { startReceiver, type Receiver } from "../gateway/support/webhook-receiver.ts";
import { call, createMerchant, signIn, type SignedIn } from "../gateway/support.ts";
import { TEST_ENCRYPTION_KEYS } from "../support/server-process.ts";

const keyring = parseKeyring(TEST_ENCRYPTION_KEYS);
const SEALED = /^test\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

describe("a database read does not reveal webhook signing secrets", { timeout: 180_000 }, () => {
  let gateway: RestartableGateway;
  let receiver: Receiver;
  let owner: SignedIn;
  let merchant: { id: string };

  before(async () => {
    // The default test environment names "local-webhooks": the receiver is on 127.0.0.1.
    [gateway, receiver] = await Promise.all([startWebhookGateway("webhook_secrets"), startReceiver()]);
    owner = await signIn(gateway);
    merchant = await createMerchant(gateway, owner);
  });
  after(async () => {
    await Promise.all([gateway?.close(), receiver?.close()]);
  });

  const testSendVerifies = async (endpointId: string, secret: string) => {
    const sent = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks/${endpointId}/test`, { cookie: owner.cookie });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const deadline = Date.now() + 15_000;
    while (!receiver.requests.some((request) => request.eventId === sent.body.eventId)) {
      if (Date.now() > deadline) throw new Error("test event not delivered");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const request = receiver.requests.find((r) => r.eventId === sent.body.eventId)!;
    assert.ok(verifySignature({ secret, header: String(request.headers["coinpays-signature"]), body: request.body }), "signed with the secret the merchant holds");
  };

  it("stores the secret sealed with the keyring, bound to its endpoint; deliveries verify with the secret shown once", async () => {
    const created = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks`, { cookie: owner.cookie, body: { url: receiver.url } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const secret = created.body.secret as string;
    const [row] = await gateway.sql<{ secret: string }>("select secret from webhook_endpoints where id = $1", [created.body.id]);
    assert.notEqual(row!.secret, secret);
    assert.ok(!row!.secret.includes(secret.slice(6)), "no part of the secret is stored in clear");
    assert.match(row!.secret, SEALED);
    assert.equal(decryptSecret(keyring, row!.secret, `webhook_endpoint:${created.body.id}`), secret);
    // The sealed value opens only for its own endpoint: copied onto another row it is useless.
    assert.throws(() => decryptSecret(keyring, row!.secret, `webhook_endpoint:${randomUUID()}`));

    const listed = await call(gateway, "GET", `/api/merchants/${merchant.id}/webhooks`, { cookie: owner.cookie });
    assert.equal(listed.body.data[0].secretPrefix, secret.slice(0, 10));
    await testSendVerifies(created.body.id, secret);
  });

  it("seals a plaintext secret left by an older server at start-up, and it still signs", async () => {
    const id = randomUUID();
    const legacy = "whsec_legacyPlaintextSecretFromBeforeSealing1";
    await gateway.sql("insert into webhook_endpoints (id, merchant_id, url, secret) values ($1, $2, $3, $4)", [id, merchant.id, receiver.url, legacy]);
    await gateway.restart();
    const [row] = await gateway.sql<{ secret: string }>("select secret from webhook_endpoints where id = $1", [id]);
    assert.match(row!.secret, SEALED);
    assert.equal(decryptSecret(keyring, row!.secret, `webhook_endpoint:${id}`), legacy);
    const listed = await call(gateway, "GET", `/api/merchants/${merchant.id}/webhooks`, { cookie: owner.cookie });
    assert.equal(listed.body.data.find((endpoint: { id: string }) => endpoint.id === id).secretPrefix, legacy.slice(0, 10));
    await testSendVerifies(id, legacy);
    // A second start-up leaves sealed rows as they are.
    await gateway.restart();
    const [again] = await gateway.sql<{ secret: string }>("select secret from webhook_endpoints where id = $1", [id]);
    assert.equal(again!.secret, row!.secret);
  });
});

describe("re-sealing at start-up", { timeout: 60_000 }, () => {
  it("is safe when several processes do it at once, and re-seals secrets of a rotated-out key", async () => {
    const dbf = await startDatabaseFixture("webhook_reseal");
    try {
      const merchant = await insertMerchant(dbf.database);
      const ids: string[] = Array.from({ length: 20 }, () => randomUUID());
      await dbf.database.db.insert(webhookEndpoints).values(ids.map((id, i) => ({ id, merchantId: merchant.id, url: "https://93.184.216.34/", secret: `whsec_plain${i}` })));
      // Five "processes" at once: every row ends sealed exactly once, opening to its own secret.
      const results = await Promise.all(Array.from({ length: 5 }, () => resealEndpointSecrets(dbf.database.db, keyring, silentLogger)));
      assert.equal(results.reduce((total, result) => total + result.sealed, 0), ids.length);
      const rows = await dbf.database.db.select().from(webhookEndpoints);
      for (const row of rows) {
        assert.match(row.secret, SEALED);
        assert.equal(openEndpointSecret(keyring, row.id, row.secret), `whsec_plain${ids.indexOf(row.id)}`);
      }
      assert.deepEqual(await resealEndpointSecrets(dbf.database.db, keyring, silentLogger), { sealed: 0, unreadable: 0 });

      // Rotation: a new current key first, the old one still listed; start-up moves every row to the new key.
      const rotated = parseKeyring(`next:${Buffer.alloc(32, 9).toString("base64")},${TEST_ENCRYPTION_KEYS}`);
      assert.equal((await resealEndpointSecrets(dbf.database.db, rotated, silentLogger)).sealed, ids.length);
      const [first] = await dbf.database.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, ids[0]!));
      assert.ok(first!.secret.startsWith("next."));
      assert.equal(openEndpointSecret(rotated, ids[0]!, first!.secret), "whsec_plain0");
      // A value sealed under a key that is gone is counted, left alone, and does not stop start-up.
      await dbf.database.db.update(webhookEndpoints).set({ secret: sealEndpointSecret(parseKeyring(`gone:${Buffer.alloc(32, 1).toString("base64")}`), ids[1]!, "whsec_x") }).where(eq(webhookEndpoints.id, ids[1]!));
      assert.deepEqual(await resealEndpointSecrets(dbf.database.db, rotated, silentLogger), { sealed: 0, unreadable: 1 });
    } finally {
      await dbf.close();
    }
  });
});
