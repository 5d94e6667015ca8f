// Operators' second factor (TOTP, RFC 6238, through `otpauth`) and their audit log.
//
// Who is an operator is decided per request from configuration (auth.ts). Moving money as one
// (manual adjustments, importing a deposit statement, assigning or rejecting a reviewed deposit,
// resolving a dispute) also takes a code from the operator's authenticator app:
// - enrolment: the desk makes a random 160-bit secret, seals it with the server's keyring
//   (context `operator_totp:<userId>`), and shows it once; it counts only after a first code confirms it;
// - each code is good once: the time step it matched is stored, and a later action needs a later
//   step (a code replayed within its window is refused). The check and the step's update run inside
//   the money action's own transaction, under the operator's TOTP row lock, so two requests with
//   one code cannot both pass and a refused action spends nothing;
// - attempts are rate-limited per operator (limits.ts);
// - every booked action writes a row of p2p_operator_audit in that same transaction (who, what,
//   amount, target, reason, request id, when). The table refuses UPDATE, DELETE and TRUNCATE.
import { sql } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import type { Logger } from "pino";
import type { DeskUser } from "./auth.ts";
import type { P2PConfig } from "./config.ts";
import { P2PError } from "./errors.ts";
import type { DeskLimits } from "./limits.ts";
import { decryptSecret, encryptSecret } from "../secrets/keyring.ts";
import { one, rows, type Executor, type TxRunner } from "./sql.ts";

const PERIOD_SECONDS = 30;
/** Codes of the previous and the next step count too (clock drift between phone and server). */
const WINDOW = 1;
const ISSUER = "CoinPays P2P";

/**
 * An operator about to move money: who, the request it came with, and the check of their code,
 * run by the desk first inside the action's transaction. In-process callers (tests, scripts) pass
 * just the operator's id: they are not a browser session a stolen cookie could drive.
 */
export type OperatorAct = {
  operatorId: string;
  requestId: string | null;
  verify(tx: Executor): Promise<void>;
};

export type OperatorActor = string | OperatorAct;

export type AuditEntry = {
  action: "adjustment" | "deposit_resolution" | "deposit_import" | "dispute_resolution";
  amount: bigint | null;
  targetType: "user" | "deposit" | "dispute";
  targetId: string;
  targetUserId: string | null;
  reason: string;
  transferId: bigint | null;
  details?: Record<string, unknown>;
};

export function actorOf(actor: OperatorActor): OperatorAct {
  return typeof actor === "string" ? { operatorId: actor, requestId: null, verify: async () => undefined } : actor;
}

/** Appends one audit row in the action's transaction (the operator's e-mail as it is now). */
export async function writeAudit(tx: Executor, act: OperatorAct, entry: AuditEntry, currency: string): Promise<void> {
  const written = await rows(
    tx,
    sql`insert into p2p_operator_audit (operator_id, operator_email, action, amount, currency, target_type, target_id, target_user_id,
                                        reason, transfer_id, request_id, details)
        select ${act.operatorId}, u.email, ${entry.action}, ${entry.amount?.toString() ?? null}, ${currency}, ${entry.targetType},
               ${entry.targetId}, ${entry.targetUserId}, ${entry.reason}, ${entry.transferId?.toString() ?? null}, ${act.requestId},
               ${JSON.stringify(entry.details ?? {})}::jsonb
        from p2p_users u where u.id = ${act.operatorId}
        returning id`,
  );
  // No unaudited money action: an unknown operator id rolls the action back.
  if (written.length !== 1) throw new P2PError("forbidden", "unknown operator");
}

export type OperatorService = ReturnType<typeof createOperatorService>;

