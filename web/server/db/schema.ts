// Gateway database schema (drizzle). Migrations in ./migrations are generated from this file with
// `pnpm --filter @coinpays/web run db:generate`; never edit an applied migration.
//
// Conventions: money is numeric(78,0) holding integer base units, read as bigint; addresses are
// stored checksummed; every row that changes over time has created_at/updated_at; history tables
// (order_events, webhook_events, webhook_deliveries) are append-only.
import { ORDER_STATUSES } from "@coinpays/sdk";
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();
const baseUnits = (name: string) => numeric(name, { precision: 78, scale: 0, mode: "bigint" });

/**
 * A business that takes payments, or one of its sub-accounts (store, branch): `parentId` builds the
 * account hierarchy. Settings are per account; a sub-account without its own payout address pays out
 * to its parent's.
 */
export const merchants = pgTable(
  "merchants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    parentId: uuid("parent_id"),
    name: text("name").notNull(),
    /** EVM address (checksummed) that settled funds go to: an account or a split wallet. */
    payoutAddress: text("payout_address").notNull(),
    /** Tokens accepted per chain: { "31337": ["0x…", "native"] }. Empty means every deployed token. */
    acceptedTokens: jsonb("accepted_tokens").$type<Record<string, string[]>>().notNull().default({}),
    /** Confirmations required per chain before an order settles: { "31337": 1 }. */
    confirmations: jsonb("confirmations").$type<Record<string, number>>().notNull().default({}),
    orderExpirySeconds: integer("order_expiry_seconds").notNull().default(900),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index("merchants_parent_idx").on(table.parentId)],
);

/** A person, identified by the wallet they sign in with (Sign-In with Ethereum). */
export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  address: text("address").notNull().unique(),
  createdAt: createdAt(),
});

export const memberRole = pgEnum("member_role", ["owner", "manager", "viewer"]);

/** Team membership: who may do what for which merchant (roles apply to its sub-accounts too). */
export const memberships = pgTable(
  "memberships",
  {
    merchantId: uuid("merchant_id").notNull().references(() => merchants.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    role: memberRole("role").notNull(),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.merchantId, table.userId] })],
);

/** SIWE nonces: single-use and short-lived. */
export const siweNonces = pgTable("siwe_nonces", {
  nonce: text("nonce").primaryKey(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
  createdAt: createdAt(),
});

/** Browser sessions. The cookie carries a random token; only its SHA-256 is stored. */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tokenHash: text("token_hash").notNull().unique(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [index("sessions_user_idx").on(table.userId)],
);

/**
 * What an API key may do. `full`: the whole /api/v1 for its account. `pos`: a till's key, safe to keep
 * in a shop's browser: it creates orders and reads, watches and cancels the orders it created itself,
 * nothing else (no other orders, refunds, keys, webhooks or settings).
 */
export const apiKeyScope = pgEnum("api_key_scope", ["full", "pos"]);

/** API keys: shown once, stored as SHA-256 of the secret, scoped to one merchant or sub-account. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    merchantId: uuid("merchant_id").notNull().references(() => merchants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** First characters of the key, shown in lists so people can tell keys apart. */
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull().unique(),
    scope: apiKeyScope("scope").notNull().default("full"),
    createdBy: uuid("created_by").references(() => users.id),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [index("api_keys_merchant_idx").on(table.merchantId)],
);

/**
 * Idempotency-Key records for POSTs: the first response is stored and replayed for the same key and
 * body; the same key with a different body is a 422.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    merchantId: uuid("merchant_id").notNull().references(() => merchants.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    responseStatus: integer("response_status"),
    responseBody: jsonb("response_body"),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.merchantId, table.key] })],
);

/** BTCPay-compatible order states, explicit about amounts (see server/gateway/order-state.ts). */
export const orderStatus = pgEnum("order_status", ORDER_STATUSES);

