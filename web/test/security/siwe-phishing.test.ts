// Attack: a phishing page on evil.example asks the victim's wallet to sign a Sign-In with Ethereum
// message for evil.example (the wallet's own domain check passes: the page really is evil.example),
// then replays it to CoinPays with `Host: evil.example`. The server must take its domain from its
// configuration, never from the request, so the message signs nobody in; links are built from the
// configured origin too, whatever Host or X-Forwarded-* a request claims.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { call, CHAIN_ID, createApiKey, createMerchant, signIn, siweMessage, startGateway, type Gateway } from "../gateway/support.ts";
import { rawCall } from "./support.ts";

describe("attack: SIWE messages signed for another site", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway("siwe-phishing");
  });
  after(async () => gateway?.close());

  async function tryMessage(overrides: Parameters<typeof siweMessage>[3], headers: Record<string, string> = {}) {
    const account = privateKeyToAccount(generatePrivateKey());
    const { body: nonce } = await call(gateway, "GET", "/api/auth/nonce");
    const message = siweMessage(gateway, account, nonce.nonce, overrides);
    const signature = await account.signMessage({ message });
    return rawCall(gateway.url, "POST", "/api/auth/verify", { body: { message, signature }, headers: { "content-type": "application/json", ...headers } });
  }

  it("a message for evil.example posted with Host: evil.example signs nobody in", async () => {
    const sessionsBefore = await gateway.count("sessions");
    const result = await tryMessage({ domain: "evil.example", uri: "https://evil.example/login" }, { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" });
    assert.equal(result.status, 401, JSON.stringify(result.body));
    assert.equal(result.body.error.code, "siwe_domain_mismatch");
    assert.equal(result.headers.get("set-cookie"), null);
    assert.equal(await gateway.count("sessions"), sessionsBefore, "no session row");
  });

  it("the right domain with a URI on another origin is refused", async () => {
    const result = await tryMessage({ uri: "https://evil.example/" });
    assert.equal(result.status, 401);
    assert.equal(result.body.error.code, "siwe_domain_mismatch");
  });

  it("the site's domain with another scheme or port in the URI is refused", async () => {
    const url = new URL(gateway.url);
    assert.equal((await tryMessage({ uri: `https://${url.host}/` })).status, 401);
    assert.equal((await tryMessage({ domain: `${url.hostname}:1`, uri: `http://${url.hostname}:1/` })).status, 401);
  });

  it("a message for another chain is refused", async () => {
    const result = await tryMessage({ chainId: CHAIN_ID + 1 });
    assert.equal(result.status, 401);
    assert.equal(result.body.error.code, "siwe_chain_mismatch");
  });

  it("the site's own message signs in (the configured origin, not the Host header, decides)", async () => {
    assert.equal((await tryMessage({}, { host: "evil.example" })).status, 200);
  });

  it("checkout, QR and claim links use the configured origin whatever Host or X-Forwarded-* say", async () => {
    const owner = await signIn(gateway);
    const merchant = await createMerchant(gateway, owner);
    const key = await createApiKey(gateway, owner, merchant.id);
    const forged = { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" };
    const order = await rawCall(gateway.url, "POST", "/api/v1/orders", { body: { amount: "1", token: "USDC", chainId: CHAIN_ID }, headers: { ...forged, authorization: `Bearer ${key.secret}`, "content-type": "application/json" } });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    for (const link of [order.body.checkoutUrl, order.body.qrSvgUrl, order.body.qrPngUrl]) assert.ok(link.startsWith(`${gateway.url}/`), link);
    const openapi = await rawCall(gateway.url, "GET", "/api/v1/openapi.json", { headers: forged });
    assert.deepEqual(openapi.body.servers, [{ url: gateway.url }]);
  });
});
