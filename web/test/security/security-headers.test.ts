// Attack: framing the checkout, the sign-in or the dashboard inside another site's page to trick
// the payer or the merchant into clicking (clickjacking a wallet prompt). Every page and API answer
// refuses to be framed and refuses content-type sniffing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, CHAIN_ID, createApiKey, createMerchant, signIn, startGateway, type Gateway } from "../gateway/support.ts";

describe("attack: framing the wallet-signing pages", () => {
  let gateway: Gateway;
  let orderId: string;
  before(async () => {
    gateway = await startGateway("headers");
    const owner = await signIn(gateway);
    const merchant = await createMerchant(gateway, owner);
    const key = await createApiKey(gateway, owner, merchant.id);
    orderId = (await call(gateway, "POST", "/api/v1/orders", { apiKey: key.secret, body: { amount: "1", token: "USDC", chainId: CHAIN_ID } })).body.id;
  });
  after(async () => gateway?.close());

  for (const path of ["/", "/dashboard", "/pos", "/p2p", "/api/v1/openapi.json", "/api/auth/nonce", "/api/health"]) {
    it(`${path} may not be framed`, async () => {
      const response = await fetch(`${gateway.url}${path}`);
      assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
      assert.equal(response.headers.get("x-frame-options"), "DENY");
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    });
  }

  it("the checkout page of an order may not be framed", async () => {
    const response = await fetch(`${gateway.url}/pay/${orderId}`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  });
});
