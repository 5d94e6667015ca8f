// Opens the one database handle of this process: node-postgres when DATABASE_URL is set, embedded
// PGlite otherwise. Both speak the Postgres dialect, so services only see `AppDatabase`.
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzleNodePostgres } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePostgres } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import type { Logger } from "pino";
import type { ServerConfig } from "../config.ts";
import * as schema from "./schema.ts";

export type AppDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

export type MigrationStatus = { applied: number; pending: number; latest: string | null };

export type Database = {
  kind: "postgres" | "pglite";
  db: AppDatabase;
  /** Applies pending migrations; safe to call from several processes at once (Postgres). */
  migrate(): Promise<void>;
  migrationStatus(): Promise<MigrationStatus>;
  /** Round trip to the database; throws when it is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
};

const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

/**
 * The P2P desk's own migrations (server/p2p/db), applied after the gateway's with their own
 * bookkeeping table, so the two schemas evolve independently.
 */
const P2P_MIGRATIONS = {
  migrationsFolder: fileURLToPath(new URL("../p2p/db/migrations", import.meta.url)),
  migrationsTable: "__drizzle_migrations_p2p",
} as const;

/**
 * Key of the session-level advisory lock that serialises migrations across processes. drizzle's
 * migrator runs every pending migration in one transaction but does not lock: two processes
 * starting together would both see "0000 not applied" and the second would fail on CREATE TABLE.
 * Arbitrary constant, unique to this application's migrations ("CoinPays" in ASCII).
 */
const MIGRATION_LOCK_KEY = 0x436f696e50617973n;

type JournalEntry = { idx: number; tag: string; when: number };

function readMigrationJournal(): JournalEntry[] {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, "utf8")) as {
    entries: JournalEntry[];
  };
  return journal.entries;
}

export async function openDatabase(database: ServerConfig["database"], logger: Logger): Promise<Database> {
  if (database.kind === "postgres") return openPostgres(database.url, logger);
  return openPglite(database.dataDir, logger);
}

async function openPostgres(url: string, logger: Logger): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
  // Without a listener, an idle client losing its connection (database restart) kills the process.
  pool.on("error", (error) => logger.error({ err: error }, "idle database connection failed"));
  const db = drizzleNodePostgres(pool, { schema });

  return {
    kind: "postgres",
    db,
    async migrate() {
      const client = await pool.connect();
      let failure: Error | undefined;
      try {
        await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
        try {
          // Run on the connection that holds the lock, so the lock covers exactly this work.
          await migrateNodePostgres(drizzleNodePostgres(client), { migrationsFolder: MIGRATIONS_FOLDER });
          await migrateNodePostgres(drizzleNodePostgres(client), P2P_MIGRATIONS);
        } finally {
          await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]);
        }
      } catch (error) {
        failure = error as Error;
        throw error;
      } finally {
        // A client whose state is unknown (lock possibly still held) is destroyed, not reused.
        client.release(failure);
      }
    },
    migrationStatus: () => readMigrationStatus(db),
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string, logger: Logger): Promise<Database> {
  // PGlite runs Postgres inside this process, so there is no other process to race with;
  // a data directory must never be opened by two processes at once.
  await mkdir(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  await client.waitReady;
  logger.debug({ dataDir }, "embedded PGlite database opened");
  const db = drizzlePglite(client, { schema });

  return {
    kind: "pglite",
    db,
    async migrate() {
      await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
      await migratePglite(db, P2P_MIGRATIONS);
    },
    migrationStatus: () => readMigrationStatus(db),
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      await client.close();
    },
  };
}

/** Compares drizzle's bookkeeping table with the migrations shipped in this build. */
async function readMigrationStatus(db: AppDatabase): Promise<MigrationStatus> {
  const journal = readMigrationJournal();
  const [bookkeeping] = rowsOf<{ exists: boolean }>(
    await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`),
  );
  if (!bookkeeping?.exists) return { applied: 0, pending: journal.length, latest: null };

  const applied = rowsOf<{ created_at: string }>(
    await db.execute(sql`select created_at from drizzle.__drizzle_migrations`),
  );
  // drizzle records each migration's journal timestamp ("when") as created_at.
  const appliedTimestamps = new Set(applied.map((row) => Number(row.created_at)));
  const appliedEntries = journal.filter((entry) => appliedTimestamps.has(entry.when));
  return {
    applied: applied.length,
    pending: journal.length - appliedEntries.length,
    latest: appliedEntries.at(-1)?.tag ?? null,
  };
}

/** Both drivers return `{ rows }`, but drizzle types the raw result per driver. */
function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
