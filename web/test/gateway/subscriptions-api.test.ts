// The subscriptions routes over real HTTP against the production server: the dashboard list is scoped to
// the signed-in user's accounts, and the signed sign-up relay rejects malformed input with a 400 before
// touching the chain. (Charging, the list's contents and the relay's chain checks: subscriptions.test.ts
// and the e2e test.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, createMerchant, signIn, startGateway, type Gateway } from "./support.ts";

describe("subscriptions API", { timeout: 120_000 }, () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway("subscriptions_api");
  });
  after(async () => {
    await gateway?.close();
  });

  it("lists an account's subscriptions to members only", async () => {
    const owner = await signIn(gateway);
    const stranger = await signIn(gateway);
    const merchant = await createMerchant(gateway, owner);
    const path = `/api/merchants/${merchant.id}/subscriptions`;

    const own = await call(gateway, "GET", path, { cookie: owner.cookie });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body, { data: [] });
    assert.equal((await call(gateway, "GET", path)).status, 401);
    const foreign = await call(gateway, "GET", path, { cookie: stranger.cookie });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, "not_found");
  });

  it("refuses malformed signed terms with field details, and documents the route", async () => {
    const terms = { subscriber: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", planId: "1", maxAmount: "9990000", period: 86_400, start: 1_700_000_000, nonce: "0", deadline: "1800000000" };
    const cases: [unknown, string][] = [
      [{ terms: { ...terms, subscriber: "0x123" }, signature: `0x${"11".repeat(65)}` }, "terms.subscriber"],
      [{ terms: { ...terms, maxAmount: "-1" }, signature: `0x${"11".repeat(65)}` }, "terms.maxAmount"],
      [{ terms: { ...terms, start: 2 ** 40 }, signature: `0x${"11".repeat(65)}` }, "terms.start"],
      [{ terms, signature: "0x1234" }, "signature"],
      [{ terms: { ...terms, extra: 1 }, signature: `0x${"11".repeat(65)}` }, "terms"],
    ];
    for (const [body, field] of cases) {
      const result = await call(gateway, "POST", "/api/v1/subscriptions/signed", { body });
      assert.equal(result.status, 400, JSON.stringify(body));
      assert.equal(result.body.error.code, "validation_failed");
      assert.ok(result.body.error.details.some((detail: { field: string }) => detail.field === field), JSON.stringify(result.body));
    }
    const openapi = await call(gateway, "GET", "/api/v1/openapi.json");
    assert.ok(openapi.body.paths["/api/v1/subscriptions/signed"].post);
    assert.ok(openapi.body.paths["/api/merchants/{merchantId}/subscriptions"].get);
  });
});
