// Small helpers over drizzle's `execute` so services can write plain SQL that runs the same on
// node-postgres and PGlite (both return `{ rows }`; numeric and int8 arrive as strings or bigint).
import { createHash } from "node:crypto";
import type { SQL } from "drizzle-orm";

export type Executor = { execute(query: SQL): Promise<unknown> };
/** A database handle that can open transactions (drizzle's db or a transaction). */
export type TxRunner = Executor & { transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> };

export async function rows<T = Record<string, unknown>>(db: Executor, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as { rows: T[] };
  return result.rows;
}

type PreparingExecutor = {
  dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } };
  session: { prepareQuery(query: { sql: string; params: unknown[] }, fields: undefined, name: string, arrayMode: boolean): { execute(): Promise<unknown> } };
};

/**
 * `rows` as a named prepared statement: node-postgres parses and plans it once per connection
 * instead of on every call (in the matcher benchmark ≈ 30 % of the CPU of the backends serving
 * the service's own queries went to planning the same few texts again). Only for hot queries of
 * fixed text: a name stands for one text for the life of the process. PGlite ignores the name.
 */
export async function preparedRows<T = Record<string, unknown>>(db: Executor, name: string, query: SQL): Promise<T[]> {
  const handle = db as unknown as Partial<PreparingExecutor>;
  if (!handle.dialect || !handle.session) return rows<T>(db, query);
  const result = (await handle.session.prepareQuery(handle.dialect.sqlToQuery(query), undefined, name, false).execute()) as { rows: T[] };
  return result.rows;
}

export async function one<T = Record<string, unknown>>(db: Executor, query: SQL): Promise<T | undefined> {
  return (await rows<T>(db, query))[0];
}

export function big(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return BigInt(value);
  if (typeof value === "string") return BigInt(value);
  if (value === null || value === undefined) return 0n;
  throw new TypeError(`not an integer: ${String(value)}`);
}

/** SHA-256 over a canonical JSON form (sorted keys, bigint as decimal strings). */
export function canonicalHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

export function canonicalJson(value: unknown): string {
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** SQLSTATEs that only mean "another transaction was in the way" (deadlock victim, serialization): run it again. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(["40P01", "40001"]);

/** Postgres error code of a driver error (node-postgres and PGlite both expose `code`). */
export function pgCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function constraintOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth += 1) {
    const constraint = (current as { constraint?: unknown }).constraint;
    if (typeof constraint === "string") return constraint;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
