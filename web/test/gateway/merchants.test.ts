// Merchant profile updates over real HTTP: a PATCH changes exactly the fields it sends. Regression test:
// schema defaults once made `PATCH {name}` silently reset accepted tokens, confirmations and expiry,
// and let an empty PATCH through as a no-op.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, createMerchant, signIn, startGateway, type Gateway, type SignedIn } from "./support.ts";

describe("merchant profile updates", () => {
  let gateway: Gateway;
  let owner: SignedIn;

  before(async () => {
    gateway = await startGateway("merchants");
    owner = await signIn(gateway);
  });
  after(async () => {
    await gateway?.close();
  });

  it("changes only the fields a PATCH sends", async () => {
    const merchant = await createMerchant(gateway, owner, "Corner Café", { confirmations: { "31337": 3 }, orderExpirySeconds: 600, acceptedTokens: { "31337": ["native"] } });
    const renamed = await call(gateway, "PATCH", `/api/merchants/${merchant.id}`, { cookie: owner.cookie, body: { name: "Corner Café · Till 2" } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, "Corner Café · Till 2");
    assert.deepEqual(renamed.body.confirmations, { "31337": 3 });
    assert.deepEqual(renamed.body.acceptedTokens, { "31337": ["native"] });
    assert.equal(renamed.body.orderExpirySeconds, 600);
  });

  it("refuses an empty PATCH with a 400 and changes nothing", async () => {
    const merchant = await createMerchant(gateway, owner, "Kiosk");
    const [before] = await gateway.sql<{ updated_at: Date }>("select updated_at from merchants where id = $1", [merchant.id]);
    const empty = await call(gateway, "PATCH", `/api/merchants/${merchant.id}`, { cookie: owner.cookie, body: {} });
    assert.equal(empty.status, 400);
    assert.equal(typeof empty.body.error.code, "string");
    const [after] = await gateway.sql<{ updated_at: Date }>("select updated_at from merchants where id = $1", [merchant.id]);
    assert.deepEqual(after, before);
  });
});
