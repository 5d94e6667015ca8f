// A fresh, migrated PostgreSQL database per P2P test file (dropped afterwards).
import { pino } from "pino";
import { openDatabase, type Database } from "../../server/db/index.ts";
import { clearAccountCache } from "../../server/p2p/ledger/index.ts";
import { createTemporaryDatabase, type TemporaryDatabase } from "../support/postgres.ts";

export type P2PTestDatabase = { database: Database; temporary: TemporaryDatabase; close(): Promise<void> };

export async function openTestDatabase(label: string): Promise<P2PTestDatabase> {
  const temporary = await createTemporaryDatabase(label);
  const database = await openDatabase({ kind: "postgres", url: temporary.url }, pino({ level: "silent" }));
  await database.migrate();
  clearAccountCache();
  return {
    database,
    temporary,
    async close() {
      await database.close();
      await temporary.drop();
    },
  };
}
