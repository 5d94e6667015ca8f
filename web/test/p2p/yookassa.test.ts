// The YooKassa v3 adapter against a local fake that speaks its format (Basic auth, Idempotence-Key,
// amounts as decimal strings, statuses, GET /me), through the desk: match → invoice → unsigned
// notification → status call → post; two-stage capture; test shops never credited.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { P2PServices } from "../../server/p2p/index.ts";
import { startFakeYooKassa, UPSTREAM_DETAIL } from "./fake-yookassa.ts";
import { withClient } from "../support/postgres.ts";
import { createVerifiedUser, openTestDatabase, startTestDesk, type P2PTestDatabase } from "./support.ts";

describe("YooKassa v3 adapter", () => {
  let t: P2PTestDatabase;
  let p2p: P2PServices;
  let fake: Awaited<ReturnType<typeof startFakeYooKassa>>;

  before(async () => {
    fake = await startFakeYooKassa();
    t = await openTestDatabase("p2p_yookassa");
    p2p = await startTestDesk(t.database, { env: { P2P_YOOKASSA_API_URL: fake.url, P2P_COOLDOWN_SECONDS: "0" } });
  });
  after(async () => {
    await p2p?.stop();
    await t?.close();
    await fake?.close();
  });

  async function yookassaSeller(shopId: string, secretKey: string) {
    const gameEmail = `yk-${randomUUID().slice(0, 8)}@game.example`;
    const userId = await createVerifiedUser(t.database, "yk", gameEmail);
    await p2p.desk.recordDeposit({ transferId: randomUUID(), occurredAt: new Date(), senderEmail: gameEmail, amount: 100_000n, currency: "VUSD" }, "test");
    const form = await p2p.desk.addApiForm(userId, { provider: "yookassa", displayName: "YooKassa", credentials: { shopId, secretKey } });
    await p2p.desk.createRequest(userId, { apiFormId: form.id, amount: 10_000n, minPerBuyer: 100n, maxPerBuyer: 10_000n, idempotencyKey: randomUUID() });
    return { userId, form };
  }

  it("verifies credentials with GET /me and rejects bad ones", async () => {
    const userId = await createVerifiedUser(t.database, "yk-bad");
    await assert.rejects(
      p2p.desk.addApiForm(userId, { provider: "yookassa", displayName: "x", credentials: { shopId: "100500", secretKey: "wrong_secret_key" } }),
      { code: "invalid_input" },
    );
  });

  it("match → payment with Idempotence-Key → notification → status call → posted; a test shop never counts", async () => {
    const seller = await yookassaSeller("100500", "live_secret_key_1");
    assert.deepEqual({ shopId: seller.form.shopId, live: seller.form.live }, { shopId: "100500", live: true });
    const buyer = await createVerifiedUser(t.database, "yk-buyer");
    const order = await p2p.desk.createOrder(buyer, { amount: 1_000n, method: "yookassa", idempotencyKey: "yk1" });
    const r = order.reservation!;
    assert.match(r.paymentUrl!, /^https:\/\/yoomoney\.example\/checkout\//);
    const create = fake.calls.find((c) => c.method === "POST" && c.path === "/v3/payments");
    assert.equal(create?.idempotenceKey, `coinpays-${r.id}`);
    assert.equal(fake.payments.get(r.invoiceId!)?.amount.value, "950.00"); // 10.00 $ × 95 ₽

    // An (unsigned) notification before payment credits nothing: the status call says pending.
    const note = (status: string) => JSON.stringify({ type: "notification", event: `payment.${status}`, object: { id: r.invoiceId, status } });
    assert.equal(await p2p.desk.handleNotification("yookassa", new Headers(), note("succeeded")), "pending");
    fake.payments.get(r.invoiceId!)!.status = "succeeded";
    assert.equal(await p2p.desk.confirm(r.id), "posted");
    assert.equal((await p2p.desk.balances(buyer)).available, 1_000n);

    const testSeller = await yookassaSeller("200600", "test_secret_key_2");
    assert.equal(testSeller.form.live, false);
    await p2p.desk.cancelRequest(seller.userId, (await p2p.desk.listRequests(seller.userId))[0]!.id as string);
    const buyer2 = await createVerifiedUser(t.database, "yk-buyer2");
    const order2 = await p2p.desk.createOrder(buyer2, { amount: 500n, method: "yookassa", idempotencyKey: "yk2" });
    fake.payments.get(order2.reservation!.invoiceId!)!.status = "succeeded";
    assert.equal(await p2p.desk.confirm(order2.reservation!.id), "mismatch");
    assert.equal((await p2p.desk.balances(buyer2)).available, 0n);
    await p2p.desk.cancelOrder(buyer2, order2.id);
    await p2p.desk.cancelRequest(testSeller.userId, (await p2p.desk.listRequests(testSeller.userId))[0]!.id as string);
    assert.deepEqual((await p2p.desk.checkInvariants()).violations, []);
  });

  it("a refund.succeeded notification after the payment was posted claws the match back, once", async () => {
    const seller = await yookassaSeller("100500", "live_secret_key_1");
    const buyer = await createVerifiedUser(t.database, "yk-refund");
    const order = await p2p.desk.createOrder(buyer, { amount: 900n, method: "yookassa", idempotencyKey: "yk-refund" });
    const r = order.reservation!;
    fake.payments.get(r.invoiceId!)!.status = "succeeded";
    assert.equal(await p2p.desk.confirm(r.id), "posted");
    assert.equal((await p2p.desk.balances(buyer)).available, 900n);

    // The seller refunds in their YooKassa account (partially: any refund freezes the whole match).
    const credentials = { shopId: "100500", secretKey: "live_secret_key_1" };
    await p2p.desk.provider("yookassa").refund(credentials, r.invoiceId!, 40_000n);
    const refundNote = JSON.stringify({
      type: "notification",
      event: "refund.succeeded",
      object: { id: randomUUID(), payment_id: r.invoiceId, status: "succeeded", amount: { value: "400.00", currency: "RUB" } },
    });
    assert.equal(await p2p.desk.handleNotification("yookassa", new Headers(), refundNote), "clawed_back");
    assert.equal(await p2p.desk.handleNotification("yookassa", new Headers(), refundNote), "duplicate");
    assert.equal(await p2p.desk.confirm(r.id), "already_resolved");
    assert.equal((await p2p.desk.balances(buyer)).available, 0n);
    const disputes = await p2p.desk.listDisputes({ status: "open" });
    const clawback = disputes.find((d) => d.reservation_id === r.id);
    assert.equal(clawback?.reason, "clawback");
    assert.equal((clawback?.evidence as { reversedAmount: string }).reversedAmount, "40000");
    // A refund notification for a payment nobody knows is refused.
    const unknown = JSON.stringify({ type: "notification", event: "refund.succeeded", object: { id: randomUUID(), payment_id: randomUUID(), status: "succeeded" } });
    await assert.rejects(p2p.desk.handleNotification("yookassa", new Headers(), unknown), { code: "not_found" });
    await p2p.desk.cancelRequest(seller.userId, (await p2p.desk.listRequests(seller.userId))[0]!.id as string);
    assert.deepEqual((await p2p.desk.checkInvariants()).violations, []);
  });

  it("a provider's own error text never reaches the seller or the buyer: they see our words, the log has the detail", async () => {
    const seller = await yookassaSeller("300700", "live_secret_key_3");
    const buyer = await createVerifiedUser(t.database, "yk-upstream");
    const order = await p2p.desk.createOrder(buyer, { amount: 500n, method: "yookassa", idempotencyKey: "yk-upstream" });
    assert.equal(order.status, "failed");
    const [form] = (await p2p.desk.listApiForms(seller.userId)) as { last_error: string | null; status: string }[];
    assert.equal(form!.status, "failed");
    assert.equal(form!.last_error, "the payment provider refused the request");
    const flagged = await withClient(t.temporary.url, async (c) => (await c.query(`select flag_reason from p2p_users where id = $1`, [seller.userId])).rows[0]);
    assert.equal(flagged.flag_reason, "the payment provider refused the request");
    assert.ok(![form!.last_error, flagged.flag_reason].some((text) => String(text).includes(UPSTREAM_DETAIL)));
    await p2p.desk.cancelRequest(seller.userId, (await p2p.desk.listRequests(seller.userId))[0]!.id as string);
  });

  it("two-stage payments are captured only while the reservation is valid", async () => {
    const seller = await yookassaSeller("100500", "live_secret_key_1");
    const buyer = await createVerifiedUser(t.database, "yk-2stage");
    const order = await p2p.desk.createOrder(buyer, { amount: 700n, method: "yookassa", idempotencyKey: "yk3" });
    const payment = fake.payments.get(order.reservation!.invoiceId!)!;
    payment.status = "waiting_for_capture";
    assert.equal(await p2p.desk.confirm(order.reservation!.id), "posted");
    assert.equal(payment.captured, true);
    assert.equal((await p2p.desk.balances(buyer)).available, 700n);
    await p2p.desk.cancelRequest(seller.userId, (await p2p.desk.listRequests(seller.userId))[0]!.id as string);
    assert.deepEqual((await p2p.desk.checkInvariants()).violations, []);
  });
});
