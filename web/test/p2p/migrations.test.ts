// The P2P desk's migrations run after the gateway's, with their own bookkeeping table, on both
// PostgreSQL (under the advisory lock, concurrently from several processes) and embedded PGlite.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { openDatabase, type Database } from "../../server/db/index.ts";
import { createTemporaryDatabase, withClient, type TemporaryDatabase } from "../support/postgres.ts";

const logger = pino({ level: "silent" });

describe("p2p migrations", () => {
  let database: TemporaryDatabase;
  before(async () => {
    database = await createTemporaryDatabase("p2p_migrations");
  });
  after(async () => {
    await database?.drop();
  });

  it("apply once on PostgreSQL when several processes migrate concurrently", async () => {
    const handles: Database[] = await Promise.all(
      Array.from({ length: 3 }, () => openDatabase({ kind: "postgres", url: database.url }, logger)),
    );
    try {
      await Promise.all(handles.map((handle) => handle.migrate()));
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
    }
    const recorded = await withClient(database.url, async (client) => {
      const p2p = await client.query("select count(*)::int as count from drizzle.__drizzle_migrations_p2p");
      const tables = await client.query("select count(*)::int as count from pg_tables where tablename like 'p2p\\_%'");
      return { p2p: (p2p.rows[0] as { count: number }).count, tables: (tables.rows[0] as { count: number }).count };
    });
    // Each migration of the journal recorded exactly once, whichever process applied it.
    const journal = JSON.parse(await readFile(new URL("../../server/p2p/db/migrations/meta/_journal.json", import.meta.url), "utf8")) as { entries: unknown[] };
    assert.equal(recorded.p2p, journal.entries.length);
    assert.ok(recorded.tables >= 10, `expected the p2p tables, found ${recorded.tables}`);
  });

  it("apply on embedded PGlite", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "p2p-pglite-"));
    const handle = await openDatabase({ kind: "pglite", dataDir: dir }, logger);
    try {
      await handle.migrate();
      const result = (await handle.db.execute(sql`select count(*)::int as count from p2p_ledger_accounts`)) as unknown as {
        rows: { count: number }[];
      };
      assert.equal(result.rows[0]?.count, 0);
    } finally {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
