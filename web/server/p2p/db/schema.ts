// P2P ruble desk schema (drizzle). Its own migrations in ./migrations, generated with
// `pnpm --filter @coinpays/web run db:generate:p2p` (config: web/drizzle.p2p.config.ts) and applied
// after the gateway's, with their own bookkeeping table (drizzle.__drizzle_migrations_p2p).
//
// Conventions: every table is prefixed `p2p_`; money is integer minor units in numeric(38,0), read as
// bigint (virtual dollars in cents, rubles in kopecks). Ledger history (p2p_ledger_transfers,
// p2p_ledger_entries) is append-only: a pending transfer is resolved by a *new* post/void transfer
// row, and a unique index on `pending_id` makes that happen exactly once. Account rows carry cached
// TigerBeetle-style balances (debits/credits, pending/posted), which checkInvariants() recomputes
// from the history.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const minor = (name: string) => numeric(name, { precision: 38, scale: 0, mode: "bigint" });
const ts = (name: string) => timestamp(name, { withTimezone: true });

// ---------------------------------------------------------------------------------------------
// People, sessions, e-mail

/** A desk user: any user may sell and buy; operators run the desk. */
export const p2pUsers = pgTable(
  "p2p_users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Lower-cased. */
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    // No role column: operators are the verified users listed in P2P_OPERATOR_EMAILS, decided per
    // request (auth.ts), so the list stays the one source of truth.
    emailVerifiedAt: ts("email_verified_at"),
    /** The game-room account e-mail the seller transfers virtual dollars from (lower-cased). */
    gameEmail: text("game_email"),
    /** Set when one of the seller's providers failed; the operator clears it. */
    flaggedAt: ts("flagged_at"),
    flagReason: text("flag_reason"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("p2p_users_email_key").on(t.email), uniqueIndex("p2p_users_game_email_key").on(t.gameEmail)],
);

/** Sessions: the cookie holds a random token; only its SHA-256 is stored. */
export const p2pSessions = pgTable(
  "p2p_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: uuid("user_id").notNull().references(() => p2pUsers.id, { onDelete: "cascade" }),
    expiresAt: ts("expires_at").notNull(),
    revokedAt: ts("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [index("p2p_sessions_user_idx").on(t.userId)],
);

/** E-mail verification codes (hashed, short-lived, limited attempts). */
export const p2pEmailCodes = pgTable(
  "p2p_email_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull().references(() => p2pUsers.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: ["verify_email", "link_game_email"] }).notNull(),
    /** For link_game_email: the address being linked. */
    target: text("target").notNull(),
    codeHash: text("code_hash").notNull(),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: ts("expires_at").notNull(),
    consumedAt: ts("consumed_at"),
    createdAt: createdAt(),
  },
  (t) => [index("p2p_email_codes_user_idx").on(t.userId, t.purpose)],
);

/**
 * An operator's authenticator (TOTP) secret, sealed with the server keyring (context
 * `operator_totp:<userId>`). Counts once `confirmed_at` is set by a first code; `last_step` is the
 * time step of the last accepted code: a code is good once (server/p2p/operator.ts).
 */
export const p2pOperatorTotp = pgTable("p2p_operator_totp", {
  userId: uuid("user_id").primaryKey().references(() => p2pUsers.id, { onDelete: "cascade" }),
  secretCiphertext: text("secret_ciphertext").notNull(),
  confirmedAt: ts("confirmed_at"),
  lastStep: bigint("last_step", { mode: "number" }),
  createdAt: createdAt(),
});

/**
 * Append-only log of operators' money actions (adjustments, deposits credited from an imported
 * statement, deposit resolutions, dispute resolutions): who, what, amount, target, reason, request id, when. Written in the action's own
 * transaction; a trigger refuses UPDATE, DELETE and TRUNCATE. `amount` is signed for adjustments
 * (a debit is negative).
 */
export const p2pOperatorAudit = pgTable(
  "p2p_operator_audit",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    operatorId: uuid("operator_id").notNull(),
    operatorEmail: text("operator_email").notNull(),
    action: text("action", { enum: ["adjustment", "deposit_resolution", "deposit_import", "dispute_resolution"] }).notNull(),
    amount: numeric("amount", { precision: 38, scale: 0, mode: "bigint" }),
    currency: text("currency").notNull(),
    targetType: text("target_type", { enum: ["user", "deposit", "dispute"] }).notNull(),
    targetId: text("target_id").notNull(),
    targetUserId: uuid("target_user_id"),
    reason: text("reason").notNull(),
    transferId: bigint("transfer_id", { mode: "bigint" }),
    /** The HTTP request's id (x-request-id of its response); null for in-process callers. */
    requestId: text("request_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("p2p_operator_audit_operator_idx").on(t.operatorId, t.createdAt)],
);

/** Development mail outbox: used instead of SMTP when SMTP_URL is unset (shown at /p2p/dev/outbox). */
export const p2pMailOutbox = pgTable("p2p_mail_outbox", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  to: text("to").notNull(),
  subject: text("subject").notNull(),
  body: text("body").notNull(),
  createdAt: createdAt(),
});

