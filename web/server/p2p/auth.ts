// Desk accounts: e-mail + password (argon2id), DB-backed sessions (random token in an httpOnly
// cookie, only its SHA-256 stored), and e-mail codes for verifying the address and for linking the
// seller's game-room account e-mail.
//
// The operator role is not stored: a user is an operator while their e-mail is verified and listed
// in P2P_OPERATOR_EMAILS, decided again on every request (authenticate), so taking an address off
// the list demotes it at once and signing up with a listed address proves nothing until verified.
//
// Rate limits (limits.ts): sign-in per account and per client, sign-up per client, codes mailed per
// address per hour, and guesses per address counted across every code sent to it.
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { hash as argonHash, verify as argonVerify } from "@node-rs/argon2";
import { sql } from "drizzle-orm";
import type { P2PConfig } from "./config.ts";
import { P2PError } from "./errors.ts";
import { ensureAccount } from "./ledger/index.ts";
import { type DeskLimits } from "./limits.ts";
import type { Mailer } from "./mail.ts";
import { one, pgCode, type TxRunner } from "./sql.ts";

export const SESSION_COOKIE = "p2p_session";
const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;
const CODE_TTL_MS = 15 * 60 * 1000;
const MAX_CODE_ATTEMPTS = 5;

// argon2id, OWASP's minimum profile (19 MiB, 2 passes); memory-hard against GPU guessing.
const ARGON_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
// Verified against when the e-mail is unknown, so timing does not reveal which addresses exist.
let dummyHash: Promise<string> | undefined;

export type DeskUser = {
  id: string;
  email: string;
  /** Derived on every read: "operator" while the e-mail is verified and in P2P_OPERATOR_EMAILS. */
  role: "user" | "operator";
  emailVerified: boolean;
  gameEmail: string | null;
  flagged: boolean;
};

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function toUser(row: Record<string, unknown>, operatorEmails: ReadonlySet<string>): DeskUser {
  const email = String(row.email);
  const emailVerified = row.email_verified_at !== null && row.email_verified_at !== undefined;
  return {
    id: String(row.id),
    email,
    role: emailVerified && operatorEmails.has(email) ? "operator" : "user",
    emailVerified,
    gameEmail: (row.game_email as string | null) ?? null,
    flagged: row.flagged_at !== null && row.flagged_at !== undefined,
  };
}

/**
 * available / on_sale: credit-normal (what the platform owes the user). receivable: debit-normal,
 * what the user owes the platform after a claw-back or dispute took more than their balance.
 */
