// Several server processes may start at once against one PostgreSQL database (rolling deploys,
// scaled workers); exactly one may apply the migrations, the others must wait and see them done.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { openDatabase, type Database } from "../server/db/index.ts";
import { FULLY_MIGRATED } from "./support/migration-journal.ts";
import { createTemporaryDatabase, withClient, type TemporaryDatabase } from "./support/postgres.ts";

describe("migrations on PostgreSQL", () => {
  let database: TemporaryDatabase;
  before(async () => {
    database = await createTemporaryDatabase("migrations");
  });
  after(async () => {
    await database?.drop();
  });

  it("apply once when several processes migrate concurrently", async () => {
    const logger = pino({ level: "silent" });
    const handles: Database[] = await Promise.all(
      Array.from({ length: 4 }, () => openDatabase({ kind: "postgres", url: database.url }, logger)),
    );
    try {
      await Promise.all(handles.map((handle) => handle.migrate()));
      for (const handle of handles) {
        assert.deepEqual(await handle.migrationStatus(), FULLY_MIGRATED);
      }
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
    }
    const recorded = await withClient(database.url, (client) =>
      client.query("select count(*)::int as count from drizzle.__drizzle_migrations"),
    );
    assert.equal((recorded.rows[0] as { count: number }).count, FULLY_MIGRATED.applied);
  });
});
