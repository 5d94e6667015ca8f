// Attacks on the desk's provider notifications (YooKassa's are unsigned) against the production
// build and real PostgreSQL, with a local fake of the YooKassa API:
// - a forged notification (from an allowed address) must not make the real one a "duplicate": the
//   desk de-duplicates on what the status call says, so the real one still credits the buyer, once;
// - a notification from an address YooKassa does not send from is refused (403) and nothing is stored,
//   whatever X-Forwarded-For or the edge's own client-address header claims;
// - one invoice's notifications are rate-limited (429 with Retry-After);
// - no notification body is stored, only what the status call confirmed.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startDeskServer, type DeskServer } from "../p2p/desk-server.ts";
import { startFakeYooKassa } from "../p2p/fake-yookassa.ts";
import { createVerifiedUser } from "../p2p/support.ts";

const NOTIFY = "/api/p2p/providers/yookassa/notify";
const PER_INVOICE_PER_MINUTE = 5;

describe("YooKassa notifications", () => {
  let fake: Awaited<ReturnType<typeof startFakeYooKassa>>;
  let desk: DeskServer;

  before(async () => {
    fake = await startFakeYooKassa();
    desk = await startDeskServer(
      "p2p_notify",
      {
        P2P_YOOKASSA_API_URL: fake.url,
        // The published list, and the tests' own address: 127.0.0.2 (also loopback) stays outside it.
        P2P_YOOKASSA_NOTIFY_SOURCES: "published,127.0.0.1",
        P2P_NOTIFICATIONS_PER_INVOICE_PER_MINUTE: String(PER_INVOICE_PER_MINUTE),
      },
      { P2P_YOOKASSA_API_URL: fake.url },
    );
    const gameEmail = `yk-${randomUUID().slice(0, 8)}@game.example`;
    const seller = await createVerifiedUser(desk.handle, "yk-seller", gameEmail);
    await desk.p2p.desk.recordDeposit({ transferId: randomUUID(), occurredAt: new Date(), senderEmail: gameEmail, amount: 100_000n, currency: "VUSD" }, "test");
    const form = await desk.p2p.desk.addApiForm(seller, { provider: "yookassa", displayName: "YooKassa", credentials: { shopId: "100500", secretKey: "live_secret_key_1" } });
    await desk.p2p.desk.createRequest(seller, { apiFormId: form.id, amount: 50_000n, minPerBuyer: 100n, maxPerBuyer: 10_000n, idempotencyKey: randomUUID() });
  });
  after(async () => {
    await desk?.close();
    await fake?.close();
  });

  async function order(amount: bigint) {
    const buyer = await createVerifiedUser(desk.handle, "yk-buyer");
    const created = await desk.p2p.desk.createOrder(buyer, { amount, method: "yookassa", idempotencyKey: randomUUID() });
    return { buyer, reservation: created.reservation!, invoiceId: created.reservation!.invoiceId! };
  }
  const note = (invoiceId: string, status = "succeeded") => ({ type: "notification", event: `payment.${status}`, object: { id: invoiceId, status } });
  const notify = (body: unknown, options: { localAddress?: string; headers?: Record<string, string> } = {}) => desk.call("POST", NOTIFY, { body, ...options });

  it("a forged notification does not turn the real one into a duplicate: the buyer is credited exactly once", async () => {
    const { buyer, invoiceId } = await order(1_000n);
    // The forger knows the payment id (it is in the payment link) and sends what the real one will say, before the buyer pays.
    const forged = await notify(note(invoiceId));
    assert.equal(forged.status, 200, forged.text);
    assert.equal(forged.json.outcome, "pending");
    // A forgery about a payment that is not ours, and one claiming another status.
    assert.equal((await notify(note(randomUUID()))).status, 404);
    assert.equal((await notify(note(invoiceId, "canceled"))).json.outcome, "pending");
    assert.equal((await desk.p2p.desk.balances(buyer)).available, 0n);

    fake.payments.get(invoiceId)!.status = "succeeded";
    const real = await notify(note(invoiceId));
    assert.equal(real.status, 200, real.text);
    assert.equal(real.json.outcome, "posted", "the real notification is decided by the status call, not taken for the forgery's duplicate");
    assert.equal((await desk.p2p.desk.balances(buyer)).available, 1_000n);
    const again = await notify(note(invoiceId));
    assert.equal(again.json.outcome, "duplicate");
    assert.equal((await desk.p2p.desk.balances(buyer)).available, 1_000n, "credited once");

    // What is stored is what the status call confirmed (one row for the decided state), never a body.
    const stored = await desk.query<{ event_id: string; body: string }>(`select event_id, body from p2p_provider_notifications where invoice_id = $1`, [invoiceId]);
    assert.equal(stored.length, 1);
    assert.equal(JSON.parse(stored[0]!.body).status, "succeeded");
    assert.ok(stored.every((row) => !row.body.includes('"type":"notification"')), "no notification body is stored");
    assert.deepEqual(await desk.violations(), []);
  });

  it("a notification from an address YooKassa does not send from is refused with 403 and stores nothing", async () => {
    const { reservation, invoiceId } = await order(700n);
    fake.payments.get(invoiceId)!.status = "succeeded";
    const before = await desk.fingerprint();
    // 127.0.0.2 is a loopback address too, but not on the list; the headers are the forger's own words.
    for (const headers of [{}, { "x-forwarded-for": "185.71.76.1" }, { "x-coinpays-client-address": "185.71.76.1" }, { "x-real-ip": "77.75.156.11" }] as Record<string, string>[]) {
      const refused = await notify(note(invoiceId), { localAddress: "127.0.0.2", headers });
      assert.equal(refused.status, 403, `${JSON.stringify(headers)}: ${refused.text}`);
      assert.equal(refused.json.error.code, "forbidden");
    }
    assert.deepEqual(await desk.fingerprint(), before, "nothing stored, nothing decided");
    const [row] = await desk.query<{ status: string }>(`select status from p2p_reservations where id = $1`, [reservation.id]);
    assert.equal(row!.status, "pending");
    // From an allowed address the same notification is handled.
    assert.equal((await notify(note(invoiceId))).json.outcome, "posted");
  });

  it(`one invoice's notifications are limited to ${PER_INVOICE_PER_MINUTE} a minute (429 with Retry-After)`, async () => {
    const { invoiceId } = await order(300n);
    const other = await order(200n);
    for (let i = 0; i < PER_INVOICE_PER_MINUTE; i += 1) assert.equal((await notify(note(invoiceId))).status, 200);
    const limited = await notify(note(invoiceId));
    assert.equal(limited.status, 429, limited.text);
    assert.equal(limited.json.error.code, "rate_limited");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1, "Retry-After");
    // Another invoice is not affected.
    assert.equal((await notify(note(other.invoiceId))).status, 200);
    assert.deepEqual(await desk.violations(), []);
  });
});
