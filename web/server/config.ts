// Server configuration: read from the environment once, validated with zod, with defaults that
// work on a developer machine (local Hardhat node, embedded PGlite, local Ponder indexer).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Root of the web package, so relative defaults do not depend on the caller's cwd. */
export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" });
const portNumber = z.coerce
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(0, { error: "must be between 0 and 65535" })
  .max(65535, { error: "must be between 0 and 65535" });

const environmentSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  // 0 asks the OS for a free port (used by the tests); the actual URL is logged on start.
  PORT: portNumber.default(3000),
  RPC_URL: httpUrl.default("http://127.0.0.1:8545"),
  CHAIN_ID: z.coerce.number({ error: "must be a number" }).int().positive({ error: "must be a positive integer" }).default(31337),
  DATABASE_URL: postgresUrl.optional(),
  // Relative paths are taken from the web package root.
  WEB_PGLITE_DIR: z.string().min(1).default(path.join(WEB_ROOT, ".data", "pglite")),
  INDEXER_URL: httpUrl.default("http://127.0.0.1:42069"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Gateway background workers (chain watcher, expiry, webhook delivery); "off" for a web-only process.
  GATEWAY_WORKERS: z.enum(["on", "off"]).default("on"),
  // Confirmations before an order settles, unless the merchant set its own (default: 1 on the local chain, else 12).
  CONFIRMATIONS: z.coerce.number({ error: "must be a number" }).int().min(1, { error: "must be at least 1" }).optional(),
  // How often the watcher polls for a new head (default: 200 ms on the local chain, else 2000 ms).
  WATCHER_POLL_MS: z.coerce.number({ error: "must be a number" }).int().min(10, { error: "must be at least 10" }).optional(),
  // Key that pays gas for deposit sweeps and subscription charges. Required on real chains; on the local chain it defaults to
  // Hardhat's public dev account #0.
  RELAYER_PRIVATE_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/, { error: "must be a 0x-prefixed 32-byte hex key" }).optional(),
  // How often a subscription keeper run is offered to the job queue (default: 1 s on the local chain, else 15 s).
  SUBSCRIPTION_KEEPER_INTERVAL_MS: z.coerce.number({ error: "must be a number" }).int().min(100, { error: "must be at least 100" }).optional(),
  // How long the keeper waits after a failed charge before trying a past-due subscription again (default 1 h; 60 s locally).
  SUBSCRIPTION_RETRY_SECONDS: z.coerce.number({ error: "must be a number" }).int().min(1, { error: "must be at least 1" }).optional(),
  SWEEP_INTERVAL_MS: z.coerce.number({ error: "must be a number" }).int().min(100, { error: "must be at least 100" }).optional(),
});

/** Hardhat's well-known dev mnemonic: public keys for the local chain only, never for real money. */
const LOCAL_DEV_MNEMONIC = "test test test test test test test test test test test junk";

export type ServerConfig = {
  nodeEnv: "development" | "production" | "test";
  host: string;
  port: number;
  rpcUrl: string;
  chainId: number;
  /** Either an external PostgreSQL server or the embedded PGlite database in a directory. */
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string };
  indexerUrl: string;
  logLevel: z.infer<typeof environmentSchema>["LOG_LEVEL"];
  webRoot: string;
  gateway: {
    workers: boolean;
    confirmations: number;
    watcherPollMs: number;
    /** Absent on a real chain without RELAYER_PRIVATE_KEY: deposits are then not swept by this process. */
    relayer?: { privateKey: `0x${string}` } | { mnemonic: string; addressIndex: number };
    sweepIntervalMs: number;
    subscriptionKeeperIntervalMs: number;
    subscriptionRetrySeconds: number;
  };
};

export class ConfigError extends Error {
  readonly issues: readonly { field: string; message: string }[];

  constructor(issues: readonly { field: string; message: string }[]) {
    const lines = issues.map((issue) => `  - ${issue.field}: ${issue.message}`);
    super(`Invalid configuration:\n${lines.join("\n")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/**
 * Parses the environment into a typed config. Throws ConfigError naming every bad field, so one
 * start-up attempt shows all mistakes at once. Empty strings count as unset (`PORT=` in a .env).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ServerConfig {
  const present = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const field = issue.path.join(".") || "(environment)";
        const received = present[field];
        return {
          field,
          message: received === undefined ? issue.message : `${issue.message} (got ${JSON.stringify(received)})`,
        };
      }),
    );
  }
  const e = parsed.data;
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    rpcUrl: e.RPC_URL,
    chainId: e.CHAIN_ID,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "pglite", dataDir: path.resolve(WEB_ROOT, e.WEB_PGLITE_DIR) },
    indexerUrl: e.INDEXER_URL.replace(/\/+$/, ""),
    logLevel: e.LOG_LEVEL,
    webRoot: WEB_ROOT,
    gateway: {
      workers: e.GATEWAY_WORKERS === "on",
      confirmations: e.CONFIRMATIONS ?? (e.CHAIN_ID === 31337 ? 1 : 12),
      watcherPollMs: e.WATCHER_POLL_MS ?? (e.CHAIN_ID === 31337 ? 200 : 2000),
      relayer: e.RELAYER_PRIVATE_KEY
        ? { privateKey: e.RELAYER_PRIVATE_KEY as `0x${string}` }
        : e.CHAIN_ID === 31337
          ? { mnemonic: LOCAL_DEV_MNEMONIC, addressIndex: 0 }
          : undefined,
      sweepIntervalMs: e.SWEEP_INTERVAL_MS ?? (e.CHAIN_ID === 31337 ? 1_000 : 15_000),
      subscriptionKeeperIntervalMs: e.SUBSCRIPTION_KEEPER_INTERVAL_MS ?? (e.CHAIN_ID === 31337 ? 1_000 : 15_000),
      subscriptionRetrySeconds: e.SUBSCRIPTION_RETRY_SECONDS ?? (e.CHAIN_ID === 31337 ? 60 : 3_600),
    },
  };
}
