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
// - The work itself is done by the PL/pgSQL functions p2p_ledger_transfer / p2p_ledger_resolve
//   (migration 0002_p2p_ledger_functions.sql): one round trip per operation, and the desk's own
//   functions (matcher, post, void) use the very same primitives.
import { sql, type SQL } from "drizzle-orm";
import { P2PError, type P2PErrorCode } from "../errors.ts";
import { big, constraintOf, one, pgCode, rows, type Executor } from "../sql.ts";

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
  const row = await ledgerCall<{ o_id: unknown; o_replayed: boolean; o_created_at: string | Date }>(
    db,
    sql`select * from p2p_ledger_transfer(${input.idempotencyKey}, ${input.kind}, ${input.currency}, ${input.reason},
          ${input.expiresAt?.toISOString() ?? null}::timestamptz, ${JSON.stringify(input.metadata ?? {})}::jsonb,
          ${pgArray(input.legs.map((l) => l.account))}::text[], ${pgArray(input.legs.map((l) => l.side))}::text[],
          ${pgArray(input.legs.map((l) => l.amount.toString()))}::numeric[])`,
  );
  return {
    transfer: {
      id: big(row.o_id),
      kind: input.kind,
      pendingId: null,
      currency: input.currency,
      reason: input.reason,
      expiresAt: input.expiresAt ?? null,
      createdAt: new Date(row.o_created_at),
    },
    replayed: row.o_replayed,
  };
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
  const row = await ledgerCall<{ o_id: unknown; o_replayed: boolean; o_created_at: string | Date; o_currency: string }>(
    db,
    sql`select * from p2p_ledger_resolve(${input.idempotencyKey}, ${input.pendingId.toString()}::bigint, ${input.outcome}, ${input.reason},
          ${(input.at ?? new Date()).toISOString()}::timestamptz, ${JSON.stringify(input.metadata ?? {})}::jsonb)`,
  );
  return {
    transfer: {
      id: big(row.o_id),
      kind: input.outcome,
      pendingId: input.pendingId,
      currency: row.o_currency,
      reason: input.reason,
      expiresAt: null,
      createdAt: new Date(row.o_created_at),
    },
    replayed: row.o_replayed,
  };
}

/** SQLSTATEs raised by the ledger's and desk's PL/pgSQL functions (see the migration). */
const FUNCTION_ERRORS: Record<string, P2PErrorCode> = {
  P2P01: "idempotency_conflict",
  P2P02: "not_found",
  P2P03: "invalid_input",
  P2P04: "pending_expired",
  P2P05: "already_resolved",
  P2P06: "no_liquidity",
};

/** Maps a database error from the ledger's functions or constraints to a P2PError (else rethrows it). */
export function ledgerError(error: unknown): unknown {
  const code = pgCode(error);
  if (code && FUNCTION_ERRORS[code]) return new P2PError(FUNCTION_ERRORS[code], messageOf(error));
  if (code === "23514" && constraintOf(error) === "p2p_ledger_accounts_non_negative") return new P2PError("insufficient_funds", "insufficient funds");
  return error;
}

function messageOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth += 1) {
    if (typeof (current as { code?: unknown }).code === "string") return String((current as { message?: unknown }).message);
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Runs one ledger/desk function call, mapping its errors. */
export async function ledgerCall<T>(db: Executor, query: SQL): Promise<T> {
  try {
    const row = await one<T>(db, query);
    if (!row) throw new Error("ledger function returned no row");
    return row;
  } catch (error) {
    throw ledgerError(error);
  }
}

/** A PostgreSQL array literal (each element quoted), passed as one parameter. */
export function pgArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;
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
