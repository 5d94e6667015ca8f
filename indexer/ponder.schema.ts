import { index, onchainEnum, onchainTable, relations } from "ponder";

/**
 * How a payment reached the merchant: `router` (an ERC-20 `pay` from a wallet), `permit` (`payWithPermit`,
 * read from the transaction's selector), `native` (coin through the router), `deposit_address` (a sweep),
 * `credit` (borrowed and paid through CreditPayment), `loyalty` (the loyalty checkout), `subscription`
 * (a subscription charge).
 */
export const paymentMethod = onchainEnum("payment_method", ["router", "permit", "native", "deposit_address", "credit", "loyalty", "subscription"]);

/**
 * The merchant's revenue ledger: one row per settled payment, whichever contract settled it. Router and
 * loyalty-checkout payments are unique per (merchant, orderRef) by contract rule and keyed by it, so
 * refunds can update them; deposit sweeps and subscription charges are keyed by their log, because a late
 * transfer to the same deposit address is swept again under the same order, and a subscription is charged
 * every period. `payer` is null for sweeps (whoever transferred to the deposit address is not in the
 * sweep); for credit payments it is the borrower from `CreditPaid`, not the CreditPayment contract.
 * `valueUsdE8` is the fiat value at payment time (USD × 10^8, rounded down) from the price table, null when
 * the table has no price for the token; `orderRef` is null for subscription charges.
 */
export const payment = onchainTable(
  "payment",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    method: paymentMethod("method").notNull(),
    orderRef: t.hex(),
    merchant: t.hex().notNull(),
    payer: t.hex(),
    depositAddress: t.hex(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    merchantAmount: t.bigint().notNull(),
    fee: t.bigint().notNull(),
    refundedAmount: t.bigint().notNull(),
    valueUsdE8: t.bigint("value_usd_e8"),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({
    // Covers the analytics queries (top payers, method mix) so they run as index-only scans of one
    // merchant's time range instead of visiting the table.
    merchantTimeIdx: index().on(table.merchant, table.timestamp, table.payer, table.method, table.token, table.chainId, table.valueUsdE8, table.amount),
    // Top payers over long ranges: the merchant's payments arrive grouped by payer, so PostgreSQL sums them
    // in one streaming pass (GroupAggregate) instead of hashing every payer; short ranges keep the index above.
    merchantPayerIdx: index().on(table.merchant, table.payer, table.timestamp, table.valueUsdE8),
    orderRefIdx: index().on(table.orderRef),
    payerIdx: index().on(table.payer),
  }),
);

/** Every refund, full or partial, of a router payment (loyalty-checkout refunds are in `loyalty_refund`). */
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
    /** Fiat value of this refund at refund time (USD × 10^8), null without a price. */
    valueUsdE8: t.bigint("value_usd_e8"),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ merchantIdx: index().on(table.merchant, table.timestamp), paymentIdx: index().on(table.paymentId) }),
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

// ------------------------------------------------------------------------------------------ subscriptions

/** `None` is never stored: a subscription row exists from its `Subscribed` event on. */
export const subscriptionStatus = onchainEnum("subscription_status", ["active", "past_due", "cancelled"]);

/** A merchant's plans, as they are now (`active` follows `PlanActiveUpdated`). */
export const subscriptionPlan = onchainTable(
  "subscription_plan",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    planId: t.bigint().notNull(),
    merchant: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    period: t.integer().notNull(),
    trial: t.integer().notNull(),
    active: t.boolean().notNull(),
    subscriberCount: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ merchantIdx: index().on(table.merchant) }),
);

/** Subscriptions as they are now, with running charge totals (denormalised merchant for per-merchant lists). */
export const subscription = onchainTable(
  "subscription",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    subscriptionId: t.bigint().notNull(),
    planId: t.bigint().notNull(),
    merchant: t.hex().notNull(),
    subscriber: t.hex().notNull(),
    token: t.hex().notNull(),
    anchor: t.bigint().notNull(),
    status: subscriptionStatus("status").notNull(),
    chargeCount: t.integer().notNull(),
    totalCharged: t.bigint().notNull(),
    lastChargedPeriod: t.bigint(),
    failedChargeCount: t.integer().notNull(),
    cancelledBy: t.hex(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ merchantIdx: index().on(table.merchant, table.status), subscriberIdx: index().on(table.subscriber) }),
);

