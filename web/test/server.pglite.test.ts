// Smoke test of the embedded default: no DATABASE_URL, PGlite inside the server process.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import { startServerProcess, type ServerProcess } from "./support/server-process.ts";

describe("web server on embedded PGlite", () => {
  let dataDir: string;
  let server: ServerProcess;

  before(async () => {
    dataDir = path.join(await mkdtemp(path.join(tmpdir(), "coinpays-web-pglite-")), "pglite");
    // Nothing listens on port 9: chain and indexer are down, which must only degrade health.
    server = await startServerProcess({
      WEB_PGLITE_DIR: dataDir,
      RPC_URL: "http://127.0.0.1:9",
      INDEXER_URL: "http://127.0.0.1:9",
    });
  });

  after(async () => {
    await server?.stop("SIGKILL").catch(() => undefined);
    if (dataDir) await rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  it("serves the landing page", async () => {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /CoinPays/);
    assert.match(html, /RPC unreachable/);
  });

  it("is degraded but up when only the chain and the indexer are down", async () => {
    const response = await fetch(`${server.url}/api/health`);
    assert.equal(response.status, 200);
    const report = await response.json();
    assert.equal(report.status, "degraded");
    assert.equal(report.components.database.kind, "pglite");
    assert.equal(report.components.database.status, "ok");
    assert.equal(report.components.database.migrations.pending, 0);
    assert.equal(report.components.chain.status, "down");
    assert.equal(report.components.indexer.status, "down");
  });

  it("shuts down cleanly and leaves a usable, migrated data directory", async () => {
    const { code, stderr } = await server.stop("SIGTERM");
    assert.equal(code, 0, `exit code; stderr: ${stderr}`);
    assert.equal(server.logs.at(-1)?.msg, "server stopped");

    // PGlite allows one process per data directory, so this also proves the server let go of it.
    const reopened = new PGlite(dataDir);
    try {
      const result = await reopened.query<{ merchants: string | null }>("select to_regclass('public.merchants')::text as merchants");
      assert.equal(result.rows[0]?.merchants, "merchants");
    } finally {
      await reopened.close();
    }
  });
});
