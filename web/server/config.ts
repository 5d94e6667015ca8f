// Server configuration: read from the environment once, validated with zod, with defaults that
// work on a developer machine (local Hardhat node, embedded PGlite, local Ponder indexer).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mnemonicToAccount } from "viem/accounts";
import { z } from "zod";
import { readP2PConfig, type P2PConfig } from "./p2p/config.ts";
import { DEV_KEY_ID, parseKeyring, type Keyring } from "./secrets/keyring.ts";
import { isLoopbackOrigin, normalizeOrigin } from "./site.ts";
import { allowedUnsafeFeatures, parseUnsafeDevFeatures, UNSAFE_DEV_FEATURES, type UnsafeDevFeature } from "./unsafe-features.ts";

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
  // More RPC URLs of the same chain, comma-separated, tried in order when RPC_URL fails (server/chain.ts).
  // RPC_URL stays a single URL: the browser, the indexer and the deploy scripts read it too.
  RPC_FALLBACK_URLS: z.string().optional(),
  CHAIN_ID: z.coerce.number({ error: "must be a number" }).int().positive({ error: "must be a positive integer" }).default(31337),
  DATABASE_URL: postgresUrl.optional(),
  // Relative paths are taken from the web package root.
  WEB_PGLITE_DIR: z.string().min(1).default(path.join(WEB_ROOT, ".data", "pglite")),
  INDEXER_URL: httpUrl.default("http://127.0.0.1:42069"),
  // The shared secret the indexer's API requires (Authorization: Bearer …; the indexer's own INDEXER_API_SECRET).
  // Required in production; development uses the indexer's public DEV-ONLY default.
  INDEXER_API_SECRET: z.string().optional(),
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
  // The site's public origin(s), comma-separated; the first is canonical (links are built from it).
  // Required in production; in development the address the server listens on.
  PUBLIC_URL: z.string().optional(),
  // Keyring for secrets at rest (webhook signing secrets, P2P provider credentials): "id:base64key,…".
  // Required in production; development uses a public DEV-ONLY key. P2P_ENCRYPTION_KEYS is its older name.
  ENCRYPTION_KEYS: z.string().optional(),
  P2P_ENCRYPTION_KEYS: z.string().optional(),
  // Reverse proxies whose X-Forwarded-For is believed (exact addresses, comma-separated, e.g. 127.0.0.1);
  // without it the TCP peer is the client (rate limits, P2P notification source checks).
  TRUSTED_PROXIES: z.string().optional(),
  // Development conveniences a production server may use anyway, named one by one (server/unsafe-features.ts).
  UNSAFE_DEV_FEATURES: z.string().optional(),
});

/** Chain ids of development chains (Hardhat, Ganache/anvil's 1337): no real money, public keys. */
export const DEV_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);

/** Hardhat's well-known dev mnemonic: public keys for the local chain only, never for real money. */
const LOCAL_DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** The indexer's development default for INDEXER_API_SECRET (indexer/src/api/access.ts): public, so never in production. */
const DEV_INDEXER_API_SECRET = "coinpays-dev-indexer-api-secret";
/** The shortest INDEXER_API_SECRET a production server accepts (as the indexer does): 32 random hex digits. */
const MIN_INDEXER_API_SECRET_LENGTH = 32;

