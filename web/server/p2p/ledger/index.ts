// Double-entry ledger in PostgreSQL, TigerBeetle-style.
//
// - Accounts keep four running sums: debits/credits × pending/posted. A credit-normal account
//   (a user's balance) has available = credits_posted − debits_posted − debits_pending; a
//   debit-normal one (the platform's game-room holdings) the mirror image. Unless the account allows
//   it, available never goes below zero: a CHECK constraint on the row enforces it, so no code path
//   can overdraw, and pending debits count against the balance from the moment they are reserved.
// - A transfer is a header plus legs (entries); the legs of one transfer balance per currency.
//   `posted` transfers take effect at once; `pending` ones only reserve. A pending transfer is
//   resolved by a *new* transfer row of kind `post` or `void` that references it; a unique index on
//   `pending_id` lets that happen exactly once. Transfers and entries are never updated or deleted.
// - Every operation carries an idempotency key. The same key with the same request returns the
//   original transfer (`replayed: true`); with a different request it is an idempotency_conflict.
// - All functions take an executor inside the caller's transaction, so a business change and its
//   ledger transfer commit or roll back together. Account rows are updated in ascending id order, so
//   concurrent transfers never deadlock on them.
import { sql } from "drizzle-orm";
import { P2PError } from "../errors.ts";
import { big, canonicalHash, constraintOf, one, pgCode, rows, type Executor } from "../sql.ts";

export type Side = "debit" | "credit";
export type Leg = { account: string; side: Side; amount: bigint };
export type Transfer = {
  id: bigint;
  kind: "posted" | "pending" | "post" | "void";
  pendingId: bigint | null;
  currency: string;
  reason: string;
  expiresAt: Date | null;
  createdAt: Date;
};
export type TransferResult = { transfer: Transfer; replayed: boolean };

export type AccountSpec = {
  code: string;
  currency: string;
  normal: Side;
  allowNegative?: boolean;
  userId?: string | null;
};

export type AccountBalance = {
  id: bigint;
  code: string;
  currency: string;
  normal: Side;
  allowNegative: boolean;
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
  /** Posted on the normal side minus posted and pending on the other side. */
  available: bigint;
};

/** Creates the account if it does not exist (idempotent); returns its id. */
export async function ensureAccount(db: Executor, spec: AccountSpec): Promise<bigint> {
  const inserted = await one<{ id: unknown }>(
    db,
    sql`insert into p2p_ledger_accounts (code, currency, normal, allow_negative, user_id)
        values (${spec.code}, ${spec.currency}, ${spec.normal}, ${spec.allowNegative ?? false}, ${spec.userId ?? null})
        on conflict (code) do nothing returning id`,
  );
  if (inserted) return big(inserted.id);
  const existing = await one<{ id: unknown; currency: string; normal: string }>(
    db,
    sql`select id, currency, normal from p2p_ledger_accounts where code = ${spec.code}`,
  );
  if (!existing) throw new Error(`account ${spec.code} vanished`);
  if (existing.currency !== spec.currency || existing.normal !== spec.normal) {
    throw new P2PError("conflict", `account ${spec.code} exists with another currency or side`);
  }
  return big(existing.id);
}

function toBalance(row: Record<string, unknown>): AccountBalance {
  const b: AccountBalance = {
    id: big(row.id),
    code: String(row.code),
    currency: String(row.currency),
    normal: row.normal as Side,
    allowNegative: Boolean(row.allow_negative),
    debitsPending: big(row.debits_pending),
    debitsPosted: big(row.debits_posted),
    creditsPending: big(row.credits_pending),
    creditsPosted: big(row.credits_posted),
    available: 0n,
  };
  b.available =
    b.normal === "credit" ? b.creditsPosted - b.debitsPosted - b.debitsPending : b.debitsPosted - b.creditsPosted - b.creditsPending;
  return b;
}

export async function getAccount(db: Executor, code: string): Promise<AccountBalance | undefined> {
  const row = await one(db, sql`select * from p2p_ledger_accounts where code = ${code}`);
  return row ? toBalance(row) : undefined;
}

export async function listAccounts(db: Executor): Promise<AccountBalance[]> {
  return (await rows(db, sql`select * from p2p_ledger_accounts order by code`)).map(toBalance);
}

function toTransfer(row: Record<string, unknown>): Transfer {
  return {
    id: big(row.id),
    kind: row.kind as Transfer["kind"],
    pendingId: row.pending_id === null || row.pending_id === undefined ? null : big(row.pending_id),
    currency: String(row.currency),
    reason: String(row.reason),
    expiresAt: row.expires_at ? new Date(row.expires_at as string) : null,
    createdAt: new Date(row.created_at as string),
  };
}

export type CreateTransferInput = {
  idempotencyKey: string;
  kind: "posted" | "pending";
  currency: string;
  reason: string;
  legs: Leg[];
  /** Pending transfers only: after this instant the transfer can no longer be posted. */
  expiresAt?: Date;
  metadata?: Record<string, unknown>;
};

