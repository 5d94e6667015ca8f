// Who may call the indexer's HTTP API, and what it offers them: framework-free, read from the environment
// once. The API is the web server's private back end (it answers any merchant's analytics for the addresses a
// caller names), so every route but Ponder's /health and /ready needs the secret the web server holds, and
// Ponder's generic query APIs (SQL over HTTP, GraphQL) are off unless an operator switches them on.
// ponder.config.ts calls loadApiAccess() too, so a misconfigured indexer stops before it indexes anything.
import { createHash, timingSafeEqual } from "node:crypto";

/** The development default of INDEXER_API_SECRET, shared with the web server's (web/server/config.ts). Public: never production. */
export const DEV_INDEXER_API_SECRET = "coinpays-dev-indexer-api-secret";
/** The shortest secret production accepts: 32 characters, e.g. `openssl rand -hex 32` gives 64. */
export const MIN_SECRET_LENGTH = 32;
/**
 * Default statement timeout of the API's database connections. The analytics queries take under 100 ms at a
 * million payments (docs/benchmarks.md) and the web server gives up on a call after 15 s, so 10 s only ever
 * cuts off work nobody waits for. Ponder's own default for these connections is 30 s.
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

export interface ApiAccess {
  /** The bearer token every API route but /health and /ready requires. */
  secret: string;
  /** INDEXER_SQL_API=on: Ponder's SQL over HTTP (`/sql/*`, for @ponder/client). */
  sqlApi: boolean;
  /** INDEXER_GRAPHQL=on: Ponder's GraphQL API and GraphiQL page (`/graphql`). */
  graphql: boolean;
  /** INDEXER_API_STATEMENT_TIMEOUT_MS: statement_timeout of the API's (read-only) database connections. */
  statementTimeoutMs: number;
}

export class IndexerConfigError extends Error {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(`Invalid indexer configuration:\n${issues.map((issue) => `  - ${issue}`).join("\n")}`);
    this.name = "IndexerConfigError";
    this.issues = issues;
  }
}

function onOff(env: Readonly<Record<string, string | undefined>>, name: string, issues: string[]): boolean {
  const value = env[name] || "off";
  if (value !== "on" && value !== "off") issues.push(`${name}: must be "on" or "off" (got ${JSON.stringify(value)})`);
  return value === "on";
}

/**
 * The API's access settings. Outside production an unset INDEXER_API_SECRET is the public development default
 * (the web server defaults to the same, so the local stack needs no set-up); production requires a secret of
 * its own. Throws IndexerConfigError naming every bad setting at once.
 */
export function loadApiAccess(env: Readonly<Record<string, string | undefined>> = process.env): ApiAccess {
  const issues: string[] = [];
  const production = env.NODE_ENV === "production";
  const secret = env.INDEXER_API_SECRET || undefined;
  if (production) {
    if (secret === undefined) issues.push("INDEXER_API_SECRET: is required in production: the secret the web server sends (its INDEXER_API_SECRET; e.g. openssl rand -hex 32)");
    else if (secret === DEV_INDEXER_API_SECRET) issues.push("INDEXER_API_SECRET: is the public development default; production needs a secret of its own (e.g. openssl rand -hex 32)");
    else if (secret.length < MIN_SECRET_LENGTH) issues.push(`INDEXER_API_SECRET: must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`);
  }
  const sqlApi = onOff(env, "INDEXER_SQL_API", issues);
  const graphql = onOff(env, "INDEXER_GRAPHQL", issues);
  const timeout = env.INDEXER_API_STATEMENT_TIMEOUT_MS || String(DEFAULT_STATEMENT_TIMEOUT_MS);
  const statementTimeoutMs = Number(timeout);
  if (!/^\d{1,9}$/.test(timeout) || statementTimeoutMs < 1) issues.push(`INDEXER_API_STATEMENT_TIMEOUT_MS: must be a positive whole number of milliseconds (got ${JSON.stringify(timeout)})`);
  if (issues.length > 0) throw new IndexerConfigError(issues);
  return { secret: secret ?? DEV_INDEXER_API_SECRET, sqlApi, graphql, statementTimeoutMs };
}

/**
 * Whether an Authorization header carries `Bearer <secret>`. Both sides are hashed to 32 bytes first, so the
 * comparison takes the same time whatever the header's length or how much of it matches.
 */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(header?.trim() ?? "");
  const digest = (value: string) => createHash("sha256").update(value).digest();
  // A missing or malformed header is still compared (against a value that cannot match), for an even timing.
  const equal = timingSafeEqual(digest(match?.[1] ?? ""), digest(secret));
  return match !== null && equal;
}

/** Ponder's commands that open the HTTP server. */
const SERVING_COMMANDS = new Set(["start", "serve", "dev"]);

/**
 * Refuses a Ponder process that serves HTTP with no explicit --hostname: Ponder then listens on every
 * interface (Node's default), which puts this API on whatever network the machine is on. The launchers
 * (scripts/lib/ponder.ts, the package's scripts) pass INDEXER_HOSTNAME, default 127.0.0.1.
 */
export function assertExplicitHostname(argv: readonly string[]): void {
  const args = argv.slice(2);
  if (!args.some((arg) => SERVING_COMMANDS.has(arg))) return;
  const given = args.some((arg) => arg === "-H" || arg === "--hostname" || arg.startsWith("--hostname=") || /^-H./.test(arg));
  if (!given) {
    throw new IndexerConfigError([
      "--hostname: Ponder was started without one, and would listen on every network interface. Start it with `pnpm start` / `pnpm serve` (they bind INDEXER_HOSTNAME, default 127.0.0.1) or pass -H <address> explicitly (-H 0.0.0.0 to serve other machines).",
    ]);
  }
}
