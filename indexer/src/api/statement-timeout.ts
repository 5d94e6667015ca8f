// A statement timeout for every query the API runs: the analytics routes and, when switched on, Ponder's SQL
// over HTTP, whose queries the caller writes. Ponder 0.17 opens these on its read-only pool with a 30 s
// statement_timeout and takes one pool config for all its pools (ponder.config.ts `poolConfig`), so the
// setting cannot go there without also cutting off indexing's writes; it is set here, on the API's own pool.

interface PoolClient {
  query(text: string): Promise<unknown>;
}
interface Pool {
  on(event: "acquire", listener: (client: PoolClient) => void): unknown;
  totalCount: number;
}

/**
 * Sets `statement_timeout` on each connection of the pool behind `db` (the API's read-only Drizzle database,
 * whose `$client` is a node-postgres Pool on PostgreSQL) before its first use by this process. The pool emits
 * "acquire" before it hands a connection out, so the SET is queued ahead of the caller's first statement, and
 * it holds for the connection's life (session level, outside any transaction). On PGlite (the local stack,
 * embedded and single-user) there is no pool, and nothing to set.
 */
export function applyStatementTimeout(db: unknown, timeoutMs: number): void {
  const pool = (db as { $client?: unknown }).$client as Partial<Pool> | undefined;
  if (typeof pool?.on !== "function" || typeof pool.totalCount !== "number") return;
  const configured = new WeakSet<PoolClient>();
  pool.on("acquire", (client) => {
    if (configured.has(client)) return;
    configured.add(client);
    // A failed SET means a broken connection; the caller's own statement on it fails with the real error.
    client.query(`SET statement_timeout = ${Math.trunc(timeoutMs)}`).catch(() => undefined);
  });
}