// ---------------------------------------------------------------------------------------------
// Ledger

/**
 * A ledger account in one currency. Balances are TigerBeetle-style running sums; `normal` says
 * which side the balance is on (credit-normal: liabilities such as user balances; debit-normal:
 * assets such as the platform's game-room holdings). Unless `allowNegative`, the available balance
 * (posted on the normal side minus posted and pending on the other side) never goes below zero.
 */
export const p2pLedgerAccounts = pgTable(
  "p2p_ledger_accounts",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    /** Stable name, e.g. `user:<uuid>:available`, `platform:game_room`. */
    code: text("code").notNull(),
    currency: text("currency").notNull(),
    normal: text("normal", { enum: ["debit", "credit"] }).notNull(),
    allowNegative: boolean("allow_negative").notNull().default(false),
    userId: uuid("user_id").references(() => p2pUsers.id),
    debitsPending: minor("debits_pending").notNull().default(sql`0`),
    debitsPosted: minor("debits_posted").notNull().default(sql`0`),
    creditsPending: minor("credits_pending").notNull().default(sql`0`),
    creditsPosted: minor("credits_posted").notNull().default(sql`0`),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("p2p_ledger_accounts_code_key").on(t.code),
    check(
      "p2p_ledger_accounts_non_negative",
      sql`${t.allowNegative} or (case when ${t.normal} = 'credit'
        then ${t.creditsPosted} - ${t.debitsPosted} - ${t.debitsPending}
        else ${t.debitsPosted} - ${t.creditsPosted} - ${t.creditsPending} end) >= 0`,
    ),
  ],
);

/**
 * A ledger transfer (journal entry header). kind: `posted` (takes effect at once, legs in
 * p2p_ledger_entries), `pending` (legs reserved), `post` / `void` (resolve the pending transfer
 * `pending_id`; no legs of their own: the pending transfer's legs move from pending to posted, or are
 * released). Never updated or deleted.
 */
export const p2pLedgerTransfers = pgTable(
  "p2p_ledger_transfers",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    idempotencyKey: text("idempotency_key").notNull(),
    /** SHA-256 of the canonical request; the same key with another body is a conflict. */
    requestHash: text("request_hash").notNull(),
    kind: text("kind", { enum: ["posted", "pending", "post", "void"] }).notNull(),
    pendingId: bigint("pending_id", { mode: "bigint" }),
    currency: text("currency").notNull(),
    /** What the transfer is for: deposit, deposit_fee, request_open, match, request_return, adjustment, … */
    reason: text("reason").notNull(),
    expiresAt: ts("expires_at"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("p2p_ledger_transfers_idempotency_key").on(t.idempotencyKey),
    uniqueIndex("p2p_ledger_transfers_pending_resolution_key").on(t.pendingId),
    check("p2p_ledger_transfers_pending_ref", sql`(${t.kind} in ('post','void')) = (${t.pendingId} is not null)`),
  ],
);