export function userAccountCode(userId: string, kind: "available" | "on_sale" | "receivable"): string {
  return `user:${userId}:${kind}`;
}

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: { db: TxRunner; config: P2PConfig; mailer: Mailer; limits: DeskLimits; now?: () => Date }) {
  const { db, config, mailer, limits } = deps;
  const now = deps.now ?? (() => new Date());
  const asUser = (row: Record<string, unknown>) => toUser(row, config.operatorEmails);

  async function sendCode(userId: string, purpose: "verify_email" | "link_game_email", target: string): Promise<void> {
    // Per address, not per user: whoever asks, one mailbox gets at most a few codes an hour.
    await limits.codeSendsPerTarget.consume(target);
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    await db.execute(sql`update p2p_email_codes set consumed_at = now() where user_id = ${userId} and purpose = ${purpose} and consumed_at is null`);
    await db.execute(
      sql`insert into p2p_email_codes (user_id, purpose, target, code_hash, expires_at)
          values (${userId}, ${purpose}, ${target}, ${sha256(code)}, ${new Date(now().getTime() + CODE_TTL_MS).toISOString()})`,
    );
    const what = purpose === "verify_email" ? "verify your CoinPays P2P e-mail" : "link this game-room account to CoinPays P2P";
    await mailer.send({ to: target, subject: `Your code: ${code}`, text: `Use ${code} to ${what}. It expires in 15 minutes.` });
  }

  async function consumeCode(userId: string, purpose: "verify_email" | "link_game_email", code: string): Promise<string> {
    // Guesses count against the address the open code went to, across re-sends: a fresh code does
    // not bring fresh guesses (each code also allows at most MAX_CODE_ATTEMPTS itself).
    const open = await one<{ target: string }>(
      db,
      sql`select target from p2p_email_codes where user_id = ${userId} and purpose = ${purpose} and consumed_at is null
          order by created_at desc limit 1`,
    );
    if (open) await limits.codeAttemptsPerTarget.consume(open.target);
    return db.transaction(async (tx) => {
      const row = await one<{ id: string; code_hash: string; attempts: number; expires_at: string; target: string }>(
        tx,
        sql`select id, code_hash, attempts, expires_at, target from p2p_email_codes
            where user_id = ${userId} and purpose = ${purpose} and consumed_at is null
            order by created_at desc limit 1 for update`,
      );
      if (!row || new Date(row.expires_at).getTime() < now().getTime() || row.attempts >= MAX_CODE_ATTEMPTS) {
        throw new P2PError("invalid_code", "the code is wrong or expired; request a new one");
      }
      const ok = timingSafeEqual(Buffer.from(sha256(code)), Buffer.from(row.code_hash));
      if (!ok) {
        await tx.execute(sql`update p2p_email_codes set attempts = attempts + 1 where id = ${row.id}`);
        return "";
      }
      await tx.execute(sql`update p2p_email_codes set consumed_at = now() where id = ${row.id}`);
      return row.target;
    }).then((target) => {
      if (!target) throw new P2PError("invalid_code", "the code is wrong or expired; request a new one");
      return target;
    });
  }

  return {
    /** `client`: the caller's network identity (limits.ts), for the per-client limit. */
    async signUp(input: { email: string; password: string }, client: string): Promise<DeskUser> {
      await limits.signUpPerClient.consume(client);
      const email = normalizeEmail(input.email);
      // The verification code is mailed after the account is created: refuse first when that address's
      // code sends are used up, so a 429 never leaves an account behind (found by test/p2p/fuzz.test.ts).
      await limits.codeSendsPerTarget.check(email);
      const passwordHash = await argonHash(input.password, ARGON_OPTIONS);
      let user: DeskUser;
      try {
        user = await db.transaction(async (tx) => {
          const row = await one(tx, sql`insert into p2p_users (email, password_hash) values (${email}, ${passwordHash}) returning *`);
          const u = asUser(row!);
          for (const kind of ["available", "on_sale"] as const) {
            await ensureAccount(tx, { code: userAccountCode(u.id, kind), currency: config.currency, normal: "credit", userId: u.id });
          }
          return u;
        });
      } catch (error) {
        if (pgCode(error) === "23505") throw new P2PError("email_taken", "an account with this e-mail already exists");
        throw error;
      }
      await sendCode(user.id, "verify_email", email);
      return user;
    },

    /**
     * Each attempt takes a point from the account's limit before the password is checked, so
     * parallel guesses are counted too; once the account's window is used up even the right password
     * gets 429 until it passes, and a success clears the count. The client's limit counts failures
     * only (many people may sign in from one address) and is checked first.
     */
    async signIn(input: { email: string; password: string }, client: string): Promise<{ user: DeskUser; token: string; expiresAt: Date }> {
      const email = normalizeEmail(input.email);
      await limits.signInPerClient.check(client);
      await limits.signInPerEmail.consume(email);
      const failed = async (): Promise<never> => {
        await limits.signInPerClient.consume(client);
        throw new P2PError("invalid_credentials", "wrong e-mail or password");
      };
      const row = await one(db, sql`select * from p2p_users where email = ${email}`);
      if (!row) {
        dummyHash ??= argonHash("not a real password", ARGON_OPTIONS);
        await argonVerify(await dummyHash, input.password).catch(() => false);
        return failed();
      }
      if (!(await argonVerify(String(row.password_hash), input.password).catch(() => false))) return failed();
      await limits.signInPerEmail.reset(email);
      const token = randomBytes(32).toString("base64url");
      const expiresAt = new Date(now().getTime() + SESSION_TTL_MS);
      await db.execute(
        sql`insert into p2p_sessions (token_hash, user_id, expires_at) values (${sha256(token)}, ${String(row.id)}, ${expiresAt.toISOString()})`,
      );
      return { user: asUser(row), token, expiresAt };
    },

    async signOut(token: string): Promise<void> {
      await db.execute(sql`update p2p_sessions set revoked_at = now() where token_hash = ${sha256(token)} and revoked_at is null`);
    },

    /** The user behind a session token, or undefined when it is unknown, revoked or expired. */
    async authenticate(token: string | undefined): Promise<DeskUser | undefined> {
      if (!token || token.length > 200) return undefined;
      const row = await one(
        db,
        sql`select u.* from p2p_sessions s join p2p_users u on u.id = s.user_id
            where s.token_hash = ${sha256(token)} and s.revoked_at is null and s.expires_at > ${now().toISOString()}`,
      );
      return row ? asUser(row) : undefined;
    },

    async getUser(userId: string): Promise<DeskUser | undefined> {
      const row = await one(db, sql`select * from p2p_users where id = ${userId}`);
      return row ? asUser(row) : undefined;
    },

    async resendVerification(userId: string): Promise<void> {
      const user = await this.getUser(userId);
      if (!user) throw new P2PError("not_found", "user not found");
      if (user.emailVerified) return;
      await sendCode(userId, "verify_email", user.email);
    },

    async verifyEmail(userId: string, code: string): Promise<void> {
      await consumeCode(userId, "verify_email", code);
      await db.execute(sql`update p2p_users set email_verified_at = coalesce(email_verified_at, now()) where id = ${userId}`);
    },

    /** Step 1 of linking the game-room account: a code goes to that account's e-mail. */
    async requestGameEmailLink(userId: string, gameEmail: string): Promise<void> {
      const target = normalizeEmail(gameEmail);
      const taken = await one(db, sql`select id from p2p_users where game_email = ${target} and id <> ${userId}`);
      if (taken) throw new P2PError("conflict", "this game-room account is linked to another user");
      await sendCode(userId, "link_game_email", target);
    },

    async confirmGameEmailLink(userId: string, code: string): Promise<string> {
      const target = await consumeCode(userId, "link_game_email", code);
      try {
        await db.execute(sql`update p2p_users set game_email = ${target} where id = ${userId}`);
      } catch (error) {
        if (pgCode(error) === "23505") throw new P2PError("conflict", "this game-room account is linked to another user");
        throw error;
      }
      return target;
    },
  };
}
