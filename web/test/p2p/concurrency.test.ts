// 200 buyers against 20 sellers at once through the service layer, with random provider outcomes
// (paid with and without notification, abandoned, cancelled, invoice creation failures) and real
// expiries, while two sweepers run as if in two processes. Afterwards: no oversell, the ledger's
// invariants hold, and every reservation ended posted or voided.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { isP2PError } from "../../server/p2p/errors.ts";
import type { P2PServices } from "../../server/p2p/index.ts";
import { big, rows, type TxRunner } from "../../server/p2p/sql.ts";
import { createSeller, createVerifiedUser, openTestDatabase, startTestDesk, type P2PTestDatabase } from "./support.ts";

const BUYERS = 200;
const SELLERS = 20;
const TTL_MS = 3_000;

// Deterministic pseudo-random numbers, so a failure can be replayed.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("p2p concurrency", () => {
  let t: P2PTestDatabase;
  let p2p: P2PServices;
  let db: TxRunner;
  const random = rng(Number(process.env.P2P_SEED ?? 7));

  before(async () => {
    t = await openTestDatabase("p2p_concurrency");
    db = t.database.db as unknown as TxRunner;
    p2p = await startTestDesk(t.database, {
      env: { P2P_COOLDOWN_SECONDS: "0", P2P_TRADE_FEE_BPS: "125" },
      // 3 % of invoice creations fail: the reservation is voided and the buyer moves on.
      failCreate: () => random() < 0.03,
    });
  });
  after(async () => {
    await p2p?.stop();
    await t?.close();
  });

  it("200 buyers vs 20 sellers: no oversell, invariants hold, every reservation ends posted or voided", { timeout: 90_000 }, async () => {
    const sellers = [];
    for (let i = 0; i < SELLERS; i += 1) {
      sellers.push(await createSeller(p2p, t.database, `cs${i}`, { deposit: 40_000n, request: { amount: 25_000n, min: 100n, max: 4_000n } }));
    }
    const buyers = await Promise.all(Array.from({ length: BUYERS }, (_, i) => createVerifiedUser(t.database, `cb${i}`)));

    let sweeping = true;
    const sweeper = async () => {
      while (sweeping) {
        await p2p.desk.sweepExpired();
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const sweepers = [sweeper(), sweeper()];

    const outcomes: Record<string, number> = {};
    const count = (k: string) => (outcomes[k] = (outcomes[k] ?? 0) + 1);
    const started = performance.now();

    const run = Promise.all(
      buyers.map(async (buyer) => {
        for (let round = 0; round < 2; round += 1) {
          const amount = BigInt(100 + Math.floor(random() * 3_900));
          let order;
          try {
            order = await p2p.desk.createOrder(buyer, { amount, method: "sandbox", idempotencyKey: `c-${round}`, ttlMs: TTL_MS });
          } catch (error) {
            if (isP2PError(error)) {
              count(error.code);
              continue;
            }
            throw error;
          }
          // A double click: the same key gives the same order.
          const again = await p2p.desk.createOrder(buyer, { amount, method: "sandbox", idempotencyKey: `c-${round}`, ttlMs: TTL_MS });
          assert.equal(again.id, order.id);
          if (order.status !== "reserved" || !order.reservation?.invoiceId) {
            count(`order_${order.status}`);
            continue;
          }
          const roll = random();
          const invoiceId = order.reservation.invoiceId;
          if (roll < 0.5) {
            await new Promise((r) => setTimeout(r, random() * 300));
            await p2p.sandbox.pay(invoiceId, { notify: false });
            const body = JSON.stringify({ event_id: `evt_${randomUUID()}`, invoice_id: invoiceId });
            const headers = new Headers({ "x-sandbox-signature": p2p.sandbox.sign(body) });
            count(`paid:${await p2p.desk.handleNotification("sandbox", headers, body)}`);
            // The provider retries the same notification.
            await p2p.desk.handleNotification("sandbox", headers, body);
          } else if (roll < 0.65) {
            // Paid, but the notification never arrives: the sweeper's status call finds it after expiry.
            await p2p.sandbox.pay(invoiceId, { notify: false });
            count("paid_silently");
          } else if (roll < 0.8) {
            await p2p.desk.cancelOrder(buyer, order.id);
            count("cancelled");
          } else {
            count("abandoned");
          }
          // Wait for this order to end before the next one (one active reservation per buyer).
          // (Polled slowly: 200 buyers polling fast would starve the pool the sweepers need.)
          const deadline = Date.now() + TTL_MS + 45_000;
          while ((await p2p.desk.getOrder(buyer, order.id)).reservation?.status === "pending") {
            if (Date.now() > deadline) throw new Error(`order ${order.id} never resolved`);
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      }),
    );
    try {
      await run;
    } finally {
      sweeping = false;
      await Promise.all(sweepers);
    }
    await p2p.desk.sweepExpired();
    const elapsed = performance.now() - started;

    const statuses = await rows<{ status: string; n: number }>(db, sql`select status, count(*)::int as n from p2p_reservations group by status`);
    const byStatus = Object.fromEntries(statuses.map((s) => [s.status, s.n]));
    assert.equal(byStatus.pending ?? 0, 0, "every reservation ended posted or voided");
    assert.ok((byStatus.posted ?? 0) > 50, `expected many posted reservations, got ${JSON.stringify(byStatus)}`);

    // No oversell: no request ever gave out more than its amount, and each seller's on-sale account
    // never went below zero (CHECK constraints) and matches the requests.
    const requests = await rows<{ amount: string; filled: string; remaining: string; reserved: string; returned: string }>(
      db,
      sql`select amount, filled, remaining, reserved, returned from p2p_withdrawal_requests`,
    );
    for (const r of requests) {
      assert.equal(big(r.reserved), 0n);
      assert.ok(big(r.filled) <= big(r.amount));
      assert.equal(big(r.filled) + big(r.remaining) + big(r.returned), big(r.amount));
    }
    const [credited] = await rows<{ buyers: string; posted: string; fees: string }>(
      db,
      sql`select (select coalesce(sum(credits_posted), 0) from p2p_ledger_accounts a where a.code like 'user:%:available'
                  and exists (select 1 from p2p_reservations r where r.buyer_id = a.user_id)) as buyers,
                 (select coalesce(sum(amount - fee), 0) from p2p_reservations where status = 'posted') as posted,
                 (select coalesce(sum(filled), 0) from p2p_withdrawal_requests) as fees`,
    );
    assert.equal(big(credited!.buyers), big(credited!.posted), "buyers got exactly what posted reservations say");
    const [filled] = await rows<{ s: string }>(db, sql`select coalesce(sum(amount), 0) as s from p2p_reservations where status = 'posted'`);
    assert.equal(big(credited!.fees), big(filled!.s), "sellers' filled amounts equal the posted reservations");

    const report = await p2p.desk.checkInvariants();
    assert.deepEqual(report.violations, []);
    console.log(JSON.stringify({ elapsedMs: Math.round(elapsed), reservations: byStatus, outcomes }));
  });
});
