// The desk's group commit at the SQL level (p2p_batch, migrations 0003 and 0004) and the sandbox
// provider's own group commit: every operation of a batch gets its own answer, a refused one leaves
// nothing behind whichever way the batch recovers from it, and a write submitted twice in one group
// happens once.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { userAccountCode } from "../../server/p2p/auth.ts";
import type { P2PServices } from "../../server/p2p/index.ts";
import { checkInvariants } from "../../server/p2p/ledger/invariants.ts";
import { createSandboxProvider } from "../../server/p2p/providers/sandbox.ts";
import { ProviderError } from "../../server/p2p/providers/types.ts";
import { one, pgCode as pgCodeOf, rows, type TxRunner } from "../../server/p2p/sql.ts";
import { createSeller, createVerifiedUser, openTestDatabase, sandboxMatchOp, startTestDesk, type P2PTestDatabase } from "./support.ts";

type Outcome = { o_result: Record<string, string> | boolean | null; o_code: string | null; o_message: string | null };

describe("p2p write batches", () => {
  let t: P2PTestDatabase;
  let p2p: P2PServices;
  let db: TxRunner;

  before(async () => {
    t = await openTestDatabase("p2p_write_batch");
    db = t.database.db as unknown as TxRunner;
    p2p = await startTestDesk(t.database, { env: { P2P_COOLDOWN_SECONDS: "0", P2P_TRADE_FEE_BPS: "100" } });
    await createSeller(p2p, t.database, "ws1", { deposit: 100_000n, request: { amount: 50_000n, min: 100n, max: 5_000n } });
  });
  after(async () => {
    await p2p?.stop();
    await t?.close();
  });

  const match = sandboxMatchOp;
  const batch = (ops: unknown[]) => rows<Outcome>(db, sql`select * from p2p_batch(${JSON.stringify(ops)}::jsonb)`);
  const orderExists = async (orderId: string) => Boolean(await one(db, sql`select 1 from p2p_buyer_orders where id = ${orderId}`));

  it("one refusal: answered with its error, the others run again without it and are kept", async () => {
    const [a, b] = await Promise.all([createVerifiedUser(t.database, "wb-a"), createVerifiedUser(t.database, "wb-b")]);
    const ops = [match(a, 1_000n), match(b, 9_000n) /* above every request's maximum */, match(b, 2_000n)];
    const outcomes = await batch(ops);
    assert.equal(outcomes.length, 3);
    assert.equal(outcomes[0]!.o_code, null);
    assert.equal(outcomes[1]!.o_code, "P2P06");
    assert.equal(outcomes[1]!.o_result, null);
    assert.equal(outcomes[2]!.o_code, null);
    assert.equal(await orderExists(ops[1]!.orderId), false, "the refused match's order was rolled back");
    for (const i of [0, 2]) {
      const reservation = outcomes[i]!.o_result as Record<string, string>;
      assert.equal(reservation.id, ops[i]!.reservationId);
      assert.equal(reservation.status, "pending");
      assert.equal(typeof reservation.amount, "string", "amounts come back as text");
      assert.equal(await orderExists(ops[i]!.orderId), true);
    }
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });

  it("many refusals: past three, the rest run one subtransaction each, with the same answers", async () => {
    const buyers = await Promise.all(Array.from({ length: 5 }, (_, i) => createVerifiedUser(t.database, `wm-${i}`)));
    const ops = [
      match(buyers[0]!, 1_000n),
      match(buyers[1]!, 9_000n), // no liquidity
      { op: "refund", id: randomUUID() }, // unknown operation
      match(buyers[0]!, 500n), // a second pending reservation for the same buyer
      match(buyers[2]!, 9_500n), // no liquidity (the fourth refusal)
      { op: "post", id: randomUUID(), at: new Date().toISOString() }, // nothing to post: false, not an error
      match(buyers[3]!, 700n),
      match(buyers[4]!, 9_999n), // no liquidity (fifth)
    ];
    const outcomes = await batch(ops);
    assert.deepEqual(
      outcomes.map((o) => o.o_code),
      [null, "P2P06", "P2P03", "23505", "P2P06", null, null, "P2P06"],
    );
    assert.equal(outcomes[5]!.o_result, false);
    for (const i of [1, 3, 4, 7]) assert.equal(await orderExists((ops[i] as { orderId: string }).orderId), false, `op ${i} left nothing`);
    for (const i of [0, 6]) assert.equal((outcomes[i]!.o_result as Record<string, string>).status, "pending");
    const pending = await rows<{ n: number }>(
      db,
      sql`select count(*)::int as n from p2p_reservations where buyer_id = ${buyers[0]!} and status = 'pending'`,
    );
    assert.equal(pending[0]!.n, 1);
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });

  it("posts in a batch; a reservation comes back exactly as its generic JSON form", async () => {
    const buyer = await createVerifiedUser(t.database, "wp");
    const [matched] = await batch([match(buyer, 3_000n)]);
    const reservation = matched!.o_result as Record<string, string>;
    const [invoiced] = await batch([{ op: "invoice", id: reservation.id, invoiceId: `inv_${randomUUID()}`, paymentUrl: "/pay" }]);
    assert.equal((invoiced!.o_result as Record<string, string>).payment_url, "/pay");
    const [posted, again] = await batch([
      { op: "post", id: reservation.id, at: new Date().toISOString() },
      { op: "post", id: reservation.id, at: new Date().toISOString() },
    ]);
    assert.equal(posted!.o_result, true);
    assert.equal(again!.o_result, false, "posted once");
    const balance = await one<{ credits_posted: string }>(
      db,
      sql`select credits_posted from p2p_ledger_accounts where code = ${userAccountCode(buyer, "available")}`,
    );
    assert.equal(BigInt(balance!.credits_posted), 3_000n - 30n);
    // p2p_reservation_json lists the columns by name: it must agree with the generic form for
    // every reservation, pending and posted, so a column added later cannot be left out.
    const differing = await rows(
      db,
      sql`select r.id from p2p_reservations r
          where p2p_reservation_json(r) is distinct from (select jsonb_object_agg(key, value #>> '{}') from jsonb_each(to_jsonb(r)))`,
    );
    assert.deepEqual(differing, []);
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });

  // Migration 0005: a batch keeps the requests and ledger accounts it holds in memory and writes
  // each once at its end. Within one batch the FIFO head must be filled to the unit and no further,
  // a request that fills must close (settled mid-batch) and the queue move on, and a refused
  // operation must leave nothing in memory either, whether the batch retries it as a group (one
  // refusal) or one subtransaction per operation (more than three).
  for (const refusals of [1, 4]) {
    it(`hot rows in one batch: FIFO head filled exactly, closed mid-batch, queue moves on (${refusals} refusal(s))`, async () => {
      const first = await createSeller(p2p, t.database, `hot${refusals}a`, { deposit: 10_000n, request: { amount: 3_000n, min: 100n, max: 3_000n } });
      const second = await createSeller(p2p, t.database, `hot${refusals}b`, { deposit: 100_000n, request: { amount: 50_000n, min: 100n, max: 5_000n } });
      const forms = await rows<{ id: string }>(db, sql`select id from p2p_api_forms where id not in (${first.apiFormId}, ${second.apiFormId})`);
      const excludedForms = forms.map((f) => f.id);
      const buyers = await Promise.all(Array.from({ length: 6 }, (_, i) => createVerifiedUser(t.database, `hot${refusals}-${i}`)));
      const m = (i: number, amount: bigint) => ({ ...match(buyers[i]!, amount), excludedForms });
      const post = (op: { reservationId: string }) => ({ op: "post", id: op.reservationId, at: new Date().toISOString() });
      const ops: Record<string, unknown>[] = [];
      const expect: (string | null)[] = [];
      const add = (op: Record<string, unknown>, code: string | null) => {
        ops.push(op);
        expect.push(code);
        return op as { reservationId: string; orderId: string };
      };
      const tooBig = () => add(m(5, 9_999n), "P2P06");
      const a = add(m(0, 1_000n), null); // first: 2,000 left
      const b = add(m(1, 1_500n), null); // first: 500 left
      const c = add(m(2, 1_000n), null); // more than the first has left: second
      add(m(2, 200n), "23505"); // a second pending reservation for buyer 2
      for (let i = 1; i < refusals; i += 1) tooBig();
      add(post(a), null);
      add(post(b), null);
      const d = add(m(3, 500n), null); // first's last 500
      add(post(d), null); // first is filled: closed in the middle of the batch
      const e = add(m(4, 200n), null); // the queue has moved on: second
      const outcomes = await batch(ops);
      assert.deepEqual(outcomes.map((o) => o.o_code), expect);
      const sellerOf = (op: { reservationId: string }, i: number) => {
        const reservation = outcomes[ops.indexOf(op as Record<string, unknown>)]!.o_result as Record<string, string>;
        assert.equal(reservation.id, op.reservationId, `op ${i}`);
        return reservation.request_id;
      };
      assert.deepEqual([a, b, c, d, e].map(sellerOf), [first.requestId, first.requestId, second.requestId, first.requestId, second.requestId]);
      const requests = await rows<{ id: string; remaining: string; reserved: string; filled: string; returned: string; status: string }>(
        db,
        sql`select id, remaining::text, reserved::text, filled::text, returned::text, status from p2p_withdrawal_requests
            where id in (${first.requestId!}, ${second.requestId!}) order by queue_seq`,
      );
      assert.deepEqual(requests.map(({ id, ...rest }) => rest), [
        { remaining: "0", reserved: "0", filled: "3000", returned: "0", status: "closed" },
        { remaining: "48800", reserved: "1200", filled: "0", returned: "0", status: "open" },
      ]);
      const onSale = async (userId: string) =>
        one<{ debits_pending: string; debits_posted: string; credits_posted: string }>(
          db,
          sql`select debits_pending::text, debits_posted::text, credits_posted::text from p2p_ledger_accounts where code = ${userAccountCode(userId, "on_sale")}`,
        );
      assert.deepEqual(await onSale(first.userId), { debits_pending: "0", debits_posted: "3000", credits_posted: "3000" });
      assert.deepEqual(await onSale(second.userId), { debits_pending: "1200", debits_posted: "0", credits_posted: "50000" });
      const available = await one<{ credits_posted: string; credits_pending: string }>(
        db,
        sql`select credits_posted::text, credits_pending::text from p2p_ledger_accounts where code = ${userAccountCode(buyers[0]!, "available")}`,
      );
      assert.deepEqual(available, { credits_posted: "990", credits_pending: "0" });
      assert.deepEqual((await checkInvariants(db)).violations, []);
    });
  }

  it("an account the batch holds in memory is never driven below zero: that match alone is refused with the CHECK's error", async () => {
    const seller = await createSeller(p2p, t.database, "hotneg", { deposit: 10_000n, request: { amount: 3_000n, min: 100n, max: 3_000n } });
    const forms = await rows<{ id: string }>(db, sql`select id from p2p_api_forms where id <> ${seller.apiFormId}`);
    const excludedForms = forms.map((f) => f.id);
    const onSale = userAccountCode(seller.userId, "on_sale");
    // Test-only damage: the on-sale account covers 2,500 of the request's 3,000, so the request's
    // own check lets a match through that only the ledger's non-negative rule can stop.
    await db.execute(sql`update p2p_ledger_accounts set credits_posted = credits_posted - 500 where code = ${onSale}`);
    try {
      const buyers = await Promise.all([0, 1, 2].map((i) => createVerifiedUser(t.database, `hotneg-${i}`)));
      const ops = [2_000n, 1_000n, 500n].map((amount, i) => ({ ...match(buyers[i]!, amount), excludedForms }));
      const outcomes = await rows<Outcome & { o_constraint: string | null }>(db, sql`select * from p2p_batch(${JSON.stringify(ops)}::jsonb)`);
      assert.deepEqual(outcomes.map((o) => [o.o_code, o.o_constraint]), [
        [null, null],
        ["23514", "p2p_ledger_accounts_non_negative"],
        [null, null],
      ]);
      assert.equal(await orderExists(ops[1]!.orderId), false);
      const account = await one<{ debits_pending: string }>(db, sql`select debits_pending::text from p2p_ledger_accounts where code = ${onSale}`);
      assert.equal(account!.debits_pending, "2500");
      const request = await one<{ remaining: string; reserved: string }>(
        db,
        sql`select remaining::text, reserved::text from p2p_withdrawal_requests where id = ${seller.requestId!}`,
      );
      assert.deepEqual(request, { remaining: "500", reserved: "2500" });
    } finally {
      await db.execute(sql`update p2p_ledger_accounts set credits_posted = credits_posted + 500 where code = ${onSale}`);
    }
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });

  it("orders have no foreign key to their buyer: users cannot be deleted, and an order without its user is reported", async () => {
    const user = await createVerifiedUser(t.database, "nofk");
    await assert.rejects(db.execute(sql`delete from p2p_users where id = ${user}`), (error: unknown) => pgCodeOf(error) === "P2P03");
    const rollback = new Error("rollback");
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.execute(
          sql`insert into p2p_buyer_orders (user_id, currency, fiat_currency, amount, method, status, idempotency_key, request_hash)
              values (${randomUUID()}, 'VUSD', 'RUB', 100, 'sandbox', 'failed', ${randomUUID()}, 'h')`,
        );
        const report = await checkInvariants(tx);
        assert.ok(report.violations.some((v) => /belongs to a user that does not exist/.test(v)), report.violations.join("; "));
        throw rollback;
      }),
      (error: unknown) => error === rollback,
    );
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });

  describe("sandbox group commit", () => {
    let server: Server;
    let notifications = 0;
    before(async () => {
      server = createServer((req, res) => {
        notifications += 1;
        req.resume();
        res.end("ok");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("invoices created together: one per reference, the same id for a repeated reference", async () => {
      const sandbox = createSandboxProvider({ db, secret: "s", notifyBase: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const credentials = { shopId: "shop_group", secretKey: "sk_live_abcdefgh12345678" };
      const run = randomUUID().slice(0, 8);
      const references = Array.from({ length: 12 }, (_, i) => `ref-${run}-${i % 8}`);
      const input = (reference: string) => ({ reference, amount: 12_345n, currency: "RUB", description: "x", expiresAt: new Date(Date.now() + 60_000) });
      const invoices = await Promise.all(references.map((reference) => sandbox.createInvoice(credentials, input(reference))));
      const byReference = new Map<string, string>();
      references.forEach((reference, i) => {
        const seen = byReference.get(reference);
        if (seen) assert.equal(invoices[i]!.invoiceId, seen, `reference ${reference} got one invoice`);
        byReference.set(reference, invoices[i]!.invoiceId);
      });
      const stored = await rows<{ n: number }>(db, sql`select count(*)::int as n from p2p_sandbox_invoices where shop_id = 'shop_group'`);
      assert.equal(stored[0]!.n, byReference.size);
      const status = await sandbox.getStatus(credentials, invoices[0]!.invoiceId);
      assert.equal(status.amount, 12_345n);
      assert.equal(status.status, "pending");

      // Paid twice at once (a double click) and an unknown invoice in the same group: the payment
      // happens once and is notified once; the unknown one fails alone.
      const target = invoices[0]!.invoiceId;
      const [first, second, unknown] = await Promise.allSettled([sandbox.pay(target), sandbox.pay(target), sandbox.pay("sbx_missing")]);
      assert.equal(first.status, "fulfilled");
      assert.equal(second.status, "fulfilled");
      const paid = [first, second].map((r) => (r as PromiseFulfilledResult<{ status: string; notified: boolean }>).value);
      assert.deepEqual(paid.map((p) => p.status), ["succeeded", "succeeded"]);
      assert.equal(paid.filter((p) => p.notified).length, 1, "one notification for one payment");
      assert.equal(notifications, 1);
      assert.equal(unknown.status, "rejected");
      assert.ok((unknown as PromiseRejectedResult).reason instanceof ProviderError);
      assert.equal((await sandbox.getStatus(credentials, target)).status, "succeeded");
      const again = await sandbox.pay(target);
      assert.deepEqual(again, { status: "succeeded", notified: false });
    });
  });
});
