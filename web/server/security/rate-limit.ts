// Rate limits shared by every server process: rate-limiter-flexible's Drizzle store on the server's
// own database (the `rate_limits` table; PostgreSQL or the embedded PGlite), so a limit holds however
// many processes answer and survives a restart. Each rule is a fixed window of `points` per
// `durationSeconds`; `blockSeconds` keeps a key refused for longer once it went over (lock-outs).
//
// A refusal is `RateLimited` (429 with Retry-After at the HTTP edge). A limiter whose store fails
// lets the request through and logs: a database hiccup must not lock every merchant out, and the
// operations behind the limits are protected by their own checks (nonces, argon2, codes).
import { RateLimiterDrizzle, type RateLimiterRes } from "rate-limiter-flexible";
import { lt } from "drizzle-orm";
import type { Logger } from "pino";
import type { AppDatabase } from "../db/index.ts";
import { rateLimits } from "../db/schema.ts";

export type RateLimitRule = {
  /** Stable name, the key prefix in the table: "siwe-nonce", "p2p-sign-in-email", … */
  name: string;
  points: number;
  durationSeconds: number;
  /** Once over the limit, the key stays refused this long (default: until the window ends). */
  blockSeconds?: number;
};

export class RateLimited extends Error {
  readonly rule: string;
  readonly retryAfterSeconds: number;

  constructor(rule: string, retryAfterSeconds: number) {
    super(`Too many requests (${rule}); try again in ${retryAfterSeconds} s`);
    this.name = "RateLimited";
    this.rule = rule;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type RateLimits = {
  /** Counts `points` against `key` under `rule`; throws RateLimited when the rule is exceeded. */
  consume(rule: RateLimitRule, key: string, points?: number): Promise<void>;
  /** Forgets `key` under `rule` (e.g. a successful sign-in clears its failed attempts). */
  reset(rule: RateLimitRule, key: string): Promise<void>;
  /** Deletes windows that ended more than an hour ago. */
  prune(): Promise<number>;
};

function isLimiterAnswer(value: unknown): value is RateLimiterRes {
  return typeof value === "object" && value !== null && "msBeforeNext" in value && !(value instanceof Error);
}

export function createRateLimits(options: { db: AppDatabase; logger?: Logger }): RateLimits {
  const { db } = options;
  const limiters = new Map<string, RateLimiterDrizzle>();

  function limiterOf(rule: RateLimitRule): RateLimiterDrizzle {
    let limiter = limiters.get(rule.name);
    if (!limiter) {
      limiter = new RateLimiterDrizzle({
        storeClient: db,
        schema: rateLimits,
        keyPrefix: rule.name,
        points: rule.points,
        duration: rule.durationSeconds,
        blockDuration: rule.blockSeconds ?? 0,
        // Its own cleanup timer would keep the process alive; prune() runs from the server's tick instead.
        clearExpiredByTimeout: false,
      });
      limiters.set(rule.name, limiter);
    }
    return limiter;
  }

  return {
    async consume(rule, key, points = 1) {
      try {
        await limiterOf(rule).consume(key, points);
      } catch (outcome) {
        if (isLimiterAnswer(outcome)) throw new RateLimited(rule.name, Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)));
        options.logger?.error({ err: outcome, rule: rule.name }, "rate limiter store failed; request let through");
      }
    },
    async reset(rule, key) {
      await limiterOf(rule).delete(key);
    },
    async prune() {
      const deleted = await db.delete(rateLimits).where(lt(rateLimits.expire, new Date(Date.now() - 3_600_000))).returning({ key: rateLimits.key });
      return deleted.length;
    },
  };
}

/**
 * The header in which the server's own HTTP edge (server/app.ts) hands every request's client
 * address to the code behind it (route table, Next route handlers). Whatever a client sends under
 * this name is dropped first, so nothing behind the edge can be told a made-up address.
 */
export const CLIENT_ADDRESS_HEADER = "x-coinpays-client-address";

/**
 * The client's address: the TCP peer, unless the peer is one of `trustedProxies` (TRUSTED_PROXIES,
 * exact addresses such as the reverse proxy on 127.0.0.1), in which case the right-most
 * X-Forwarded-For entry that is not a trusted proxy (the proxies append; the left-most is the client's claim).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trustedProxies: ReadonlySet<string>): string {
  const normalize = (address: string) => address.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  const direct = normalize(peer ?? "unknown");
  if (!trustedProxies.has(direct) || !forwardedFor) return direct;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",").map(normalize).filter(Boolean);
  for (let index = hops.length - 1; index >= 0; index--) {
    if (!trustedProxies.has(hops[index]!)) return hops[index]!;
  }
  return direct;
}

/** The client address the edge stamped on a request (see CLIENT_ADDRESS_HEADER). */
export function clientAddressOf(request: Request): string {
  return request.headers.get(CLIENT_ADDRESS_HEADER) ?? "unknown";
}