export type ServerConfig = {
  nodeEnv: "development" | "production" | "test";
  production: boolean;
  /** PUBLIC_URL's origins (first canonical); undefined in development without it (the listen address is used). */
  publicOrigins: readonly string[] | undefined;
  keyring: Keyring;
  /** Peers whose X-Forwarded-For names the client (TRUSTED_PROXIES). */
  trustedProxies: ReadonlySet<string>;
  /** The development conveniences this process may use (all of them outside production). */
  unsafeFeatures: ReadonlySet<UnsafeDevFeature>;
  /** The P2P desk's settings (server/p2p/config.ts), checked with the rest at start-up. */
  p2p: P2PConfig;
  host: string;
  port: number;
  /** The primary RPC URL: also what the browser is given (the public chain config). */
  rpcUrl: string;
  /** RPC_URL then RPC_FALLBACK_URLS, in fail-over order: the server's own clients use all of them. */
  rpcUrls: readonly string[];
  chainId: number;
  /** Either an external PostgreSQL server or the embedded PGlite database in a directory. */
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string };
  indexerUrl: string;
  /** Sent to the indexer as `Authorization: Bearer …` on every API call. */
  indexerApiSecret: string;
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
  const production = e.NODE_ENV === "production";
  const issues: { field: string; message: string }[] = [];

  const named = parseUnsafeDevFeatures(e.UNSAFE_DEV_FEATURES);
  for (const name of named.unknown) issues.push({ field: "UNSAFE_DEV_FEATURES", message: `unknown feature ${JSON.stringify(name)} (known: ${Object.keys(UNSAFE_DEV_FEATURES).join(", ")})` });
  const unsafeFeatures = allowedUnsafeFeatures(production, named.features);

  const publicOrigins = e.PUBLIC_URL ? parsePublicOrigins(e.PUBLIC_URL, production, issues) : undefined;
  if (production && !e.PUBLIC_URL) issues.push({ field: "PUBLIC_URL", message: "is required in production: the site's public origin, e.g. https://pay.example.com (sign-in, Origin checks and links use it)" });

  let keyring: Keyring | undefined;
  const keyField = e.ENCRYPTION_KEYS ? "ENCRYPTION_KEYS" : "P2P_ENCRYPTION_KEYS";
  try {
    keyring = parseKeyring(e.ENCRYPTION_KEYS ?? e.P2P_ENCRYPTION_KEYS);
  } catch (error) {
    issues.push({ field: keyField, message: (error as Error).message });
  }
  if (production && keyring?.current === DEV_KEY_ID) {
    issues.push({ field: "ENCRYPTION_KEYS", message: "is required in production: without it secrets are sealed with the public DEV-ONLY key (id:base64 of 32 random bytes)" });
  }

  const rpcUrls = [e.RPC_URL, ...parseFallbackRpcUrls(e.RPC_FALLBACK_URLS, issues)].filter((url, index, all) => all.indexOf(url) === index);
  if (production) {
    if (!e.INDEXER_API_SECRET) issues.push({ field: "INDEXER_API_SECRET", message: "is required in production: the secret the indexer's API requires (the same value as the indexer's INDEXER_API_SECRET; e.g. openssl rand -hex 32)" });
    else if (e.INDEXER_API_SECRET === DEV_INDEXER_API_SECRET) issues.push({ field: "INDEXER_API_SECRET", message: "is the public development default; production needs a secret of its own (e.g. openssl rand -hex 32)" });
    else if (e.INDEXER_API_SECRET.length < MIN_INDEXER_API_SECRET_LENGTH) issues.push({ field: "INDEXER_API_SECRET", message: `must be at least ${MIN_INDEXER_API_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)` });
  }

  const devChain = DEV_CHAIN_IDS.has(e.CHAIN_ID);
  if (production) {
    if (env.CHAIN_ID === undefined || env.CHAIN_ID === "") issues.push({ field: "CHAIN_ID", message: "is required in production (the default is the local development chain 31337)" });
    else if (devChain && !unsafeFeatures.has("dev-chain")) issues.push({ field: "CHAIN_ID", message: `${e.CHAIN_ID} is a development chain; name "dev-chain" in UNSAFE_DEV_FEATURES to run a production build on it` });
    if (!e.RELAYER_PRIVATE_KEY && devChain) issues.push({ field: "RELAYER_PRIVATE_KEY", message: "is required in production: the local default is Hardhat's public account #0" });
  }
  if (e.RELAYER_PRIVATE_KEY && !devChain && isHardhatDevKey(e.RELAYER_PRIVATE_KEY)) {
    issues.push({ field: "RELAYER_PRIVATE_KEY", message: `is one of Hardhat's public development keys, which anyone can spend from; chain ${e.CHAIN_ID} needs a key of your own` });
  }
  const p2p = readP2PConfig(env, { production, unsafeFeatures, keyring: keyring ?? parseKeyring(undefined) });
  issues.push(...p2p.issues);
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    nodeEnv: e.NODE_ENV,
    production,
    publicOrigins,
    keyring: keyring!,
    unsafeFeatures,
    p2p: p2p.config!,
    trustedProxies: new Set((e.TRUSTED_PROXIES ?? "").split(",").map((address) => address.trim()).filter(Boolean)),
    host: e.HOST,
    port: e.PORT,
    rpcUrl: e.RPC_URL,
    rpcUrls,
    chainId: e.CHAIN_ID,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "pglite", dataDir: path.resolve(WEB_ROOT, e.WEB_PGLITE_DIR) },
    indexerUrl: e.INDEXER_URL.replace(/\/+$/, ""),
    indexerApiSecret: e.INDEXER_API_SECRET ?? DEV_INDEXER_API_SECRET,
    logLevel: e.LOG_LEVEL,
    webRoot: WEB_ROOT,
    gateway: {
      workers: e.GATEWAY_WORKERS === "on",
      confirmations: e.CONFIRMATIONS ?? (devChain ? 1 : 12),
      watcherPollMs: e.WATCHER_POLL_MS ?? (devChain ? 200 : 2000),
      relayer: e.RELAYER_PRIVATE_KEY
        ? { privateKey: e.RELAYER_PRIVATE_KEY as `0x${string}` }
        : devChain && !production
          ? { mnemonic: LOCAL_DEV_MNEMONIC, addressIndex: 0 }
          : undefined,
      sweepIntervalMs: e.SWEEP_INTERVAL_MS ?? (devChain ? 1_000 : 15_000),
      subscriptionKeeperIntervalMs: e.SUBSCRIPTION_KEEPER_INTERVAL_MS ?? (devChain ? 1_000 : 15_000),
      subscriptionRetrySeconds: e.SUBSCRIPTION_RETRY_SECONDS ?? (devChain ? 60 : 3_600),
    },
  };
}

