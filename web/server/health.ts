// Health of the web server's dependencies. Framework-free: the route handler only serialises it.
// The database is the only hard dependency (HTTP 503 when down); a down chain RPC or indexer
// degrades features (payment detection, analytics) but the server can still serve pages and API.
import type { PublicClient } from "viem";
import type { Database, MigrationStatus } from "./db/index.ts";
import { withTimeout } from "./timeout.ts";

export type ComponentStatus = "ok" | "down";

export type ComponentHealth = { status: ComponentStatus; latencyMs: number; error?: string };

export type HealthReport = {
  status: "ok" | "degraded";
  checkedAt: string;
  components: {
    database: ComponentHealth & { kind: Database["kind"]; migrations?: MigrationStatus };
    chain: ComponentHealth & { chainId: number; latestBlock?: string };
    indexer: ComponentHealth & { url: string };
  };
};

export type HealthService = { check(): Promise<HealthReport> };

export type HealthDependencies = {
  database: Database;
  chain: PublicClient;
  expectedChainId: number;
  indexerUrl: string;
  /** Upper bound for each component check. */
  timeoutMs?: number;
};

export function createHealthService(deps: HealthDependencies): HealthService {
  const timeoutMs = deps.timeoutMs ?? 2_000;

  async function checkDatabase(): Promise<HealthReport["components"]["database"]> {
    const result = await measure(async () => {
      await deps.database.ping();
      return deps.database.migrationStatus();
    }, timeoutMs, "database check");
    return {
      kind: deps.database.kind,
      ...result.health,
      ...(result.value ? { migrations: result.value } : {}),
    };
  }

  async function checkChain(): Promise<HealthReport["components"]["chain"]> {
    const result = await measure(async () => {
      const [chainId, blockNumber] = await Promise.all([deps.chain.getChainId(), deps.chain.getBlockNumber()]);
      // Talking to the wrong chain is worse than talking to none: addresses would not match.
      if (chainId !== deps.expectedChainId) {
        throw new Error(`RPC reports chain ${chainId}, configured CHAIN_ID is ${deps.expectedChainId}`);
      }
      return blockNumber;
    }, timeoutMs, "chain check");
    return {
      chainId: deps.expectedChainId,
      ...result.health,
      ...(result.value !== undefined ? { latestBlock: result.value.toString() } : {}),
    };
  }

  async function checkIndexer(): Promise<HealthReport["components"]["indexer"]> {
    const url = `${deps.indexerUrl}/ready`;
    const result = await measure(async () => {
      // Ponder answers /ready with 200 once it has caught up with the chain, 503 while syncing.
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`not ready (HTTP ${response.status})`);
    }, timeoutMs, "indexer check");
    return { url: deps.indexerUrl, ...result.health };
  }

  return {
    async check() {
      const [database, chain, indexer] = await Promise.all([checkDatabase(), checkChain(), checkIndexer()]);
      const allOk = [database, chain, indexer].every((component) => component.status === "ok");
      return {
        status: allOk ? "ok" : "degraded",
        checkedAt: new Date().toISOString(),
        components: { database, chain, indexer },
      };
    },
  };
}

/** Without the database nothing works (no merchants, orders, ledger), so only it fails the probe. */
export function healthHttpStatus(report: HealthReport): 200 | 503 {
  return report.components.database.status === "ok" ? 200 : 503;
}

async function measure<T>(
  work: () => Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<{ health: ComponentHealth; value?: T }> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const value = await withTimeout(work(), timeoutMs, what);
    return { health: { status: "ok", latencyMs: latency() }, value };
  } catch (error) {
    return { health: { status: "down", latencyMs: latency(), error: describeError(error) } };
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // viem wraps transport failures; its first line ("HTTP request failed.") hides the cause.
  const cause = (error as Error & { cause?: unknown }).cause;
  const message = error.message.split("\n")[0] ?? error.message;
  return cause instanceof Error && cause.message ? `${message} (${cause.message.split("\n")[0]})` : message;
}
