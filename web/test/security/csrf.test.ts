// Attack: a page on another site makes the signed-in merchant's browser send a write to CoinPays
// (a form post, a no-cors fetch, a top-level POST navigation): the session cookie rides along. Every
// state-changing route authenticated by the cookie must see the browser's proof that the request came
// from the site's own pages (Origin or Sec-Fetch-Site) and refuse anything else, writing nothing —
// including routes that read no body (logout, webhook test, redeliver).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, createMerchant, signIn, startGateway, type Gateway, type SignedIn } from "../gateway/support.ts";
import { counts, rawCall } from "./support.ts";

const EVIL = "https://evil.example";

describe("attack: cross-site writes with the merchant's session cookie", () => {
  let gateway: Gateway;
  let owner: SignedIn;
  let merchantId: string;
  let endpointId: string;

  before(async () => {
    gateway = await startGateway("csrf");
    owner = await signIn(gateway);
    merchantId = (await createMerchant(gateway, owner)).id;
    const endpoint = await call(gateway, "POST", `/api/merchants/${merchantId}/webhooks`, { cookie: owner.cookie, body: { url: "https://hooks.example.com/coinpays" } });
    assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
    endpointId = endpoint.body.id;
  });
  after(async () => gateway?.close());

  const writes = () => [
    { method: "PATCH", path: `/api/merchants/${merchantId}`, body: { payoutAddress: "0x000000000000000000000000000000000000dEaD" } },
    { method: "POST", path: `/api/merchants/${merchantId}/api-keys`, body: { name: "attacker" } },
    { method: "POST", path: `/api/merchants/${merchantId}/webhooks`, body: { url: "https://evil.example/hook" } },
    { method: "POST", path: `/api/merchants/${merchantId}/webhooks/${endpointId}/test` },
    { method: "DELETE", path: `/api/merchants/${merchantId}/webhooks/${endpointId}` },
    { method: "POST", path: "/api/auth/logout" },
  ];
  const tables = ["api_keys", "webhook_endpoints", "webhook_events", "sessions"] as const;

  async function assertRefusedEverywhere(headers: Record<string, string>, what: string) {
    const before = await counts(gateway, tables);
    const payout = await gateway.sql("select payout_address from merchants where id = $1", [merchantId]);
    for (const write of writes()) {
      const result = await call(gateway, write.method, write.path, { cookie: owner.cookie, body: write.body, headers });
      assert.equal(result.status, 403, `${what}: ${write.method} ${write.path} → ${result.status} ${JSON.stringify(result.body)}`);
      assert.equal(result.body.error.code, "cross_site_request");
    }
    assert.deepEqual(await counts(gateway, tables), before, `${what}: nothing written`);
    assert.deepEqual(await gateway.sql("select payout_address from merchants where id = $1", [merchantId]), payout);
    assert.equal((await gateway.sql("select count(*)::int as n from sessions where revoked_at is not null"))[0]!.n, 0, "the session was not logged out");
  }

  it("refuses writes whose Origin is another site", async () => {
    await assertRefusedEverywhere({ origin: EVIL, "sec-fetch-site": "cross-site" }, "Origin evil.example");
  });

  it("refuses writes that show no same-origin proof at all (no Origin, no Sec-Fetch-Site)", async () => {
    // call() adds the site's Origin for cookie requests, as a browser on the site would; drop it.
    await assertRefusedEverywhere({ origin: "" }, "no Origin");
  });

  it("refuses Sec-Fetch-Site: same-site (a sibling subdomain is another origin)", async () => {
    await assertRefusedEverywhere({ origin: "", "sec-fetch-site": "same-site" }, "same-site");
  });

  it("refuses a cookie-authenticated body without Content-Type, even from the site itself", async () => {
    const before = await gateway.count("api_keys");
    // Raw HTTP: fetch() would label a string body text/plain by itself.
    const result = await rawCall(gateway.url, "POST", `/api/merchants/${merchantId}/api-keys`, { body: JSON.stringify({ name: "form" }), headers: { cookie: owner.cookie, origin: gateway.url } });
    assert.equal(result.status, 415, JSON.stringify(result.body));
    assert.equal(await gateway.count("api_keys"), before);
  });

  it("accepts the site's own pages: Origin of the configured site, or Sec-Fetch-Site: same-origin", async () => {
    const viaOrigin = await call(gateway, "POST", `/api/merchants/${merchantId}/api-keys`, { cookie: owner.cookie, body: { name: "own page" } });
    assert.equal(viaOrigin.status, 201, JSON.stringify(viaOrigin.body));
    const viaFetchMetadata = await call(gateway, "POST", `/api/merchants/${merchantId}/webhooks/${endpointId}/test`, { cookie: owner.cookie, headers: { origin: "", "sec-fetch-site": "same-origin" } });
    assert.notEqual(viaFetchMetadata.status, 403, JSON.stringify(viaFetchMetadata.body));
  });

  it("API keys are not ambient credentials: a key-authenticated write from any origin is the key holder's own", async () => {
    const key = await call(gateway, "POST", `/api/merchants/${merchantId}/api-keys`, { cookie: owner.cookie, body: { name: "backend" } });
    const order = await call(gateway, "POST", "/api/v1/orders", { apiKey: key.body.secret, body: { amount: "1", token: "USDC", chainId: 31337 }, headers: { origin: "" } });
    assert.equal(order.status, 201, JSON.stringify(order.body));
  });

  it("a signed-in read (GET) needs no Origin: it changes nothing and its answer is not readable cross-site", async () => {
    assert.equal((await call(gateway, "GET", `/api/merchants/${merchantId}`, { cookie: owner.cookie, headers: { origin: "" } })).status, 200);
  });
});
