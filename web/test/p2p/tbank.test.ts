// The T-Bank acquiring v2 adapter against a local fake that speaks its format (Init / GetState /
// Confirm / Cancel, kopecks, SHA-256 Token over sorted root values + Password), through the desk:
// token-verified notifications (forged ones refused), status-call confirmation, DEMO terminals never count.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { P2PServices } from "../../server/p2p/index.ts";
import { tbankToken } from "../../server/p2p/providers/tbank.ts";
import { createVerifiedUser, openTestDatabase, startTestDesk, type P2PTestDatabase } from "./support.ts";

const TERMINALS: Record<string, string> = { "1700000000001": "live-password", "1700000000002DEMO": "demo-password" };

function startFakeTBank() {
  const payments = new Map<string, { terminal: string; status: string; amount: number; orderId: string }>();
  let nextId = 5_000_000;
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const send = (json: Record<string, unknown>) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      const body = JSON.parse(raw) as Record<string, unknown>;
      const terminal = String(body.TerminalKey);
      const password = TERMINALS[terminal];
      if (!password) return send({ Success: false, ErrorCode: "202", Message: "Terminal blocked" });
      if (body.Token !== tbankToken(body, password)) return send({ Success: false, ErrorCode: "204", Message: "Invalid token" });
      const method = req.url!.split("/").pop();
      if (method === "Init") {
        const id = String(nextId++);
        payments.set(id, { terminal, status: "NEW", amount: Number(body.Amount), orderId: String(body.OrderId) });
        return send({ Success: true, ErrorCode: "0", TerminalKey: terminal, Status: "NEW", PaymentId: id, OrderId: body.OrderId, Amount: body.Amount, PaymentURL: `https://securepay.example/${id}` });
      }
      const p = payments.get(String(body.PaymentId));
      if (!p || p.terminal !== terminal) return send({ Success: false, ErrorCode: "7", Message: "Payment not found" });
      if (method === "GetState") return send({ Success: true, ErrorCode: "0", TerminalKey: terminal, Status: p.status, PaymentId: body.PaymentId, OrderId: p.orderId, Amount: p.amount });
      if (method === "Confirm") {
        p.status = "CONFIRMED";
        return send({ Success: true, ErrorCode: "0", Status: p.status, PaymentId: body.PaymentId });
      }
      if (method === "Cancel") {
        p.status = p.status === "CONFIRMED" ? "REFUNDED" : "CANCELED";
        return send({ Success: true, ErrorCode: "0", Status: p.status, PaymentId: body.PaymentId });
      }
      return send({ Success: false, ErrorCode: "9999", Message: "unknown method" });
    });
  });
  return new Promise<{ url: string; payments: typeof payments; close(): Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2`,
        payments,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

describe("T-Bank acquiring v2 adapter", () => {
  let t: P2PTestDatabase;
  let p2p: P2PServices;
  let fake: Awaited<ReturnType<typeof startFakeTBank>>;

  before(async () => {
    fake = await startFakeTBank();
    t = await openTestDatabase("p2p_tbank");
    p2p = await startTestDesk(t.database, { env: { P2P_TBANK_API_URL: fake.url, P2P_COOLDOWN_SECONDS: "0" } });
  });
  after(async () => {
    await p2p?.stop();
    await t?.close();
    await fake?.close();
  });

  it("computes the token over sorted root-level values plus the password", () => {
    // Documented example shape: Amount, Description, OrderId, Password, TerminalKey in key order.
    const token = tbankToken({ TerminalKey: "T", Amount: 100, OrderId: "1", Description: "d", DATA: { x: 1 } }, "pw");
    assert.equal(token, createHash("sha256").update("100d1pwT").digest("hex"));
  });

  async function tbankSeller(terminalKey: string, password: string) {
    const gameEmail = `tb-${randomUUID().slice(0, 8)}@game.example`;
    const userId = await createVerifiedUser(t.database, "tb", gameEmail);
    await p2p.desk.recordDeposit({ transferId: randomUUID(), occurredAt: new Date(), senderEmail: gameEmail, amount: 100_000n, currency: "VUSD" }, "test");
    const form = await p2p.desk.addApiForm(userId, { provider: "tbank", displayName: "T-Bank", credentials: { terminalKey, password } });
    const request = await p2p.desk.createRequest(userId, { apiFormId: form.id, amount: 10_000n, minPerBuyer: 100n, maxPerBuyer: 10_000n, idempotencyKey: randomUUID() });
    return { userId, form, requestId: request.id };
  }

  it("rejects a wrong password; match → Init in kopecks → signed notification → GetState → posted; forged tokens refused", async () => {
    const bad = await createVerifiedUser(t.database, "tb-bad");
    await assert.rejects(
      p2p.desk.addApiForm(bad, { provider: "tbank", displayName: "x", credentials: { terminalKey: "1700000000001", password: "wrong" } }),
      { code: "invalid_input" },
    );
    const seller = await tbankSeller("1700000000001", "live-password");
    assert.deepEqual({ shopId: seller.form.shopId, live: seller.form.live }, { shopId: "1700000000001", live: true });
    const buyer = await createVerifiedUser(t.database, "tb-buyer");
    const order = await p2p.desk.createOrder(buyer, { amount: 1_234n, method: "tbank", idempotencyKey: "tb1" });
    const r = order.reservation!;
    assert.equal(fake.payments.get(r.invoiceId!)?.amount, 117_230); // 12.34 $ × 95 ₽ = 1172.30 ₽ in kopecks

    const notification = (status: string, password = "live-password") => {
      const body: Record<string, unknown> = {
        TerminalKey: "1700000000001",
        OrderId: r.id,
        Success: true,
        Status: status,
        PaymentId: Number(r.invoiceId),
        ErrorCode: "0",
        Amount: 117_230,
      };
      return JSON.stringify({ ...body, Token: tbankToken(body, password) });
    };
    await assert.rejects(p2p.desk.handleNotification("tbank", new Headers(), notification("CONFIRMED", "guessed")), { code: "invalid_signature" });
    // A correctly signed notification is still only a hint: GetState says NEW, nothing is credited.
    assert.equal(await p2p.desk.handleNotification("tbank", new Headers(), notification("CONFIRMED")), "pending");
    fake.payments.get(r.invoiceId!)!.status = "CONFIRMED";
    // The same event again once the payment went through: de-duplication is on what GetState says, not
    // on the notification's words, so the early hint (sent by anyone holding the terminal's password)
    // cannot make the real notification a "duplicate". It posts; a repeat then is the duplicate.
    assert.equal(await p2p.desk.handleNotification("tbank", new Headers(), notification("CONFIRMED")), "posted");
    assert.equal(await p2p.desk.handleNotification("tbank", new Headers(), notification("CONFIRMED")), "duplicate");
    assert.equal(await p2p.desk.confirm(r.id), "already_resolved");
    assert.equal((await p2p.desk.balances(buyer)).available, 1_234n);
    await p2p.desk.cancelRequest(seller.userId, seller.requestId);

    // Two-stage: AUTHORIZED is confirmed (captured) only while the reservation is valid.
    const seller2 = await tbankSeller("1700000000001", "live-password");
    const buyer2 = await createVerifiedUser(t.database, "tb-buyer2");
    const order2 = await p2p.desk.createOrder(buyer2, { amount: 500n, method: "tbank", idempotencyKey: "tb2" });
    fake.payments.get(order2.reservation!.invoiceId!)!.status = "AUTHORIZED";
    assert.equal(await p2p.desk.confirm(order2.reservation!.id), "posted");
    assert.equal(fake.payments.get(order2.reservation!.invoiceId!)!.status, "CONFIRMED");
    await p2p.desk.cancelRequest(seller2.userId, seller2.requestId);

    // A DEMO terminal's payments never count.
    const demo = await tbankSeller("1700000000002DEMO", "demo-password");
    assert.equal(demo.form.live, false);
    const buyer3 = await createVerifiedUser(t.database, "tb-buyer3");
    const order3 = await p2p.desk.createOrder(buyer3, { amount: 300n, method: "tbank", idempotencyKey: "tb3" });
    fake.payments.get(order3.reservation!.invoiceId!)!.status = "CONFIRMED";
    assert.equal(await p2p.desk.confirm(order3.reservation!.id), "mismatch");
    assert.equal((await p2p.desk.balances(buyer3)).available, 0n);
    await p2p.desk.cancelOrder(buyer3, order3.id);
    assert.equal(fake.payments.get(order3.reservation!.invoiceId!)!.status, "CONFIRMED", "cancel does not touch a paid DEMO payment here");
    await p2p.desk.cancelRequest(demo.userId, demo.requestId);
    assert.deepEqual((await p2p.desk.checkInvariants()).violations, []);
  });

  it("REFUNDED and REVERSED after CONFIRMED claw the match back (signed notification → GetState), once each", async () => {
    const operator = await createVerifiedUser(t.database, "tb-op");
    for (const [label, finalStatus] of [["refund", "REFUNDED"], ["reversal", "REVERSED"]] as const) {
      const seller = await tbankSeller("1700000000001", "live-password");
      const buyer = await createVerifiedUser(t.database, `tb-${label}`);
      const order = await p2p.desk.createOrder(buyer, { amount: 800n, method: "tbank", idempotencyKey: `tb-${label}` });
      const r = order.reservation!;
      fake.payments.get(r.invoiceId!)!.status = "CONFIRMED";
      assert.equal(await p2p.desk.confirm(r.id), "posted");
      assert.equal((await p2p.desk.balances(buyer)).available, 800n);

      fake.payments.get(r.invoiceId!)!.status = finalStatus;
      const body: Record<string, unknown> = {
        TerminalKey: "1700000000001",
        OrderId: r.id,
        Success: true,
        Status: finalStatus,
        PaymentId: Number(r.invoiceId),
        ErrorCode: "0",
        Amount: 76_000,
      };
      const note = JSON.stringify({ ...body, Token: tbankToken(body, "live-password") });
      assert.equal(await p2p.desk.handleNotification("tbank", new Headers(), note), "clawed_back");
      assert.equal(await p2p.desk.handleNotification("tbank", new Headers(), note), "duplicate");
      assert.equal((await p2p.desk.balances(buyer)).available, 0n);
      const dispute = (await p2p.desk.listDisputes({ status: "open" })).find((d) => d.reservation_id === r.id);
      assert.equal(dispute?.reason, "clawback");
      const sellerBefore = (await p2p.desk.balances(seller.userId)).available;
      await p2p.desk.resolveDispute(operator, dispute!.id as string, "seller", `${label} confirmed at the bank`);
      assert.equal((await p2p.desk.balances(seller.userId)).available, sellerBefore + 800n);
      await p2p.desk.cancelRequest(seller.userId, seller.requestId);
    }
    assert.deepEqual((await p2p.desk.checkInvariants()).violations, []);
  });
});
