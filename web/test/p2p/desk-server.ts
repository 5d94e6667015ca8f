// The production server with the P2P desk on a fresh PostgreSQL database, for the attack and fuzz
// tests of the desk's routes. The test arranges state (sellers, requests, orders) through an
// in-process desk on the same database, which is quicker and independent of the sign-up flow, and
// then attacks the real server over HTTP. `fingerprint()` digests every P2P table, so a test can
// show that a refused request changed nothing at all (no row added, changed or removed).
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { openDatabase, type Database } from "../../server/db/index.ts";
import { checkInvariants } from "../../server/p2p/ledger/invariants.ts";
import type { TxRunner } from "../../server/p2p/sql.ts";
import { startFakeChain, startFakeIndexer, type FakeDependency } from "../support/fake-dependencies.ts";
import { createTemporaryDatabase, withClient, type TemporaryDatabase } from "../support/postgres.ts";
import { startServerProcess, TEST_ENCRYPTION_KEYS, type ServerProcess } from "../support/server-process.ts";
import { loadP2PConfig } from "../../server/p2p/config.ts";
import { startP2P, type P2PServices } from "../../server/p2p/index.ts";
import { parseKeyring } from "../../server/secrets/keyring.ts";
import { allowedUnsafeFeatures } from "../../server/unsafe-features.ts";

export type HttpAnswer = { status: number; json: any; text: string; headers: Headers };

export type DeskServer = {
  server: ServerProcess;
  url: string;
  database: TemporaryDatabase;
  handle: Database;
  /** An in-process desk on the same database, for arranging state. */
  p2p: P2PServices;
  /** A session cookie for a user (a session row as sign-in writes it). */
  sessionCookie(userId: string): Promise<string>;
  call(method: string, path: string, options?: { cookie?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; localAddress?: string }): Promise<HttpAnswer>;
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** A digest of every P2P table's rows: equal before and after means nothing was written. */
  fingerprint(): Promise<Record<string, string>>;
  violations(): Promise<string[]>;
  close(): Promise<void>;
};

export async function startDeskServer(label: string, env: Record<string, string> = {}, deskEnv: Record<string, string> = {}): Promise<DeskServer> {
  const database = await createTemporaryDatabase(label);
  let chain: FakeDependency | undefined;
  let indexer: FakeDependency | undefined;
  let server: ServerProcess | undefined;
  let handle: Database | undefined;
  try {
    chain = await startFakeChain(31337, 1n);
    indexer = await startFakeIndexer(200);
    server = await startServerProcess({
      DATABASE_URL: database.url,
      RPC_URL: chain.url,
      INDEXER_URL: indexer.url,
      GATEWAY_WORKERS: "off",
      P2P_COOLDOWN_SECONDS: "0",
      P2P_SWEEP_INTERVAL_MS: "3600000",
      ...env,
    });
    handle = await openDatabase({ kind: "postgres", url: database.url }, pino({ level: "silent" }));
    // The server's keyring, so credentials sealed here open there.
    const config = loadP2PConfig(
      { NODE_ENV: "test", P2P_COOLDOWN_SECONDS: "0", ...deskEnv },
      { production: false, unsafeFeatures: allowedUnsafeFeatures(false, new Set()), keyring: parseKeyring(TEST_ENCRYPTION_KEYS) },
    );
    const p2p = await startP2P({ database: handle, config, sweeper: false });
    const db = handle.db as unknown as TxRunner;
    const running = server;
    const opened = handle;
    const query = <T,>(text: string, params: unknown[] = []) => withClient(database.url, async (c) => (await c.query(text, params)).rows as T[]);
    return {
      server: running,
      url: running.url,
      database,
      handle: opened,
      p2p,
      async sessionCookie(userId) {
        const token = randomBytes(32).toString("base64url");
        await db.execute(
          sql`insert into p2p_sessions (token_hash, user_id, expires_at)
              values (${createHash("sha256").update(token).digest("hex")}, ${userId}, ${new Date(Date.now() + 3_600_000).toISOString()})`,
        );
        return `p2p_session=${token}`;
      },
      call: (method, path, options = {}) => request(running.url, method, path, options),
      query,
      async fingerprint() {
        const tables = await query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = 'public' and table_name like 'p2p\\_%' order by 1`);
        const digest: Record<string, string> = {};
        for (const { name } of tables) {
          const [row] = await query<{ d: string | null; n: number }>(`select md5(string_agg(t::text, '|' order by t::text)) as d, count(*)::int as n from "${name}" t`);
          digest[name] = `${row!.n}:${row!.d ?? "-"}`;
        }
        return digest;
      },
      violations: async () => (await checkInvariants(db)).violations,
      async close() {
        // The server's own errors, so a failing run shows why it answered 500.
        for (const line of running.logs.filter((entry) => entry.level >= 50)) console.error(`server: ${JSON.stringify(line).slice(0, 2_000)}`);
        await p2p.stop();
        await opened.close();
        await running.stop("SIGKILL").catch(() => undefined);
        await Promise.all([chain?.close(), indexer?.close()]);
        await database.drop();
      },
    };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await server?.stop("SIGKILL").catch(() => undefined);
    await Promise.all([chain?.close(), indexer?.close()]);
    await database.drop();
    throw error;
  }
}

/** One HTTP request with node:http (so a test can choose the local address it comes from). */
export function request(
  base: string,
  method: string,
  path: string,
  options: { cookie?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<HttpAnswer> {
  const url = new URL(path, base);
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    ...(payload !== undefined ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}),
    // A signed-in browser on the site's own pages sends its Origin; cookie writes without it are
    // cross-site (server/security/cross-site.ts). A test that wants otherwise sets the header itself.
    ...(options.cookie ? { cookie: options.cookie, origin: url.origin } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, headers, localAddress: options.localAddress, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const responseHeaders = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) responseHeaders.set(k, Array.isArray(v) ? v.join(", ") : v);
          resolve({ status: res.statusCode ?? 0, json, text, headers: responseHeaders });
        });
      },
    );
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
    req.end(payload);
  });
}
