// A throwaway database per test file on the PostgreSQL server that DATABASE_URL points at
// (default: the local server, user postgres, trust auth), dropped afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export type TemporaryDatabase = { url: string; name: string; drop(): Promise<void> };

export async function createTemporaryDatabase(label: string): Promise<TemporaryDatabase> {
  const name = `coinpays_web_${label}_${randomBytes(4).toString("hex")}`;
  await withAdminClient((client) => client.query(`create database "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    // FORCE: a leaked connection must not make the next run fail on a left-over database.
    drop: () => withAdminClient((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(serverUrl, work);
}