export const subscriptionChargeOutcome = onchainEnum("subscription_charge_outcome", ["charged", "failed"]);

/** Every charge attempt: successful ones with their amounts, failed ones with the transfer's revert data. */
export const subscriptionCharge = onchainTable(
  "subscription_charge",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    subscriptionId: t.bigint().notNull(),
    planId: t.bigint().notNull(),
    merchant: t.hex().notNull(),
    subscriber: t.hex().notNull(),
    token: t.hex().notNull(),
    outcome: subscriptionChargeOutcome("outcome").notNull(),
    periodIndex: t.bigint().notNull(),
    /** Zero for failed charges. */
    amount: t.bigint().notNull(),
    merchantAmount: t.bigint().notNull(),
    fee: t.bigint().notNull(),
    failureReason: t.hex(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({ merchantTimeIdx: index().on(table.merchant, table.timestamp), subscriptionIdx: index().on(table.subscriptionId) }),
);

// ------------------------------------------------------------------------------------------------ escrow

export const escrowState = onchainEnum("escrow_state", ["funded", "disputed", "released", "refunded", "resolved"]);
export const escrowRefundReason = onchainEnum("escrow_refund_reason", ["seller_refunded", "deadline_passed", "arbiter_timed_out"]);
export const escrowEventKind = onchainEnum("escrow_event_kind", ["funded", "disputed", "released", "refunded", "resolved"]);

/** Each escrow as it is now: terms from funding, then the outcome. */
export const escrow = onchainTable(
  "escrow",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    escrowId: t.bigint().notNull(),
    buyer: t.hex().notNull(),
    seller: t.hex().notNull(),
    arbiter: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    deadline: t.bigint().notNull(),
    disputeWindow: t.integer().notNull(),
    arbiterFeeBps: t.integer().notNull(),
    arbiterTimeout: t.integer().notNull(),
    state: escrowState("state").notNull(),
    disputedBy: t.hex(),
    rulingDeadline: t.bigint(),
    refundReason: escrowRefundReason("refund_reason"),
    /** What each party got once settled (release: all to seller; refund: all to buyer; ruling: the split). */
    toBuyer: t.bigint(),
    toSeller: t.bigint(),
    arbiterFee: t.bigint(),
    fundedAtBlock: t.bigint().notNull(),
    fundedAt: t.bigint().notNull(),
    updatedAtBlock: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ sellerIdx: index().on(table.seller, table.state), buyerIdx: index().on(table.buyer) }),
);

/** Every step of every escrow's life, in order. */
export const escrowEvent = onchainTable(
  "escrow_event",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    escrowId: t.bigint().notNull(),
    kind: escrowEventKind("kind").notNull(),
    /** Who disputed; null for the other kinds (funding's buyer is on the escrow row). */
    by: t.hex(),
    amount: t.bigint(),
    toBuyer: t.bigint(),
    toSeller: t.bigint(),
    fee: t.bigint(),
    refundReason: escrowRefundReason("refund_reason"),
    rulingDeadline: t.bigint(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({ escrowIdx: index().on(table.escrowId) }),
);

/** Escrow pays out by pull: an account collecting what it is owed. */
export const escrowWithdrawal = onchainTable("escrow_withdrawal", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  account: t.hex().notNull(),
  token: t.hex().notNull(),
  to: t.hex().notNull(),
  amount: t.bigint().notNull(),
  blockNumber: t.bigint().notNull(),
  timestamp: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}));

// ------------------------------------------------------------------------------------------------ splits

/** Each split as it is now: its current rules and who controls it (`controller` null: immutable). */
export const split = onchainTable(
  "split",
  (t) => ({
    address: t.hex().primaryKey(),
    chainId: t.integer().notNull(),
    controller: t.hex(),
    pendingController: t.hex(),
    ruleSetId: t.hex().notNull(),
    version: t.integer().notNull(),
    recipients: t.hex().array().notNull(),
    allocations: t.integer().array().notNull(),
    distributorFeePpm: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ controllerIdx: index().on(table.controller) }),
);