/** An order: what a merchant asked to be paid, and what has been paid towards it. */
export const orders = pgTable(
  "orders",
  {
    /** Public and unguessable ("ord_" + 128 random bits): anyone with it may watch the order. */
    id: text("id").primaryKey(),
    merchantId: uuid("merchant_id").notNull().references(() => merchants.id),
    /** The merchant's own reference (their order number), unique per merchant when given. */
    reference: text("reference"),
    status: orderStatus("status").notNull().default("new"),
    chainId: integer("chain_id").notNull(),
    /** ERC-20 address, or the zero address for the chain's native coin. */
    token: text("token").notNull(),
    amount: baseUnits("amount").notNull(),
    /** Sum of confirmed payments (router + deposit address), in base units. */
    amountPaid: baseUnits("amount_paid").notNull().default(sql`0`),
    /** Seen but not yet confirmed. */
    amountPending: baseUnits("amount_pending").notNull().default(sql`0`),
    amountRefunded: baseUnits("amount_refunded").notNull().default(sql`0`),
    /** bytes32 reference used on-chain (router `orderRef`, deposit address salt). */
    orderRef: text("order_ref").notNull().unique(),
    /** Where funds go: the merchant's payout address at creation time (frozen for the order). */
    destination: text("destination").notNull(),
    depositAddress: text("deposit_address").notNull(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    redirectUrl: text("redirect_url"),
    /** The API key that created the order (null: created otherwise); a `pos` key sees only its own. */
    apiKeyId: uuid("api_key_id").references(() => apiKeys.id),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** Payments arriving after expiry are still detected until then (default 24 h after expiry). */
    monitorUntil: timestamp("monitor_until", { withTimezone: true }).notNull(),
    settledAt: timestamp("settled_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index("orders_merchant_created_idx").on(table.merchantId, table.createdAt.desc(), table.id.desc()),
    uniqueIndex("orders_merchant_reference_idx").on(table.merchantId, table.reference).where(sql`${table.reference} is not null`),
    index("orders_deposit_address_idx").on(table.chainId, table.depositAddress),
    index("orders_monitor_idx").on(table.chainId, table.monitorUntil),
  ],
);

/** Every state change and every notable fact of an order, append-only: the order's story. */
export const orderEvents = pgTable(
  "order_events",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    orderId: text("order_id").notNull().references(() => orders.id),
    /** e.g. order.created, order.processing, order.settled, payment.detected, payment.reorged. */
    type: text("type").notNull(),
    fromStatus: orderStatus("from_status"),
    toStatus: orderStatus("to_status"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (table) => [index("order_events_order_idx").on(table.orderId, table.id)],
);

/** `subscription`: a Subscriptions charge, pulled by the contract straight to the merchant (see subscriptions below). */
export const paymentMethod = pgEnum("payment_method", ["router", "deposit_address", "subscription"]);
export const observationStatus = pgEnum("observation_status", ["pending", "confirmed", "reorged"]);

/**
 * On-chain transfers observed towards an order: ERC-20 Transfer logs into its deposit address, native
 * transfers to it, and router PaymentSettled events. Unique per log, so re-scanning never counts twice.
 */
export const payments = pgTable(
  "payments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderId: text("order_id").notNull().references(() => orders.id),
    chainId: integer("chain_id").notNull(),
    method: paymentMethod("method").notNull(),
    token: text("token").notNull(),
    amount: baseUnits("amount").notNull(),
    payer: text("payer"),
    transactionHash: text("transaction_hash").notNull(),
    /** Log index; -1 for a native transfer found by balance/trace. */
    logIndex: integer("log_index").notNull(),
    blockNumber: bigint("block_number", { mode: "bigint" }).notNull(),
    blockHash: text("block_hash").notNull(),
    status: observationStatus("status").notNull().default("pending"),
    /** True when the payment arrived after the order expired (paid_late). */
    late: boolean("late").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex("payments_log_idx").on(table.chainId, table.transactionHash, table.logIndex),
    index("payments_order_idx").on(table.orderId),
    index("payments_block_idx").on(table.chainId, table.blockNumber),
  ],
);

export const sweepStatus = pgEnum("sweep_status", ["pending", "submitted", "confirmed", "failed"]);

/** Deposit-address sweeps sent by the relayer; one row per (order, token) batch entry. */
export const sweeps = pgTable(
  "sweeps",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderId: text("order_id").notNull().references(() => orders.id),
    chainId: integer("chain_id").notNull(),
    token: text("token").notNull(),
    status: sweepStatus("status").notNull().default("pending"),
    transactionHash: text("transaction_hash"),
    amount: baseUnits("amount"),
    error: text("error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index("sweeps_status_idx").on(table.chainId, table.status)],
);

export const refundKind = pgEnum("refund_kind", ["onchain", "claim_link"]);
export const refundStatus = pgEnum("refund_status", ["awaiting_claim", "pending", "completed", "failed", "cancelled"]);

/** Refunds: through the router on-chain, or a claim link the payer opens to give an address. */
export const refunds = pgTable(
  "refunds",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderId: text("order_id").notNull().references(() => orders.id),
    kind: refundKind("kind").notNull(),
    status: refundStatus("status").notNull(),
    amount: baseUnits("amount").notNull(),
    toAddress: text("to_address"),
    /** SHA-256 of the claim token in the link (claim links only). */
    claimTokenHash: text("claim_token_hash").unique(),
    transactionHash: text("transaction_hash"),
    /** Why an on-chain refund failed (reverted, or the transaction does not refund this order). */
    error: text("error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index("refunds_order_idx").on(table.orderId)],
);

/** A merchant's webhook endpoint. The signing secret must be readable to sign, so it is stored. */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    merchantId: uuid("merchant_id").notNull().references(() => merchants.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    secret: text("secret").notNull(),
    /** Event types delivered to this endpoint; empty means all. */
    eventTypes: jsonb("event_types").$type<string[]>().notNull().default([]),
    enabled: boolean("enabled").notNull().default(true),
    /** Also deliver the events of this account's sub-accounts (and theirs): the account hierarchy. */
    includeSubAccounts: boolean("include_sub_accounts").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index("webhook_endpoints_merchant_idx").on(table.merchantId)],
);

/**
 * The outbox: every event a merchant can hear about, written in the same transaction as the change
 * that caused it. Its id is the event id receivers de-duplicate on.
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    merchantId: uuid("merchant_id").notNull().references(() => merchants.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    orderId: text("order_id"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    /**
     * When the relay turned this event into delivery jobs (one per matching endpoint), in the same
     * transaction; null means not yet, so an event committed just before a crash is picked up later.
     */
    dispatchedAt: timestamp("dispatched_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    index("webhook_events_merchant_idx").on(table.merchantId, table.createdAt),
    index("webhook_events_undispatched_idx").on(table.createdAt).where(sql`${table.dispatchedAt} is null`),
  ],
);

/** One row per delivery attempt: the delivery log shown in the dashboard. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    eventId: uuid("event_id").notNull().references(() => webhookEvents.id, { onDelete: "cascade" }),
    endpointId: uuid("endpoint_id").notNull().references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    /** HTTP status, or null for a network error / timeout. */
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms"),
    succeeded: boolean("succeeded").notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("webhook_deliveries_event_idx").on(table.eventId), index("webhook_deliveries_endpoint_idx").on(table.endpointId, table.createdAt)],
);

