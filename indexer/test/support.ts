/** What the indexer's end-to-end tests share: a fresh database, a Ponder process, and a transaction sender. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import pg from "pg";
import { createPublicClient, createWalletClient, http, type Abi, type Address, type HDAccount, type TransactionReceipt } from "viem";
import { deployCoinPays, type Deployment } from "../../scripts/lib/deploy.ts";
import { devAccount } from "../../scripts/lib/dev-accounts.ts";
import { startLocalChain, type LocalChain } from "../../scripts/lib/local-chain.ts";
import { ROOT } from "../../scripts/lib/paths.ts";
import { freePort, waitFor, type ManagedProcess } from "../../scripts/lib/processes.ts";
import { startPonder } from "../../scripts/lib/ponder.ts";
import { TEST_INDEXER_API_SECRET } from "./api-secret.ts";

export const INDEXER_DIR = path.join(ROOT, "indexer");

export { TEST_INDEXER_API_SECRET };

/** Request options carrying the test indexers' secret (every route but /health and /ready needs it). */
export function authorized(init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${TEST_INDEXER_API_SECRET}` } };
}

/**
 * A database of the test's own, created afresh. Ponder's sync store (schema `ponder_sync`) is shared by
 * every indexer on a database and keys logs by (chain, block number, log index), so rows left by another
 * local chain with id 31337 (an earlier run, or another test file) would be read back in place of this
 * chain's. A fresh database per test keeps them apart.
 */
export async function freshDatabase(url: string, suffix: string): Promise<string> {
  const target = new URL(url);
  const name = `${target.pathname.slice(1)}_${suffix}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  target.pathname = `/${name}`;
  return target.toString();
}

/**
 * A fresh local chain with CoinPays deployed, for the enclosing `describe`: started in its `before`, stopped
 * in its `after`. Read the fields inside the tests (they are set once `before` has run).
 */
export function deployedLocalChain(): { chain: LocalChain; deployment: Deployment } {
  const context = {} as { chain: LocalChain; deployment: Deployment };
  let deploymentsDir: string | undefined;
  before(async () => {
    context.chain = await startLocalChain();
    deploymentsDir = await mkdtemp(path.join(tmpdir(), "coinpays-deployments-"));
    context.deployment = await deployCoinPays({ rpcUrl: context.chain.rpcUrl, account: devAccount(0), deploymentsDir, log: () => {} });
  });
  after(async () => {
    await context.chain?.stop();
    if (deploymentsDir) await rm(deploymentsDir, { recursive: true, force: true });
  });
  return context;
}

export interface RunningIndexer {
  url: string;
  schema: string;
  process: ManagedProcess;
}

/** Starts `ponder start` on PostgreSQL; waits for `/ready` unless told not to (the restart test kills it mid-backfill). */
export async function startIndexer(options: { databaseUrl: string; rpcUrl: string; schema?: string; waitReady?: boolean; env?: Record<string, string> }): Promise<RunningIndexer> {
  const port = await freePort();
  const schema = options.schema ?? `indexer_test_${process.pid}_${port}`;
  const indexer = startPonder(["start", "--schema", schema, "--port", String(port)], {
    cwd: INDEXER_DIR,
    label: "indexer",
    // Ponder prefers PORT from the environment over --port.
    env: { ...process.env, PONDER_TELEMETRY_DISABLED: "true", DATABASE_URL: options.databaseUrl, PONDER_RPC_URL_31337: options.rpcUrl, INDEXER_API_SECRET: TEST_INDEXER_API_SECRET, ...options.env, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  if (options.waitReady !== false) {
    await waitFor("the indexer to be ready", async () => ((await fetch(`${url}/ready`)).ok ? true : undefined), 180_000, indexer);
  }
  return { url, schema, process: indexer };
}

/** Sends transactions on the local chain and keeps their receipts by label. */
export function chainWriter(rpcUrl: string) {
  const chain = { id: 31337, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } };
  const client = createPublicClient({ chain, transport: http(rpcUrl) });
  const receipts: Record<string, TransactionReceipt> = {};
  return {
    client,
    receipts,
    /** Sends one transaction from `account` and waits for it; it must succeed. */
    async send(label: string, account: HDAccount, address: Address, abi: Abi, functionName: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
      const wallet = createWalletClient({ account, chain, transport: http(rpcUrl) });
      const hash = await wallet.writeContract({ address, abi, functionName, args, value } as never);
      const receipt = await client.waitForTransactionReceipt({ hash });
      assert.equal(receipt.status, "success", label);
      receipts[label] = receipt;
      return receipt;
    },
    /** The next block's timestamp (unix seconds); later blocks follow on from it. */
    async setNextBlockTimestamp(timestamp: bigint): Promise<void> {
      await client.request({ method: "evm_setNextBlockTimestamp" as never, params: [Number(timestamp)] as never });
    },
  };
}

/** Runs SQL against the indexer's schema (`$schema` in the text is replaced by it). */
export async function schemaQuery(databaseUrl: string, schema: string) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  return {
    rows: async (text: string, params: unknown[] = []) => (await db.query(text.replaceAll("$schema", `"${schema}"`), params)).rows as Array<Record<string, any>>,
    end: () => db.end().catch(() => {}),
  };
}

/**
 * Starts `ponder serve` on a schema (the views schema of a blue/green deployment): the read-only HTTP API,
 * the analytics endpoints among them, with no indexing of its own.
 */
export async function startServe(options: { databaseUrl: string; rpcUrl: string; schema: string; env?: Record<string, string> }): Promise<{ url: string; process: ManagedProcess }> {
  const port = await freePort();
  const server = startPonder(["serve", "--schema", options.schema, "--port", String(port)], {
    cwd: INDEXER_DIR,
    label: "indexer-serve",
    env: { ...process.env, PONDER_TELEMETRY_DISABLED: "true", DATABASE_URL: options.databaseUrl, PONDER_RPC_URL_31337: options.rpcUrl, INDEXER_API_SECRET: TEST_INDEXER_API_SECRET, ...options.env, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor("ponder serve to answer", async () => ((await fetch(`${url}/health`).catch(() => undefined))?.ok ? true : undefined), 120_000, server);
  return { url, process: server };
}
