// A fresh, migrated PostgreSQL database per P2P test file (dropped afterwards).
import { pino } from "pino";
import { openDatabase, type Database } from "../../server/db/index.ts";
import { createTemporaryDatabase, type TemporaryDatabase } from "../support/postgres.ts";

export type P2PTestDatabase = { database: Database; temporary: TemporaryDatabase; close(): Promise<void> };

export async function openTestDatabase(label: string): Promise<P2PTestDatabase> {
  const temporary = await createTemporaryDatabase(label);
  const database = await openDatabase({ kind: "postgres", url: temporary.url }, pino({ level: "silent" }));
  await database.migrate();
  return {
    database,
    temporary,
    async close() {
      await database.close();
      await temporary.drop();
    },
  };
}

import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { userAccountCode } from "../../server/p2p/auth.ts";
import { loadP2PConfig } from "../../server/p2p/config.ts";
import { startP2P, type P2PServices } from "../../server/p2p/index.ts";
import { ensureAccount } from "../../server/p2p/ledger/index.ts";
import type { TxRunner } from "../../server/p2p/sql.ts";
import { commissionAccount } from "../../server/p2p/desk.ts";
import type { BatchOp } from "../../server/p2p/write-batcher.ts";

/** A controllable clock for expiry tests. */
export function testClock(start = Date.now()) {
  let current = start;
  return { now: () => new Date(current), advance: (ms: number) => (current += ms), set: (ms: number) => (current = ms) };
}

export async function startTestDesk(
  database: Database,
  options: { env?: Record<string, string>; now?: () => Date; failCreate?: (shopId: string) => boolean } = {},
): Promise<P2PServices> {
  const config = loadP2PConfig({ NODE_ENV: "test", P2P_COOLDOWN_SECONDS: "60", ...options.env });
  return startP2P({ database, config, sweeper: false, now: options.now, failCreate: options.failCreate });
}

/** A verified user created directly (no argon2 hashing: fast enough for hundreds of buyers). */
export async function createVerifiedUser(database: Database, label: string, gameEmail?: string): Promise<string> {
  const db = database.db as unknown as TxRunner;
  const id = randomUUID();
  await db.execute(
    sql`insert into p2p_users (id, email, password_hash, email_verified_at, game_email)
        values (${id}, ${`${label}-${id.slice(0, 8)}@example.com`}, 'not-a-hash', now(), ${gameEmail ?? null})`,
  );
  for (const kind of ["available", "on_sale"] as const) {
    await ensureAccount(db, { code: userAccountCode(id, kind), currency: "VUSD", normal: "credit", userId: id });
  }
  return id;
}

/** A seller with a linked game e-mail, `amount` deposited, a sandbox API form and (optionally) a request. */
export async function createSeller(
  p2p: P2PServices,
  database: Database,
  label: string,
  options: { deposit: bigint; shopId?: string; secretKey?: string; request?: { amount: bigint; min: bigint; max: bigint; rate?: bigint } },
): Promise<{ userId: string; apiFormId: string; requestId?: string }> {
  const gameEmail = `${label}-${randomUUID().slice(0, 8)}@game.example`;
  const userId = await createVerifiedUser(database, label, gameEmail);
  await p2p.desk.recordDeposit(
    { transferId: `dep-${randomUUID()}`, occurredAt: new Date(), senderEmail: gameEmail, amount: options.deposit, currency: "VUSD" },
    "test",
  );
  const form = await p2p.desk.addApiForm(userId, {
    provider: "sandbox",
    displayName: `${label} shop`,
    credentials: { shopId: options.shopId ?? `shop_${label}`, secretKey: options.secretKey ?? "sk_live_abcdefgh12345678" },
  });
  let requestId: string | undefined;
  if (options.request) {
    const r = await p2p.desk.createRequest(userId, {
      apiFormId: form.id,
      amount: options.request.amount,
      minPerBuyer: options.request.min,
      maxPerBuyer: options.request.max,
      rate: options.request.rate,
      idempotencyKey: `req-${randomUUID()}`,
    });
    requestId = r.id;
  }
  return { userId, apiFormId: form.id, requestId };
}

/**
 * A `match` operation of `p2p_batch` as the desk sends one for a sandbox buyer (VUSD for RUB, a new order, 1 %
 * fee), for the tests and the benchmark that drive the single writer directly.
 */
export function sandboxMatchOp(buyerId: string, amount: bigint, options: { commissionShard?: number; expiresInMs?: number } = {}): Extract<BatchOp, { op: "match" }> {
  return {
    op: "match",
    orderId: randomUUID(),
    buyerId,
    currency: "VUSD",
    fiatCurrency: "RUB",
    amount: amount.toString(),
    method: "sandbox",
    idempotencyKey: randomUUID(),
    requestHash: "h",
    createOrder: true,
    excludedForms: [],
    fee: (amount / 100n).toString(),
    commissionAccount: commissionAccount(options.commissionShard ?? 0),
    reservationId: randomUUID(),
    expiresAt: new Date(Date.now() + (options.expiresInMs ?? 60_000)).toISOString(),
  };
}