/** One leg of a transfer: an amount debited or credited to an account. Never updated. */
export const p2pLedgerEntries = pgTable(
  "p2p_ledger_entries",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    // No foreign keys here or on the reservations' references (migration 0004): they key-share
    // locked hot rows on every write; p2p_ledger_transfer is the only writer and resolves both ids
    // itself, referenced rows are never deleted (triggers), and checkInvariants() looks for orphans.
    transferId: bigint("transfer_id", { mode: "bigint" }).notNull(),
    accountId: bigint("account_id", { mode: "bigint" }).notNull(),
    side: text("side", { enum: ["debit", "credit"] }).notNull(),
    amount: minor("amount").notNull(),
  },
  (t) => [
    index("p2p_ledger_entries_transfer_idx").on(t.transferId),
    index("p2p_ledger_entries_account_idx").on(t.accountId),
    check("p2p_ledger_entries_positive", sql`${t.amount} > 0`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Seller side

/** Virtual-dollar transfers into the platform's game-room account, as read from the room's statement. */
export const p2pDeposits = pgTable(
  "p2p_deposits",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The game room's own transfer id: a deposit is credited at most once per id. */
    externalId: text("external_id").notNull(),
    senderEmail: text("sender_email").notNull(),
    amount: minor("amount").notNull(),
    currency: text("currency").notNull(),
    occurredAt: ts("occurred_at").notNull(),
    source: text("source").notNull(),
    status: text("status", { enum: ["credited", "review", "rejected"] }).notNull(),
    userId: uuid("user_id").references(() => p2pUsers.id),
    commission: minor("commission"),
    transferId: bigint("transfer_id", { mode: "bigint" }),
    resolvedAt: ts("resolved_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("p2p_deposits_external_id_key").on(t.externalId), index("p2p_deposits_status_idx").on(t.status)],
);

/** A seller's payment-provider credentials ("API form"), encrypted at rest (AES-256-GCM). */
export const p2pApiForms = pgTable(
  "p2p_api_forms",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull().references(() => p2pUsers.id),
    provider: text("provider").notNull(),
    displayName: text("display_name").notNull(),
    /** `keyId.iv.tag.ciphertext` (base64url parts); see server/secrets/keyring.ts. */
    credentialsCiphertext: text("credentials_ciphertext").notNull(),
    /** Shop / terminal id reported by the provider when the credentials were verified. */
    shopId: text("shop_id"),
    live: boolean("live"),
    status: text("status", { enum: ["unverified", "active", "failed", "disabled"] }).notNull().default("unverified"),
    verifiedAt: ts("verified_at"),
    lastError: text("last_error"),
    createdAt: createdAt(),
  },
  (t) => [index("p2p_api_forms_user_idx").on(t.userId)],
);

/**
 * A seller's withdrawal request: virtual dollars on sale for rubles, FIFO by `queue_seq`.
 * amount = remaining + reserved + filled + returned + frozen at all times (checked).
 */
export const p2pWithdrawalRequests = pgTable(
  "p2p_withdrawal_requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    queueSeq: bigserial("queue_seq", { mode: "bigint" }).notNull(),
    userId: uuid("user_id").notNull().references(() => p2pUsers.id),
    apiFormId: uuid("api_form_id").notNull().references(() => p2pApiForms.id),
    currency: text("currency").notNull(),
    fiatCurrency: text("fiat_currency").notNull(),
    amount: minor("amount").notNull(),
    remaining: minor("remaining").notNull(),
    reserved: minor("reserved").notNull().default(sql`0`),
    filled: minor("filled").notNull().default(sql`0`),
    returned: minor("returned").notNull().default(sql`0`),
    /** Held in the dispute account while a dispute over one of its reservations is open. */
    frozen: minor("frozen").notNull().default(sql`0`),
    minPerBuyer: minor("min_per_buyer").notNull(),
    maxPerBuyer: minor("max_per_buyer").notNull(),
    /** Fiat minor units per 100 minor units of the virtual currency (kopecks per virtual dollar). */
    rate: minor("rate").notNull(),
    /** open: in the queue; suspended: provider failed; closing: cancelled/dust with reservations open. */
    status: text("status", { enum: ["open", "suspended", "closing", "closed"] }).notNull().default("open"),
    closeReason: text("close_reason"),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    createdAt: createdAt(),
    closedAt: ts("closed_at"),
  },
  (t) => [
    uniqueIndex("p2p_withdrawal_requests_idem_key").on(t.userId, t.idempotencyKey),
    index("p2p_withdrawal_requests_queue_idx").on(t.queueSeq).where(sql`${t.status} = 'open'`),
    index("p2p_withdrawal_requests_user_idx").on(t.userId),
    check(
      "p2p_withdrawal_requests_amounts",
      sql`${t.remaining} >= 0 and ${t.reserved} >= 0 and ${t.filled} >= 0 and ${t.returned} >= 0 and ${t.frozen} >= 0
        and ${t.amount} = ${t.remaining} + ${t.reserved} + ${t.filled} + ${t.returned} + ${t.frozen}
        and ${t.minPerBuyer} > 0 and ${t.minPerBuyer} <= ${t.maxPerBuyer}`,
    ),
  ],
);

// ---------------------------------------------------------------------------------------------
// Buyer side

/** A buyer's top-up: served by exactly one seller at a time (a new reservation after a provider failure). */
export const p2pBuyerOrders = pgTable(
  "p2p_buyer_orders",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    // No foreign key (migration 0005): written only by the matcher for a buyer the service has just
    // read; users are never deleted, and checkInvariants() looks for orders without their user.
    userId: uuid("user_id").notNull(),
    currency: text("currency").notNull(),
    fiatCurrency: text("fiat_currency").notNull(),
    amount: minor("amount").notNull(),
    method: text("method").notNull(),
    /** reserved: a reservation is open; paid; failed: no seller could serve it; expired; disputed: money frozen in a dispute. */
    status: text("status", { enum: ["reserved", "paid", "failed", "expired", "disputed"] }).notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("p2p_buyer_orders_idem_key").on(t.userId, t.idempotencyKey), index("p2p_buyer_orders_user_idx").on(t.userId)],
);

/**
 * One match: `amount` of a seller's request reserved for a buyer's order by a pending ledger
 * transfer, with an invoice at the seller's provider. `status` leaves `pending` exactly once (to
 * `posted` or `voided`), under a row lock, together with the ledger post/void transfer.
 */
