// The desk through HTTP against the real production server: sign-up to payout, every bad input a
// clear 4xx with nothing changed, a smaller concurrent run, and a crash between reservation and
// confirmation (SIGKILL, restart: nothing lost, expiry still fires).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { openDatabase, type Database } from "../../server/db/index.ts";
import { checkInvariants } from "../../server/p2p/ledger/invariants.ts";
import type { TxRunner } from "../../server/p2p/sql.ts";
import { startFakeChain, startFakeIndexer, type FakeDependency } from "../support/fake-dependencies.ts";
import { createTemporaryDatabase, withClient, type TemporaryDatabase } from "../support/postgres.ts";
import { startServerProcess, type ServerProcess } from "../support/server-process.ts";
import { enrolTotp } from "../security/p2p-support.ts";
import { Client } from "../security/p2p-support.ts";

const OPERATOR = "operator@coinpays.test";


describe("p2p over HTTP", () => {
  let database: TemporaryDatabase;
  let chain: FakeDependency;
  let indexer: FakeDependency;
  let server: ServerProcess;
  let handle: Database;
  const env = () => ({
    DATABASE_URL: database.url,
    RPC_URL: chain.url,
    INDEXER_URL: indexer.url,
    P2P_OPERATOR_EMAILS: OPERATOR,
    P2P_RESERVATION_TTL_SECONDS: "6",
    P2P_SWEEP_INTERVAL_MS: "300",
    P2P_COOLDOWN_SECONDS: "0",
    P2P_TRADE_FEE_BPS: "100",
    // Every account here signs up from 127.0.0.1 (40-odd, 30 of them at once).
    P2P_SIGNUPS_PER_CLIENT_PER_HOUR: "1000",
  });
  const base = () => server.url;

  before(async () => {
    database = await createTemporaryDatabase("p2p_http");
    chain = await startFakeChain(31337, 1n);
    indexer = await startFakeIndexer(200);
    server = await startServerProcess(env());
    handle = await openDatabase({ kind: "postgres", url: database.url }, pino({ level: "silent" }));
  });
  after(async () => {
    await handle?.close();
    await server?.stop("SIGKILL").catch(() => undefined);
    await Promise.all([chain?.close(), indexer?.close()]);
    await database?.drop();
  });

  async function latestCode(to: string): Promise<string> {
    const result = await withClient(database.url, (c) =>
      c.query(`select subject from p2p_mail_outbox where "to" = $1 order by id desc limit 1`, [to.toLowerCase()]),
    );
    return /(\d{6})/.exec(String(result.rows[0]?.subject))![1]!;
  }

  async function signedUp(email: string): Promise<Client> {
    const client = new Client(base);
    assert.equal((await client.call("POST", "/api/p2p/auth/signup", { email, password: "a long password" })).status, 201);
    assert.equal((await client.call("POST", "/api/p2p/auth/signin", { email, password: "a long password" })).status, 200);
    assert.equal((await client.call("POST", "/api/p2p/auth/verify", { code: await latestCode(email) })).status, 200);
    return client;
  }

  async function seller(label: string, deposit: string, request: { amount: string; min: string; max: string }) {
    const email = `${label}-${randomUUID().slice(0, 6)}@example.com`;
    const client = await signedUp(email);
    const gameEmail = `${label}-${randomUUID().slice(0, 6)}@game.example`;
    assert.equal((await client.call("POST", "/api/p2p/wallet/game-email", { gameEmail })).status, 202);
    assert.equal((await client.call("POST", "/api/p2p/wallet/game-email/confirm", { code: await latestCode(gameEmail) })).status, 200);
    assert.equal((await client.call("POST", "/api/p2p/dev/deposits", { amount: deposit })).status, 201);
    const form = await client.call("POST", "/api/p2p/api-forms", {
      provider: "sandbox",
      displayName: "shop",
      credentials: { shopId: `shop_${label}`, secretKey: "sk_live_httptest12345" },
    });
    assert.equal(form.status, 201, JSON.stringify(form.json));
    const created = await client.call(
      "POST",
      "/api/p2p/requests",
      { apiFormId: form.json.apiForm.id, amount: request.amount, minPerBuyer: request.min, maxPerBuyer: request.max },
      { "idempotency-key": `req-${label}` },
    );
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return { client, formId: form.json.apiForm.id as string, requestId: created.json.request.id as string };
  }

  async function counts() {
    return withClient(database.url, async (c) => (await c.query(
      `select (select count(*) from p2p_ledger_transfers)::int as t, (select count(*) from p2p_buyer_orders)::int as o,
              (select count(*) from p2p_withdrawal_requests)::int as r, (select count(*) from p2p_api_forms)::int as f`,
    )).rows[0]);
  }

  async function waitFor(client: Client, orderId: string, status: string, ms = 15_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const got = await client.call("GET", `/api/p2p/orders/${orderId}`);
      if (got.json.order?.status === status) return got.json.order;
      if (Date.now() > deadline) throw new Error(`order ${orderId} is ${got.json.order?.status}, expected ${status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("seller deposits and lists; buyer tops up, pays on the sandbox page, gets credited; seller sees the payout", { timeout: 60_000 }, async () => {
    const s = await seller("alice", "500.00", { amount: "300.00", min: "5.00", max: "100.00" });
    // Same Idempotency-Key: same request; with another body: 409.
    const replay = await s.client.call(
      "POST",
      "/api/p2p/requests",
      { apiFormId: s.formId, amount: "300.00", minPerBuyer: "5.00", maxPerBuyer: "100.00" },
      { "idempotency-key": "req-alice" },
    );
    assert.equal(replay.status, 200);
    assert.equal(replay.json.request.id, s.requestId);
    const conflict = await s.client.call(
      "POST",
      "/api/p2p/requests",
      { apiFormId: s.formId, amount: "301.00", minPerBuyer: "5.00", maxPerBuyer: "100.00" },
      { "idempotency-key": "req-alice" },
    );
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json.error.code, "idempotency_conflict");

    const buyer = await signedUp(`bob-${randomUUID().slice(0, 6)}@example.com`);
    const order = await buyer.call("POST", "/api/p2p/orders", { amount: "25.00", method: "sandbox" }, { "idempotency-key": "o-1" });
    assert.equal(order.status, 201, JSON.stringify(order.json));
    const reservation = order.json.order.reservation;
    assert.equal(reservation.fiatAmount, "237500"); // 25.00 × 95.00 ₽ = 2 375.00 ₽ in kopecks
    const invoicePage = await buyer.call("GET", `/p2p/orders/${order.json.order.id}`);
    assert.equal(invoicePage.status, 200);
    assert.match(invoicePage.json.raw, /2375\.00/);
    const payPage = await new Client(base).call("GET", reservation.paymentUrl.replace(/^https?:\/\/[^/]+/, ""));
    assert.equal(payPage.status, 200);
    const paid = await new Client(base).call("POST", `/api/p2p/sandbox/invoices/${reservation.invoiceId}/pay`, {});
    assert.equal(paid.status, 200);
    await waitFor(buyer, order.json.order.id, "paid");
    const me = await buyer.call("GET", "/api/p2p/me");
    assert.equal(me.json.balances.available, String(2500n - 25n)); // 1 % trade fee
    const payouts = await s.client.call("GET", "/p2p/seller");
    assert.match(payouts.json.raw, /posted/);
    assert.deepEqual((await checkInvariants(handle.db as unknown as TxRunner)).violations, []);
  });

  it("a refund after payment: the operator reverses the sandbox payment, the desk claws back once, the operator resolves once", { timeout: 60_000 }, async () => {
    // Above the earlier seller's 100.00 maximum, so this seller serves it.
    const s = await seller("rita", "300.00", { amount: "200.00", min: "5.00", max: "150.00" });
    const buyer = await signedUp(`rob-${randomUUID().slice(0, 6)}@example.com`);
    const operator = await signedUp(OPERATOR);
    // Money actions take a fresh code from the operator's authenticator app each.
    const authenticator = await enrolTotp(operator);
    const order = await buyer.call("POST", "/api/p2p/orders", { amount: "120.00", method: "sandbox" }, { "idempotency-key": "refund-1" });
    assert.equal(order.status, 201, JSON.stringify(order.json));
    const { invoiceId } = order.json.order.reservation;
    // Not paid yet: nothing to reverse.
    const early = await operator.call("POST", `/api/p2p/sandbox/invoices/${invoiceId}/reverse`, { kind: "refund" });
    assert.equal(early.status, 409, JSON.stringify(early.json));
    assert.equal((await new Client(base).call("POST", `/api/p2p/sandbox/invoices/${invoiceId}/pay`, {})).status, 200);
    await waitFor(buyer, order.json.order.id, "paid");
    assert.equal((await buyer.call("GET", "/api/p2p/me")).json.balances.available, "11880"); // 120.00 − 1 %

    assert.equal((await operator.call("POST", `/api/p2p/sandbox/invoices/${invoiceId}/reverse`, { kind: "bogus" })).status, 400);
    const reversed = await operator.call("POST", `/api/p2p/sandbox/invoices/${invoiceId}/reverse`, { kind: "refund" });
    assert.equal(reversed.status, 200, JSON.stringify(reversed.json));
    await waitFor(buyer, order.json.order.id, "disputed");
    assert.equal((await buyer.call("GET", "/api/p2p/me")).json.balances.available, "0");
    const overview = await operator.call("GET", "/api/p2p/operator/overview");
    const dispute = overview.json.disputes.find((d: { reservation_id: string }) => d.reservation_id === order.json.order.reservation.id);
    assert.equal(dispute?.reason, "clawback");
    assert.equal(dispute?.hold_amount, "12000");

    const sellerBefore = (await s.client.call("GET", "/api/p2p/me")).json.balances.available;
    const resolve = async () =>
      operator.call("POST", `/api/p2p/operator/disputes/${dispute.id}/resolve`, { outcome: "seller", note: "refund confirmed", otp: await authenticator.next() });
    const first = await resolve();
    assert.equal(first.status, 200, JSON.stringify(first.json));
    const again = await resolve();
    assert.equal(again.json.transferId, first.json.transferId);
    assert.equal(again.json.replayed, true);
    const other = await operator.call("POST", `/api/p2p/operator/disputes/${dispute.id}/resolve`, { outcome: "buyer", note: "changed mind", otp: await authenticator.next() });
    assert.equal(other.status, 409);
    assert.equal((await s.client.call("GET", "/api/p2p/me")).json.balances.available, String(BigInt(sellerBefore) + 12000n));
    assert.equal((await buyer.call("GET", `/api/p2p/orders/${order.json.order.id}`)).json.order.status, "failed");
    assert.deepEqual((await checkInvariants(handle.db as unknown as TxRunner)).violations, []);
  });

  it("answers every bad input with a clear 4xx and changes nothing", { timeout: 60_000 }, async () => {
    const buyer = await signedUp(`eve-${randomUUID().slice(0, 6)}@example.com`);
    const stranger = new Client(base);
    const before = await counts();
    const cases: [Client, string, string, unknown, Record<string, string>, number][] = [
      [stranger, "POST", "/api/p2p/auth/signup", { email: "not-an-email", password: "a long password" }, {}, 400],
      [stranger, "POST", "/api/p2p/auth/signup", { email: "x@example.com", password: "short" }, {}, 400],
      [stranger, "POST", "/api/p2p/auth/signin", { email: "x@example.com", password: "nope nope nope" }, {}, 401],
      [stranger, "POST", "/api/p2p/orders", { amount: "1.00" }, { "idempotency-key": "k" }, 401],
      [buyer, "POST", "/api/p2p/orders", "{not json", { "idempotency-key": "k" }, 400],
      [buyer, "POST", "/api/p2p/orders", { amount: "1.001" }, { "idempotency-key": "k" }, 400],
      [buyer, "POST", "/api/p2p/orders", { amount: "-1.00" }, { "idempotency-key": "k" }, 400],
      [buyer, "POST", "/api/p2p/orders", { amount: 5 }, { "idempotency-key": "k" }, 400],
      [buyer, "POST", "/api/p2p/orders", { amount: "0" }, { "idempotency-key": "k" }, 400],
      [buyer, "POST", "/api/p2p/orders", { amount: "1.00" }, {}, 400],
      [buyer, "POST", "/api/p2p/orders", { amount: "999999.00" }, { "idempotency-key": "k" }, 409],
      [buyer, "POST", "/api/p2p/orders", { amount: "1".repeat(45) }, { "idempotency-key": "k" }, 400],
      [buyer, "POST", "/api/p2p/requests", { apiFormId: randomUUID(), amount: "1.00", minPerBuyer: "1.00", maxPerBuyer: "1.00" }, { "idempotency-key": "k" }, 404],
      [buyer, "POST", "/api/p2p/requests", { apiFormId: "nope", amount: "1.00", minPerBuyer: "1.00", maxPerBuyer: "1.00" }, { "idempotency-key": "k" }, 400],
      [buyer, "GET", `/api/p2p/orders/${randomUUID()}`, undefined, {}, 404],
      [buyer, "GET", "/api/p2p/orders/not-a-uuid", undefined, {}, 404],
      [buyer, "POST", `/api/p2p/requests/${randomUUID()}/cancel`, {}, {}, 404],
      [buyer, "GET", "/api/p2p/operator/overview", undefined, {}, 403],
      [buyer, "POST", "/api/p2p/dev/deposits", { amount: "10.00" }, {}, 409],
      [buyer, "POST", "/api/p2p/api-forms", { provider: "sandbox", displayName: "x", credentials: { shopId: "s", secretKey: "bad" } }, {}, 400],
      [buyer, "POST", "/api/p2p/auth/verify", { code: "12" }, {}, 400],
      [stranger, "POST", "/api/p2p/providers/sandbox/notify", { event_id: "e", invoice_id: "sbx_x" }, { "x-sandbox-signature": "t=1,v1=ab" }, 401],
      [stranger, "POST", "/api/p2p/sandbox/invoices/sbx_000000000000000000000000/pay", {}, {}, 404],
      [buyer, "POST", "/api/p2p/orders", "amount=1", { "content-type": "application/x-www-form-urlencoded", "idempotency-key": "k" }, 415],
      [buyer, "POST", "/api/p2p/orders/not-a-uuid/claim-paid", { note: "I paid" }, {}, 404],
      [buyer, "POST", `/api/p2p/orders/${randomUUID()}/claim-paid`, { note: "I paid" }, {}, 404],
      [buyer, "POST", `/api/p2p/orders/${randomUUID()}/claim-paid`, {}, {}, 400],
      [buyer, "POST", "/api/p2p/sandbox/invoices/sbx_000000000000000000000000/reverse", { kind: "refund" }, {}, 403],
      [buyer, "POST", `/api/p2p/operator/disputes/${randomUUID()}/resolve`, { outcome: "buyer", note: "mine" }, {}, 403],
    ];
    for (const [client, method, path, body, headers, status] of cases) {
      const got = await client.call(method, path, body, headers);
      assert.equal(got.status, status, `${method} ${path} ${JSON.stringify(body)} → ${got.status} ${JSON.stringify(got.json)}`);
      if (status !== 200 && got.json.error) assert.equal(typeof got.json.error.code, "string");
    }
    assert.deepEqual(await counts(), before);
    assert.deepEqual((await checkInvariants(handle.db as unknown as TxRunner)).violations, []);
  });

  it("30 buyers against 3 sellers at once over HTTP: no oversell, invariants hold, every reservation ends", { timeout: 60_000 }, async () => {
    for (const label of ["c1", "c2", "c3"]) await seller(label, "400.00", { amount: "200.00", min: "5.00", max: "60.00" });
    const buyers = await Promise.all(Array.from({ length: 30 }, (_, i) => signedUp(`cb${i}-${randomUUID().slice(0, 6)}@example.com`)));
    await Promise.all(
      buyers.map(async (buyer, i) => {
        const got = await buyer.call("POST", "/api/p2p/orders", { amount: `${10 + (i % 40)}.00` }, { "idempotency-key": `c-${i}` });
        if (got.status !== 201) {
          assert.equal(got.status, 409, JSON.stringify(got.json));
          return;
        }
        if (i % 3 !== 2 && got.json.order.reservation?.invoiceId) {
          await new Client(base).call("POST", `/api/p2p/sandbox/invoices/${got.json.order.reservation.invoiceId}/pay`, {});
        }
      }),
    );
    // Unpaid ones expire (TTL 6 s) through the server's sweeper.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const open = await withClient(database.url, async (c) => (await c.query(`select count(*)::int as n from p2p_reservations where status = 'pending'`)).rows[0].n);
      if (open === 0) break;
      if (Date.now() > deadline) throw new Error(`${open} reservations still pending`);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual((await checkInvariants(handle.db as unknown as TxRunner)).violations, []);
  });

  it("crash between reservation and confirmation: after a restart nothing is lost and expiry still fires", { timeout: 90_000 }, async () => {
    await seller("crash", "100.00", { amount: "50.00", min: "5.00", max: "50.00" });
    const buyer = await signedUp(`crashbuyer-${randomUUID().slice(0, 6)}@example.com`);
    const paidBuyer = await signedUp(`crashpayer-${randomUUID().slice(0, 6)}@example.com`);
    const unpaid = await buyer.call("POST", "/api/p2p/orders", { amount: "20.00" }, { "idempotency-key": "crash-1" });
    const paid = await paidBuyer.call("POST", "/api/p2p/orders", { amount: "10.00" }, { "idempotency-key": "crash-2" });
    assert.equal(unpaid.status, 201, JSON.stringify(unpaid.json));
    assert.equal(paid.status, 201, JSON.stringify(paid.json));
    // The buyer pays at the provider, but the server dies before it hears about it.
    await withClient(database.url, (c) => c.query(`update p2p_sandbox_invoices set notify_url = null where id = $1`, [paid.json.order.reservation.invoiceId]));
    await new Client(base).call("POST", `/api/p2p/sandbox/invoices/${paid.json.order.reservation.invoiceId}/pay`, {});
    await server.stop("SIGKILL");
    server = await startServerProcess(env());
    // Expiry fires after the restart; the paid one is found by the status call and credited.
    await waitFor(buyer, unpaid.json.order.id, "expired", 30_000);
    await waitFor(paidBuyer, paid.json.order.id, "paid", 30_000);
    assert.deepEqual((await checkInvariants(handle.db as unknown as TxRunner)).violations, []);
  });
});
