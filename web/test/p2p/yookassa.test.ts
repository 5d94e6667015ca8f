// The YooKassa v3 adapter against a local fake that speaks its format (Basic auth, Idempotence-Key,
// amounts as decimal strings, statuses, GET /me), through the desk: match → invoice → unsigned
// notification → status call → post; two-stage capture; test shops never credited.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { P2PServices } from "../../server/p2p/index.ts";
import { createVerifiedUser, openTestDatabase, startTestDesk, type P2PTestDatabase } from "./support.ts";

type FakePayment = {
  id: string;
  shop: string;
  status: string;
  amount: { value: string; currency: string };
  test: boolean;
  captured: boolean;
  refunded?: { value: string; currency: string };
};

function startFakeYooKassa() {
  const shops: Record<string, { secret: string; test: boolean }> = {
    "100500": { secret: "live_secret_key_1", test: false },
    "200600": { secret: "test_secret_key_2", test: true },
  };
  const payments = new Map<string, FakePayment>();
  const byKey = new Map<string, string>();
  const calls: { method: string; path: string; idempotenceKey: string | null }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      const auth = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      const [shopId, secret] = auth.split(":");
      const shop = shopId ? shops[shopId] : undefined;
      if (!shop || shop.secret !== secret) return send(401, { type: "error", code: "invalid_credentials" });
      const key = (req.headers["idempotence-key"] as string | undefined) ?? null;
      calls.push({ method: req.method!, path: req.url!, idempotenceKey: key });
      const view = (p: FakePayment) => ({
        id: p.id,
        status: p.status,
        paid: p.status === "succeeded" || p.status === "waiting_for_capture",
        amount: p.amount,
        test: p.test,
        recipient: { account_id: p.shop, gateway_id: "1" },
        confirmation: { type: "redirect", confirmation_url: `https://yoomoney.example/checkout/${p.id}` },
        ...(p.refunded ? { refunded_amount: p.refunded } : {}),
      });
      if (req.method === "GET" && req.url === "/v3/me") return send(200, { account_id: shopId, test: shop.test, status: "enabled" });
      if (req.method === "POST" && !key) return send(400, { type: "error", code: "invalid_request", description: "Idempotence-Key required" });
      if (req.method === "POST" && req.url === "/v3/payments") {
        const existing = byKey.get(`${shopId}:${key}`);
        if (existing) return send(200, view(payments.get(existing)!));
        const input = JSON.parse(body) as { amount: { value: string; currency: string } };
        const p: FakePayment = { id: randomUUID(), shop: shopId!, status: "pending", amount: input.amount, test: shop.test, captured: false };
        payments.set(p.id, p);
        byKey.set(`${shopId}:${key}`, p.id);
        return send(200, view(p));
      }
      const m = /^\/v3\/payments\/([^/]+)(\/capture|\/cancel)?$/.exec(req.url ?? "");
      const p = m ? payments.get(m[1]!) : undefined;
      if (m && (!p || p.shop !== shopId)) return send(404, { type: "error", code: "not_found" });
      if (m && req.method === "GET") return send(200, view(p!));
      if (m && m[2] === "/capture") {
        if (p!.status !== "waiting_for_capture") return send(400, { type: "error", code: "invalid_request" });
        p!.status = "succeeded";
        p!.captured = true;
        return send(200, view(p!));
      }
      if (m && m[2] === "/cancel") {
        p!.status = "canceled";
        return send(200, view(p!));
      }
      if (req.method === "POST" && req.url === "/v3/refunds") {
        // A refund leaves the payment succeeded and reports refunded_amount (as YooKassa does).
        const input = JSON.parse(body) as { payment_id: string; amount: { value: string; currency: string } };
        const paid = payments.get(input.payment_id);
        if (!paid || paid.shop !== shopId || paid.status !== "succeeded") return send(400, { type: "error", code: "invalid_request" });
        paid.refunded = input.amount;
        return send(200, { id: randomUUID(), payment_id: paid.id, status: "succeeded", amount: input.amount });
      }
      return send(404, { type: "error", code: "not_found" });
    });
  });
  return new Promise<{ url: string; payments: Map<string, FakePayment>; calls: typeof calls; close(): Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`,
        payments,
        calls,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

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
