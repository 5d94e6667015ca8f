import { index, onchainEnum, onchainTable, relations } from "ponder";

/** How a payment reached the merchant: a wallet calling the router, or a transfer to a deposit address. */
export const paymentMethod = onchainEnum("payment_method", ["router", "deposit_address"]);

/**
 * One row per on-chain payment event. Router payments are unique per (merchant, orderRef) by contract rule
 * and keyed by it, so refunds can update them; deposit sweeps are keyed by their log, because a late or
 * second transfer to the same deposit address is swept again under the same order.
 */
export const payment = onchainTable(
  "payment",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    method: paymentMethod("method").notNull(),
    orderRef: t.hex().notNull(),
    merchant: t.hex().notNull(),
    payer: t.hex(),
    depositAddress: t.hex(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    merchantAmount: t.bigint().notNull(),
    fee: t.bigint().notNull(),
    refundedAmount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({
    merchantTimeIdx: index().on(table.merchant, table.timestamp),
    orderRefIdx: index().on(table.orderRef),
    payerIdx: index().on(table.payer),
  }),
);

/** Every refund, full or partial, of a router payment. */
export const refund = onchainTable(
  "refund",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    paymentId: t.text().notNull(),
    orderRef: t.hex().notNull(),
    merchant: t.hex().notNull(),
    recipient: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    totalRefunded: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ merchantIdx: index().on(table.merchant), paymentIdx: index().on(table.paymentId) }),
);

/** Deposit addresses that have been deployed (the first sweep or rescue of an order deploys it). */
export const depositAddress = onchainTable("deposit_address", (t) => ({
  address: t.hex().primaryKey(),
  chainId: t.integer().notNull(),
  orderRef: t.hex().notNull(),
  destination: t.hex().notNull(),
  blockNumber: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}));

/** Tokens sent to a deposit address by mistake and returned in full to its destination. */
export const depositRescue = onchainTable("deposit_rescue", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  orderRef: t.hex().notNull(),
  destination: t.hex().notNull(),
  depositAddress: t.hex().notNull(),
  token: t.hex().notNull(),
  amount: t.bigint().notNull(),
  blockNumber: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}));

/** History of platform fee settings per contract (the fee is part of every payment's story). */
export const feeUpdate = onchainTable("fee_update", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  contract: t.hex().notNull(),
  recipient: t.hex().notNull(),
  feeBps: t.integer().notNull(),
  blockNumber: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}));

/** Current accepted-token list per contract. */
export const acceptedToken = onchainTable("accepted_token", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  contract: t.hex().notNull(),
  token: t.hex().notNull(),
  accepted: t.boolean().notNull(),
  updatedAtBlock: t.bigint().notNull(),
}));

export const paymentRelations = relations(payment, ({ many }) => ({ refunds: many(refund) }));
export const refundRelations = relations(refund, ({ one }) => ({
  payment: one(payment, { fields: [refund.paymentId], references: [payment.id] }),
}));