export function createOperatorService(deps: { db: TxRunner; config: P2PConfig; limits: DeskLimits; logger?: Logger; now?: () => Date }) {
  const { db, config, limits } = deps;
  const now = deps.now ?? (() => new Date());
  const context = (userId: string) => `operator_totp:${userId}`;

  function totpFor(user: Pick<DeskUser, "email">, secret: string): TOTP {
    return new TOTP({ issuer: ISSUER, label: user.email, algorithm: "SHA1", digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) });
  }

  /** The time step `code` belongs to (within the window), or undefined. */
  function matchingStep(totp: TOTP, code: string): number | undefined {
    const at = now().getTime();
    const delta = totp.validate({ token: code, timestamp: at, window: WINDOW });
    return delta === null ? undefined : Math.floor(at / 1000 / PERIOD_SECONDS) + delta;
  }

  function requireOperator(user: DeskUser | undefined): asserts user is DeskUser {
    if (!user || user.role !== "operator") throw new P2PError("forbidden", "operators only");
  }

  /** Spends one of the operator's attempts, checks the code under the row lock, and stores its step. */
  async function checkCode(tx: Executor, user: DeskUser, code: string | undefined, state: "confirmed" | "pending"): Promise<void> {
    const row = await one<{ secret_ciphertext: string; confirmed_at: unknown; last_step: unknown }>(
      tx,
      sql`select secret_ciphertext, confirmed_at, last_step from p2p_operator_totp where user_id = ${user.id} for update`,
    );
    if (!row || (state === "confirmed") !== (row.confirmed_at !== null)) {
      throw new P2PError(
        "forbidden",
        state === "confirmed" ? "set up your authenticator app first (the operator page): money actions need its code" : "no authenticator enrolment is waiting for a code",
      );
    }
    if (!code) throw new P2PError("forbidden", "this action needs the code from your authenticator app (otp)");
    const step = matchingStep(totpFor(user, decryptSecret(config.keyring, row.secret_ciphertext, context(user.id))), code);
    const last = row.last_step === null ? -1 : Number(row.last_step);
    if (step === undefined || step <= last) {
      deps.logger?.warn({ operatorId: user.id, replayed: step !== undefined }, "p2p operator authenticator code refused");
      throw new P2PError("forbidden", step === undefined ? "the authenticator code is wrong" : "this authenticator code was already used; wait for the next one");
    }
    await tx.execute(
      sql`update p2p_operator_totp set last_step = ${step}, confirmed_at = coalesce(confirmed_at, now()) where user_id = ${user.id}`,
    );
  }

  return {
    async status(user: DeskUser): Promise<{ enrolled: boolean; pending: boolean }> {
      const row = await one<{ confirmed_at: unknown }>(db, sql`select confirmed_at from p2p_operator_totp where user_id = ${user.id}`);
      return { enrolled: Boolean(row?.confirmed_at), pending: Boolean(row) && !row?.confirmed_at };
    },

    /** An enrolment waiting for its first code, shown to its operator until confirmed (never after). */
    async pendingEnrolment(user: DeskUser): Promise<{ secret: string; uri: string } | undefined> {
      requireOperator(user);
      const row = await one<{ secret_ciphertext: string }>(
        db,
        sql`select secret_ciphertext from p2p_operator_totp where user_id = ${user.id} and confirmed_at is null`,
      );
      if (!row) return undefined;
      const secret = decryptSecret(config.keyring, row.secret_ciphertext, context(user.id));
      return { secret, uri: totpFor(user, secret).toString() };
    },

    /**
     * Starts (or restarts) enrolment: a new secret, returned once as base32 and an otpauth:// URI for
     * the authenticator app. Refused once a secret is confirmed (a lost phone is reset by removing
     * the row, out of band: resetting would otherwise be one more thing a stolen session could do).
     */
    async startEnrolment(user: DeskUser | undefined): Promise<{ secret: string; uri: string }> {
      requireOperator(user);
      const secret = new Secret({ size: 20 }).base32;
      const sealed = encryptSecret(config.keyring, secret, context(user.id));
      const result = await one<{ user_id: string }>(
        db,
        sql`insert into p2p_operator_totp (user_id, secret_ciphertext) values (${user.id}, ${sealed})
            on conflict (user_id) do update set secret_ciphertext = excluded.secret_ciphertext, last_step = null, created_at = now()
              where p2p_operator_totp.confirmed_at is null
            returning user_id`,
      );
      if (!result) throw new P2PError("conflict", "an authenticator is already set up for this operator");
      return { secret, uri: totpFor(user, secret).toString() };
    },

    /** Confirms enrolment with a first code from the app. */
    async confirmEnrolment(user: DeskUser | undefined, code: string): Promise<void> {
      requireOperator(user);
      await limits.totpAttemptsPerOperator.consume(user.id);
      await db.transaction((tx) => checkCode(tx, user, code, "pending"));
      await limits.totpAttemptsPerOperator.reset(user.id);
    },

    /**
     * Runs a money action as `user` with `code`: the desk calls act.verify(tx) first inside the
     * action's transaction. Every code tried counts against the operator's limit; a code that passed clears it.
     */
    async act<T>(user: DeskUser | undefined, code: string | undefined, requestId: string, work: (act: OperatorAct) => Promise<T>): Promise<T> {
      requireOperator(user);
      // A request without a code guesses nothing (and is refused by verify): only codes count.
      if (code !== undefined) await limits.totpAttemptsPerOperator.consume(user.id);
      let passed = false;
      try {
        return await work({
          operatorId: user.id,
          requestId,
          async verify(tx) {
            await checkCode(tx, user, code, "confirmed");
            passed = true;
          },
        });
      } finally {
        if (passed) await limits.totpAttemptsPerOperator.reset(user.id);
      }
    },

    /** The newest audit rows, for the operator page. */
    async auditLog(limit = 100) {
      return rows<{
        id: string;
        created_at: string;
        operator_email: string;
        action: string;
        amount: unknown;
        currency: string;
        target_type: string;
        target_id: string;
        target_user_id: string | null;
        reason: string;
        transfer_id: string | null;
        request_id: string | null;
      }>(db, sql`select * from p2p_operator_audit order by id desc limit ${limit}`);
    },
  };
}