/** How far the chain watcher has read each chain, with the hash to detect reorgs on restart. */
export const chainCursors = pgTable("chain_cursors", {
  chainId: integer("chain_id").primaryKey(),
  blockNumber: bigint("block_number", { mode: "bigint" }).notNull(),
  blockHash: text("block_hash").notNull(),
  updatedAt: updatedAt(),
});

// ── Subscriptions (server/gateway/subscriptions) ──────────────────────────────────────────────
// A projection of the Subscriptions contract of each chain, built from its events by the keeper job.
// A plan belongs to the gateway merchant whose payout address is the plan's merchant address (the
// wallet that created it); see docs/ARCHITECTURE.md.

/** Plans as created on-chain (immutable there, so never updated here except `active`). */
export const subscriptionPlans = pgTable(
  "subscription_plans",
  {
    chainId: integer("chain_id").notNull(),
    planId: bigint("plan_id", { mode: "bigint" }).notNull(),
    /** The address the plan pays (its creator), checksummed. */
    merchantAddress: text("merchant_address").notNull(),
    token: text("token").notNull(),
    amount: baseUnits("amount").notNull(),
    periodSeconds: integer("period_seconds").notNull(),
    trialSeconds: integer("trial_seconds").notNull(),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.chainId, table.planId] }), index("subscription_plans_merchant_idx").on(table.chainId, table.merchantAddress)],
);

export const subscriptionStatus = pgEnum("subscription_status", ["active", "past_due", "cancelled"]);

