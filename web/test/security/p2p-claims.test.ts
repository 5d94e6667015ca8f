// A buyer's "I paid" claim freezes the seller's amount until an operator decides. Without a bound,
// a buyer who never pays could freeze one seller amount after another (order, claim, order, claim…).
// Against the production build and real PostgreSQL: at most P2P_MAX_OPEN_CLAIMS (here 2) unresolved
// claims per buyer; the next is a clear 409 that freezes nothing and writes nothing.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startDeskServer, type DeskServer } from "../p2p/desk-server.ts";
import { createSeller, createVerifiedUser } from "../p2p/support.ts";

describe("open payment claims per buyer", () => {
  let desk: DeskServer;
  let requestId: string;

  before(async () => {
    desk = await startDeskServer("p2p_claims", { P2P_MAX_OPEN_CLAIMS: "2" });
    const seller = await createSeller(desk.p2p, desk.handle, "claims", { deposit: 100_000n, request: { amount: 50_000n, min: 100n, max: 5_000n } });
    requestId = seller.requestId!;
  });
  after(async () => {
    await desk?.close();
  });

  const frozen = async () => (await desk.query<{ frozen: string; reserved: string }>(`select frozen::text, reserved::text from p2p_withdrawal_requests where id = $1`, [requestId]))[0]!;

  it("a buyer who never pays cannot freeze more than two sellers' amounts: the third claim is a 409 that freezes nothing", async () => {
    const buyer = await createVerifiedUser(desk.handle, "claimer");
    const cookie = await desk.sessionCookie(buyer);
    const claim = (orderId: string) => desk.call("POST", `/api/p2p/orders/${orderId}/claim-paid`, { cookie, body: { note: "I paid, honestly" } });
    const orders: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const order = await desk.p2p.desk.createOrder(buyer, { amount: 1_000n, method: "sandbox", idempotencyKey: randomUUID() });
      orders.push(order.id);
      const claimed = await claim(order.id);
      assert.equal(claimed.status, 200, claimed.text);
      assert.ok(claimed.json.disputeId, "a dispute is opened");
      assert.equal(claimed.json.order.status, "disputed");
    }
    assert.equal((await frozen()).frozen, "2000");

    const third = await desk.p2p.desk.createOrder(buyer, { amount: 1_000n, method: "sandbox", idempotencyKey: randomUUID() });
    const before = await desk.fingerprint();
    const refused = await claim(third.id);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.error.code, "conflict");
    assert.match(refused.json.error.message, /unresolved payment claims/);
    assert.deepEqual(refused.json.error.details, { openClaims: 2, limit: 2 });
    assert.deepEqual(await desk.fingerprint(), before, "a refused claim writes nothing");
    assert.deepEqual(await frozen(), { frozen: "2000", reserved: "1000" }, "the third amount stays reserved, not frozen, and expires as usual");

    // Repeating a claim already made is still answered (it changes nothing), at the limit too.
    const repeated = await claim(orders[0]!);
    assert.equal(repeated.status, 200, repeated.text);
    assert.deepEqual(await desk.fingerprint(), before);

    // Once an operator decides one, the buyer may claim again.
    const [open] = await desk.query<{ id: string }>(`select d.id from p2p_disputes d join p2p_reservations r on r.id = d.reservation_id where r.order_id = $1`, [orders[0]]);
    const operator = await createVerifiedUser(desk.handle, "operator");
    await desk.p2p.desk.resolveDispute(operator, open!.id, "seller", "no payment arrived");
    const now = await claim(third.id);
    assert.equal(now.status, 200, now.text);
    assert.equal(now.json.order.status, "disputed");
    assert.deepEqual(await desk.violations(), []);
  });

  it("another buyer is not limited by the first one's claims", async () => {
    const buyer = await createVerifiedUser(desk.handle, "other");
    const order = await desk.p2p.desk.createOrder(buyer, { amount: 500n, method: "sandbox", idempotencyKey: randomUUID() });
    const claimed = await desk.call("POST", `/api/p2p/orders/${order.id}/claim-paid`, { cookie: await desk.sessionCookie(buyer), body: { note: "paid by card" } });
    assert.equal(claimed.status, 200, claimed.text);
    assert.deepEqual(await desk.violations(), []);
  });
});