/** Every rule set a split has had, so a distribution's `ruleSetId` can be read back as shares. */
export const splitRuleSet = onchainTable(
  "split_rule_set",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    split: t.hex().notNull(),
    ruleSetId: t.hex().notNull(),
    version: t.integer().notNull(),
    recipients: t.hex().array().notNull(),
    allocations: t.integer().array().notNull(),
    distributorFeePpm: t.integer().notNull(),
    blockNumber: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ splitIdx: index().on(table.split), ruleSetIdx: index().on(table.ruleSetId) }),
);

export const splitDistribution = onchainTable(
  "split_distribution",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    split: t.hex().notNull(),
    ruleSetId: t.hex().notNull(),
    token: t.hex().notNull(),
    distributor: t.hex().notNull(),
    amount: t.bigint().notNull(),
    credited: t.bigint().notNull(),
    distributorFee: t.bigint().notNull(),
    dust: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ splitIdx: index().on(table.split, table.timestamp) }),
);

export const splitWithdrawal = onchainTable(
  "split_withdrawal",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ accountIdx: index().on(table.account) }),
);

// ----------------------------------------------------------------------------------------------- loyalty

/**
 * One program (a loyalty-token clone) per merchant, from the factory, with the clone's own state from its
 * events (the clone is discovered through the factory's `ProgramCreated`, Ponder's factory pattern).
 * The totals keep the token's invariant `totalSupply = totalMinted - totalRedeemed - totalClawedBack`.
 */
export const loyaltyProgram = onchainTable("loyalty_program", (t) => ({
  address: t.hex().primaryKey(),
  chainId: t.integer().notNull(),
  merchant: t.hex().notNull(),
  asset: t.hex().notNull(),
  name: t.text().notNull(),
  symbol: t.text().notNull(),
  rewardBps: t.integer().notNull(),
  nonTransferable: t.boolean().notNull(),
  totalSupply: t.bigint().notNull(),
  totalMinted: t.bigint().notNull(),
  totalRedeemed: t.bigint().notNull(),
  totalClawedBack: t.bigint().notNull(),
  holderCount: t.integer().notNull(),
  blockNumber: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}));

/** Point balances per holder, from the clones' `Transfer` events (mints, burns and transfers alike). */
export const loyaltyBalance = onchainTable(
  "loyalty_balance",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    program: t.hex().notNull(),
    account: t.hex().notNull(),
    balance: t.bigint().notNull(),
  }),
  (table) => ({ accountIdx: index().on(table.account) }),
);

/** Loyalty-checkout orders, unique per (merchant, orderRef) by contract rule; refunds update them. */
export const loyaltyPayment = onchainTable(
  "loyalty_payment",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    orderRef: t.hex().notNull(),
    merchant: t.hex().notNull(),
    payer: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    discount: t.bigint().notNull(),
    merchantAmount: t.bigint().notNull(),
    fee: t.bigint().notNull(),
    program: t.hex(),
    pointsMinted: t.bigint().notNull(),
    refundedAmount: t.bigint().notNull(),
    cashRefunded: t.bigint().notNull(),
    pointsClawedBack: t.bigint().notNull(),
    pointsShortfall: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ merchantTimeIdx: index().on(table.merchant, table.timestamp), payerIdx: index().on(table.payer) }),
);

export const loyaltyRefund = onchainTable("loyalty_refund", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  paymentId: t.text().notNull(),
  orderRef: t.hex().notNull(),
  merchant: t.hex().notNull(),
  recipient: t.hex().notNull(),
  token: t.hex().notNull(),
  amount: t.bigint().notNull(),
  cashRefunded: t.bigint().notNull(),
  totalRefunded: t.bigint().notNull(),
  pointsClawedBack: t.bigint().notNull(),
  pointsShortfall: t.bigint().notNull(),
  /** Fiat value of `amount` at refund time (USD × 10^8), null without a price. */
  valueUsdE8: t.bigint("value_usd_e8"),
  blockNumber: t.bigint().notNull(),
  timestamp: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}), (table) => ({ merchantTimeIdx: index().on(table.merchant, table.timestamp) }));

/**
 * Point mints and burns, derived from the checkout's events (the only path allowed to mint, redeem or
 * claw back): `minted` for an order's reward, `redeemed` for points burned as discount, `clawed_back` for
 * points burned by a refund. Plain token transfers between holders are not indexed.
 */
