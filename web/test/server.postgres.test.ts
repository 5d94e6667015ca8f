// The production server against a fresh PostgreSQL database: pages, health, migrations and a
// clean shutdown, observed from outside the process.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getDeployment } from "@coinpays/sdk/contracts";
import { startFakeChain, startFakeIndexer, type FakeDependency } from "./support/fake-dependencies.ts";
import { createTemporaryDatabase, withClient, type TemporaryDatabase } from "./support/postgres.ts";
import { FULLY_MIGRATED } from "./support/migration-journal.ts";
import { startServerProcess, type ServerProcess } from "./support/server-process.ts";

describe("web server on PostgreSQL", () => {
  let database: TemporaryDatabase;
  let chain: FakeDependency;
  let indexer: FakeDependency;
  let server: ServerProcess;

  before(async () => {
    database = await createTemporaryDatabase("server");
    chain = await startFakeChain(31337, 42n);
    indexer = await startFakeIndexer(200);
    server = await startServerProcess({
      DATABASE_URL: database.url,
      CHAIN_ID: "31337",
      RPC_URL: chain.url,
      INDEXER_URL: indexer.url,
    });
  });

  after(async () => {
    await server?.stop("SIGKILL").catch(() => undefined);
    await Promise.all([chain?.close(), indexer?.close()]);
    await database?.drop();
  });

  it("serves the landing page with the configured chain's contract addresses", async () => {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /CoinPays/);
    assert.match(html, /Network status/);
    const deployment = getDeployment(31337);
    assert.ok(deployment, "the generated deployments include the local chain");
    assert.ok(html.includes(deployment.contracts.PaymentRouter.address), "PaymentRouter address is shown");
    assert.match(html, /#42/, "latest block from the RPC is shown");
  });

  it("reports every component healthy, with migrations applied", async () => {
    const response = await fetch(`${server.url}/api/health`);
    assert.equal(response.status, 200);
    const report = await response.json();
    assert.equal(report.status, "ok");
    assert.equal(report.components.database.status, "ok");
    assert.equal(report.components.database.kind, "postgres");
    assert.deepEqual(report.components.database.migrations, FULLY_MIGRATED);
    assert.equal(report.components.chain.status, "ok");
    assert.equal(report.components.chain.latestBlock, "42");
    assert.equal(report.components.indexer.status, "ok");
    for (const component of Object.values(report.components) as { latencyMs: number }[]) {
      assert.equal(typeof component.latencyMs, "number");
    }
  });

  it("created the merchants table with its defaults", async () => {
    const merchant = await withClient(database.url, async (client) => {
      const inserted = await client.query(
        "insert into merchants (name, payout_address) values ($1, $2) returning id, created_at",
        ["Corner Café", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
      );
      return inserted.rows[0] as { id: string; created_at: Date };
    });
    assert.match(merchant.id, /^[0-9a-f-]{36}$/);
    assert.ok(merchant.created_at instanceof Date);
  });

  it("shuts down cleanly on SIGTERM and leaves no database connections behind", async () => {
    const { code, signal, stderr } = await server.stop("SIGTERM");
    assert.equal(signal, null, `exited by signal; stderr: ${stderr}`);
    assert.equal(code, 0, `exit code; stderr: ${stderr}`);
    const messages = server.logs.map((line) => line.msg);
    assert.ok(messages.includes("server shutting down"));
    assert.equal(messages.at(-1), "server stopped", server.stdout());

    const openConnections = await withClient(database.url, async (client) => {
      const result = await client.query(
        "select count(*)::int as count from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
        [database.name],
      );
      return (result.rows[0] as { count: number }).count;
    });
    assert.equal(openConnections, 0);
  });
});
