// The P2P desk's domain service (framework-free): deposits, API forms, withdrawal requests, the
// matcher, provider confirmations, expiry, and the views the pages and API show.
//
// State that changes and where it is written:
// - Ledger transfers: append-only (see ledger/index.ts). Every money movement below is one.
// - p2p_reservations.status leaves `pending` exactly once (to `posted` or `voided`), inside the
//   same transaction as the ledger post/void transfer, under `SELECT … FOR UPDATE` on the row.
// - p2p_withdrawal_requests: remaining/reserved/filled/returned change under the row lock and always
//   sum to amount (CHECK); the seller's on-sale ledger account mirrors them (checkInvariants).
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { userAccountCode } from "./auth.ts";
import type { P2PConfig } from "./config.ts";
import { decryptSecret, encryptSecret } from "../secrets/keyring.ts";
import { P2PError } from "./errors.ts";
import { createTransfer, ensureAccount, getAccount, ledgerCall, listAccounts, resolvePending, type Leg, type Side } from "./ledger/index.ts";
import { checkInvariants } from "./ledger/invariants.ts";
import { actorOf, writeAudit, type OperatorAct, type OperatorActor } from "./operator.ts";
import { loadSourcePolicy, type SourcePolicy } from "./providers/notification-sources.ts";
import { ProviderError, providerFailureMessage, type PaymentProvider, type ProviderCredentials, type ProviderPaymentStatus } from "./providers/types.ts";
import { CLIENT_ADDRESS_HEADER } from "../security/rate-limit.ts";
import type { Limiter } from "./limits.ts";
import { commissionOf, fiatOf, type StatementRecord } from "./formats.ts";
import { big, canonicalHash, one, pgCode, preparedRows, RETRYABLE_SQLSTATES, rows, type Executor, type TxRunner } from "./sql.ts";
import { createWriteBatcher } from "./write-batcher.ts";
import { loadDeskCaps, type DeskCaps } from "./caps.ts";

export const GAME_ROOM_ACCOUNT = "platform:game_room";
export const ADJUSTMENTS_ACCOUNT = "platform:adjustments";
/** What open disputes hold: frozen seller amounts and clawed-back buyer credits, until resolved. */
export const DISPUTES_ACCOUNT = "platform:disputes";
// 64: with 8, every match and post queued on 8 rows, each held through its commit's WAL flush
// (the matcher benchmark's lock waits, docs/benchmarks.md).
export const COMMISSION_SHARDS = 64;
/** The platform's commission is spread over a few accounts so concurrent matches do not queue on one row. */
export const commissionAccount = (shard: number) => `platform:commission:${shard}`;
/** Same order → same shard (a late re-reservation or a dispute touches the accounts its match did). */
export const commissionShardOf = (orderId: string) => Number.parseInt(orderId.slice(0, 8), 16) % COMMISSION_SHARDS;

export type DisputeOutcome = "buyer" | "seller";
export type DisputeResolution = { disputeId: string; outcome: DisputeOutcome; transferId: bigint | null; replayed: boolean };

export { commissionOf, fiatOf, formatMinor, parseMinor, parseStatement, type StatementRecord } from "./formats.ts";

export type DepositOutcome = "credited" | "review" | "duplicate" | "conflict";

export type OrderView = {
  id: string;
  status: string;
  amount: bigint;
  method: string;
  createdAt: Date;
  reservation: ReservationView | null;
};

export type ReservationView = {
  id: string;
  status: string;
  amount: bigint;
  fee: bigint;
  fiatAmount: bigint;
  fiatCurrency: string;
  invoiceId: string | null;
  paymentUrl: string | null;
  expiresAt: Date;
  voidReason: string | null;
};

export type ConfirmOutcome =
  | "posted"
  | "voided"
  | "pending"
  | "already_resolved"
  | "mismatch"
  | "late_reposted"
  | "disputed"
  /** A posted payment was refunded / reversed / charged back: the match is clawed back into a dispute. */
  | "clawed_back"
  /** A frozen dispute's payment was confirmed by the provider after all: resolved to the buyer. */
  | "dispute_resolved";

type RequestRow = {
  id: string;
  user_id: string;
  api_form_id: string;
  amount: unknown;
  remaining: unknown;
  reserved: unknown;
  filled: unknown;
  returned: unknown;
  frozen: unknown;
  min_per_buyer: unknown;
  max_per_buyer: unknown;
  rate: unknown;
  status: string;
};

type ReservationRow = {
  id: string;
  order_id: string;
  buyer_id: string;
  request_id: string;
  seller_id: string;
  api_form_id: string;
  provider: string;
  amount: unknown;
  fee: unknown;
  fiat_amount: unknown;
  fiat_currency: string;
  pending_transfer_id: unknown;
  invoice_id: string | null;
  payment_url: string | null;
  status: string;
  void_reason: string | null;
  expires_at: string | Date;
  created_at: string | Date;
};

export type Desk = ReturnType<typeof createDesk>;