export const loyaltyPointsKind = onchainEnum("loyalty_points_kind", ["minted", "redeemed", "clawed_back"]);
export const loyaltyPoints = onchainTable(
  "loyalty_points",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    program: t.hex().notNull(),
    merchant: t.hex().notNull(),
    account: t.hex().notNull(),
    orderRef: t.hex().notNull(),
    kind: loyaltyPointsKind("kind").notNull(),
    amount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ programAccountIdx: index().on(table.program, table.account), merchantTimeIdx: index().on(table.merchant, table.timestamp) }),
);

// ----------------------------------------------------------------------------------------------- lending

/** Each market with its totals, kept from events (interest enters through `InterestAccrued`). */
export const lendingMarket = onchainTable("lending_market", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  marketId: t.hex().notNull(),
  loanToken: t.hex().notNull(),
  collateralToken: t.hex().notNull(),
  oracle: t.hex().notNull(),
  rateModel: t.hex().notNull(),
  lltv: t.bigint().notNull(),
  fee: t.bigint().notNull(),
  totalSupplyAssets: t.bigint().notNull(),
  totalSupplyShares: t.bigint().notNull(),
  totalBorrowAssets: t.bigint().notNull(),
  totalBorrowShares: t.bigint().notNull(),
  totalCollateral: t.bigint().notNull(),
  blockNumber: t.bigint().notNull(),
  updatedAtBlock: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}));

/** One account's position in one market, as the contract stores it. */
export const lendingPosition = onchainTable(
  "lending_position",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    marketId: t.hex().notNull(),
    account: t.hex().notNull(),
    supplyShares: t.bigint().notNull(),
    borrowShares: t.bigint().notNull(),
    collateral: t.bigint().notNull(),
    updatedAtBlock: t.bigint().notNull(),
  }),
  (table) => ({ accountIdx: index().on(table.account), marketIdx: index().on(table.marketId) }),
);

export const lendingEventKind = onchainEnum("lending_event_kind", [
  "supply",
  "withdraw",
  "borrow",
  "repay",
  "supply_collateral",
  "withdraw_collateral",
  "liquidate",
  "accrue_interest",
]);

/** Every movement in every market. `shares` is null where the event has none (collateral, interest). */
export const lendingEvent = onchainTable(
  "lending_event",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    marketId: t.hex().notNull(),
    kind: lendingEventKind("kind").notNull(),
    caller: t.hex(),
    onBehalf: t.hex(),
    receiver: t.hex(),
    assets: t.bigint().notNull(),
    shares: t.bigint(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({ marketTimeIdx: index().on(table.marketId, table.timestamp), onBehalfIdx: index().on(table.onBehalf) }),
);

export const liquidation = onchainTable(
  "liquidation",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    marketId: t.hex().notNull(),
    liquidator: t.hex().notNull(),
    borrower: t.hex().notNull(),
    repaidAssets: t.bigint().notNull(),
    repaidShares: t.bigint().notNull(),
    seizedAssets: t.bigint().notNull(),
    badDebtAssets: t.bigint().notNull(),
    badDebtShares: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ borrowerIdx: index().on(table.borrower) }),
);

/** Checkout paid by borrowing from a lending market (buy now, pay later). */
export const creditPayment = onchainTable(
  "credit_payment",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    orderRef: t.hex().notNull(),
    merchant: t.hex().notNull(),
    payer: t.hex().notNull(),
    marketId: t.hex().notNull(),
    amount: t.bigint().notNull(),
    borrowShares: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ merchantTimeIdx: index().on(table.merchant, table.timestamp), payerIdx: index().on(table.payer) }),
);

// ---------------------------------------------------------------------------------------- administration

/**
 * Configuration and ownership events that have no table of their own (ownership hand-overs, lending
 * parameters, authorisations, nonce burns): the event name and its arguments, bigints as decimal strings.
 */
export const contractEvent = onchainTable(
  "contract_event",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    contract: t.hex().notNull(),
    contractName: t.text().notNull(),
    event: t.text().notNull(),
    args: t.json().notNull(),
    blockNumber: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ contractIdx: index().on(table.contract, table.event) }),
);

/** The lending contract's fee recipient, who is credited the fee shares of every interest accrual. */
export const lendingSettings = onchainTable("lending_settings", (t) => ({
  contract: t.hex().primaryKey(),
  chainId: t.integer().notNull(),
  feeRecipient: t.hex().notNull(),
  updatedAtBlock: t.bigint().notNull(),
}));

