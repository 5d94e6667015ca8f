import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { amountDue, deriveOrderStatus, type OrderFacts } from "../../server/gateway/order-state.ts";

const expiresAt = new Date("2026-01-01T00:15:00Z");
const before = new Date("2026-01-01T00:10:00Z");
const after = new Date("2026-01-01T00:20:00Z");
const facts = (over: Partial<OrderFacts> = {}): OrderFacts => ({
  amount: 100n,
  amountPaid: 0n,
  amountPending: 0n,
  amountRefunded: 0n,
  paidLate: false,
  cancelled: false,
  lostToReorg: false,
  expiresAt,
  ...over,
});

describe("deriveOrderStatus", () => {
  it("walks the happy path: new -> processing -> settled", () => {
    assert.equal(deriveOrderStatus(facts(), before), "new");
    assert.equal(deriveOrderStatus(facts({ amountPending: 100n }), before), "processing");
    assert.equal(deriveOrderStatus(facts({ amountPaid: 100n }), before), "settled");
  });

  it("is explicit about partial and excess payments", () => {
    assert.equal(deriveOrderStatus(facts({ amountPaid: 40n }), before), "underpaid");
    assert.equal(deriveOrderStatus(facts({ amountPaid: 40n }), after), "underpaid");
    assert.equal(deriveOrderStatus(facts({ amountPaid: 40n, amountPending: 10n }), before), "processing");
    assert.equal(deriveOrderStatus(facts({ amountPaid: 150n }), before), "overpaid");
    assert.equal(amountDue(facts({ amountPaid: 40n, amountPending: 10n })), 50n);
    assert.equal(amountDue(facts({ amountPaid: 150n })), 0n);
  });

  it("expires unpaid orders and marks late payments", () => {
    assert.equal(deriveOrderStatus(facts(), after), "expired");
    assert.equal(deriveOrderStatus(facts({ amountPaid: 100n, paidLate: true }), after), "paid_late");
  });

  it("moves a reorged-out payment back, or to invalid once the order has expired", () => {
    assert.equal(deriveOrderStatus(facts({ lostToReorg: true }), before), "new");
    assert.equal(deriveOrderStatus(facts({ lostToReorg: true }), after), "invalid");
  });

  it("reflects refunds and cancellation", () => {
    assert.equal(deriveOrderStatus(facts({ amountPaid: 100n, amountRefunded: 30n }), before), "partially_refunded");
    assert.equal(deriveOrderStatus(facts({ amountPaid: 100n, amountRefunded: 100n }), before), "refunded");
    assert.equal(deriveOrderStatus(facts({ cancelled: true }), before), "cancelled");
    // A payment that arrives for a cancelled order is still money the merchant received.
    assert.equal(deriveOrderStatus(facts({ cancelled: true, amountPaid: 100n, paidLate: true }), after), "paid_late");
  });
});