/** RPC_FALLBACK_URLS's comma-separated URLs, each an http(s) URL like RPC_URL. */
function parseFallbackRpcUrls(value: string | undefined, issues: { field: string; message: string }[]): string[] {
  const urls: string[] = [];
  for (const entry of (value ?? "").split(",").map((part) => part.trim()).filter(Boolean)) {
    if (httpUrl.safeParse(entry).success) urls.push(entry);
    else issues.push({ field: "RPC_FALLBACK_URLS", message: `${JSON.stringify(entry)} is not an http(s) URL` });
  }
  return urls;
}

/** PUBLIC_URL's comma-separated origins, normalized; production wants https except on loopback. */
function parsePublicOrigins(value: string, production: boolean, issues: { field: string; message: string }[]): string[] {
  const origins: string[] = [];
  for (const entry of value.split(",").map((part) => part.trim()).filter(Boolean)) {
    const origin = normalizeOrigin(entry);
    const path = origin ? new URL(entry).pathname : "";
    if (!origin || (path !== "/" && path !== "")) {
      issues.push({ field: "PUBLIC_URL", message: `${JSON.stringify(entry)} is not an origin (scheme://host[:port], no path)` });
    } else if (production && origin.startsWith("http:") && !isLoopbackOrigin(origin)) {
      issues.push({ field: "PUBLIC_URL", message: `${origin} must be https in production (session cookies and wallets' domain binding need it)` });
    } else {
      origins.push(origin);
    }
  }
  if (origins.length === 0 && !issues.some((issue) => issue.field === "PUBLIC_URL")) issues.push({ field: "PUBLIC_URL", message: "names no origin" });
  return [...new Set(origins)];
}

let hardhatDevKeys: Set<string> | undefined;

/** The 20 private keys of Hardhat's public mnemonic (accounts #0–#19), which anyone can spend from. */
function isHardhatDevKey(key: string): boolean {
  hardhatDevKeys ??= new Set(
    Array.from({ length: 20 }, (_, addressIndex) => {
      const privateKey = mnemonicToAccount(LOCAL_DEV_MNEMONIC, { addressIndex }).getHdKey().privateKey!;
      return Buffer.from(privateKey).toString("hex");
    }),
  );
  return hardhatDevKeys.has(key.slice(2).toLowerCase());
}