/** Records a posted or pending transfer. Throws insufficient_funds when an account would be overdrawn. */
export async function createTransfer(db: Executor, input: CreateTransferInput): Promise<TransferResult> {
  validateLegs(input);
  if (input.kind === "posted" && input.expiresAt) throw new P2PError("invalid_input", "only pending transfers expire");
  const requestHash = canonicalHash({
    kind: input.kind,
    currency: input.currency,
    reason: input.reason,
    legs: input.legs,
    expiresAt: input.expiresAt ?? null,
  });

  const inserted = await one(
    db,
    sql`insert into p2p_ledger_transfers (idempotency_key, request_hash, kind, currency, reason, expires_at, metadata)
        values (${input.idempotencyKey}, ${requestHash}, ${input.kind}, ${input.currency}, ${input.reason},
                ${input.expiresAt?.toISOString() ?? null}, ${JSON.stringify(input.metadata ?? {})}::jsonb)
        on conflict (idempotency_key) do nothing
        returning *`,
  );
  if (!inserted) return replay(db, input.idempotencyKey, requestHash);
  const transfer = toTransfer(inserted);

  const accounts = await resolveAccounts(
    db,
    input.legs.map((leg) => leg.account),
    input.currency,
  );
  const accountIds = input.legs.map((leg) => accounts.get(leg.account)!);
  await rows(
    db,
    sql`insert into p2p_ledger_entries (transfer_id, account_id, side, amount)
        select ${transfer.id.toString()}::bigint, a, s, m
        from unnest(${sql.raw(`'{${accountIds.join(",")}}'::bigint[]`)},
                    ${sql.raw(`'{${input.legs.map((l) => l.side).join(",")}}'::text[]`)},
                    ${sql.raw(`'{${input.legs.map((l) => l.amount.toString()).join(",")}}'::numeric[]`)}) as t(a, s, m)`,
  );
  const pending = input.kind === "pending";
  await applyDeltas(
    db,
    input.legs.map((leg, i) => ({
      accountId: accountIds[i]!,
      debitsPending: pending && leg.side === "debit" ? leg.amount : 0n,
      creditsPending: pending && leg.side === "credit" ? leg.amount : 0n,
      debitsPosted: !pending && leg.side === "debit" ? leg.amount : 0n,
      creditsPosted: !pending && leg.side === "credit" ? leg.amount : 0n,
    })),
  );
  return { transfer, replayed: false };
}

export type ResolvePendingInput = {
  idempotencyKey: string;
  pendingId: bigint;
  outcome: "post" | "void";
  reason: string;
  /** The instant the decision is taken (expiry is checked against it for `post`). */
  at?: Date;
  metadata?: Record<string, unknown>;
};

/** Posts or voids a pending transfer, exactly once. Posting an expired pending transfer fails. */
export async function resolvePending(db: Executor, input: ResolvePendingInput): Promise<TransferResult> {
  const requestHash = canonicalHash({ outcome: input.outcome, pendingId: input.pendingId, reason: input.reason });
  // One round trip: the pending transfer, its legs, and whether this key was used already.
  const pendingRow = await one<Record<string, unknown> & { legs: { account_id: unknown; side: Side; amount: unknown }[]; key_used: boolean }>(
    db,
    sql`select t.*, exists (select 1 from p2p_ledger_transfers k where k.idempotency_key = ${input.idempotencyKey}) as key_used,
               coalesce((select json_agg(json_build_object('account_id', e.account_id, 'side', e.side, 'amount', e.amount::text))
                         from p2p_ledger_entries e where e.transfer_id = t.id), '[]'::json) as legs
        from p2p_ledger_transfers t where t.id = ${input.pendingId.toString()}`,
  );
  if (pendingRow?.key_used) return replay(db, input.idempotencyKey, requestHash);
  if (!pendingRow || pendingRow.kind !== "pending") {
    const byKey = await one(db, sql`select id from p2p_ledger_transfers where idempotency_key = ${input.idempotencyKey}`);
    if (byKey) return replay(db, input.idempotencyKey, requestHash);
    throw new P2PError("not_found", `pending transfer ${input.pendingId} not found`);
  }
  const pending = toTransfer(pendingRow);
  const at = input.at ?? new Date();
  if (input.outcome === "post" && pending.expiresAt && at.getTime() > pending.expiresAt.getTime()) {
    throw new P2PError("pending_expired", `pending transfer ${input.pendingId} expired at ${pending.expiresAt.toISOString()}`);
  }

  const inserted = await one(
    db,
    sql`insert into p2p_ledger_transfers (idempotency_key, request_hash, kind, pending_id, currency, reason, metadata)
        values (${input.idempotencyKey}, ${requestHash}, ${input.outcome}, ${input.pendingId.toString()}, ${pending.currency},
                ${input.reason}, ${JSON.stringify(input.metadata ?? {})}::jsonb)
        on conflict do nothing
        returning *`,
  );
  if (!inserted) {
    const byKey = await one(db, sql`select id from p2p_ledger_transfers where idempotency_key = ${input.idempotencyKey}`);
    if (byKey) return replay(db, input.idempotencyKey, requestHash);
    throw new P2PError("already_resolved", `pending transfer ${input.pendingId} is already resolved`);
  }

  const legs = pendingRow.legs;
  const post = input.outcome === "post";
  await applyDeltas(
    db,
    legs.map((leg) => {
      const amount = big(leg.amount);
      return {
        accountId: big(leg.account_id),
        debitsPending: leg.side === "debit" ? -amount : 0n,
        creditsPending: leg.side === "credit" ? -amount : 0n,
        debitsPosted: post && leg.side === "debit" ? amount : 0n,
        creditsPosted: post && leg.side === "credit" ? amount : 0n,
      };
    }),
  );
  return { transfer: toTransfer(inserted), replayed: false };
}

