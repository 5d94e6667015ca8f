// The order state machine, as a pure function of what is known about an order. Every writer (API,
// chain watcher, refunds, expiry) recomputes the status with it instead of choosing one by hand, so
// the same facts always give the same state, whichever process or path saw them first.
//
//   new ──seen──▶ processing ──confirmed──▶ settled | overpaid | underpaid
//    │                                        │
//    ├──expiry──▶ expired ──late payment──▶ paid_late
//    ├──cancel──▶ cancelled                   └──refund──▶ partially_refunded | refunded
//    └──(payments reorged out after expiry)──▶ invalid
//
// BTCPay's model, explicit about amounts: `underpaid` and `overpaid` carry amounts in the order row
// (amount, amountPaid, amountPending), so a checkout page can say what is left to pay.

import type { OrderStatus } from "@coinpays/sdk";

// The status names are the public API's: the SDK publishes them and the database enum is built from the same list.
export type { OrderStatus };

export type OrderFacts = {
  /** Amount asked, in base units. */
  amount: bigint;
  /** Confirmed payments towards the order (not reorged out). */
  amountPaid: bigint;
  /** Seen but not yet confirmed. */
  amountPending: bigint;
  amountRefunded: bigint;
  /** True when the confirmed payment that completed the order arrived after expiry. */
  paidLate: boolean;
  /** True once the merchant cancelled the order before any payment. */
  cancelled: boolean;
  /** True when a payment that had been seen was later reorged out and nothing replaced it. */
  lostToReorg: boolean;
  expiresAt: Date;
};

/** Orders in these states accept no new payment as normal business (late ones are still detected). */
export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(["settled", "overpaid", "paid_late", "refunded", "partially_refunded", "invalid", "cancelled"]);

export function deriveOrderStatus(facts: OrderFacts, now: Date): OrderStatus {
  const { amount, amountPaid, amountPending, amountRefunded } = facts;
  if (amountRefunded > 0n) return amountRefunded >= amountPaid ? "refunded" : "partially_refunded";
  if (facts.cancelled && amountPaid === 0n && amountPending === 0n) return "cancelled";
  const expired = now.getTime() >= facts.expiresAt.getTime();

  if (amountPaid >= amount) {
    if (facts.paidLate) return "paid_late";
    return amountPaid > amount ? "overpaid" : "settled";
  }
  // Something is still waiting for confirmations: the order is in flight whatever the amounts.
  if (amountPending > 0n) return "processing";
  // Confirmed, but short of the amount: the checkout shows what is left to pay.
  if (amountPaid > 0n) return "underpaid";
  if (facts.lostToReorg) return expired ? "invalid" : "new";
  return expired ? "expired" : "new";
}

/** What is still owed, never negative: shown on checkout for partial payments. */
export function amountDue(facts: Pick<OrderFacts, "amount" | "amountPaid" | "amountPending">): bigint {
  const covered = facts.amountPaid + facts.amountPending;
  return covered >= facts.amount ? 0n : facts.amount - covered;
}
