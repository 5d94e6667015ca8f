// Disputes move money: claw-backs after a confirmed payment is refunded or charged back, the buyer's
// "I paid" freeze, and the operator's resolution to either side — each a ledger transfer with a
// reason, each exactly once, with the invariants checked after every scenario.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { commissionAccount, commissionOf, commissionShardOf, DISPUTES_ACCOUNT } from "../../server/p2p/desk.ts";
import type { P2PServices } from "../../server/p2p/index.ts";
import { getAccount } from "../../server/p2p/ledger/index.ts";
import { one, rows, type TxRunner } from "../../server/p2p/sql.ts";
import { createSeller, createVerifiedUser, openTestDatabase, startTestDesk, testClock, type P2PTestDatabase } from "./support.ts";

const TRADE_FEE_BPS = 150;

describe("p2p disputes: claw-backs and resolutions move money", () => {
  let t: P2PTestDatabase;
  let p2p: P2PServices;
  let db: TxRunner;
  const clock = testClock();

  before(async () => {
    t = await openTestDatabase("p2p_disputes");
    db = t.database.db as unknown as TxRunner;
    p2p = await startTestDesk(t.database, { now: clock.now, env: { P2P_TRADE_FEE_BPS: String(TRADE_FEE_BPS), P2P_DEPOSIT_FEE_BPS: "0" } });
  });
  after(async () => {
    await p2p?.stop();
    await t?.close();
  });

  async function assertInvariants() {
    assert.deepEqual((await p2p.desk.checkInvariants()).violations, []);
  }

  const balance = async (code: string) => (await getAccount(db, code))?.available ?? 0n;
  const available = (userId: string) => balance(`user:${userId}:available`);
  const receivable = (userId: string) => balance(`user:${userId}:receivable`);

  async function notify(invoiceId: string, type: string) {
    const body = JSON.stringify({ event_id: `evt_${randomUUID()}`, type, invoice_id: invoiceId });
    const headers = () => new Headers({ "x-sandbox-signature": p2p.sandbox.sign(body) });
    return { outcome: await p2p.desk.handleNotification("sandbox", headers(), body), replay: () => p2p.desk.handleNotification("sandbox", headers(), body) };
  }

  /** A fresh seller (alone at the head of the queue) and a buyer whose order of `amount` is paid and posted. */
  async function postedMatch(label: string, amount: bigint) {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const seller = await createSeller(p2p, t.database, label, { deposit: 100_000n, request: { amount: 10_000n, min: 100n, max: 10_000n } });
    const buyer = await createVerifiedUser(t.database, `${label}-buyer`);
    const order = await p2p.desk.createOrder(buyer, { amount, method: "sandbox", idempotencyKey: `${label}-order` });
    const res = order.reservation!;
    await p2p.sandbox.pay(res.invoiceId!, { notify: false });
    assert.equal((await notify(res.invoiceId!, "payment.succeeded")).outcome, "posted");
    return { seller, buyer, order, res, fee: commissionOf(amount, TRADE_FEE_BPS) };
  }

  async function disputeOf(reservationId: string, reason: string) {
    return one<{ id: string; status: string; hold_amount: string; open_transfer_id: string | null; resolution_transfer_id: string | null }>(
      db,
      sql`select id, status, hold_amount::text, open_transfer_id::text, resolution_transfer_id::text from p2p_disputes
          where reservation_id = ${reservationId} and reason = ${reason}`,
    );
  }

  async function requestOf(id: string) {
    return (await one<Record<string, string>>(
      db,
      sql`select status, remaining::text, reserved::text, filled::text, returned::text, frozen::text from p2p_withdrawal_requests where id = ${id}`,
    ))!;
  }

  it("a refund after confirmation claws the match back into a dispute, once, however many notifications arrive", async () => {
    const { seller, buyer, order, res, fee } = await postedMatch("refund", 2_000n);
    const commission = commissionAccount(commissionShardOf(order.id));
    const commissionBefore = await balance(commission);
    const sellerBefore = await available(seller.userId);
    assert.equal(await available(buyer), 2_000n - fee);

    await p2p.sandbox.reverse(res.invoiceId!, "refund", { notify: false });
    const first = await notify(res.invoiceId!, "payment.refunded");
    assert.equal(first.outcome, "clawed_back");
    assert.equal(await first.replay(), "duplicate");
    // A second, distinct notification and a burst of concurrent status checks change nothing more: the
    // status call reports the state already handled (de-duplication is on that state, not on event ids).
    assert.equal((await notify(res.invoiceId!, "payment.refunded")).outcome, "duplicate");
    const burst = await Promise.all(Array.from({ length: 8 }, () => p2p.desk.confirm(res.id)));
    assert.deepEqual(new Set(burst), new Set(["already_resolved"]));

    assert.equal(await available(buyer), 0n);
    assert.equal(await receivable(buyer), 0n);
    assert.equal(await balance(commission), commissionBefore - fee);
    assert.equal(await balance(DISPUTES_ACCOUNT), 2_000n);
    const dispute = (await disputeOf(res.id, "clawback"))!;
    assert.equal(dispute.status, "open");
    assert.equal(dispute.hold_amount, "2000");
    assert.equal((await p2p.desk.getOrder(buyer, order.id)).status, "disputed");
    const [transfers] = await rows<{ n: number }>(db, sql`select count(*)::int as n from p2p_ledger_transfers where reason = 'clawback' and metadata->>'reservationId' = ${res.id}`);
    assert.equal(transfers!.n, 1);
    await assertInvariants();

    // To the seller: the refund stands, so the seller gets the virtual dollars they sold back.
    const operator = await createVerifiedUser(t.database, "op-refund");
    const resolved = await p2p.desk.resolveDispute(operator, dispute.id, "seller", "refund confirmed by the provider");
    assert.equal(resolved.replayed, false);
    assert.ok(resolved.transferId);
    assert.equal(await available(seller.userId), sellerBefore + 2_000n);
    assert.equal(await balance(DISPUTES_ACCOUNT), 0n);
    assert.equal((await p2p.desk.getOrder(buyer, order.id)).status, "failed");
    // Idempotent: the same resolution replays, the other side is refused, nothing moves.
    const again = await p2p.desk.resolveDispute(operator, dispute.id, "seller", "double click");
    assert.deepEqual({ ...again, replayed: false }, resolved);
    assert.equal(again.replayed, true);
    await assert.rejects(p2p.desk.resolveDispute(operator, dispute.id, "buyer", "changed my mind"), { code: "already_resolved" });
    assert.equal(await available(seller.userId), sellerBefore + 2_000n);
    const [reason] = await rows<{ reason: string; note: string }>(
      db,
      sql`select reason, metadata->>'note' as note from p2p_ledger_transfers where id = ${resolved.transferId!.toString()}`,
    );
    assert.deepEqual({ ...reason }, { reason: "dispute_to_seller", note: "refund confirmed by the provider" });
    await assertInvariants();
  });

  it("a chargeback after the buyer spent the credit: what is left is taken, the rest becomes the buyer's receivable", async () => {
    const { seller, buyer, res, fee } = await postedMatch("spent", 3_000n);
    const credited = 3_000n - fee;
    // The buyer sells most of what they bought: it leaves their available balance.
    const form = await p2p.desk.addApiForm(buyer, { provider: "sandbox", displayName: "resell", credentials: { shopId: "shop_resell", secretKey: "sk_live_resell12345" } });
    await p2p.desk.createRequest(buyer, { apiFormId: form.id, amount: credited - 500n, minPerBuyer: 100n, maxPerBuyer: 1_000n, idempotencyKey: "resell" });
    assert.equal(await available(buyer), 500n);

    await p2p.sandbox.reverse(res.invoiceId!, "chargeback", { notify: false });
    assert.equal((await notify(res.invoiceId!, "payment.charged_back")).outcome, "clawed_back");
    assert.equal(await available(buyer), 0n);
    assert.equal(await receivable(buyer), credited - 500n);
    assert.equal(await balance(DISPUTES_ACCOUNT), 3_000n);
    await assertInvariants();

    // To the buyer (say the chargeback was reversed in their favour): the claw-back is mirrored
    // exactly — the receivable is repaid first, the balance and the fee come back.
    const operator = await createVerifiedUser(t.database, "op-spent");
    const dispute = (await disputeOf(res.id, "clawback"))!;
    const sellerBefore = await available(seller.userId);
    const resolved = await p2p.desk.resolveDispute(operator, dispute.id, "buyer", "chargeback lost by the cardholder");
    assert.equal(await receivable(buyer), 0n);
    assert.equal(await available(buyer), 500n);
    assert.equal(await available(seller.userId), sellerBefore);
    const [transfer] = await rows<{ reason: string }>(db, sql`select reason from p2p_ledger_transfers where id = ${resolved.transferId!.toString()}`);
    assert.equal(transfer!.reason, "clawback_reversed");
    await assertInvariants();
  });

  it("a receivable is collected from the user's next balance, once under concurrent sweeps, and a later reversal pays it back to the balance", async () => {
    const { buyer, res, fee } = await postedMatch("collect", 3_000n);
    const credited = 3_000n - fee;
    const form = await p2p.desk.addApiForm(buyer, { provider: "sandbox", displayName: "resell", credentials: { shopId: "shop_collect", secretKey: "sk_live_collect12345" } });
    const resell = await p2p.desk.createRequest(buyer, { apiFormId: form.id, amount: credited - 500n, minPerBuyer: 100n, maxPerBuyer: 1_000n, idempotencyKey: "collect-resell" });
    await p2p.sandbox.reverse(res.invoiceId!, "chargeback", { notify: false });
    assert.equal((await notify(res.invoiceId!, "payment.charged_back")).outcome, "clawed_back");
    const owed = credited - 500n;
    assert.equal(await receivable(buyer), owed);
    assert.equal(await available(buyer), 0n);
    // Nothing to collect from yet.
    assert.equal(await p2p.desk.collectReceivables(), 0);

    // The buyer cancels the resale: its unsold amount returns to their balance, and eight sweeps at
    // once collect the debt from it exactly once.
    await p2p.desk.cancelRequest(buyer, resell.id);
    assert.equal(await available(buyer), owed);
    const sweeps = await Promise.all(Array.from({ length: 8 }, () => p2p.desk.collectReceivables()));
    assert.equal(sweeps.reduce((a, b) => a + b, 0), 1);
    assert.equal(await receivable(buyer), 0n);
    assert.equal(await available(buyer), 0n);
    const collections = await rows<{ amount: string }>(
      db,
      sql`select e.amount::text as amount from p2p_ledger_transfers t join p2p_ledger_entries e on e.transfer_id = t.id
            join p2p_ledger_accounts a on a.id = e.account_id
          where t.reason = 'receivable_collection' and a.code = ${`user:${buyer}:receivable`}`,
    );
    assert.deepEqual(collections.map((c) => BigInt(c.amount)), [owed]);
    await assertInvariants();

    // The chargeback is later decided for the buyer: the mirrored claw-back cannot repay a receivable
    // that is already paid, so that part goes back to the buyer's balance.
    const operator = await createVerifiedUser(t.database, "op-collect");
    const dispute = (await disputeOf(res.id, "clawback"))!;
    await p2p.desk.resolveDispute(operator, dispute.id, "buyer", "chargeback lost by the cardholder");
    assert.equal(await receivable(buyer), 0n);
    assert.equal(await available(buyer), credited);
    await assertInvariants();
  });

  it("collects a receivable in part when the balance covers only part of it", async () => {
    const { buyer, res, fee } = await postedMatch("partial", 2_000n);
    const credited = 2_000n - fee;
    const form = await p2p.desk.addApiForm(buyer, { provider: "sandbox", displayName: "resell", credentials: { shopId: "shop_partial", secretKey: "sk_live_partial12345" } });
    await p2p.desk.createRequest(buyer, { apiFormId: form.id, amount: credited, minPerBuyer: 100n, maxPerBuyer: 1_000n, idempotencyKey: "partial-resell" });
    await p2p.sandbox.reverse(res.invoiceId!, "chargeback", { notify: false });
    assert.equal((await notify(res.invoiceId!, "payment.charged_back")).outcome, "clawed_back");
    assert.equal(await receivable(buyer), credited);
    const operator = await createVerifiedUser(t.database, "op-partial");
    await p2p.desk.adjust(operator, { userId: buyer, direction: "credit", amount: 300n, reason: "goodwill", idempotencyKey: "partial-goodwill" });
    assert.equal(await p2p.desk.collectReceivables(), 1);
    assert.equal(await available(buyer), 0n);
    assert.equal(await receivable(buyer), credited - 300n);
    assert.equal(await p2p.desk.collectReceivables(), 0);
    await assertInvariants();
    // Decided for the seller: the held money goes back to them; the buyer's debt stands.
    await p2p.desk.resolveDispute(operator, (await disputeOf(res.id, "clawback"))!.id, "seller", "chargeback upheld");
    assert.equal(await balance(DISPUTES_ACCOUNT), 0n);
    assert.equal(await receivable(buyer), credited - 300n);
    await assertInvariants();
  });

  it("buyer says paid, provider says not: the reservation is frozen (no expiry back into the queue) until resolved to the buyer", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const seller = await createSeller(p2p, t.database, "claim", { deposit: 100_000n, request: { amount: 5_000n, min: 100n, max: 5_000n } });
    const buyer = await createVerifiedUser(t.database, "claim-buyer");
    const stranger = await createVerifiedUser(t.database, "claim-stranger");
    const order = await p2p.desk.createOrder(buyer, { amount: 1_200n, method: "sandbox", idempotencyKey: "claim-1", ttlMs: 60_000 });
    const res = order.reservation!;
    await assert.rejects(p2p.desk.claimPaid(stranger, order.id, "not mine"), { code: "not_found" });

    const claimed = await p2p.desk.claimPaid(buyer, order.id, "paid by card at 10:02, receipt attached");
    assert.equal(claimed.status, "disputed");
    assert.equal(claimed.reservation?.voidReason, "disputed");
    assert.deepEqual(await requestOf(seller.requestId!), { status: "open", remaining: "3800", reserved: "0", filled: "0", returned: "0", frozen: "1200" });
    assert.equal(await balance(DISPUTES_ACCOUNT), 1_200n);
    // Claiming again changes nothing; the sweeper after expiry leaves the frozen amount alone.
    const transfersBefore = await rows(db, sql`select count(*)::int as n from p2p_ledger_transfers`);
    assert.equal((await p2p.desk.claimPaid(buyer, order.id, "again")).disputeId, claimed.disputeId);
    clock.advance(61_000);
    await p2p.desk.sweepExpired();
    assert.deepEqual(await rows(db, sql`select count(*)::int as n from p2p_ledger_transfers`), transfersBefore);
    assert.equal((await requestOf(seller.requestId!)).frozen, "1200");
    await assertInvariants();

    const operator = await createVerifiedUser(t.database, "op-claim");
    const resolved = await p2p.desk.resolveDispute(operator, claimed.disputeId!, "buyer", "bank statement shows the transfer");
    assert.equal(await available(buyer), 1_200n - commissionOf(1_200n, TRADE_FEE_BPS));
    assert.deepEqual(await requestOf(seller.requestId!), { status: "open", remaining: "3800", reserved: "0", filled: "1200", returned: "0", frozen: "0" });
    assert.equal((await p2p.desk.getOrder(buyer, order.id)).status, "paid");
    assert.equal(await balance(DISPUTES_ACCOUNT), 0n);
    const [transfer] = await rows<{ reason: string }>(db, sql`select reason from p2p_ledger_transfers where id = ${resolved.transferId!.toString()}`);
    assert.equal(transfer!.reason, "dispute_to_buyer");
    await assertInvariants();
    assert.equal(res.amount, 1_200n);
  });

  it("a frozen claim resolved to the seller returns the amount to the seller's balance", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const seller = await createSeller(p2p, t.database, "claim2", { deposit: 100_000n, request: { amount: 1_000n, min: 100n, max: 1_000n } });
    const buyer = await createVerifiedUser(t.database, "claim2-buyer");
    const order = await p2p.desk.createOrder(buyer, { amount: 1_000n, method: "sandbox", idempotencyKey: "claim-2" });
    const claimed = await p2p.desk.claimPaid(buyer, order.id, "I paid");
    const sellerBefore = await available(seller.userId);
    const operator = await createVerifiedUser(t.database, "op-claim2");
    await p2p.desk.resolveDispute(operator, claimed.disputeId!, "seller", "no payment at the provider");
    assert.equal(await available(seller.userId), sellerBefore + 1_000n);
    assert.equal(await available(buyer), 0n);
    // The whole request was frozen and is now returned: it closes.
    assert.deepEqual(await requestOf(seller.requestId!), { status: "closed", remaining: "0", reserved: "0", filled: "0", returned: "1000", frozen: "0" });
    assert.equal((await p2p.desk.getOrder(buyer, order.id)).status, "failed");
    await assertInvariants();
  });

  it("a frozen claim whose payment the provider confirms later resolves itself to the buyer", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    await createSeller(p2p, t.database, "claim3", { deposit: 100_000n, request: { amount: 2_000n, min: 100n, max: 2_000n } });
    const buyer = await createVerifiedUser(t.database, "claim3-buyer");
    const order = await p2p.desk.createOrder(buyer, { amount: 800n, method: "sandbox", idempotencyKey: "claim-3" });
    const claimed = await p2p.desk.claimPaid(buyer, order.id, "paid, the page hung");
    await p2p.sandbox.pay(order.reservation!.invoiceId!, { notify: false });
    assert.equal((await notify(order.reservation!.invoiceId!, "payment.succeeded")).outcome, "dispute_resolved");
    assert.equal(await available(buyer), 800n - commissionOf(800n, TRADE_FEE_BPS));
    assert.equal((await disputeOf(order.reservation!.id, "buyer_claims_paid"))?.status, "resolved_buyer");
    assert.equal((await p2p.desk.confirm(order.reservation!.id)), "already_resolved");
    assert.ok(claimed.disputeId);
    await assertInvariants();
  });

  it("paid after expiry with no liquidity left: to the buyer the seller pays the match; to the seller nothing moves", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const operator = await createVerifiedUser(t.database, "op-late");
    const outcomes: Record<string, unknown> = {};
    for (const side of ["buyer", "seller"] as const) {
      const seller = await createSeller(p2p, t.database, `late-${side}`, { deposit: 10_000n, request: { amount: 1_000n, min: 100n, max: 1_000n } });
      const buyer = await createVerifiedUser(t.database, `late-${side}-buyer`);
      const order = await p2p.desk.createOrder(buyer, { amount: 1_000n, method: "sandbox", idempotencyKey: `late-${side}`, ttlMs: 30_000 });
      await p2p.sandbox.pay(order.reservation!.invoiceId!, { notify: false });
      await p2p.desk.cancelRequest(seller.userId, seller.requestId!); // closing: nothing left to re-reserve
      clock.advance(31_000);
      assert.equal(await p2p.desk.confirm(order.reservation!.id), "disputed");
      const dispute = (await disputeOf(order.reservation!.id, "paid_after_expiry"))!;
      const sellerBefore = await available(seller.userId);
      const resolved = await p2p.desk.resolveDispute(operator, dispute.id, side, `late payment, resolved to the ${side}`);
      if (side === "buyer") {
        assert.equal(await available(seller.userId), sellerBefore - 1_000n);
        assert.equal(await available(buyer), 1_000n - commissionOf(1_000n, TRADE_FEE_BPS));
        assert.ok(resolved.transferId);
      } else {
        assert.equal(resolved.transferId, null);
        assert.equal(await available(seller.userId), sellerBefore);
        assert.equal(await available(buyer), 0n);
      }
      outcomes[side] = (await disputeOf(order.reservation!.id, "paid_after_expiry"))?.status;
      await assertInvariants();
    }
    assert.deepEqual(outcomes, { buyer: "resolved_buyer", seller: "resolved_seller" });
  });

  it("a mismatch dispute resolved while its reservation is pending is frozen first, then decided; a second dispute cannot pay twice", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    const seller = await createSeller(p2p, t.database, "mm", { deposit: 10_000n, request: { amount: 2_000n, min: 100n, max: 2_000n } });
    const buyer = await createVerifiedUser(t.database, "mm-buyer");
    const order = await p2p.desk.createOrder(buyer, { amount: 600n, method: "sandbox", idempotencyKey: "mm-1" });
    const res = order.reservation!;
    // The buyer paid, but the invoice comes back from another shop: a mismatch, nothing credited.
    await p2p.sandbox.pay(res.invoiceId!, { notify: false });
    await db.execute(sql`update p2p_sandbox_invoices set shop_id = 'shop_other' where id = ${res.invoiceId!}`);
    assert.equal(await p2p.desk.confirm(res.id), "mismatch");
    const claim = await p2p.desk.claimPaid(buyer, order.id, "I paid the amount shown");
    const mismatch = (await disputeOf(res.id, "payment_mismatch"))!;
    const operator = await createVerifiedUser(t.database, "op-mm");
    // The claim froze the money; the mismatch dispute holds nothing and cannot pay the buyer too.
    await assert.rejects(p2p.desk.resolveDispute(operator, mismatch.id, "buyer", "pay twice?"), { code: "conflict" });
    await p2p.desk.resolveDispute(operator, claim.disputeId!, "buyer", "shop id was a misconfiguration");
    assert.equal(await available(buyer), 600n - commissionOf(600n, TRADE_FEE_BPS));
    assert.equal((await p2p.desk.resolveDispute(operator, mismatch.id, "seller", "duplicate of the claim")).transferId, null);
    assert.equal((await requestOf(seller.requestId!)).filled, "600");
    await assertInvariants();

    // A pending reservation whose only dispute is a mismatch: resolution freezes it first.
    const buyer2 = await createVerifiedUser(t.database, "mm-buyer2");
    const order2 = await p2p.desk.createOrder(buyer2, { amount: 400n, method: "sandbox", idempotencyKey: "mm-2" });
    await p2p.sandbox.pay(order2.reservation!.invoiceId!, { notify: false });
    await db.execute(sql`update p2p_sandbox_invoices set amount = amount - 1 where id = ${order2.reservation!.invoiceId!}`);
    assert.equal(await p2p.desk.confirm(order2.reservation!.id), "mismatch");
    const mm2 = (await disputeOf(order2.reservation!.id, "payment_mismatch"))!;
    await p2p.desk.resolveDispute(operator, mm2.id, "buyer", "one kopeck short, accepted");
    assert.equal(await available(buyer2), 400n - commissionOf(400n, TRADE_FEE_BPS));
    assert.equal((await disputeOf(order2.reservation!.id, "payment_mismatch"))?.hold_amount, "400");
    assert.equal((await requestOf(seller.requestId!)).filled, "1000");
    await assertInvariants();
  });

  it("concurrent resolutions of one dispute: one moves the money, the rest replay or are refused", async () => {
    const { seller, res } = await postedMatch("race", 1_500n);
    await p2p.sandbox.reverse(res.invoiceId!, "refund", { notify: false });
    assert.equal(await p2p.desk.confirm(res.id), "clawed_back");
    const dispute = (await disputeOf(res.id, "clawback"))!;
    const operator = await createVerifiedUser(t.database, "op-race");
    const sellerBefore = await available(seller.userId);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => p2p.desk.resolveDispute(operator, dispute.id, i % 2 ? "buyer" : "seller", `racer ${i}`)),
    );
    const fresh = results.filter((r) => r.status === "fulfilled" && !r.value.replayed);
    assert.equal(fresh.length, 1);
    for (const r of results) if (r.status === "rejected") assert.equal((r.reason as { code: string }).code, "already_resolved");
    const winner = (fresh[0] as PromiseFulfilledResult<{ outcome: string }>).value.outcome;
    assert.equal(await available(seller.userId), winner === "seller" ? sellerBefore + 1_500n : sellerBefore);
    const [count] = await rows<{ n: number }>(db, sql`select count(*)::int as n from p2p_ledger_transfers where idempotency_key = ${`dispute_resolve:${dispute.id}`}`);
    assert.equal(count!.n, 1);
    await assertInvariants();
  });

  it("refuses a reversal of an unpaid invoice and disputes of unknown ids, changing nothing", async () => {
    await db.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where status = 'open'`);
    await createSeller(p2p, t.database, "bad", { deposit: 10_000n, request: { amount: 1_000n, min: 100n, max: 1_000n } });
    const buyer = await createVerifiedUser(t.database, "bad-buyer");
    const order = await p2p.desk.createOrder(buyer, { amount: 300n, method: "sandbox", idempotencyKey: "bad-1" });
    await assert.rejects(p2p.sandbox.reverse(order.reservation!.invoiceId!, "refund"), /only a succeeded payment/);
    await assert.rejects(p2p.sandbox.reverse("sbx_000000000000000000000000", "chargeback"), /not found/);
    const operator = await createVerifiedUser(t.database, "op-bad");
    await assert.rejects(p2p.desk.resolveDispute(operator, randomUUID(), "buyer", "nope"), { code: "not_found" });
    await assert.rejects(p2p.desk.resolveDispute(operator, randomUUID(), "nobody" as "buyer", "nope"), { code: "invalid_input" });
    assert.equal((await p2p.desk.getOrder(buyer, order.id)).status, "reserved");
    await p2p.desk.cancelOrder(buyer, order.id);
    await assertInvariants();
  });
});