async function replay(db: Executor, key: string, requestHash: string): Promise<TransferResult> {
  const row = await one(db, sql`select * from p2p_ledger_transfers where idempotency_key = ${key}`);
  if (!row) throw new Error(`transfer with idempotency key ${key} vanished`);
  if (row.request_hash !== requestHash) {
    throw new P2PError("idempotency_conflict", `idempotency key ${key} was already used for a different request`);
  }
  return { transfer: toTransfer(row), replayed: true };
}

function validateLegs(input: CreateTransferInput): void {
  if (!input.idempotencyKey || input.idempotencyKey.length > 200) throw new P2PError("invalid_input", "idempotency key must be 1-200 characters");
  if (input.legs.length < 2) throw new P2PError("invalid_input", "a transfer needs at least two legs");
  let debits = 0n;
  let credits = 0n;
  for (const leg of input.legs) {
    if (typeof leg.amount !== "bigint" || leg.amount <= 0n) throw new P2PError("invalid_input", "leg amounts must be positive integers");
    if (leg.side === "debit") debits += leg.amount;
    else if (leg.side === "credit") credits += leg.amount;
    else throw new P2PError("invalid_input", "leg side must be debit or credit");
  }
  if (debits !== credits) throw new P2PError("invalid_input", `transfer does not balance: debits ${debits} ≠ credits ${credits}`);
}

// Account ids never change, so a process-wide cache saves a round trip per transfer.
const accountIdCache = new Map<string, { id: bigint; currency: string }>();

async function resolveAccounts(db: Executor, codes: string[], currency: string): Promise<Map<string, bigint>> {
  const result = new Map<string, bigint>();
  const missing: string[] = [];
  for (const code of new Set(codes)) {
    const cached = accountIdCache.get(code);
    if (cached) {
      if (cached.currency !== currency) throw new P2PError("invalid_input", `account ${code} is not in ${currency}`);
      result.set(code, cached.id);
    } else missing.push(code);
  }
  if (missing.length > 0) {
    const found = await rows<{ id: unknown; code: string; currency: string }>(
      db,
      sql`select id, code, currency from p2p_ledger_accounts where code in (${sql.join(
        missing.map((code) => sql`${code}`),
        sql`, `,
      )})`,
    );
    for (const row of found) {
      if (row.currency !== currency) throw new P2PError("invalid_input", `account ${row.code} is not in ${currency}`);
      result.set(row.code, big(row.id));
      accountIdCache.set(row.code, { id: big(row.id), currency: row.currency });
    }
    const unknown = missing.filter((code) => !result.has(code));
    if (unknown.length > 0) throw new P2PError("not_found", `unknown ledger account(s): ${unknown.join(", ")}`);
  }
  return result;
}

/** Forget cached account ids (tests that drop and recreate databases in one process). */
export function clearAccountCache(): void {
  accountIdCache.clear();
}

type Delta = { accountId: bigint; debitsPending: bigint; creditsPending: bigint; debitsPosted: bigint; creditsPosted: bigint };

async function applyDeltas(db: Executor, deltas: Delta[]): Promise<void> {
  const merged = new Map<bigint, Delta>();
  for (const delta of deltas) {
    const m = merged.get(delta.accountId);
    if (!m) merged.set(delta.accountId, { ...delta });
    else {
      m.debitsPending += delta.debitsPending;
      m.creditsPending += delta.creditsPending;
      m.debitsPosted += delta.debitsPosted;
      m.creditsPosted += delta.creditsPosted;
    }
  }
  // Ascending id order: two transfers touching the same accounts lock them in the same order.
  const ordered = [...merged.values()].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  for (const d of ordered) {
    try {
      await db.execute(
        sql`update p2p_ledger_accounts set
              debits_pending = debits_pending + ${d.debitsPending.toString()}::numeric,
              credits_pending = credits_pending + ${d.creditsPending.toString()}::numeric,
              debits_posted = debits_posted + ${d.debitsPosted.toString()}::numeric,
              credits_posted = credits_posted + ${d.creditsPosted.toString()}::numeric
            where id = ${d.accountId.toString()}`,
      );
    } catch (error) {
      if (pgCode(error) === "23514" && constraintOf(error) === "p2p_ledger_accounts_non_negative") {
        throw new P2PError("insufficient_funds", "insufficient funds");
      }
      throw error;
    }
  }
}