export function createDesk(deps: {
  db: TxRunner;
  config: P2PConfig;
  providers: ReadonlyMap<string, PaymentProvider>;
  logger?: Logger;
  now?: () => Date;
  /** Where unsigned provider notifications may come from (default: from the environment). */
  notificationSources?: SourcePolicy;
  caps?: Partial<DeskCaps>;
  /** Notifications handled per invoice (limits.ts over the server's shared store); unlimited without. */
  notificationsPerInvoice?: Limiter;
}) {
  const { db, config, providers } = deps;
  const caps: DeskCaps = { ...loadDeskCaps(), ...deps.caps };
  const sources = deps.notificationSources ?? loadSourcePolicy();
  const now = deps.now ?? (() => new Date());
  const log = deps.logger;
  // The hot writes (match, invoice record, post) go through a group commit: see write-batcher.ts.
  const write = createWriteBatcher(db);

  function provider(id: string): PaymentProvider {
    const p = providers.get(id);
    if (!p) throw new P2PError("invalid_input", `unknown provider ${id}`);
    return p;
  }

  type FormCredentials = { provider: PaymentProvider; credentials: ProviderCredentials; shopId: string | null; live: boolean | null };
  // Decrypted credentials per API form, kept briefly: a form's credentials never change in place
  // (a new form is a new row), and whether a form may be matched is decided by the matcher's query.
  const credentialCache = new Map<string, { at: number; value: FormCredentials }>();

  async function formCredentials(formId: string): Promise<FormCredentials> {
    const cached = credentialCache.get(formId);
    if (cached && Date.now() - cached.at < 60_000) return cached.value;
    const value = await loadFormCredentials(formId);
    if (credentialCache.size > 10_000) credentialCache.clear();
    credentialCache.set(formId, { at: Date.now(), value });
    return value;
  }

  async function loadFormCredentials(formId: string): Promise<FormCredentials> {
    const form = await one<{ provider: string; credentials_ciphertext: string; shop_id: string | null; live: boolean | null }>(
      db,
      sql`select provider, credentials_ciphertext, shop_id, live from p2p_api_forms where id = ${formId}`,
    );
    if (!form) throw new P2PError("not_found", "API form not found");
    return {
      provider: provider(form.provider),
      credentials: JSON.parse(decryptSecret(config.keyring, form.credentials_ciphertext, `api_form:${formId}`)) as ProviderCredentials,
      shopId: form.shop_id,
      live: form.live,
    };
  }

  async function requireVerified(userId: string): Promise<{ email: string; flagged: boolean }> {
    const user = await one<{ email: string; email_verified_at: unknown; flagged_at: unknown }>(
      db,
      sql`select email, email_verified_at, flagged_at from p2p_users where id = ${userId}`,
    );
    if (!user) throw new P2PError("unauthenticated", "unknown user");
    if (!user.email_verified_at) throw new P2PError("forbidden", "verify your e-mail first");
    return { email: user.email, flagged: Boolean(user.flagged_at) };
  }

  // -------------------------------------------------------------------------------------------
  // Deposits

  async function creditDeposit(tx: Executor, depositId: string, externalId: string, userId: string, amount: bigint): Promise<void> {
    const commission = commissionOf(amount, config.depositFeeBps);
    const legs = [
      { account: GAME_ROOM_ACCOUNT, side: "debit" as const, amount },
      ...(amount - commission > 0n ? [{ account: userAccountCode(userId, "available"), side: "credit" as const, amount: amount - commission }] : []),
      ...(commission > 0n ? [{ account: commissionAccount(0), side: "credit" as const, amount: commission }] : []),
    ];
    const { transfer } = await createTransfer(tx, {
      idempotencyKey: `deposit:${externalId}`,
      kind: "posted",
      currency: config.currency,
      reason: "deposit",
      legs,
      metadata: { depositId, userId },
    });
    await tx.execute(
      sql`update p2p_deposits set status = 'credited', user_id = ${userId}, commission = ${commission.toString()},
            transfer_id = ${transfer.id.toString()}, resolved_at = now() where id = ${depositId}`,
    );
  }

  /** `act`: an operator importing a statement; each credit it books is audited in its own transaction. */
  async function recordDeposit(record: StatementRecord, source: string, act?: OperatorAct): Promise<DepositOutcome> {
    if (record.amount <= 0n) throw new P2PError("invalid_input", `deposit ${record.transferId}: amount must be positive`);
    if (record.currency !== config.currency) throw new P2PError("invalid_input", `deposit ${record.transferId}: currency ${record.currency} is not ${config.currency}`);
    const sender = record.senderEmail.trim().toLowerCase();
    return db.transaction(async (tx) => {
      const user = await one<{ id: string }>(tx, sql`select id from p2p_users where game_email = ${sender}`);
      const inserted = await one<{ id: string }>(
        tx,
        sql`insert into p2p_deposits (external_id, sender_email, amount, currency, occurred_at, source, status, user_id)
            values (${record.transferId}, ${sender}, ${record.amount.toString()}, ${record.currency}, ${record.occurredAt.toISOString()},
                    ${source}, ${user ? "credited" : "review"}, ${user?.id ?? null})
            on conflict (external_id) do nothing returning id`,
      );
      if (!inserted) {
        const existing = await one<{ amount: unknown; sender_email: string }>(
          tx,
          sql`select amount, sender_email from p2p_deposits where external_id = ${record.transferId}`,
        );
        const same = existing && big(existing.amount) === record.amount && existing.sender_email === sender;
        if (!same) log?.warn({ transferId: record.transferId }, "p2p deposit seen again with different details");
        return same ? "duplicate" : "conflict";
      }
      if (!user) return "review";
      await creditDeposit(tx, inserted.id, record.transferId, user.id, record.amount);
      if (act) {
        const credited = await one<{ transfer_id: string }>(tx, sql`select transfer_id from p2p_deposits where id = ${inserted.id}`);
        await writeAudit(tx, act, {
          action: "deposit_import",
          amount: record.amount,
          targetType: "deposit",
          targetId: inserted.id,
          targetUserId: user.id,
          reason: `statement ${source}`,
          transferId: credited?.transfer_id ? BigInt(credited.transfer_id) : null,
          details: { externalId: record.transferId, sender },
        }, config.currency);
      }
      return "credited";
    });
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  /** Returns `amount` from a request to the seller's balance (cancel, dust, late voids). */
  async function returnToSeller(tx: Executor, req: RequestRow, amount: bigint): Promise<void> {
    if (amount <= 0n) return;
    const returnedBefore = big(req.returned);
    await createTransfer(tx, {
      idempotencyKey: `request_return:${req.id}:${returnedBefore}`,
      kind: "posted",
      currency: config.currency,
      reason: "request_return",
      legs: [
        { account: userAccountCode(req.user_id, "on_sale"), side: "debit", amount },
        { account: userAccountCode(req.user_id, "available"), side: "credit", amount },
      ],
      metadata: { requestId: req.id },
    });
    req.returned = returnedBefore + amount;
  }

  /** Closes a request when nothing more can happen to it (dust or closing); run after every change, under the row lock. */
  async function settleRequest(tx: Executor, req: RequestRow): Promise<void> {
    await ledgerCall(tx, sql`select p2p_request_settle(${req.id}::uuid) as settled`);
  }

  // -------------------------------------------------------------------------------------------
  // Reservations

  async function lockReservation(tx: Executor, id: string, skipLocked = false): Promise<ReservationRow | undefined> {
    return one<ReservationRow>(
      tx,
      skipLocked
        ? sql`select * from p2p_reservations where id = ${id} for update skip locked`
        : sql`select * from p2p_reservations where id = ${id} for update`,
    );
  }

  async function lockRequest(tx: Executor, id: string): Promise<RequestRow> {
    const req = await one<RequestRow>(tx, sql`select * from p2p_withdrawal_requests where id = ${id} for update`);
    if (!req) throw new Error(`request ${id} vanished`);
    return req;
  }

  // The reservation's transitions are the PL/pgSQL functions of migration 0002 (one round trip
  // each); they take the reservation's and request's row locks themselves, so calling them under a
  // lock the caller already holds is the same as calling them alone.

  /** Voids a pending reservation: the amount goes back to the request (or the seller, if it is closing). */
  async function voidLocked(tx: Executor, res: ReservationRow, reason: string): Promise<void> {
    await ledgerCall(tx, sql`select p2p_reservation_void(${res.id}::uuid, ${reason}, ${now().toISOString()}::timestamptz) as done`);
    res.status = "voided";
  }

  /** Posts a pending reservation decided at `at` (pending_expired after its expiry). Returns whether it was pending. */
  async function postLocked(tx: Executor, res: ReservationRow, at: Date = now()): Promise<boolean> {
    const { done } = await ledgerCall<{ done: boolean }>(tx, sql`select p2p_reservation_post(${res.id}::uuid, ${at.toISOString()}::timestamptz) as done`);
    if (done) res.status = "posted";
    return done;
  }

  /** Reserves `amount` of a locked request for a buyer's order: pending ledger transfer + reservation row. */
  async function reserve(
    tx: Executor,
    req: RequestRow,
    order: { id: string; buyerId: string; provider: string },
    amount: bigint,
    ttlMs: number,
  ): Promise<ReservationRow> {
    return ledgerCall<ReservationRow>(
      tx,
      sql`select * from p2p_reserve(${req.id}::uuid, ${order.id}::uuid, ${order.buyerId}::uuid, ${order.provider}, ${amount.toString()}::numeric,
            ${commissionOf(amount, config.tradeFeeBps).toString()}::numeric, ${commissionAccount(commissionShardOf(order.id))}, ${randomUUID()}::uuid,
            ${new Date(now().getTime() + ttlMs).toISOString()}::timestamptz, ${config.fiatCurrency})`,
    );
  }

  async function flagSeller(res: ReservationRow, error: unknown): Promise<void> {
    // The seller sees last_error and flag_reason: our own words; the provider's text is logged only.
    const message = providerFailureMessage(error);
    const detail = error instanceof Error ? error.message : String(error);
    await db.transaction(async (tx) => {
      await tx.execute(sql`update p2p_api_forms set status = 'failed', last_error = ${message} where id = ${res.api_form_id}`);
      await tx.execute(sql`update p2p_users set flagged_at = coalesce(flagged_at, now()), flag_reason = ${message} where id = ${res.seller_id}`);
      await tx.execute(sql`update p2p_withdrawal_requests set status = 'suspended' where api_form_id = ${res.api_form_id} and status = 'open'`);
    });
    log?.warn({ sellerId: res.seller_id, apiFormId: res.api_form_id, err: detail }, "p2p seller flagged after provider failure");
  }

  // -------------------------------------------------------------------------------------------
  // Disputes and claw-backs
  //
  // Money in dispute sits in DISPUTES_ACCOUNT, one `hold_amount` per dispute, until an operator (or
  // the provider's own confirmation) resolves it; every movement is a ledger transfer whose key is
  // derived from the dispute or reservation, so a repeated notification or resolution replays.
  // Lock order, extending the matcher's: dispute → reservation → request → ledger accounts (ascending id).

  type DisputeRow = {
    id: string;
    reservation_id: string;
    reason: string;
    status: string;
    hold_amount: unknown;
    open_transfer_id: unknown;
    resolution_transfer_id: unknown;
  };

  /** Locks the given accounts in ascending id order and returns their balances by code. */
  async function lockAccounts(tx: Executor, codes: string[]): Promise<Map<string, { available: bigint }>> {
    const locked = await rows<{ code: string; available: unknown }>(
      tx,
      sql`select code, case when normal = 'credit' then credits_posted - debits_posted - debits_pending
                            else debits_posted - credits_posted - credits_pending end as available
          from p2p_ledger_accounts where code in (${sql.join(
            codes.map((c) => sql`${c}`),
            sql`, `,
          )}) order by id for no key update`,
    );
    return new Map(locked.map((r) => [r.code, { available: big(r.available) }]));
  }

  /**
   * Legs that take `amount` from a user: from their available balance as far as it goes, the rest
   * booked as a receivable (what the user owes the platform). The rule: money the platform must take
   * back is never lost because it was already spent; it becomes a visible debt instead of a
   * negative balance, so `available` accounts keep their no-overdraft guarantee.
   */
  async function takeFromUser(tx: Executor, userId: string, amount: bigint, otherCodes: string[]): Promise<Leg[]> {
    const available = userAccountCode(userId, "available");
    const receivable = userAccountCode(userId, "receivable");
    await ensureAccount(tx, { code: available, currency: config.currency, normal: "credit", userId });
    await ensureAccount(tx, { code: receivable, currency: config.currency, normal: "debit", userId });
    const balances = await lockAccounts(tx, [available, receivable, ...otherCodes]);
    const have = balances.get(available)?.available ?? 0n;
    const take = have < amount ? (have > 0n ? have : 0n) : amount;
    return [
      ...(take > 0n ? [{ account: available, side: "debit" as const, amount: take }] : []),
      ...(amount - take > 0n ? [{ account: receivable, side: "debit" as const, amount: amount - take }] : []),
    ];
  }

  /**
   * Credits to a user's receivable repay what they still owe; any part of the debt collected from
   * their balance since it was booked (collectReceivables) goes back to that balance instead, so a
   * reversal never credits a receivable below zero. Locks the legs' accounts.
   */
  async function repayReceivablesFirst(tx: Executor, legs: Leg[]): Promise<Leg[]> {
    const balances = await lockAccounts(tx, [...new Set(legs.map((l) => l.account))]);
    const result: Leg[] = [];
    for (const leg of legs) {
      const owed = leg.side === "credit" && leg.account.endsWith(":receivable") ? (balances.get(leg.account)?.available ?? 0n) : undefined;
      if (owed === undefined || owed >= leg.amount) {
        result.push(leg);
        continue;
      }
      const available = leg.account.replace(/:receivable$/, ":available");
      await ensureAccount(tx, { code: available, currency: config.currency, normal: "credit", userId: leg.account.split(":")[1]! });
      if (owed > 0n) result.push({ ...leg, amount: owed });
      result.push({ account: available, side: "credit", amount: leg.amount - (owed > 0n ? owed : 0n) });
    }
    return result;
  }

  /**
   * Legs that credit the buyer of a match and the platform's fee: what a posted match gives them,
   * read from the match's own pending transfer (so a later change of the shard count cannot send
   * a dispute's fee leg to another commission account).
   */
  async function matchCreditLegs(tx: Executor, res: ReservationRow): Promise<Leg[]> {
    const legs = await rows<{ code: string; amount: unknown }>(
      tx,
      sql`select a.code, e.amount from p2p_ledger_entries e join p2p_ledger_accounts a on a.id = e.account_id
          where e.transfer_id = ${String(res.pending_transfer_id)} and e.side = 'credit' order by e.id`,
    );
    return legs.map((l) => ({ account: l.code, side: "credit" as const, amount: big(l.amount) }));
  }

  async function openDispute(
    tx: Executor,
    res: ReservationRow,
    reason: string,
    evidence: Record<string, unknown>,
  ): Promise<{ dispute: DisputeRow; created: boolean }> {
    const inserted = await one<DisputeRow>(
      tx,
      sql`insert into p2p_disputes (reservation_id, reason, evidence) values (${res.id}, ${reason}, ${JSON.stringify(evidence)}::jsonb)
          on conflict (reservation_id, reason) do nothing returning *`,
    );
    if (inserted) return { dispute: inserted, created: true };
    const existing = await one<DisputeRow>(tx, sql`select * from p2p_disputes where reservation_id = ${res.id} and reason = ${reason}`);
    return { dispute: existing!, created: false };
  }

  /**
   * Freezes a locked pending reservation for a dispute: the pending transfer is voided and the
   * seller's amount moves from their on-sale account into the dispute hold (it can be neither sold
   * again nor credited until the dispute is resolved).
   */
  async function freezeLocked(tx: Executor, res: ReservationRow, dispute: DisputeRow): Promise<void> {
    const req = await lockRequest(tx, res.request_id);
    const { transfer: voided } = await resolvePending(tx, {
      idempotencyKey: `match:${res.id}:void`,
      pendingId: big(res.pending_transfer_id),
      outcome: "void",
      reason: "disputed",
      at: now(),
    });
    await tx.execute(
      sql`update p2p_reservations set status = 'voided', void_reason = 'disputed', resolution_transfer_id = ${voided.id.toString()},
            resolved_at = ${now().toISOString()} where id = ${res.id} and status = 'pending'`,
    );
    const amount = big(res.amount);
    const { transfer: frozen } = await createTransfer(tx, {
      idempotencyKey: `dispute_freeze:${dispute.id}`,
      kind: "posted",
      currency: config.currency,
      reason: "dispute_freeze",
      legs: [
        { account: userAccountCode(res.seller_id, "on_sale"), side: "debit", amount },
        { account: DISPUTES_ACCOUNT, side: "credit", amount },
      ],
      metadata: { disputeId: dispute.id, reservationId: res.id },
    });
    req.reserved = big(req.reserved) - amount;
    req.frozen = big(req.frozen) + amount;
    await tx.execute(
      sql`update p2p_withdrawal_requests set reserved = ${big(req.reserved).toString()}, frozen = ${big(req.frozen).toString()} where id = ${req.id}`,
    );
    await settleRequest(tx, req);
    await tx.execute(
      sql`update p2p_disputes set hold_amount = ${amount.toString()}, open_transfer_id = ${frozen.id.toString()} where id = ${dispute.id}`,
    );
    dispute.hold_amount = amount;
    dispute.open_transfer_id = frozen.id;
    await tx.execute(sql`update p2p_buyer_orders set status = 'disputed' where id = ${res.order_id}`);
    res.status = "voided";
    res.void_reason = "disputed";
  }

  /**
   * Claws back a posted match whose payment the provider reports refunded, reversed or charged back:
   * what the match credited (buyer M − fee, platform fee) moves into the dispute hold; what the buyer
   * already spent becomes their receivable. Exactly once per reservation (the dispute's unique key
   * and the transfer's idempotency key), under the reservation's row lock.
   */
  async function clawBackLocked(tx: Executor, res: ReservationRow, evidence: Record<string, unknown>): Promise<boolean> {
    const { dispute, created } = await openDispute(tx, res, "clawback", evidence);
    if (!created) return false;
    const amount = big(res.amount);
    const buyerAccount = userAccountCode(res.buyer_id, "available");
    const credited = await matchCreditLegs(tx, res);
    // The buyer's credit is taken back as far as their balance goes (the rest becomes a
    // receivable); every other credit of the match (the platform's fee) is reversed as it was.
    const buyerCredit = credited.find((l) => l.account === buyerAccount)?.amount ?? 0n;
    const others = credited.filter((l) => l.account !== buyerAccount);
    const buyerLegs =
      buyerCredit > 0n ? await takeFromUser(tx, res.buyer_id, buyerCredit, [...others.map((l) => l.account), DISPUTES_ACCOUNT]) : [];
    const { transfer } = await createTransfer(tx, {
      idempotencyKey: `clawback:${res.id}`,
      kind: "posted",
      currency: config.currency,
      reason: "clawback",
      legs: [...buyerLegs, ...others.map((l) => ({ ...l, side: "debit" as const })), { account: DISPUTES_ACCOUNT, side: "credit", amount }],
      metadata: { disputeId: dispute.id, reservationId: res.id },
    });
    await tx.execute(
      sql`update p2p_disputes set hold_amount = ${amount.toString()}, open_transfer_id = ${transfer.id.toString()} where id = ${dispute.id}`,
    );
    await tx.execute(sql`update p2p_buyer_orders set status = 'disputed' where id = ${res.order_id}`);
    log?.warn({ reservationId: res.id, disputeId: dispute.id, ...evidence }, "p2p payment reversed after confirmation: clawed back into a dispute");
    return true;
  }

  /**
   * Resolves a locked open dispute and moves its money:
   * - held (frozen or clawed back), to the buyer: the match stands (buyer M − fee, platform fee;
   *   a claw-back is mirrored exactly, repaying the receivable it booked);
   * - held, to the seller: the seller gets M back on their available balance;
   * - nothing held (paid after expiry, or a mismatch whose reservation was already voided), to the
   *   buyer: the seller pays the buyer the match (short of balance → seller's receivable); to the
   *   seller: no money moves.
   * A dispute whose reservation is still pending is frozen first, so a reservation cannot expire
   * into the queue while its dispute is decided.
   */
  async function resolveDisputeLocked(
    tx: Executor,
    dispute: DisputeRow,
    outcome: DisputeOutcome,
    resolution: { operatorId: string | null; note: string },
  ): Promise<bigint | null> {
    const res = (await lockReservation(tx, dispute.reservation_id))!;
    if (res.status === "pending") await freezeLocked(tx, res, dispute);
    const hold = big(dispute.hold_amount);
    const amount = big(res.amount);
    const key = `dispute_resolve:${dispute.id}`;
    const metadata = { disputeId: dispute.id, reservationId: res.id, outcome, operatorId: resolution.operatorId, note: resolution.note };
    let legs: Leg[] | null = null;
    let reason = `dispute_to_${outcome}`;
    if (hold > 0n && dispute.reason === "clawback") {
      if (outcome === "buyer") {
        const opened = await rows<{ code: string; side: Side; amount: unknown }>(
          tx,
          sql`select a.code, e.side, e.amount from p2p_ledger_entries e join p2p_ledger_accounts a on a.id = e.account_id
              where e.transfer_id = ${String(dispute.open_transfer_id)} order by e.id`,
        );
        const mirrored: Leg[] = opened.map((l) => ({ account: l.code, side: l.side === "debit" ? "credit" : "debit", amount: big(l.amount) }));
        legs = await repayReceivablesFirst(tx, mirrored);
        reason = "clawback_reversed";
      } else {
        legs = [
          { account: DISPUTES_ACCOUNT, side: "debit", amount: hold },
          { account: userAccountCode(res.seller_id, "available"), side: "credit", amount: hold },
        ];
      }
      await lockAccounts(tx, [...new Set(legs.map((l) => l.account))]);
    } else if (hold > 0n) {
      const req = await lockRequest(tx, res.request_id);
      legs =
        outcome === "buyer"
          ? [{ account: DISPUTES_ACCOUNT, side: "debit", amount: hold }, ...(await matchCreditLegs(tx, res))]
          : [
              { account: DISPUTES_ACCOUNT, side: "debit", amount: hold },
              { account: userAccountCode(res.seller_id, "available"), side: "credit", amount: hold },
            ];
      req.frozen = big(req.frozen) - hold;
      if (outcome === "buyer") req.filled = big(req.filled) + hold;
      else req.returned = big(req.returned) + hold;
      await tx.execute(
        sql`update p2p_withdrawal_requests set frozen = ${big(req.frozen).toString()}, filled = ${big(req.filled).toString()},
              returned = ${big(req.returned).toString()} where id = ${req.id}`,
      );
      await settleRequest(tx, req);
    } else if (outcome === "buyer") {
      // One reservation's money is decided once: not here if another dispute holds or paid it.
      const other = await one<{ id: string }>(
        tx,
        sql`select id from p2p_disputes where reservation_id = ${res.id} and id <> ${dispute.id}
              and ((status = 'open' and hold_amount > 0) or resolution_transfer_id is not null or hold_amount > 0)`,
      );
      if (other || res.status === "posted") {
        throw new P2PError("conflict", `this reservation's money is decided by ${other ? `dispute ${other.id}` : "its posted payment"}`);
      }
      const credit = await matchCreditLegs(tx, res);
      const sellerLegs = await takeFromUser(tx, res.seller_id, amount, credit.map((l) => l.account));
      legs = [...sellerLegs, ...credit];
    }
    let transferId: bigint | null = null;
    if (legs) {
      const { transfer } = await createTransfer(tx, { idempotencyKey: key, kind: "posted", currency: config.currency, reason, legs, metadata });
      transferId = transfer.id;
    }
    await tx.execute(
      sql`update p2p_disputes set status = ${outcome === "buyer" ? "resolved_buyer" : "resolved_seller"}, resolved_at = ${now().toISOString()},
            resolved_by = ${resolution.operatorId}, resolution_transfer_id = ${transferId?.toString() ?? null},
            evidence = evidence || ${JSON.stringify({ resolution: { ...metadata, at: now().toISOString() } })}::jsonb
          where id = ${dispute.id}`,
    );
    // The order tells the buyer how it ended: a claw-back to the seller leaves the buyer unpaid.
    const orderStatus = outcome === "buyer" ? "paid" : dispute.reason === "clawback" || hold > 0n ? "failed" : null;
    if (orderStatus) await tx.execute(sql`update p2p_buyer_orders set status = ${orderStatus} where id = ${res.order_id}`);
    return transferId;
  }

  async function resolveDisputeTx(
    disputeId: string,
    outcome: DisputeOutcome,
    resolution: { operatorId: string | null; note: string },
    act?: OperatorAct,
  ): Promise<DisputeResolution> {
    return db.transaction(async (tx) => {
      // An operator's code is checked (and spent) first, under its own row lock, before any desk row.
      await act?.verify(tx);
      const dispute = await one<DisputeRow>(tx, sql`select * from p2p_disputes where id = ${disputeId} for update`);
      if (!dispute) throw new P2PError("not_found", "dispute not found");
      if (dispute.status !== "open") {
        // Resolving again the same way replays; the other way is refused.
        if (dispute.status === `resolved_${outcome}`) {
          const transferId = dispute.resolution_transfer_id === null ? null : big(dispute.resolution_transfer_id);
          return { disputeId, outcome, transferId, replayed: true };
        }
        throw new P2PError("already_resolved", `dispute is already ${dispute.status.replace("_", " to ")}`);
      }
      const transferId = await resolveDisputeLocked(tx, dispute, outcome, resolution);
      if (act) {
        const reservation = await one<{ amount: unknown; buyer_id: string; seller_id: string }>(
          tx,
          sql`select amount, buyer_id, seller_id from p2p_reservations where id = ${dispute.reservation_id}`,
        );
        await writeAudit(tx, act, {
          action: "dispute_resolution",
          amount: reservation ? big(reservation.amount) : null,
          targetType: "dispute",
          targetId: dispute.id,
          reason: resolution.note,
          transferId,
          targetUserId: reservation ? (outcome === "buyer" ? reservation.buyer_id : reservation.seller_id) : null,
          details: { outcome, disputeReason: dispute.reason, holdAmount: big(dispute.hold_amount).toString(), reservationId: dispute.reservation_id },
        }, config.currency);
      }
      return { disputeId, outcome, transferId, replayed: false };
    });
  }

  /** Whether a provider status is this reservation's payment, field by field. */
  function paymentMatches(res: ReservationRow, form: { shopId: string | null; live: boolean | null }, status: ProviderPaymentStatus): boolean {
    return (
      status.invoiceId === res.invoice_id &&
      status.amount === big(res.fiat_amount) &&
      status.currency === res.fiat_currency &&
      status.shopId === form.shopId &&
      status.live === true &&
      form.live === true
    );
  }

  /** A decided reservation: a posted one is checked for a reversal, a frozen one for a late confirmation. */
  async function recheckDecided(res: ReservationRow, known?: ProviderPaymentStatus): Promise<ConfirmOutcome> {
    const disputedFreeze = res.status === "voided" && res.void_reason === "disputed";
    if (!res.invoice_id || (res.status !== "posted" && !disputedFreeze)) return "already_resolved";
    const form = await formCredentials(res.api_form_id);
    const status = known ?? (await form.provider.getStatus(form.credentials, res.invoice_id));
    if (res.status === "posted") {
      if (status.status !== "refunded" && status.status !== "charged_back" && status.status !== "canceled") return "already_resolved";
      const evidence = {
        providerStatus: status.status,
        invoiceId: status.invoiceId,
        amount: String(status.amount),
        reversedAmount: status.reversedAmount === undefined ? null : String(status.reversedAmount),
        currency: status.currency,
        at: now().toISOString(),
      };
      const clawed = await db.transaction(async (tx) => {
        const locked = await lockReservation(tx, res.id);
        return locked?.status === "posted" ? clawBackLocked(tx, locked, evidence) : false;
      });
      return clawed ? "clawed_back" : "already_resolved";
    }
    // Frozen because the buyer said they paid: if the provider now confirms it, the buyer was right.
    if (status.status !== "succeeded" || !paymentMatches(res, form, status)) return "already_resolved";
    const open = await one<{ id: string }>(
      db,
      sql`select id from p2p_disputes where reservation_id = ${res.id} and status = 'open' and hold_amount > 0 and reason <> 'clawback'`,
    );
    if (!open) return "already_resolved";
    const result = await resolveDisputeTx(open.id, "buyer", { operatorId: null, note: "the provider confirmed the payment" }).catch((error: unknown) => {
      if (error instanceof P2PError && error.code === "already_resolved") return undefined;
      throw error;
    });
    return result && !result.replayed ? "dispute_resolved" : "already_resolved";
  }

  async function issueInvoice(res: ReservationRow): Promise<ReservationRow> {
    const form = await formCredentials(res.api_form_id);
    const invoice = await form.provider.createInvoice(form.credentials, {
      reference: res.id,
      amount: big(res.fiat_amount),
      currency: res.fiat_currency,
      description: `Top-up ${res.order_id}`,
      expiresAt: new Date(res.expires_at),
    });
    const updated = (await write({ op: "invoice", id: res.id, invoiceId: invoice.invoiceId, paymentUrl: invoice.paymentUrl })) as ReservationRow | null;
    return updated ?? res;
  }

  function reservationView(res: ReservationRow): ReservationView {
    return {
      id: res.id,
      status: res.status,
      amount: big(res.amount),
      fee: big(res.fee),
      fiatAmount: big(res.fiat_amount),
      fiatCurrency: res.fiat_currency,
      invoiceId: res.invoice_id,
      paymentUrl: res.payment_url,
      expiresAt: new Date(res.expires_at),
      voidReason: res.void_reason,
    };
  }

  async function orderView(orderId: string): Promise<OrderView> {
    const order = await one<{ id: string; status: string; amount: unknown; method: string; created_at: string }>(
      db,
      sql`select * from p2p_buyer_orders where id = ${orderId}`,
    );
    if (!order) throw new P2PError("not_found", "order not found");
    const res = await one<ReservationRow>(db, sql`select * from p2p_reservations where order_id = ${orderId} order by created_at desc limit 1`);
    return {
      id: order.id,
      status: order.status,
      amount: big(order.amount),
      method: order.method,
      createdAt: new Date(order.created_at),
      reservation: res ? reservationView(res) : null,
    };
  }

  async function largestAvailable(buyerId: string, method: string): Promise<bigint> {
    const row = await one<{ largest: unknown }>(
      db,
      sql`select max(least(q.remaining, q.max_per_buyer)) as largest
          from p2p_withdrawal_requests q join p2p_api_forms f on f.id = q.api_form_id
          where q.status = 'open' and q.remaining >= q.min_per_buyer and f.status = 'active' and f.provider = ${method}
            and q.user_id <> ${buyerId}`,
    );
    return row?.largest === null || row?.largest === undefined ? 0n : big(row.largest);
  }

  // -------------------------------------------------------------------------------------------
  // Public operations

  const desk = {
    config,
    provider,

    /** Creates the platform's own ledger accounts (idempotent). */
    async init(): Promise<void> {
      await ensureAccount(db, { code: GAME_ROOM_ACCOUNT, currency: config.currency, normal: "debit" });
      // Counterpart of operators' manual adjustments; may go negative (the platform gave value away).
      await ensureAccount(db, { code: ADJUSTMENTS_ACCOUNT, currency: config.currency, normal: "credit", allowNegative: true });
      await ensureAccount(db, { code: DISPUTES_ACCOUNT, currency: config.currency, normal: "credit" });
      for (let shard = 0; shard < COMMISSION_SHARDS; shard += 1) {
        await ensureAccount(db, { code: commissionAccount(shard), currency: config.currency, normal: "credit" });
      }
    },

    async balances(userId: string): Promise<{ available: bigint; onSale: bigint; reservedOnSale: bigint }> {
      const available = await getAccount(db, userAccountCode(userId, "available"));
      const onSale = await getAccount(db, userAccountCode(userId, "on_sale"));
      return { available: available?.available ?? 0n, onSale: onSale?.available ?? 0n, reservedOnSale: onSale?.debitsPending ?? 0n };
    },

    // --- deposits ---
    recordDeposit,

    /**
     * A statement of game-room transfers. From an operator (`actor`): the second factor is checked
     * (and spent) once before the first record, and every credit lands in the audit log.
     */
    async importStatement(records: StatementRecord[], source: string, actor?: OperatorActor): Promise<Record<DepositOutcome, number>> {
      const act = actor === undefined ? undefined : actorOf(actor);
      if (act) await db.transaction((tx) => act.verify(tx));
      const counts: Record<DepositOutcome, number> = { credited: 0, review: 0, duplicate: 0, conflict: 0 };
      for (const record of records) counts[await recordDeposit(record, source, act)] += 1;
      return counts;
    },

    /**
     * Operator: assigns a deposit from the review queue to a user (credited) or rejects it; audited
     * with the operator's note.
     */
    async resolveReview(actor: OperatorActor, depositId: string, decision: ({ userId: string } | { reject: true }) & { note?: string }): Promise<void> {
      const act = actorOf(actor);
      await db.transaction(async (tx) => {
        await act.verify(tx);
        const dep = await one<{ id: string; external_id: string; amount: unknown; status: string; sender_email: string }>(
          tx,
          sql`select id, external_id, amount, status, sender_email from p2p_deposits where id = ${depositId} for update`,
        );
        if (!dep) throw new P2PError("not_found", "deposit not found");
        if (dep.status !== "review") throw new P2PError("already_resolved", "deposit is not in review");
        const audit = { action: "deposit_resolution", amount: big(dep.amount), targetType: "deposit", targetId: dep.id } as const;
        if ("reject" in decision) {
          await tx.execute(sql`update p2p_deposits set status = 'rejected', resolved_at = now() where id = ${depositId}`);
          await writeAudit(tx, act, { ...audit, targetUserId: null, reason: decision.note ?? "rejected", transferId: null, details: { decision: "reject", externalId: dep.external_id, sender: dep.sender_email } }, config.currency);
          return;
        }
        const user = await one(tx, sql`select id from p2p_users where id = ${decision.userId}`);
        if (!user) throw new P2PError("not_found", "user not found");
        await creditDeposit(tx, dep.id, dep.external_id, decision.userId, big(dep.amount));
        const credited = await one<{ transfer_id: string }>(tx, sql`select transfer_id from p2p_deposits where id = ${dep.id}`);
        await writeAudit(tx, act, {
          ...audit,
          targetUserId: decision.userId,
          reason: decision.note ?? "assigned to the user",
          transferId: credited?.transfer_id ? BigInt(credited.transfer_id) : null,
          details: { decision: "assign", externalId: dep.external_id, sender: dep.sender_email },
        }, config.currency);
      });
    },

    // --- API forms ---
    async addApiForm(
      userId: string,
      input: { provider: string; displayName: string; credentials: ProviderCredentials },
    ): Promise<{ id: string; shopId: string; live: boolean }> {
      await requireVerified(userId);
      const p = provider(input.provider);
      let verified: { shopId: string; live: boolean };
      try {
        verified = await p.verifyCredentials(input.credentials);
      } catch (error) {
        log?.info({ userId, provider: input.provider, err: error instanceof Error ? error.message : String(error) }, "p2p provider credentials not verified");
        if (error instanceof ProviderError && error.failure !== "unreachable" && error.failure !== "bad_response") {
          throw new P2PError("invalid_input", `these credentials were not accepted: ${providerFailureMessage(error)}`);
        }
        throw new P2PError("provider_error", "could not reach the provider to verify the credentials");
      }
      const id = randomUUID();
      const sealed = encryptSecret(config.keyring, JSON.stringify(input.credentials), `api_form:${id}`);
      await db.execute(
        sql`insert into p2p_api_forms (id, user_id, provider, display_name, credentials_ciphertext, shop_id, live, status, verified_at)
            values (${id}, ${userId}, ${input.provider}, ${input.displayName}, ${sealed}, ${verified.shopId}, ${verified.live}, 'active', now())`,
      );
      return { id, ...verified };
    },

    async listApiForms(userId: string) {
      return rows(
        db,
        sql`select id, provider, display_name, shop_id, live, status, last_error, verified_at, created_at
            from p2p_api_forms where user_id = ${userId} order by created_at`,
      );
    },

    // --- withdrawal requests ---
    async createRequest(
      userId: string,
      input: { apiFormId: string; amount: bigint; minPerBuyer: bigint; maxPerBuyer: bigint; rate?: bigint; idempotencyKey: string },
    ) {
      if (input.amount <= 0n || input.minPerBuyer <= 0n || input.maxPerBuyer <= 0n) throw new P2PError("invalid_input", "amounts must be positive");
      if (input.minPerBuyer > input.maxPerBuyer) throw new P2PError("invalid_input", "min per buyer exceeds max per buyer");
      if (input.minPerBuyer > input.amount) throw new P2PError("invalid_input", "min per buyer exceeds the amount");
      if (input.rate !== undefined && input.rate <= 0n) throw new P2PError("invalid_input", "rate must be positive");
      await requireVerified(userId);
      const form = await one<{ status: string; user_id: string }>(db, sql`select status, user_id from p2p_api_forms where id = ${input.apiFormId}`);
      if (!form || form.user_id !== userId) throw new P2PError("not_found", "API form not found");
      if (form.status !== "active") throw new P2PError("conflict", "this API form is not active (verify it again)");
      const rate = input.rate ?? config.defaultRate;
      const requestHash = canonicalHash({ ...input, rate, idempotencyKey: undefined });
      return db.transaction(async (tx) => {
        const inserted = await one<{ id: string }>(
          tx,
          sql`insert into p2p_withdrawal_requests (user_id, api_form_id, currency, fiat_currency, amount, remaining, min_per_buyer, max_per_buyer,
                                                   rate, idempotency_key, request_hash)
              values (${userId}, ${input.apiFormId}, ${config.currency}, ${config.fiatCurrency}, ${input.amount.toString()}, ${input.amount.toString()},
                      ${input.minPerBuyer.toString()}, ${input.maxPerBuyer.toString()}, ${rate.toString()}, ${input.idempotencyKey}, ${requestHash})
              on conflict (user_id, idempotency_key) do nothing returning id`,
        );
        if (!inserted) {
          const existing = await one<{ id: string; request_hash: string }>(
            tx,
            sql`select id, request_hash from p2p_withdrawal_requests where user_id = ${userId} and idempotency_key = ${input.idempotencyKey}`,
          );
          if (existing?.request_hash !== requestHash) throw new P2PError("idempotency_conflict", "this idempotency key was used for a different request");
          return { id: existing.id, replayed: true };
        }
        await createTransfer(tx, {
          idempotencyKey: `request_open:${inserted.id}`,
          kind: "posted",
          currency: config.currency,
          reason: "request_open",
          legs: [
            { account: userAccountCode(userId, "available"), side: "debit", amount: input.amount },
            { account: userAccountCode(userId, "on_sale"), side: "credit", amount: input.amount },
          ],
          metadata: { requestId: inserted.id },
        });
        return { id: inserted.id, replayed: false };
      });
    },

    /** Cancels the unfilled part: it returns to the balance now; open reservations finish first. */
    async cancelRequest(userId: string, requestId: string): Promise<void> {
      await db.transaction(async (tx) => {
        const req = await one<RequestRow>(tx, sql`select * from p2p_withdrawal_requests where id = ${requestId} for update`);
        if (!req || req.user_id !== userId) throw new P2PError("not_found", "request not found");
        if (req.status === "closed" || req.status === "closing") return;
        const remaining = big(req.remaining);
        await returnToSeller(tx, req, remaining);
        const status = big(req.reserved) > 0n ? "closing" : "closed";
        await tx.execute(
          sql`update p2p_withdrawal_requests set remaining = 0, returned = ${big(req.returned).toString()}, status = ${status},
                close_reason = 'cancelled', closed_at = ${status === "closed" ? now().toISOString() : null} where id = ${requestId}`,
        );
      });
    },

    async listRequests(userId: string) {
      return rows(db, sql`select * from p2p_withdrawal_requests where user_id = ${userId} order by queue_seq desc`);
    },

    // --- buyer orders and the matcher ---
    async createOrder(
      buyerId: string,
      input: { amount: bigint; method: string; idempotencyKey: string; ttlMs?: number },
    ): Promise<OrderView> {
      if (input.amount <= 0n) throw new P2PError("invalid_input", "amount must be positive");
      provider(input.method);
      const requestHash = canonicalHash({ amount: input.amount, method: input.method });
      // One round trip for every pre-check: replay, verified e-mail, open reservation, cool-down.
      const [pre] = await preparedRows<{ order_id: string | null; order_hash: string | null; verified: boolean | null; active: boolean; last_expired: string | null }>(
        db,
        "p2p_order_prechecks",
        sql`select o.id as order_id, o.request_hash as order_hash,
                   (select email_verified_at is not null from p2p_users where id = ${buyerId}) as verified,
                   exists (select 1 from p2p_reservations where buyer_id = ${buyerId} and status = 'pending') as active,
                   (select max(resolved_at) from p2p_reservations
                     where buyer_id = ${buyerId} and status = 'voided' and void_reason = 'expired') as last_expired
            from (select 1) as one
            left join p2p_buyer_orders o on o.user_id = ${buyerId} and o.idempotency_key = ${input.idempotencyKey}`,
      );
      if (pre?.order_id) {
        if (pre.order_hash !== requestHash) throw new P2PError("idempotency_conflict", "this idempotency key was used for a different order");
        return orderView(pre.order_id);
      }
      if (pre?.verified === null || pre?.verified === undefined) throw new P2PError("unauthenticated", "unknown user");
      if (!pre.verified) throw new P2PError("forbidden", "verify your e-mail first");
      if (pre.active) throw new P2PError("active_reservation", "finish or let expire your open invoice first");
      if (config.cooldownMs > 0 && pre.last_expired) {
        const until = new Date(pre.last_expired).getTime() + config.cooldownMs;
        if (until > now().getTime()) {
          throw new P2PError("cooldown", "an earlier invoice expired unpaid; try again shortly", { retryAt: new Date(until).toISOString() });
        }
      }

      const orderId = randomUUID();
      const excludedForms: string[] = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        let res: ReservationRow | undefined;
        try {
          // One operation of a group commit: order row (first attempt), FIFO head with SKIP LOCKED,
          // pending transfer, reservation (p2p_batch, migration 0005).
          res =
            ((await write({
              op: "match",
              orderId,
              buyerId,
              currency: config.currency,
              fiatCurrency: config.fiatCurrency,
              amount: input.amount.toString(),
              method: input.method,
              idempotencyKey: input.idempotencyKey,
              requestHash,
              createOrder: attempt === 0,
              excludedForms,
              fee: commissionOf(input.amount, config.tradeFeeBps).toString(),
              commissionAccount: commissionAccount(commissionShardOf(orderId)),
              reservationId: randomUUID(),
              expiresAt: new Date(now().getTime() + (input.ttlMs ?? config.reservationTtlMs)).toISOString(),
            })) as ReservationRow | null) ?? undefined;
        } catch (error) {
          if (error instanceof P2PError && error.code === "no_liquidity") {
            const largest = await largestAvailable(buyerId, input.method);
            throw new P2PError("no_liquidity", `no seller can serve this amount now; the largest available is ${largest}`, {
              largestAvailable: largest.toString(),
            });
          }
          if (pgCode(error) === "23505") throw new P2PError("active_reservation", "finish or let expire your open invoice first");
          throw error;
        }
        if (!res) {
          if (attempt === 0) {
            const raced = await one<{ id: string }>(
              db,
              sql`select id from p2p_buyer_orders where user_id = ${buyerId} and idempotency_key = ${input.idempotencyKey}`,
            );
            if (raced) return orderView(raced.id);
          }
          return orderView(orderId);
        }
        try {
          const issued = await issueInvoice(res);
          log?.debug({ reservationId: res.id, orderId, amount: String(res.amount) }, "p2p reservation created");
          return {
            id: orderId,
            status: "reserved",
            amount: input.amount,
            method: input.method,
            createdAt: new Date(issued.created_at),
            reservation: reservationView(issued),
          };
        } catch (error) {
          // Provider failure: void, flag the seller, try the next seller in the queue.
          await db.transaction(async (tx) => {
            const locked = await lockReservation(tx, res.id);
            if (locked?.status === "pending") await voidLocked(tx, locked, "provider_error");
          });
          await flagSeller(res, error);
          excludedForms.push(res.api_form_id);
        }
      }
      await db.execute(sql`update p2p_buyer_orders set status = 'failed' where id = ${orderId} and status = 'reserved'`);
      return orderView(orderId);
    },

    async getOrder(buyerId: string, orderId: string): Promise<OrderView> {
      const order = await one<{ user_id: string }>(db, sql`select user_id from p2p_buyer_orders where id = ${orderId}`);
      if (!order || order.user_id !== buyerId) throw new P2PError("not_found", "order not found");
      return orderView(orderId);
    },

    async listOrders(buyerId: string) {
      return rows(db, sql`select * from p2p_buyer_orders where user_id = ${buyerId} order by created_at desc limit 50`);
    },

    /**
     * Decides a reservation from the provider's own status call (a notification only triggers this).
     * Posts when paid and every field matches; voids when canceled or expired. Expiry is decided here
     * too: a payment that succeeds after expiry is re-reserved if the request still has the amount,
     * else disputed and refunded.
     */
    async confirm(reservationId: string, options: { sweeper?: boolean; known?: { askedFor: string; status: ProviderPaymentStatus } } = {}): Promise<ConfirmOutcome> {
      const [res] = await preparedRows<ReservationRow>(db, "p2p_reservation_by_id", sql`select * from p2p_reservations where id = ${reservationId}`);
      if (!res) throw new P2PError("not_found", "reservation not found");
      // options.known: the status call's answer (for invoice `askedFor`) the caller already has (handleNotification).
      if (res.status !== "pending") return recheckDecided(res, options.known?.askedFor === res.invoice_id ? options.known.status : undefined);
      const expired = () => now().getTime() > new Date(res.expires_at).getTime();
      if (!res.invoice_id) {
        if (!expired()) return "pending";
        return (await resolveUnderLock(reservationId, options, async (tx, locked) => voidLocked(tx, locked, "expired"))) ? "voided" : "already_resolved";
      }
      const form = await formCredentials(res.api_form_id);
      let status;
      try {
        status = options.known?.askedFor === res.invoice_id ? options.known.status : await form.provider.getStatus(form.credentials, res.invoice_id);
      } catch (error) {
        log?.warn({ reservationId, err: error instanceof Error ? error.message : String(error) }, "p2p provider status call failed");
        if (!expired()) return "pending";
        // The provider cannot tell us anything and the window has passed: release the seller's amount.
        return (await resolveUnderLock(reservationId, options, async (tx, locked) => voidLocked(tx, locked, "expired"))) ? "voided" : "already_resolved";
      }
      if (status.status === "waiting_for_capture" && !expired() && "capture" in form.provider) {
        // Two-stage payment: capture only while the reservation is valid and the hold matches it;
        // the capture's own outcome is then read back through the status call.
        if (status.amount === big(res.fiat_amount) && status.currency === res.fiat_currency && status.shopId === form.shopId) {
          const capture = form.provider.capture as (c: ProviderCredentials, id: string, amount: bigint) => Promise<void>;
          await capture(form.credentials, res.invoice_id, status.amount);
          status = await form.provider.getStatus(form.credentials, res.invoice_id);
        }
      }
      if (status.status === "succeeded") {
        const mismatch =
          status.invoiceId !== res.invoice_id ||
          status.amount !== big(res.fiat_amount) ||
          status.currency !== res.fiat_currency ||
          status.shopId !== form.shopId ||
          status.live !== true ||
          form.live !== true;
        if (mismatch) {
          log?.warn({ reservationId, status: { ...status, amount: String(status.amount) } }, "p2p payment does not match its reservation");
          await db.execute(
            sql`insert into p2p_disputes (reservation_id, reason, evidence)
                select ${reservationId}, 'payment_mismatch', ${JSON.stringify({ ...status, amount: String(status.amount) })}::jsonb
                where not exists (select 1 from p2p_disputes where reservation_id = ${reservationId} and reason = 'payment_mismatch')`,
          );
          return "mismatch";
        }
        // The common case, one operation of a group commit: still valid, so post (p2p_reservation_post
        // takes the row lock and re-checks both that it is pending and, at the same instant, that it
        // has not expired; pending_expired sends it down the locked path below).
        if (!options.sweeper && !expired()) {
          try {
            return (await write({ op: "post", id: res.id, at: now().toISOString() })) === true ? "posted" : "already_resolved";
          } catch (error) {
            if (!(error instanceof P2PError && error.code === "pending_expired")) throw error;
          }
        }
        let outcome: ConfirmOutcome = "posted";
        let refund = false;
        const decided = await resolveUnderLock(reservationId, options, async (tx, locked) => {
          // Set on every attempt: a deadlocked attempt is run again and may decide the other way.
          outcome = "posted";
          refund = false;
          // One instant decides: the same one is checked here and recorded by the ledger.
          const decidedAt = now();
          if (decidedAt.getTime() <= new Date(locked.expires_at).getTime()) {
            await postLocked(tx, locked, decidedAt);
            return;
          }
          // Paid after expiry: release, then take the same amount again if the request still has it.
          await voidLocked(tx, locked, "expired");
          const req = await lockRequest(tx, locked.request_id);
          const amount = big(locked.amount);
          if ((req.status === "open" || req.status === "suspended") && big(req.remaining) >= amount) {
            const again = await reserve(tx, req, { id: locked.order_id, buyerId: locked.buyer_id, provider: locked.provider }, amount, 60_000);
            // The invoice now belongs to the new reservation (one reservation per invoice).
            await tx.execute(sql`update p2p_reservations set invoice_id = null where id = ${locked.id}`);
            await tx.execute(
              sql`update p2p_reservations set invoice_id = ${locked.invoice_id}, payment_url = ${locked.payment_url} where id = ${again.id}`,
            );
            await postLocked(tx, again);
            outcome = "late_reposted";
          } else {
            await tx.execute(
              sql`insert into p2p_disputes (reservation_id, reason, evidence) values (${locked.id}, 'paid_after_expiry', '{}'::jsonb)`,
            );
            outcome = "disputed";
            refund = true;
          }
        });
        if (!decided) return "already_resolved";
        if (refund) {
          await form.provider.refund(form.credentials, res.invoice_id, status.amount).catch((error: unknown) =>
            log?.error({ reservationId, err: String(error) }, "p2p refund after late payment failed"),
          );
        }
        return outcome;
      }
      if (status.status === "canceled") {
        return (await resolveUnderLock(reservationId, options, (tx, locked) => voidLocked(tx, locked, "provider_canceled"))) ? "voided" : "already_resolved";
      }
      if (!expired()) return "pending";
      const voided = await resolveUnderLock(reservationId, options, (tx, locked) => voidLocked(tx, locked, "expired"));
      if (voided) await form.provider.cancel(form.credentials, res.invoice_id).catch(() => undefined);
      return voided ? "voided" : "already_resolved";
    },

    /**
     * Handles a provider notification. A notification is only a hint: what decides is the provider's
     * own status call, and de-duplication is on that call's answer (the invoice's authoritative
     * state), never on the notification's words, so a forged notification cannot turn the real one
     * into a "duplicate". In order, each step refusing before anything is written:
     * 1. source: unsigned providers (YooKassa) only from their published addresses (403);
     * 2. authenticity: the provider's signature, where it has one (401), and the event parses;
     * 3. the invoice is one of ours (404), at most `notificationsPerInvoicePerMinute` times a minute (429, caps.ts);
     * 4. the status call; a state already handled is a "duplicate", else the reservation is decided
     *    from it and the state is recorded (what the status call confirmed, never the body).
     */
    async handleNotification(providerId: string, headers: Headers, rawBody: string): Promise<ConfirmOutcome | "duplicate"> {
      const p = provider(providerId);
      const source = headers.get(CLIENT_ADDRESS_HEADER) ?? undefined;
      if (!sources.allows(providerId, source)) {
        log?.warn({ provider: providerId, source }, "p2p notification from an address the provider does not send from");
        throw new P2PError("forbidden", "notifications are accepted only from the provider's own addresses");
      }
      let note;
      try {
        note = await p.verifyNotification(headers, rawBody, {
          async credentialsFor(shopId) {
            const form = await one<{ id: string }>(
              db,
              sql`select id from p2p_api_forms where provider = ${providerId} and shop_id = ${shopId} and status <> 'disabled'
                  order by created_at desc limit 1`,
            );
            return form ? (await formCredentials(form.id)).credentials : undefined;
          },
        });
      } catch (error) {
        log?.info({ provider: providerId, source, err: error instanceof Error ? error.message : String(error) }, "p2p notification refused");
        throw new P2PError("invalid_signature", "the notification could not be verified");
      }
      const res = await one<{ id: string; api_form_id: string }>(
        db,
        sql`select id, api_form_id from p2p_reservations where provider = ${providerId} and invoice_id = ${note.invoiceId}`,
      );
      if (!res) throw new P2PError("not_found", "unknown invoice");
      await deps.notificationsPerInvoice?.consume(`${providerId}:${note.invoiceId}`);
      const form = await formCredentials(res.api_form_id);
      let status: ProviderPaymentStatus;
      try {
        status = await form.provider.getStatus(form.credentials, note.invoiceId);
      } catch (error) {
        // The provider retries an unanswered notification, and the sweeper polls open invoices.
        log?.warn({ reservationId: res.id, err: error instanceof Error ? error.message : String(error) }, "p2p provider status call failed");
        throw new P2PError("provider_error", providerFailureMessage(error));
      }
      const state = [note.invoiceId, status.status, status.invoiceId, status.amount, status.currency, status.reversedAmount ?? "-"].join(":");
      const seen = await one(db, sql`select 1 from p2p_provider_notifications where provider = ${providerId} and event_id = ${state}`);
      if (seen) return "duplicate";
      const outcome = await desk.confirm(res.id, { known: { askedFor: note.invoiceId, status } });
      // Nothing was decided while the payment is still open: the next notification asks again.
      if (outcome !== "pending") {
        const confirmed = JSON.stringify({ ...status, amount: String(status.amount), reversedAmount: status.reversedAmount?.toString(), outcome });
        await db.execute(
          sql`insert into p2p_provider_notifications (provider, event_id, invoice_id, verified, body)
              values (${providerId}, ${state}, ${note.invoiceId}, true, ${confirmed}) on conflict do nothing`,
        );
      }
      return outcome;
    },

    /**
     * Expiry sweeper: decides every pending reservation past its expiry, and polls a few open ones
     * whose notification may have been lost. Safe in several processes.
     */
    async sweepExpired(limit = 200): Promise<number> {
      const due = await rows<{ id: string }>(
        db,
        sql`select id from p2p_reservations where status = 'pending' and expires_at < ${now().toISOString()} order by expires_at limit ${limit}`,
      );
      // Fallback polling for lost notifications: a few open invoices older than 30 s, at random,
      // get a status call each sweep (paid ones are posted before they ever expire).
      const open = await rows<{ id: string }>(
        db,
        sql`select id from p2p_reservations
            where status = 'pending' and invoice_id is not null and expires_at >= ${now().toISOString()}
              and created_at < ${new Date(now().getTime() - 30_000).toISOString()}
            order by random() limit 20`,
      );
      due.push(...open);
      let decided = 0;
      for (const { id } of due) {
        try {
          const outcome = await desk.confirm(id, { sweeper: true });
          if (outcome !== "pending" && outcome !== "already_resolved") decided += 1;
        } catch (error) {
          log?.error({ reservationId: id, err: error instanceof Error ? error.message : String(error) }, "p2p sweep failed for a reservation");
        }
      }
      return decided;
    },

    /**
     * Collections: a user who owes the platform (a claw-back or a lost dispute took more than their
     * balance) repays it from their available balance as soon as they have one again: a deposit,
     * a top-up, a cancelled request. One posted transfer per collection, Dr available / Cr
     * receivable, under both accounts' row locks; its idempotency key names the receivable's state
     * it read, so sweepers in several processes that read the same state post it once. Returns how
     * many users paid something.
     */
    async collectReceivables(limit = 100): Promise<number> {
      const due = await rows<{ user_id: string }>(
        db,
        sql`select r.user_id from p2p_ledger_accounts r
              join p2p_ledger_accounts a on a.code = 'user:' || r.user_id || ':available'
            where r.code = 'user:' || r.user_id || ':receivable'
              and r.debits_posted - r.credits_posted - r.credits_pending > 0
              and a.credits_posted - a.debits_posted - a.debits_pending > 0
            order by r.id limit ${limit}`,
      );
      let collected = 0;
      for (const { user_id: userId } of due) {
        const available = userAccountCode(userId, "available");
        const receivable = userAccountCode(userId, "receivable");
        try {
          const paid = await db.transaction(async (tx) => {
            const balances = await lockAccounts(tx, [available, receivable]);
            const owed = balances.get(receivable)?.available ?? 0n;
            const have = balances.get(available)?.available ?? 0n;
            const amount = owed < have ? owed : have;
            if (amount <= 0n) return false;
            const state = await one<{ credits_posted: unknown }>(tx, sql`select credits_posted from p2p_ledger_accounts where code = ${receivable}`);
            await createTransfer(tx, {
              idempotencyKey: `receivable_collection:${userId}:${big(state!.credits_posted)}`,
              kind: "posted",
              currency: config.currency,
              reason: "receivable_collection",
              legs: [
                { account: available, side: "debit", amount },
                { account: receivable, side: "credit", amount },
              ],
              metadata: { userId, owedBefore: owed.toString() },
            });
            log?.info({ userId, amount: amount.toString(), owedBefore: owed.toString() }, "p2p receivable collected");
            return true;
          });
          if (paid) collected += 1;
        } catch (error) {
          log?.error({ userId, err: error instanceof Error ? error.message : String(error) }, "p2p receivable collection failed");
        }
      }
      return collected;
    },

    /** Buyer abandons the open invoice (counts as expired for the cool-down). */
    async cancelOrder(buyerId: string, orderId: string): Promise<OrderView> {
      const res = await one<ReservationRow>(
        db,
        sql`select * from p2p_reservations where order_id = ${orderId} and buyer_id = ${buyerId} and status = 'pending'`,
      );
      const order = await one<{ user_id: string }>(db, sql`select user_id from p2p_buyer_orders where id = ${orderId}`);
      if (!order || order.user_id !== buyerId) throw new P2PError("not_found", "order not found");
      if (res) await resolveUnderLock(res.id, {}, (tx, locked) => voidLocked(tx, locked, "expired"));
      return orderView(orderId);
    },

    /** A seller's matches: payouts received (posted) and open ones, newest first. */
    async sellerPayouts(sellerId: string) {
      return rows(
        db,
        sql`select id, request_id, amount, fiat_amount, fiat_currency, status, void_reason, created_at, resolved_at
            from p2p_reservations where seller_id = ${sellerId} order by created_at desc limit 50`,
      );
    },

    async devOutbox() {
      return rows(db, sql`select id, "to", subject, body, created_at from p2p_mail_outbox order by id desc limit 100`);
    },

    // --- operator ---
    async operatorOverview() {
      const queue = await rows(
        db,
        sql`select q.id, q.queue_seq, q.user_id, u.email, q.amount, q.remaining, q.reserved, q.filled, q.min_per_buyer, q.max_per_buyer, q.rate,
                   q.status, f.provider, f.display_name
            from p2p_withdrawal_requests q join p2p_users u on u.id = q.user_id join p2p_api_forms f on f.id = q.api_form_id
            where q.status in ('open', 'suspended', 'closing') order by q.queue_seq limit 200`,
      );
      const reservations = await rows(
        db,
        sql`select r.id, r.order_id, r.amount, r.fiat_amount, r.status, r.expires_at, r.invoice_id, b.email as buyer, s.email as seller
            from p2p_reservations r join p2p_users b on b.id = r.buyer_id join p2p_users s on s.id = r.seller_id
            where r.status = 'pending' order by r.expires_at limit 200`,
      );
      const review = await rows(db, sql`select * from p2p_deposits where status = 'review' order by created_at limit 200`);
      const disputes = await desk.listDisputes({ status: "open" });
      const accounts = await listAccounts(db);
      const invariants = await checkInvariants(db);
      return { queue, reservations, review, disputes, accounts, invariants };
    },

    /**
     * Operator: a manual adjustment of a user's balance, itself a ledger transfer with a reason and
     * the operator recorded in its metadata. Debits cannot overdraw the user.
     */
    async adjust(
      actor: OperatorActor,
      input: { userId: string; direction: "credit" | "debit"; amount: bigint; reason: string; idempotencyKey: string },
    ): Promise<{ transferId: bigint; replayed: boolean }> {
      const act = actorOf(actor);
      const operatorId = act.operatorId;
      if (input.amount <= 0n) throw new P2PError("invalid_input", "amount must be positive");
      if (!input.reason.trim()) throw new P2PError("invalid_input", "a reason is required");
      const user = await one(db, sql`select id from p2p_users where id = ${input.userId}`);
      if (!user) throw new P2PError("not_found", "user not found");
      const userLeg = { account: userAccountCode(input.userId, "available"), amount: input.amount };
      const platformLeg = { account: ADJUSTMENTS_ACCOUNT, amount: input.amount };
      const result = await db.transaction(async (tx) => {
        await act.verify(tx);
        const booked = await createTransfer(tx, {
          idempotencyKey: `adjustment:${input.idempotencyKey}`,
          kind: "posted",
          currency: config.currency,
          reason: "adjustment",
          legs:
            input.direction === "credit"
              ? [{ ...platformLeg, side: "debit" }, { ...userLeg, side: "credit" }]
              : [{ ...userLeg, side: "debit" }, { ...platformLeg, side: "credit" }],
          metadata: { operatorId, reason: input.reason, userId: input.userId },
        });
        // A replay (same Idempotency-Key) booked nothing new, so it adds no audit row.
        if (!booked.replayed) {
          await writeAudit(tx, act, {
            action: "adjustment",
            amount: input.direction === "credit" ? input.amount : -input.amount,
            targetType: "user",
            targetId: input.userId,
            targetUserId: input.userId,
            reason: input.reason,
            transferId: booked.transfer.id,
            details: { direction: input.direction, idempotencyKey: input.idempotencyKey },
          }, config.currency);
        }
        return booked;
      });
      log?.info({ operatorId, userId: input.userId, direction: input.direction, amount: String(input.amount), reason: input.reason }, "p2p manual adjustment");
      return { transferId: result.transfer.id, replayed: result.replayed };
    },

    /**
     * Operator: resolves an open dispute for one side and moves its money (see resolveDisputeLocked),
     * exactly once: resolving again the same way returns the first resolution, the other way is refused.
     */
    async resolveDispute(actor: OperatorActor, disputeId: string, outcome: DisputeOutcome, note: string): Promise<DisputeResolution> {
      if (outcome !== "buyer" && outcome !== "seller") throw new P2PError("invalid_input", "outcome must be buyer or seller");
      const act = actorOf(actor);
      const operatorId = act.operatorId;
      const result = await resolveDisputeTx(disputeId, outcome, { operatorId, note }, act);
      if (!result.replayed) log?.info({ operatorId, disputeId, outcome, transferId: result.transferId?.toString() ?? null }, "p2p dispute resolved");
      return result;
    },

    /**
     * The buyer says they paid but the provider does not confirm it (yet): the provider is asked
     * first (a confirmed payment simply posts); otherwise the reservation is frozen in a
     * `buyer_claims_paid` dispute so it can neither expire back into the queue nor be credited until
     * an operator (or a later confirmation by the provider) decides. Repeating the claim changes nothing.
     * A buyer has at most `maxOpenClaimsPerBuyer` unresolved claims: each freezes a seller's amount, so
     * a new one past the limit is refused (409) and freezes nothing; the reservation expires as usual.
     */
    async claimPaid(buyerId: string, orderId: string, note: string): Promise<OrderView & { disputeId: string | null }> {
      const order = await one<{ user_id: string }>(db, sql`select user_id from p2p_buyer_orders where id = ${orderId}`);
      if (!order || order.user_id !== buyerId) throw new P2PError("not_found", "order not found");
      const res = await one<ReservationRow>(db, sql`select * from p2p_reservations where order_id = ${orderId} order by created_at desc limit 1`);
      if (!res) throw new P2PError("conflict", "this order has no invoice to dispute");
      if (res.status === "pending") await desk.confirm(res.id);
      const disputeId = await db.transaction(async (tx) => {
        // One buyer's claims are decided one at a time, so two at once cannot both pass the limit.
        // Only this path takes the lock, always first: it cannot join a cycle with the row locks.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`p2p-claims:${buyerId}`}, 0))`);
        const locked = (await lockReservation(tx, res.id))!;
        if (locked.status === "posted") return null; // paid and credited: nothing to dispute
        const again = await one(tx, sql`select 1 from p2p_disputes where reservation_id = ${res.id} and reason = 'buyer_claims_paid'`);
        if (!again) {
          const [open] = await rows<{ n: number }>(
            tx,
            sql`select count(*)::int as n from p2p_disputes d join p2p_reservations r on r.id = d.reservation_id
                where r.buyer_id = ${buyerId} and d.reason = 'buyer_claims_paid' and d.status = 'open'`,
          );
          if ((open?.n ?? 0) >= caps.maxOpenClaimsPerBuyer) {
            throw new P2PError(
              "conflict",
              `you already have ${open!.n} unresolved payment claims (at most ${caps.maxOpenClaimsPerBuyer}); an operator has to decide them before you can claim another payment`,
              { openClaims: open!.n, limit: caps.maxOpenClaimsPerBuyer },
            );
          }
        }
        const evidence = { buyerNote: note.slice(0, 2_000), claimedAt: now().toISOString() };
        const { dispute, created } = await openDispute(tx, locked, "buyer_claims_paid", evidence);
        if (created && locked.status === "pending") await freezeLocked(tx, locked, dispute);
        return dispute.id;
      });
      return { ...(await orderView(orderId)), disputeId };
    },

    async listDisputes(filter: { status?: "open" | "resolved" } = {}) {
      return rows(
        db,
        sql`select d.*, r.amount, r.fee, r.fiat_amount, r.order_id, r.buyer_id, r.seller_id, r.invoice_id, r.provider
            from p2p_disputes d join p2p_reservations r on r.id = d.reservation_id
            ${filter.status === "open" ? sql`where d.status = 'open'` : filter.status === "resolved" ? sql`where d.status <> 'open'` : sql``}
            order by d.created_at desc limit 200`,
      );
    },

    checkInvariants: () => checkInvariants(db),
  };

  /**
   * Runs `work` on the reservation under its row lock if it is still pending. Returns whether it ran.
   * A deadlock victim runs again from the start: the writer's batches lock a request before a later post
   * locks its reservation, the reverse of this path's order, and PostgreSQL may pick either side. `work`
   * only writes through `tx`, so a rolled-back attempt leaves nothing behind.
   */
  async function resolveUnderLock(
    reservationId: string,
    options: { sweeper?: boolean },
    work: (tx: Executor, locked: ReservationRow) => Promise<void>,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await db.transaction(async (tx) => {
          const locked = await lockReservation(tx, reservationId, options.sweeper === true);
          if (!locked || locked.status !== "pending") return false;
          await work(tx, locked);
          return true;
        });
      } catch (error) {
        if (attempt >= 3 || !RETRYABLE_SQLSTATES.has(pgCode(error) ?? "")) throw error;
      }
    }
  }

  return desk;
}

