// The desk through its service layer: deposits, API forms, requests, matching, confirmation,
// expiry, provider failures — and for every bad input a clear error with nothing changed.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import pg from "pg";
import { parseKeyring, encryptSecret, decryptSecret } from "../../server/secrets/keyring.ts";
import { commissionOf, parseMinor, parseStatement } from "../../server/p2p/desk.ts";
import type { P2PServices } from "../../server/p2p/index.ts";
import { getAccount } from "../../server/p2p/ledger/index.ts";
import { rows, type TxRunner } from "../../server/p2p/sql.ts";
import { createSeller, createVerifiedUser, openTestDatabase, startTestDesk, testClock, type P2PTestDatabase } from "./support.ts";

describe("p2p desk (service layer)", () => {
  let t: P2PTestDatabase;
  let p2p: P2PServices;
  let db: TxRunner;
  const clock = testClock();

  before(async () => {
    t = await openTestDatabase("p2p_desk");
    db = t.database.db as unknown as TxRunner;
    p2p = await startTestDesk(t.database, { now: clock.now, env: { P2P_TRADE_FEE_BPS: "150", P2P_DEPOSIT_FEE_BPS: "200" } });
  });
  after(async () => {
    await p2p?.stop();
    await t?.close();
  });

  /** Snapshot of everything money-related, to prove a refused operation changed nothing. */
  async function snapshot() {
    return rows(
      db,
      sql`select (select count(*) from p2p_ledger_transfers)::int as transfers,
                 (select coalesce(sum(credits_posted + debits_posted + credits_pending + debits_pending), 0)::text from p2p_ledger_accounts) as sums,
                 (select count(*) from p2p_withdrawal_requests)::int as requests,
                 (select count(*) from p2p_reservations)::int as reservations,
                 (select count(*) from p2p_buyer_orders)::int as orders,
                 (select count(*) from p2p_deposits)::int as deposits`,
    );
  }

  async function assertInvariants() {
    const report = await p2p.desk.checkInvariants();
    assert.deepEqual(report.violations, []);
  }

  async function pay(orderId: string, buyerId: string) {
    const view = await p2p.desk.getOrder(buyerId, orderId);
    const invoiceId = view.reservation!.invoiceId!;
    await p2p.sandbox.pay(invoiceId);
    const body = JSON.stringify({ event_id: `evt_${randomUUID()}`, type: "payment.succeeded", invoice_id: invoiceId });
    return { body, invoiceId, outcome: await p2p.desk.handleNotification("sandbox", new Headers({ "x-sandbox-signature": p2p.sandbox.sign(body) }), body) };
  }

  it("signs up, verifies the e-mail with the emailed code, signs in, links the game-room e-mail", async () => {
    const email = `Alice-${randomUUID().slice(0, 6)}@Example.com`;
    const user = await p2p.auth.signUp({ email, password: "correct horse battery" }, "test");
    assert.equal(user.emailVerified, false);
    await assert.rejects(p2p.auth.signUp({ email: email.toLowerCase(), password: "another one!" }, "test"), { code: "email_taken" });
    const outbox = await rows<{ subject: string; to: string }>(db, sql`select * from p2p_mail_outbox where "to" = ${email.toLowerCase()} order by id desc`);
    const code = /(\d{6})/.exec(outbox[0]!.subject)![1]!;
    await assert.rejects(p2p.auth.verifyEmail(user.id, code === "000000" ? "111111" : "000000"), { code: "invalid_code" });
    await p2p.auth.verifyEmail(user.id, code);
    await assert.rejects(p2p.auth.signIn({ email, password: "wrong password" }, "test"), { code: "invalid_credentials" });
    await assert.rejects(p2p.auth.signIn({ email: "nobody@example.com", password: "whatever1" }, "test"), { code: "invalid_credentials" });
    const session = await p2p.auth.signIn({ email, password: "correct horse battery" }, "test");
    const authed = await p2p.auth.authenticate(session.token);
    assert.equal(authed?.id, user.id);
    assert.equal(authed?.emailVerified, true);
    const stored = await rows(db, sql`select token_hash from p2p_sessions where user_id = ${user.id}`);
    assert.notEqual(stored[0]!.token_hash, session.token, "only the hash is stored");

    await p2p.auth.requestGameEmailLink(user.id, "alice.poker@game.example");
    const linkMail = await rows<{ subject: string }>(db, sql`select subject from p2p_mail_outbox where "to" = 'alice.poker@game.example'`);
    await p2p.auth.confirmGameEmailLink(user.id, /(\d{6})/.exec(linkMail[0]!.subject)![1]!);
    assert.equal((await p2p.auth.getUser(user.id))?.gameEmail, "alice.poker@game.example");
    await p2p.auth.signOut(session.token);
    assert.equal(await p2p.auth.authenticate(session.token), undefined);
  });

  it("credits a deposit minus commission exactly once per transfer id; unknown senders go to review", async () => {
    const seller = await createVerifiedUser(t.database, "depositor", "depositor@game.example");
    const record = { transferId: "room-tx-1", occurredAt: new Date(), senderEmail: "Depositor@Game.example", amount: 12_345n, currency: "VUSD" };
    assert.equal(await p2p.desk.recordDeposit(record, "test"), "credited");
    assert.equal(await p2p.desk.recordDeposit(record, "test"), "duplicate");
    assert.equal(await p2p.desk.recordDeposit({ ...record, amount: 99n }, "test"), "conflict");
    const commission = commissionOf(12_345n, 200); // 246.9 → 247, toward the platform
    assert.equal(commission, 247n);
    assert.equal((await p2p.desk.balances(seller)).available, 12_345n - 247n);

    const statement = parseStatement(
      "transfer_id,date,sender_email,amount,currency\nroom-tx-2,2026-11-25T10:00:00Z,stranger@game.example,10.50,USD\nroom-tx-1,2026-11-25T10:00:00Z,depositor@game.example,123.45,USD",
      "csv",
    );
    assert.deepEqual(await p2p.desk.importStatement(statement, "csv"), { credited: 0, review: 1, duplicate: 1, conflict: 0 });
    const [review] = await rows<{ id: string }>(db, sql`select id from p2p_deposits where external_id = 'room-tx-2'`);
    const reviewer = await createVerifiedUser(t.database, "reviewer");
    await p2p.desk.resolveReview(reviewer, review!.id, { userId: seller });
    await assert.rejects(p2p.desk.resolveReview(reviewer, review!.id, { userId: seller }), { code: "already_resolved" });
    assert.equal((await p2p.desk.balances(seller)).available, 12_345n - 247n + 1_050n - commissionOf(1_050n, 200));
    await assertInvariants();
  });

  it("rejects bad statements and amounts without changing anything", async () => {
    const before = await snapshot();
    for (const bad of ["1.234", "-1", "abc", "", "1e5", "0x10"]) assert.throws(() => parseMinor(bad), { code: "invalid_input" });
    assert.throws(() => parseStatement("id,amount\n1,2", "csv"), { code: "invalid_input" });
    assert.throws(() => parseStatement('{"transfers":[{"transfer_id":"x","date":"2026-01-01","sender_email":"a@b.c","amount":"1.001","currency":"USD"}]}', "json"), {
      code: "invalid_input",
    });
    assert.throws(() => parseStatement('{"transfers":[{"transfer_id":"x","date":"2026-01-01","sender_email":"a@b.c","amount":"0","currency":"USD"}]}', "json"), {
      code: "invalid_input",
    });
    assert.throws(() => parseStatement("not json", "json"), { code: "invalid_input" });
    await assert.rejects(
      p2p.desk.recordDeposit({ transferId: "neg", occurredAt: new Date(), senderEmail: "a@b.c", amount: -5n, currency: "VUSD" }, "t"),
      { code: "invalid_input" },
    );
    assert.deepEqual(await snapshot(), before);
  });

  it("stores API credentials encrypted, verified first; rotated keys stay readable", async () => {
    const user = await createVerifiedUser(t.database, "former");
    await assert.rejects(
      p2p.desk.addApiForm(user, { provider: "sandbox", displayName: "x", credentials: { shopId: "s1", secretKey: "sk_live_revoked_123456" } }),
      { code: "invalid_input" },
    );
    await assert.rejects(p2p.desk.addApiForm(user, { provider: "nope", displayName: "x", credentials: {} }), { code: "invalid_input" });
    const form = await p2p.desk.addApiForm(user, {
      provider: "sandbox",
      displayName: "main",
      credentials: { shopId: "shop_former", secretKey: "sk_live_supersecret999" },
    });
    const [row] = await rows<{ credentials_ciphertext: string }>(db, sql`select credentials_ciphertext from p2p_api_forms where id = ${form.id}`);
    assert.ok(!row!.credentials_ciphertext.includes("supersecret"));
    assert.ok(row!.credentials_ciphertext.startsWith("dev-only."));

    const k1 = Buffer.alloc(32, 1).toString("base64");
    const k2 = Buffer.alloc(32, 2).toString("base64");
    const sealed = encryptSecret(parseKeyring(`old:${k1}`), "secret", "ctx");
    const rotated = parseKeyring(`new:${k2},old:${k1}`);
    assert.equal(decryptSecret(rotated, sealed, "ctx"), "secret");
    assert.ok(encryptSecret(rotated, "secret", "ctx").startsWith("new."));
    assert.throws(() => decryptSecret(rotated, sealed, "other-record"));
    assert.throws(() => decryptSecret(parseKeyring(`new:${k2}`), sealed, "ctx"));
  });

  it("refuses bad withdrawal requests (over balance, foreign form, min > max) and replays idempotently", async () => {
    const seller = await createSeller(p2p, t.database, "reqs", { deposit: 10_000n });
    const other = await createSeller(p2p, t.database, "other", { deposit: 10_000n });
    const available = 10_000n - commissionOf(10_000n, 200);
    const before = await snapshot();
    const base = { apiFormId: seller.apiFormId, amount: 1_000n, minPerBuyer: 100n, maxPerBuyer: 500n, idempotencyKey: "r1" };
    await assert.rejects(p2p.desk.createRequest(seller.userId, { ...base, amount: available + 1n, idempotencyKey: "big" }), { code: "insufficient_funds" });
    await assert.rejects(p2p.desk.createRequest(seller.userId, { ...base, apiFormId: other.apiFormId }), { code: "not_found" });
    await assert.rejects(p2p.desk.createRequest(seller.userId, { ...base, minPerBuyer: 600n }), { code: "invalid_input" });
    await assert.rejects(p2p.desk.createRequest(seller.userId, { ...base, amount: 0n }), { code: "invalid_input" });
    await assert.rejects(p2p.desk.createRequest(seller.userId, { ...base, amount: -5n }), { code: "invalid_input" });
    assert.deepEqual(await snapshot(), before);

    const first = await p2p.desk.createRequest(seller.userId, base);
    const again = await p2p.desk.createRequest(seller.userId, base);
    assert.equal(again.id, first.id);
    assert.equal(again.replayed, true);
    await assert.rejects(p2p.desk.createRequest(seller.userId, { ...base, amount: 999n }), { code: "idempotency_conflict" });
    assert.deepEqual(await p2p.desk.balances(seller.userId), { available: available - 1_000n, onSale: 1_000n, reservedOnSale: 0n });
    await p2p.desk.cancelRequest(seller.userId, first.id);
    await assert.rejects(p2p.desk.cancelRequest(other.userId, first.id).then(() => p2p.desk.cancelRequest(other.userId, randomUUID())), {
      code: "not_found",
    });
    assert.equal((await p2p.desk.balances(seller.userId)).available, available);
    await assertInvariants();
  });

  it("matches a buyer, and the provider's confirmed payment posts it: buyer credited, seller filled, commission booked", async () => {
    const seller = await createSeller(p2p, t.database, "s1", { deposit: 100_000n, request: { amount: 5_000n, min: 100n, max: 5_000n, rate: 9_500n } });
    const buyer = await createVerifiedUser(t.database, "b1");
    const order = await p2p.desk.createOrder(buyer, { amount: 1_001n, method: "sandbox", idempotencyKey: "o1" });
    assert.equal(order.status, "reserved");
    const res = order.reservation!;
    assert.equal(res.fiatAmount, (1_001n * 9_500n + 99n) / 100n); // 95 090 kopecks rounded up
    assert.equal(res.fee, commissionOf(1_001n, 150)); // 15.015 → 16
    assert.ok(res.invoiceId && res.paymentUrl?.includes(res.invoiceId));
    // A double click replays the same order; another body with the same key is a conflict.
    assert.equal((await p2p.desk.createOrder(buyer, { amount: 1_001n, method: "sandbox", idempotencyKey: "o1" })).id, order.id);
    await assert.rejects(p2p.desk.createOrder(buyer, { amount: 1_002n, method: "sandbox", idempotencyKey: "o1" }), { code: "idempotency_conflict" });
    await assert.rejects(p2p.desk.createOrder(buyer, { amount: 100n, method: "sandbox", idempotencyKey: "o2" }), { code: "active_reservation" });
    await assert.rejects(p2p.desk.getOrder(seller.userId, order.id), { code: "not_found" });

    // A notification before payment confirms nothing (status call says pending).
    const early = JSON.stringify({ event_id: "evt_early", invoice_id: res.invoiceId });
    assert.equal(await p2p.desk.handleNotification("sandbox", new Headers({ "x-sandbox-signature": p2p.sandbox.sign(early) }), early), "pending");
    // Forged notification.
    const forged = JSON.stringify({ event_id: "evt_forged", invoice_id: res.invoiceId });
    await assert.rejects(p2p.desk.handleNotification("sandbox", new Headers({ "x-sandbox-signature": "t=1,v1=00" }), forged), { code: "invalid_signature" });
    const unknown = JSON.stringify({ event_id: "evt_unknown", invoice_id: "sbx_nope" });
    await assert.rejects(p2p.desk.handleNotification("sandbox", new Headers({ "x-sandbox-signature": p2p.sandbox.sign(unknown) }), unknown), {
      code: "not_found",
    });

    const paid = await pay(order.id, buyer);
    assert.equal(paid.outcome, "posted");
    // The same notification again is a duplicate; nothing is credited twice.
    assert.equal(await p2p.desk.handleNotification("sandbox", new Headers({ "x-sandbox-signature": p2p.sandbox.sign(paid.body) }), paid.body), "duplicate");
    assert.equal(await p2p.desk.confirm(res.id), "already_resolved");
    assert.equal((await p2p.desk.getOrder(buyer, order.id)).status, "paid");
    assert.equal((await p2p.desk.balances(buyer)).available, 1_001n - 16n);
    const [req] = await rows<{ filled: string; remaining: string; reserved: string }>(
      db,
      sql`select filled, remaining, reserved from p2p_withdrawal_requests where id = ${seller.requestId!}`,
    );
    assert.deepEqual({ ...req }, { filled: "1001", remaining: "3999", reserved: "0" });
    await assertInvariants();
  });

  it("counts only live payments whose amount, currency and shop match; a test-shop payment is never credited", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const seller = await createSeller(p2p, t.database, "testshop", {
      deposit: 10_000n,
      secretKey: "sk_test_abcdefgh1234",
      request: { amount: 1_000n, min: 100n, max: 1_000n },
    });
    const buyer = await createVerifiedUser(t.database, "b-test");
    const order = await p2p.desk.createOrder(buyer, { amount: 500n, method: "sandbox", idempotencyKey: "t1" });
    assert.equal(order.reservation!.amount, 500n);
    const paid = await pay(order.id, buyer);
    assert.equal(paid.outcome, "mismatch");
    assert.equal((await p2p.desk.balances(buyer)).available, 0n);
    // Seller A's shop carrying seller B's order: an invoice whose shop differs from the reservation's form.
    await db.execute(sql`update p2p_sandbox_invoices set shop_id = 'shop_someone_else', live = true where id = ${paid.invoiceId}`);
    assert.equal(await p2p.desk.confirm(order.reservation!.id), "mismatch");
    assert.equal((await p2p.desk.balances(buyer)).available, 0n);
    await p2p.desk.cancelOrder(buyer, order.id);
    await p2p.desk.cancelRequest(seller.userId, seller.requestId!);
    await assertInvariants();
  });

  it("expires unpaid reservations (sweeper), returns the amount to the seller's queue position, and applies a cool-down", async () => {
    const seller = await createSeller(p2p, t.database, "exp", { deposit: 10_000n, request: { amount: 2_000n, min: 100n, max: 2_000n } });
    const buyer = await createVerifiedUser(t.database, "b-exp");
    const order = await p2p.desk.createOrder(buyer, { amount: 700n, method: "sandbox", idempotencyKey: "e1", ttlMs: 60_000 });
    clock.advance(61_000);
    assert.ok((await p2p.desk.sweepExpired()) >= 1);
    assert.equal((await p2p.desk.getOrder(buyer, order.id)).status, "expired");
    assert.equal((await p2p.sandbox.getInvoice(order.reservation!.invoiceId!))?.status, "canceled");
    const [req] = await rows<{ remaining: string }>(db, sql`select remaining from p2p_withdrawal_requests where id = ${seller.requestId!}`);
    assert.equal(req!.remaining, "2000");
    await assert.rejects(p2p.desk.createOrder(buyer, { amount: 700n, method: "sandbox", idempotencyKey: "e2" }), { code: "cooldown" });
    clock.advance(61_000);
    const next = await p2p.desk.createOrder(buyer, { amount: 700n, method: "sandbox", idempotencyKey: "e3" });
    assert.equal(next.status, "reserved");
    await p2p.desk.cancelOrder(buyer, next.id);
    clock.advance(61_000);
    await p2p.desk.cancelRequest(seller.userId, seller.requestId!);
    await assertInvariants();
  });

  it("a cancel that loses a deadlock to the writer's lock order (request, then reservation) runs again and voids once", async () => {
    const seller = await createSeller(p2p, t.database, "dl", { deposit: 10_000n, request: { amount: 2_000n, min: 100n, max: 2_000n } });
    const buyer = await createVerifiedUser(t.database, "b-dl");
    const order = await p2p.desk.createOrder(buyer, { amount: 600n, method: "sandbox", idempotencyKey: "dl1" });
    const reservationId = order.reservation!.id;
    // The writer's order: a batch holds the request from a match, then a post locks the reservation. Its
    // deadlock check waits 10 s, so the cancel's (1 s) finds the cycle and is the one PostgreSQL aborts.
    const writer = new pg.Client({ connectionString: t.temporary.url });
    await writer.connect();
    try {
      await writer.query("begin");
      await writer.query("set local deadlock_timeout = '10s'");
      await writer.query("select 1 from p2p_withdrawal_requests where id = $1 for update", [seller.requestId]);
      const cancel = p2p.desk.cancelOrder(buyer, order.id);
      // Until the cancel holds the reservation and waits for the request.
      for (let waited = 0; ; waited += 20) {
        const { rows: waiting } = await writer.query("select 1 from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()");
        if (waiting.length > 0) break;
        if (waited > 10_000) throw new Error("the cancel never waited for the request");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await writer.query("select 1 from p2p_reservations where id = $1 for update", [reservationId]);
      await writer.query("commit");
      assert.equal((await cancel).status, "expired");
    } finally {
      await writer.end();
    }
    const [reservation] = await rows<{ status: string }>(db, sql`select status from p2p_reservations where id = ${reservationId}`);
    assert.equal(reservation!.status, "voided");
    const [request] = await rows<{ remaining: string; reserved: string }>(db, sql`select remaining, reserved from p2p_withdrawal_requests where id = ${seller.requestId!}`);
    assert.deepEqual(request, { remaining: "2000", reserved: "0" });
    clock.advance(61_000);
    await p2p.desk.cancelRequest(seller.userId, seller.requestId!);
    await assertInvariants();
  });

  it("polls open invoices as a fallback when the notification never arrives", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const seller = await createSeller(p2p, t.database, "poll", { deposit: 10_000n, request: { amount: 2_000n, min: 100n, max: 2_000n } });
    const buyer = await createVerifiedUser(t.database, "b-poll");
    const order = await p2p.desk.createOrder(buyer, { amount: 400n, method: "sandbox", idempotencyKey: "p1" });
    await p2p.sandbox.pay(order.reservation!.invoiceId!, { notify: false });
    await db.execute(sql`update p2p_reservations set created_at = created_at - interval '31 seconds' where id = ${order.reservation!.id}`);
    await p2p.desk.sweepExpired();
    assert.equal((await p2p.desk.getOrder(buyer, order.id)).status, "paid");
    await p2p.desk.cancelRequest(seller.userId, seller.requestId!);
    await assertInvariants();
  });

  it("decides expiry at confirmation: a payment after expiry is re-reserved and posted when the seller still has the amount", async () => {
    const seller = await createSeller(p2p, t.database, "late", { deposit: 10_000n, request: { amount: 2_000n, min: 100n, max: 2_000n } });
    const buyer = await createVerifiedUser(t.database, "b-late");
    const order = await p2p.desk.createOrder(buyer, { amount: 600n, method: "sandbox", idempotencyKey: "l1", ttlMs: 30_000 });
    await p2p.sandbox.pay(order.reservation!.invoiceId!, { notify: false });
    clock.advance(31_000);
    assert.equal(await p2p.desk.confirm(order.reservation!.id), "late_reposted");
    assert.equal((await p2p.desk.getOrder(buyer, order.id)).status, "paid");
    assert.equal((await p2p.desk.balances(buyer)).available, 600n - commissionOf(600n, 150));
    await p2p.desk.cancelRequest(seller.userId, seller.requestId!);
    await assertInvariants();
  });

  it("a provider error voids the reservation, flags the seller and moves the buyer to the next seller", async () => {
    // Drain earlier requests so these two are the only ones that fit.
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const broken = await createSeller(p2p, t.database, "broken", { deposit: 10_000n, shopId: "broken_shop", request: { amount: 3_000n, min: 100n, max: 3_000n } });
    const good = await createSeller(p2p, t.database, "good", { deposit: 10_000n, request: { amount: 3_000n, min: 100n, max: 3_000n } });
    const buyer = await createVerifiedUser(t.database, "b-err");
    const order = await p2p.desk.createOrder(buyer, { amount: 1_000n, method: "sandbox", idempotencyKey: "x1" });
    assert.equal(order.status, "reserved");
    const [res] = await rows<{ seller_id: string }>(db, sql`select seller_id from p2p_reservations where id = ${order.reservation!.id}`);
    assert.equal(res!.seller_id, good.userId);
    assert.equal((await p2p.auth.getUser(broken.userId))?.flagged, true);
    const [brokenReq] = await rows<{ status: string; remaining: string }>(db, sql`select status, remaining from p2p_withdrawal_requests where id = ${broken.requestId!}`);
    assert.deepEqual({ ...brokenReq }, { status: "suspended", remaining: "3000" });
    assert.equal((await pay(order.id, buyer)).outcome, "posted");
    await assertInvariants();
  });

  it("tells the buyer the largest amount available when nothing fits", async () => {
    const buyer = await createVerifiedUser(t.database, "b-big");
    const before = await snapshot();
    await assert.rejects(p2p.desk.createOrder(buyer, { amount: 1_000_000n, method: "sandbox", idempotencyKey: "big" }), (error: unknown) => {
      const e = error as { code: string; details: { largestAvailable: string } };
      assert.equal(e.code, "no_liquidity");
      assert.equal(e.details.largestAvailable, "2000"); // good seller: 3000 − 1000 filled
      return true;
    });
    await assert.rejects(p2p.desk.createOrder(buyer, { amount: 0n, method: "sandbox", idempotencyKey: "zero" }), { code: "invalid_input" });
    await assert.rejects(p2p.desk.createOrder(buyer, { amount: 10n, method: "bitcoin", idempotencyKey: "m" }), { code: "invalid_input" });
    assert.deepEqual(await snapshot(), before);
  });

  it("a seller closing a request with an open reservation: that one finishes first, the rest returns now", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const seller = await createSeller(p2p, t.database, "closer", { deposit: 10_000n, request: { amount: 1_000n, min: 100n, max: 1_000n } });
    const buyer = await createVerifiedUser(t.database, "b-close");
    const order = await p2p.desk.createOrder(buyer, { amount: 400n, method: "sandbox", idempotencyKey: "c1" });
    await p2p.desk.cancelRequest(seller.userId, seller.requestId!);
    const [closing] = await rows<{ status: string; remaining: string; returned: string }>(
      db,
      sql`select status, remaining, returned from p2p_withdrawal_requests where id = ${seller.requestId!}`,
    );
    assert.deepEqual({ ...closing }, { status: "closing", remaining: "0", returned: "600" });
    assert.equal((await pay(order.id, buyer)).outcome, "posted");
    const [closed] = await rows<{ status: string; filled: string }>(db, sql`select status, filled from p2p_withdrawal_requests where id = ${seller.requestId!}`);
    assert.deepEqual({ ...closed }, { status: "closed", filled: "400" });
    assert.equal((await getAccount(db, `user:${seller.userId}:on_sale`))?.available, 0n);
    await assertInvariants();
  });

  it("operator adjustments are ledger transfers with a reason; disputes resolve exactly once", async () => {
    const operator = await createVerifiedUser(t.database, "op");
    const user = await createVerifiedUser(t.database, "adjusted");
    const credit = await p2p.desk.adjust(operator, { userId: user, direction: "credit", amount: 500n, reason: "goodwill", idempotencyKey: "a1" });
    assert.equal((await p2p.desk.adjust(operator, { userId: user, direction: "credit", amount: 500n, reason: "goodwill", idempotencyKey: "a1" })).transferId, credit.transferId);
    await assert.rejects(p2p.desk.adjust(operator, { userId: user, direction: "credit", amount: 501n, reason: "goodwill", idempotencyKey: "a1" }), {
      code: "idempotency_conflict",
    });
    await assert.rejects(p2p.desk.adjust(operator, { userId: user, direction: "debit", amount: 501n, reason: "clawback", idempotencyKey: "a2" }), {
      code: "insufficient_funds",
    });
    await assert.rejects(p2p.desk.adjust(operator, { userId: user, direction: "debit", amount: 0n, reason: "x", idempotencyKey: "a3" }), { code: "invalid_input" });
    await p2p.desk.adjust(operator, { userId: user, direction: "debit", amount: 200n, reason: "clawback", idempotencyKey: "a4" });
    assert.equal((await p2p.desk.balances(user)).available, 300n);

    const [dispute] = await rows<{ id: string }>(db, sql`select id from p2p_disputes where status = 'open' limit 1`);
    assert.ok(dispute, "earlier scenarios opened a dispute");
    await p2p.desk.resolveDispute(operator, dispute.id, "seller", "test-shop payment, not live");
    await assert.rejects(p2p.desk.resolveDispute(operator, dispute.id, "buyer", "again"), { code: "already_resolved" });
    await assertInvariants();
  });
  it("group commit: buyers submitted together share batches; refused ones leave the others committed", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const seller = await createSeller(p2p, t.database, "batch", { deposit: 100_000n, request: { amount: 5_000n, min: 100n, max: 1_000n } });
    const buyers = await Promise.all(Array.from({ length: 12 }, (_, i) => createVerifiedUser(t.database, `batch-${i}`)));
    const results = await Promise.allSettled(buyers.map((b) => p2p.desk.createOrder(b, { amount: 1_000n, method: "sandbox", idempotencyKey: "batch" })));
    const reserved = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof p2p.desk.createOrder>>> => r.status === "fulfilled");
    assert.equal(reserved.length, 5, "exactly what the request holds");
    for (const r of results) if (r.status === "rejected") assert.equal((r.reason as { code: string }).code, "no_liquidity");
    assert.ok(reserved.every((r) => r.value.reservation?.invoiceId));
    const [req] = await rows<{ remaining: string; reserved: string }>(db, sql`select remaining, reserved from p2p_withdrawal_requests where id = ${seller.requestId!}`);
    assert.deepEqual({ ...req }, { remaining: "0", reserved: "5000" });
    // Posts go through the same group commit.
    const outcomes = await Promise.all(
      reserved.map(async (r, i) => {
        await p2p.sandbox.pay(r.value.reservation!.invoiceId!, { notify: false });
        return p2p.desk.confirm(r.value.reservation!.id).then((o) => `${i}:${o}`);
      }),
    );
    assert.deepEqual(outcomes.map((o) => o.split(":")[1]), ["posted", "posted", "posted", "posted", "posted"]);
    await assertInvariants();
  });
});