/** One row per on-chain subscription; `merchantId` is null while no gateway merchant owns the plan. */
export const subscriptions = pgTable(
  "subscriptions",
  {
    chainId: integer("chain_id").notNull(),
    subscriptionId: bigint("subscription_id", { mode: "bigint" }).notNull(),
    planId: bigint("plan_id", { mode: "bigint" }).notNull(),
    merchantId: uuid("merchant_id").references(() => merchants.id),
    subscriber: text("subscriber").notNull(),
    /** Start of period 0 (start + trial), from the chain. */
    anchor: timestamp("anchor", { withTimezone: true }).notNull(),
    status: subscriptionStatus("status").notNull().default("active"),
    /** The first period not charged yet: the contract's own `nextPeriod`, as of the last projected block. */
    nextPeriod: integer("next_period").notNull().default(0),
    /** Block time of the last failed charge; the keeper waits before trying a past-due one again. */
    lastFailedAt: timestamp("last_failed_at", { withTimezone: true }),
    cancelledBy: text("cancelled_by"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    primaryKey({ columns: [table.chainId, table.subscriptionId] }),
    index("subscriptions_merchant_idx").on(table.merchantId, table.createdAt),
    index("subscriptions_open_idx").on(table.chainId, table.status),
  ],
);

/**
 * One row per successful charge, and the settled order it became. Unique per (subscription, period):
 * the contract never charges a period twice and the gateway never records one twice.
 */
export const subscriptionCharges = pgTable(
  "subscription_charges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    chainId: integer("chain_id").notNull(),
    subscriptionId: bigint("subscription_id", { mode: "bigint" }).notNull(),
    periodIndex: integer("period_index").notNull(),
    orderId: text("order_id").references(() => orders.id),
    amount: baseUnits("amount").notNull(),
    merchantAmount: baseUnits("merchant_amount").notNull(),
    fee: baseUnits("fee").notNull(),
    transactionHash: text("transaction_hash").notNull(),
    logIndex: integer("log_index").notNull(),
    blockNumber: bigint("block_number", { mode: "bigint" }).notNull(),
    chargedAt: timestamp("charged_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("subscription_charges_period_idx").on(table.chainId, table.subscriptionId, table.periodIndex),
    uniqueIndex("subscription_charges_log_idx").on(table.chainId, table.transactionHash, table.logIndex),
  ],
);

/** How far the subscriptions projection has read each chain (confirmed blocks only). */
export const subscriptionCursors = pgTable("subscription_cursors", {
  chainId: integer("chain_id").primaryKey(),
  blockNumber: bigint("block_number", { mode: "bigint" }).notNull(),
  updatedAt: updatedAt(),
});

/**
 * Rate-limit counters (rate-limiter-flexible's Drizzle store): one row per rule and client key, shared
 * by every server process, so a limit holds however many processes answer. `key` is "<rule>:<client>".
 */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  points: integer("points").notNull().default(0),
  expire: timestamp("expire", { withTimezone: true }),
});

// ── Payout-address proofs (server/gateway/merchants/payout-proof.ts) ──────────────────────────
// Anyone may type any wallet as an account's payout address; the address is only *used* to read
// on-chain data (analytics) and to claim the wallet's subscription plans once its owner has proven
// control of it for this very account. Money may still be paid to an unproven address: that is the
// merchant's own choice and loss; reading another wallet's figures is the attack these rows prevent.

/** `signature`: the wallet signed the challenge (EIP-191, ERC-1271, ERC-6492); `member_session`: a member set their own signed-in address. */
export const payoutProofMethod = pgEnum("payout_proof_method", ["signature", "member_session"]);

/**
 * The proof of an account's current payout address: at most one per account, deleted whenever the
 * payout address changes, and only ever honoured while `address` still equals the account's payout
 * address.
 */
export const payoutAddressProofs = pgTable("payout_address_proofs", {
  merchantId: uuid("merchant_id").primaryKey().references(() => merchants.id, { onDelete: "cascade" }),
  /** The address proven (checksummed): the account's payout address when the proof was made. */
  address: text("address").notNull(),
  method: payoutProofMethod("method").notNull(),
  /** The signed-in member who submitted the signature, or whose session address it is. */
  provenBy: uuid("proven_by").references(() => users.id, { onDelete: "set null" }),
  /** The exact message signed and its signature (signature proofs only). */
  message: text("message"),
  signature: text("signature"),
  /** Set when the proof was made for an ancestor account (whose signed message covers its sub-accounts) and copied here. */
  derivedFrom: uuid("derived_from"),
  provenAt: timestamp("proven_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Challenges to sign: single-use, short-lived, bound to one account, one address and this site. */
export const payoutAddressChallenges = pgTable(
  "payout_address_challenges",
  {
    nonce: text("nonce").primaryKey(),
    merchantId: uuid("merchant_id").notNull().references(() => merchants.id, { onDelete: "cascade" }),
    address: text("address").notNull(),
    /** The exact text to sign; a proof must carry it byte for byte. */
    message: text("message").notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [index("payout_address_challenges_merchant_idx").on(table.merchantId)],
);