// ------------------------------------------------------------------------------------------------ rollups

export const rollupPeriod = onchainEnum("rollup_period", ["hour", "day"]);

/**
 * Pre-aggregated revenue per (chain, merchant, token, period, bucket), kept by the payment and refund
 * handlers in the same indexing step as the rows they summarise, so a reorg or a restart rolls both back
 * together. `merchant` is the on-chain payout address: a gateway sub-account with its own payout address
 * has its own rows, and a merchant's totals are the sum over its account's and sub-accounts' addresses
 * (the gateway owns that mapping; the API takes several addresses). Buckets start at UTC hour/day
 * boundaries (unix seconds). Payments count in the bucket of the payment, refunds in the bucket of the
 * refund. `uniquePayers` counts distinct known payers (sweeps have none), so it does not add up across
 * buckets or tokens; `rollup_payer` is the set it counts.
 */
export const revenueRollup = onchainTable(
  "revenue_rollup",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    merchant: t.hex().notNull(),
    token: t.hex().notNull(),
    period: rollupPeriod("period").notNull(),
    bucketStart: t.bigint().notNull(),
    paymentCount: t.integer().notNull(),
    volume: t.bigint().notNull(),
    merchantAmount: t.bigint().notNull(),
    fees: t.bigint().notNull(),
    volumeUsdE8: t.bigint("volume_usd_e8").notNull(),
    /** Payments whose token had no price (their fiat value is missing from `volumeUsdE8`). */
    unpricedCount: t.integer().notNull(),
    uniquePayers: t.integer().notNull(),
    refundCount: t.integer().notNull(),
    refundVolume: t.bigint().notNull(),
    refundVolumeUsdE8: t.bigint("refund_volume_usd_e8").notNull(),
  }),
  (table) => ({ merchantBucketIdx: index().on(table.merchant, table.period, table.bucketStart) }),
);

/**
 * The payers of each rollup bucket (the set behind `revenue_rollup.unique_payers`). The bucket's key is
 * repeated here so that distinct payers across several payout addresses are counted from this table alone,
 * by an index-only scan, without joining the rollups.
 */
export const rollupPayer = onchainTable(
  "rollup_payer",
  (t) => ({
    id: t.text().primaryKey(),
    rollupId: t.text().notNull(),
    chainId: t.integer().notNull(),
    merchant: t.hex().notNull(),
    token: t.hex().notNull(),
    period: rollupPeriod("period").notNull(),
    bucketStart: t.bigint().notNull(),
    payer: t.hex().notNull(),
    paymentCount: t.integer().notNull(),
    volume: t.bigint().notNull(),
  }),
  (table) => ({
    rollupIdx: index().on(table.rollupId),
    merchantBucketIdx: index().on(table.merchant, table.period, table.bucketStart, table.chainId, table.token, table.payer),
  }),
);

/**
 * Which merchants (payout addresses) each payer paid per (chain, token, period, bucket): the count and the
 * first one. Kept beside `rollup_payer` so that a payer's second merchant in a bucket can be noticed by
 * primary key while indexing, which is what fills `payer_overlap`.
 */
export const payerBucket = onchainTable("payer_bucket", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  token: t.hex().notNull(),
  period: rollupPeriod("period").notNull(),
  bucketStart: t.bigint().notNull(),
  payer: t.hex().notNull(),
  merchantCount: t.integer().notNull(),
  firstMerchant: t.hex().notNull(),
}));

/**
 * The `rollup_payer` rows (same id) of payers who paid more than one merchant in the same (chain, token,
 * period, bucket). Distinct payers across several payout addresses are the sum of their `unique_payers`
 * minus, per payer found here under k of those addresses, k - 1: so merging addresses reads only these
 * rows, not every payer of every address.
 */
export const payerOverlap = onchainTable(
  "payer_overlap",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    merchant: t.hex().notNull(),
    token: t.hex().notNull(),
    period: rollupPeriod("period").notNull(),
    bucketStart: t.bigint().notNull(),
    payer: t.hex().notNull(),
  }),
  (table) => ({ merchantBucketIdx: index().on(table.merchant, table.period, table.bucketStart, table.chainId, table.token, table.payer) }),
);
