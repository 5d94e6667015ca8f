// Webhook endpoints as the dashboard uses them, over real HTTP against the production server:
// the secret is shown once, roles are enforced, test-send reaches a real receiver signed with that
// secret, and an order's events list every delivery attempt with its HTTP status.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { verifySignature } from "../../server/gateway/webhooks/signature.ts";
import { call, createApiKey, createMerchant, signIn, startGateway, type Gateway, type SignedIn } from "./support.ts";
import { startReceiver, type Receiver } from "./support/webhook-receiver.ts";

describe("webhook endpoints API", { timeout: 120_000 }, () => {
  let gateway: Gateway;
  let receiver: Receiver;
  let owner: SignedIn;
  let merchant: { id: string };

  before(async () => {
    [gateway, receiver] = await Promise.all([startGateway("webhook_endpoints"), startReceiver()]);
    owner = await signIn(gateway);
    merchant = await createMerchant(gateway, owner);
  });
  after(async () => {
    await Promise.all([gateway?.close(), receiver?.close()]);
  });

  const waitFor = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it("creates an endpoint, shows its secret once, and test-sends a signed event to it", async () => {
    const created = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks`, { cookie: owner.cookie, body: { url: receiver.url, eventTypes: ["order.*"] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.secret, /^whsec_[0-9A-Za-z]{43}$/);

    const listed = await call(gateway, "GET", `/api/merchants/${merchant.id}/webhooks`, { cookie: owner.cookie });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data.length, 1);
    assert.equal(listed.body.data[0].secret, undefined, "the secret is never listed");
    assert.equal(listed.body.data[0].secretPrefix, created.body.secret.slice(0, 10));

    const test = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks/${created.body.id}/test`, { cookie: owner.cookie });
    assert.equal(test.status, 202, JSON.stringify(test.body));
    const request = await waitFor("the test event", async () => receiver.requests.find((r) => r.eventId === test.body.eventId));
    assert.ok(verifySignature({ secret: created.body.secret, header: String(request.headers["coinpays-signature"]), body: request.body }));
    assert.equal(JSON.parse(request.body).type, "webhook.test");
    // The endpoint's log in the dashboard shows the test delivery with its status.
    const log = await waitFor("the logged test delivery", async () => {
      const result = await call(gateway, "GET", `/api/merchants/${merchant.id}/webhooks/${created.body.id}/deliveries`, { cookie: owner.cookie });
      return result.body.data?.find((attempt: { eventId: string }) => attempt.eventId === test.body.eventId);
    });
    assert.equal(log.type, "webhook.test");
    assert.equal(log.statusCode, 200);
    assert.equal(log.succeeded, true);
    assert.equal((await call(gateway, "GET", `/api/merchants/${merchant.id}/webhooks/${crypto.randomUUID()}/deliveries`, { cookie: owner.cookie })).status, 404);
  });

  it("redelivers an order's event and lists every attempt with its HTTP status", async () => {
    const key = await createApiKey(gateway, owner, merchant.id);
    const order = await call(gateway, "POST", "/api/v1/orders", { apiKey: key.secret, body: { amount: "5", token: "USDC", chainId: 31337 } });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    const orderId = order.body.id as string;
    // order.created is delivered by the outbox relay on its own.
    await waitFor("order.created delivered", async () => receiver.requests.find((r) => JSON.parse(r.body).data?.orderId === orderId));
    const log = await waitFor("a logged attempt", async () => {
      const result = await call(gateway, "GET", `/api/merchants/${merchant.id}/orders/${orderId}/deliveries`, { cookie: owner.cookie });
      return result.body.data?.[0]?.deliveries.length ? result.body.data : undefined;
    });
    assert.equal(log[0].type, "order.created");
    assert.equal(log[0].deliveries[0].statusCode, 200);

    const again = await call(gateway, "POST", `/api/merchants/${merchant.id}/events/${log[0].eventId}/redeliver`, { cookie: owner.cookie });
    assert.equal(again.status, 202);
    assert.equal(again.body.queued, 1);
    await waitFor("the redelivery", async () => (receiver.requests.filter((r) => r.eventId === log[0].eventId).length === 2 ? true : undefined));
  });

  it("an endpoint that includes sub-accounts hears their orders until the option is switched off", async () => {
    const parentReceiver = await startReceiver();
    try {
      const parent = await createMerchant(gateway, owner, "Parent");
      const sub = (await call(gateway, "POST", `/api/merchants/${parent.id}/sub-accounts`, { cookie: owner.cookie, body: { name: "Branch" } })).body;
      const endpoint = await call(gateway, "POST", `/api/merchants/${parent.id}/webhooks`, { cookie: owner.cookie, body: { url: parentReceiver.url, includeSubAccounts: true } });
      assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
      assert.equal(endpoint.body.includeSubAccounts, true);
      const subKey = await createApiKey(gateway, owner, sub.id);
      const first = await call(gateway, "POST", "/api/v1/orders", { apiKey: subKey.secret, body: { amount: "1", token: "USDC", chainId: 31337 } });
      const heard = await waitFor("the sub-account's order.created at the parent", async () => parentReceiver.requests.find((r) => JSON.parse(r.body).data?.orderId === first.body.id));
      assert.equal(JSON.parse(heard.body).merchantId, sub.id);

      const off = await call(gateway, "PATCH", `/api/merchants/${parent.id}/webhooks/${endpoint.body.id}`, { cookie: owner.cookie, body: { includeSubAccounts: false } });
      assert.equal(off.body.includeSubAccounts, false);
      const second = await call(gateway, "POST", "/api/v1/orders", { apiKey: subKey.secret, body: { amount: "1", token: "USDC", chainId: 31337 } });
      const parentKey = await createApiKey(gateway, owner, parent.id);
      const own = await call(gateway, "POST", "/api/v1/orders", { apiKey: parentKey.secret, body: { amount: "1", token: "USDC", chainId: 31337 } });
      // The parent's own order arrives after the sub-account's second one was relayed: by then it would have been delivered.
      await waitFor("the parent's own order.created", async () => parentReceiver.requests.find((r) => JSON.parse(r.body).data?.orderId === own.body.id));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(!parentReceiver.requests.some((r) => JSON.parse(r.body).data?.orderId === second.body.id));
    } finally {
      await parentReceiver.close();
    }
  });

  it("refuses viewers, strangers and bad input without changing anything", async () => {
    const stranger = await signIn(gateway);
    const before = await gateway.count("webhook_endpoints");
    const foreign = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks`, { cookie: stranger.cookie, body: { url: receiver.url } });
    assert.equal(foreign.status, 404);
    const viewerAccount = privateKeyToAccount(generatePrivateKey());
    const viewer = await signIn(gateway, viewerAccount);
    const added = await call(gateway, "POST", `/api/merchants/${merchant.id}/members`, { cookie: owner.cookie, body: { address: viewerAccount.address, role: "viewer" } });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal((await call(gateway, "GET", `/api/merchants/${merchant.id}/webhooks`, { cookie: viewer.cookie })).status, 200);
    assert.equal((await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks`, { cookie: viewer.cookie, body: { url: receiver.url } })).status, 403);
    for (const body of [{ url: "ftp://example.com" }, { url: "not a url" }, { url: receiver.url, eventTypes: ["Bad Type"] }, { url: receiver.url, extra: 1 }]) {
      const result = await call(gateway, "POST", `/api/merchants/${merchant.id}/webhooks`, { cookie: owner.cookie, body });
      assert.equal(result.status, 400, JSON.stringify(body));
      assert.equal(typeof result.body.error.code, "string");
    }
    assert.equal((await call(gateway, "DELETE", `/api/merchants/${merchant.id}/webhooks/not-a-uuid`, { cookie: owner.cookie })).status, 404);
    assert.equal(await gateway.count("webhook_endpoints"), before);
  });
});
