// The health service's rules, with stand-in dependencies (no server, no network).
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import type { PublicClient } from "viem";
import type { Database } from "../server/db/index.ts";
import { createHealthService, healthHttpStatus } from "../server/health.ts";
import { startFakeIndexer } from "./support/fake-dependencies.ts";

function fakeDatabase(ping: () => Promise<void>): Database {
  return {
    kind: "postgres",
    db: undefined as never,
    migrate: async () => undefined,
    migrationStatus: async () => ({ applied: 1, pending: 0, latest: "0000_create_merchants" }),
    ping,
    close: async () => undefined,
  };
}

function fakeChain(chainId: number, blockNumber = 7n): PublicClient {
  return { getChainId: async () => chainId, getBlockNumber: async () => blockNumber } as unknown as PublicClient;
}

describe("health service", () => {
  it("answers 503 when the database is down, whatever else is up", async () => {
    const indexer = await startFakeIndexer(200);
    try {
      const health = createHealthService({
        database: fakeDatabase(async () => {
          throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
        }),
        chain: fakeChain(31337),
        expectedChainId: 31337,
        indexerUrl: indexer.url,
      });
      const report = await health.check();
      assert.equal(report.status, "degraded");
      assert.equal(report.components.database.status, "down");
      assert.match(report.components.database.error ?? "", /ECONNREFUSED/);
      assert.equal(healthHttpStatus(report), 503);
    } finally {
      await indexer.close();
    }
  });

  it("reports a chain on the wrong chain id as down", async () => {
    const health = createHealthService({
      database: fakeDatabase(async () => undefined),
      chain: fakeChain(1),
      expectedChainId: 31337,
      indexerUrl: "http://127.0.0.1:9",
    });
    const report = await health.check();
    assert.equal(report.components.chain.status, "down");
    assert.match(report.components.chain.error ?? "", /RPC reports chain 1, configured CHAIN_ID is 31337/);
    assert.equal(healthHttpStatus(report), 200);
  });

  it("reports a syncing indexer (HTTP 503 on /ready) as down", async () => {
    const indexer = await startFakeIndexer(503);
    try {
      const health = createHealthService({
        database: fakeDatabase(async () => undefined),
        chain: fakeChain(31337),
        expectedChainId: 31337,
        indexerUrl: indexer.url,
      });
      const report = await health.check();
      assert.equal(report.components.indexer.status, "down");
      assert.equal(report.components.indexer.error, "not ready (HTTP 503)");
    } finally {
      await indexer.close();
    }
  });

  it("bounds a hanging dependency by the timeout instead of hanging the probe", async () => {
    // Accepts the connection and never answers.
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const health = createHealthService({
        database: fakeDatabase(() => new Promise(() => undefined)),
        chain: fakeChain(31337),
        expectedChainId: 31337,
        indexerUrl: `http://127.0.0.1:${port}`,
        timeoutMs: 200,
      });
      const started = performance.now();
      const report = await health.check();
      assert.ok(performance.now() - started < 2_000);
      assert.equal(report.components.database.status, "down");
      assert.match(report.components.database.error ?? "", /timed out after 200 ms/);
      assert.equal(report.components.indexer.status, "down");
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
