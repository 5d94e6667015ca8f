// The desk's rate limits: brute force against passwords, e-mail codes and operators' authenticator
// codes, and account creation in bulk. Each limit counts points per key in a window; the counters
// live in PostgreSQL (server/security/rate-limit.ts), so every server process shares them.
//
// Where a limit is a lock-out (one account's passwords, one address's codes, one operator's
// authenticator), a request takes its point *before* the work it guards (an atomic increment), so a
// burst of parallel attempts cannot all pass a check made before any of them counted; success clears
// the key. Where only failures should count (sign-ins from one client), `check` (0 points) comes
// first and a failure then takes its point.
import type { RateLimited, RateLimits } from "../security/rate-limit.ts";
import { P2PError } from "./errors.ts";

/** `what` names the attempts in the 429's message ("sign-in attempts for this account"). */
export type LimitSpec = { points: number; durationSeconds: number; what: string };

export type Limiter = {
  /** Takes `points` for `key`; throws P2PError `rate_limited` (429, retryAfterSeconds) when the window is used up. */
  consume(key: string, points?: number): Promise<void>;
  /** Refuses (like consume) when the window is used up, without counting anything. */
  check(key: string): Promise<void>;
  /** Forgets the key's count. */
  reset(key: string): Promise<void>;
};

/** Builds one named limiter; the server passes one over its database (server/security/rate-limit.ts). */
export type LimiterFactory = (name: string, spec: LimitSpec) => Limiter;

export type DeskLimits = ReturnType<typeof createDeskLimits>;

export function createDeskLimits(factory: LimiterFactory, options: { signupsPerClientPerHour: number }) {
  return {
    /** Wrong passwords for one account: the 6th attempt in 15 minutes is refused, right password or not. */
    signInPerEmail: factory("p2p_signin_email", { points: 5, durationSeconds: 15 * 60, what: "sign-in attempts for this account" }),
    /** Failed sign-ins from one client across accounts (password spraying). */
    signInPerClient: factory("p2p_signin_client", { points: 50, durationSeconds: 15 * 60, what: "failed sign-ins from this address" }),
    /** Accounts created by one client. */
    signUpPerClient: factory("p2p_signup_client", { points: options.signupsPerClientPerHour, durationSeconds: 3600, what: "sign-ups from this address" }),
    /** E-mail codes mailed to one address (sign-up, re-send, game-room link). */
    codeSendsPerTarget: factory("p2p_code_send", { points: 5, durationSeconds: 3600, what: "codes sent to this address" }),
    /** Guesses at the codes for one address, across every code sent to it: a re-send brings no new guesses. */
    codeAttemptsPerTarget: factory("p2p_code_attempt", { points: 5, durationSeconds: 3600, what: "attempts at the code for this address" }),
    /** Authenticator codes tried by one operator (enrolment and money actions). */
    totpAttemptsPerOperator: factory("p2p_totp_attempt", { points: 5, durationSeconds: 15 * 60, what: "authenticator codes tried" }),
  };
}

/** The error every limit throws: 429 with the seconds until the window lets the next attempt in. */
export function rateLimited(what: string, retryAfterMs: number): P2PError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new P2PError("rate_limited", `too many ${what}; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
}

/** The desk's limiters over the server's shared limits (PostgreSQL-backed, every process sees them). */
export function limiterFactoryOver(store: RateLimits): LimiterFactory {
  return (name, spec) => {
    const rule = { name, points: spec.points, durationSeconds: spec.durationSeconds };
    const consume = async (key: string, points: number) => {
      try {
        await store.consume(rule, key, points);
      } catch (error) {
        // By name: the class may exist twice (the server's module graph and a Next bundle's).
        if (error instanceof Error && error.name === "RateLimited") throw rateLimited(spec.what, (error as RateLimited).retryAfterSeconds * 1000);
        throw error;
      }
    };
    return {
      consume: (key, points = 1) => consume(key, points),
      // 0 points: the store reads the window's count and refuses once it is over, adding nothing.
      check: (key) => consume(key, 0),
      reset: (key) => store.reset(rule, key),
    };
  };
}