export const p2pReservations = pgTable(
  "p2p_reservations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    // Written only by p2p_reserve from the request it holds locked (see p2pLedgerEntries).
    orderId: uuid("order_id").notNull(),
    buyerId: uuid("buyer_id").notNull(),
    requestId: uuid("request_id").notNull(),
    sellerId: uuid("seller_id").notNull(),
    apiFormId: uuid("api_form_id").notNull(),
    provider: text("provider").notNull(),
    amount: minor("amount").notNull(),
    fee: minor("fee").notNull(),
    fiatAmount: minor("fiat_amount").notNull(),
    fiatCurrency: text("fiat_currency").notNull(),
    pendingTransferId: bigint("pending_transfer_id", { mode: "bigint" }).notNull(),
    resolutionTransferId: bigint("resolution_transfer_id", { mode: "bigint" }),
    invoiceId: text("invoice_id"),
    paymentUrl: text("payment_url"),
    status: text("status", { enum: ["pending", "posted", "voided"] }).notNull().default("pending"),
    /** Why a reservation was voided: expired, provider_error, provider_canceled, disputed (frozen in a dispute). */
    voidReason: text("void_reason"),
    expiresAt: ts("expires_at").notNull(),
    resolvedAt: ts("resolved_at"),
    createdAt: createdAt(),
  },
  (t) => [
    // One active reservation per buyer.
    uniqueIndex("p2p_reservations_one_pending_per_buyer").on(t.buyerId).where(sql`${t.status} = 'pending'`),
    uniqueIndex("p2p_reservations_invoice_key").on(t.provider, t.invoiceId),
    index("p2p_reservations_pending_expiry_idx").on(t.expiresAt).where(sql`${t.status} = 'pending'`),
    index("p2p_reservations_order_idx").on(t.orderId),
    index("p2p_reservations_buyer_idx").on(t.buyerId, t.resolvedAt),
  ],
);

/** Provider notifications received (verified or not), de-duplicated per provider event id. */
export const p2pProviderNotifications = pgTable(
  "p2p_provider_notifications",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    provider: text("provider").notNull(),
    eventId: text("event_id").notNull(),
    invoiceId: text("invoice_id"),
    verified: boolean("verified").notNull(),
    body: text("body").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("p2p_provider_notifications_event_key").on(t.provider, t.eventId)],
);

/**
 * Disputes over one reservation (one per reason). `hold_amount` is what sits in the
 * `platform:disputes` ledger account for it while open (frozen seller amount, or a claw-back);
 * `open_transfer_id` moved it there and `resolution_transfer_id` moved it out (null when the
 * resolution moved no money). Reasons: payment_mismatch, paid_after_expiry, buyer_claims_paid, clawback.
 */
export const p2pDisputes = pgTable(
  "p2p_disputes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    reservationId: uuid("reservation_id").notNull().references(() => p2pReservations.id),
    reason: text("reason").notNull(),
    status: text("status", { enum: ["open", "resolved_buyer", "resolved_seller"] }).notNull().default("open"),
    evidence: jsonb("evidence").$type<Record<string, unknown>>().notNull().default({}),
    holdAmount: minor("hold_amount").notNull().default(sql`0`),
    openTransferId: bigint("open_transfer_id", { mode: "bigint" }),
    resolutionTransferId: bigint("resolution_transfer_id", { mode: "bigint" }),
    resolvedBy: uuid("resolved_by").references(() => p2pUsers.id),
    createdAt: createdAt(),
    resolvedAt: ts("resolved_at"),
  },
  (t) => [
    uniqueIndex("p2p_disputes_reservation_reason_key").on(t.reservationId, t.reason),
    index("p2p_disputes_open_idx").on(t.createdAt).where(sql`${t.status} = 'open'`),
    check("p2p_disputes_hold_non_negative", sql`${t.holdAmount} >= 0`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Built-in sandbox payment provider (dev and tests): its invoices live in this database.

export const p2pSandboxInvoices = pgTable("p2p_sandbox_invoices", {
  id: text("id").primaryKey(),
  shopId: text("shop_id").notNull(),
  live: boolean("live").notNull(),
  amount: minor("amount").notNull(),
  currency: text("currency").notNull(),
  description: text("description").notNull(),
  /** Where the sandbox posts its signed notification (optional). */
  notifyUrl: text("notify_url"),
  idempotencyKey: text("idempotency_key").notNull().unique(),
  status: text("status", { enum: ["pending", "succeeded", "canceled", "refunded", "charged_back"] }).notNull().default("pending"),
  /** When a succeeded payment was refunded or charged back (dev/operator action). */
  reversedAt: ts("reversed_at"),
  expiresAt: ts("expires_at").notNull(),
  paidAt: ts("paid_at"),
  createdAt: createdAt(),
});
