/**
 * The indexer's HTTP API is the web server's private back end, not a public service: a real EDR chain with
 * CoinPays deployed and seeded, Ponder on PostgreSQL, and callers that are not the web server. Without the
 * shared secret every data route answers 401; Ponder's SQL-over-HTTP and GraphQL are absent unless switched
 * on, and when on they still need the secret and their queries are cut off by a statement timeout; the
 * server listens on loopback only; a production indexer without a secret of its own does not start.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { networkInterfaces } from "node:os";
import { describe, it } from "node:test";
import pg from "pg";
import { DEMO, seedLocalChain } from "../../scripts/lib/seed.ts";
import { freePort, startProcess, type ManagedProcess } from "../../scripts/lib/processes.ts";
import { PONDER_CLI, startPonder } from "../../scripts/lib/ponder.ts";
import { deployedLocalChain, freshDatabase, INDEXER_DIR, startIndexer, startServe, TEST_INDEXER_API_SECRET, type RunningIndexer } from "./support.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const merchant = DEMO.merchant.address;
const now = Math.floor(Date.now() / 1000);
const range = `from=${now - 7 * 86_400}&to=${now + 86_400}&interval=day`;

/** Every route of indexer/src/api that reads indexed data, as a caller would send it. */
const DATA_ROUTES: Array<{ name: string; path: string; init?: RequestInit }> = [
  { name: "payments", path: `/merchants/${merchant}/payments` },
  ...["revenue", "top-payers", "payment-methods", "refunds", "split-payouts", "loyalty", "lending"].map((metric) => ({
    name: `analytics/${metric}`,
    path: `/analytics/${metric}?merchant=${merchant}&${range}`,
  })),
  { name: "analytics CSV", path: `/analytics/revenue?merchant=${merchant}&${range}&format=csv` },
];

/** A query string for Ponder's SQL-over-HTTP (`@ponder/client`'s GET /sql/db?sql=<superjson>). */
const sqlPath = (text: string) => `/sql/db?sql=${encodeURIComponent(JSON.stringify({ json: { sql: text, params: [], typings: [] } }))}`;
const graphqlInit = (query: string): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
const withSecret = (init: RequestInit = {}, secret = TEST_INDEXER_API_SECRET): RequestInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${secret}` } });

async function status(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.body?.cancel();
  return response.status;
}

/** This machine's first non-loopback IPv4 address, or undefined when it has none. */
function externalAddress(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === "IPv4" && !entry.internal) return entry.address;
  }
  return undefined;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 3_000 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}

/** Resolves with the exit code and output once the process ends; rejects if it still runs after `ms`. */
async function exitOf(process: ManagedProcess, ms: number): Promise<{ code: number | null; output: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms:\n${process.output().slice(-2_000)}`)), ms);
  });
  try {
    const exited = new Promise<number | null>((resolve) => {
      if (process.child.exitCode !== null || process.child.signalCode !== null) resolve(process.child.exitCode);
      else process.child.once("exit", (code) => resolve(code));
    });
    const code = await Promise.race([exited, timeout]);
    // Output still buffered in the pipes arrives a moment after "exit".
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { code, output: process.output() };
  } finally {
    clearTimeout(timer);
    await process.stop().catch(() => undefined);
  }
}

describe("the indexer API to callers other than the web server", { timeout: 400_000, skip: !DATABASE_URL && "DATABASE_URL is not set" }, () => {
  const local = deployedLocalChain();
  let databaseUrl: string;
  let indexer: RunningIndexer;
  let open: { url: string; process: ManagedProcess };

  it("indexes the seeded chain (setup: a default indexer, and a read API with SQL and GraphQL switched on)", async () => {
    await seedLocalChain(local.chain.rpcUrl, local.deployment, () => {});
    databaseUrl = await freshDatabase(DATABASE_URL!, "security");
    indexer = await startIndexer({ databaseUrl, rpcUrl: local.chain.rpcUrl });
    // `ponder serve` on the indexer's schema: the read-only API process of a deployment, here with Ponder's own
    // query APIs on and a 1 s statement timeout so the test can see a query cut off.
    open = await startServe({
      databaseUrl,
      rpcUrl: local.chain.rpcUrl,
      schema: indexer.schema,
      env: { INDEXER_SQL_API: "on", INDEXER_GRAPHQL: "on", INDEXER_API_STATEMENT_TIMEOUT_MS: "1000" },
    });
  });

  it("without the secret, or with a wrong one, every data route answers 401", async () => {
    for (const base of [indexer.url, open.url]) {
      for (const route of [...DATA_ROUTES, { name: "sql", path: sqlPath("select count(*) from payment") }, { name: "graphql", path: "/graphql", init: graphqlInit("{ payments { items { id } } }") }]) {
        assert.equal(await status(`${base}${route.path}`, route.init), 401, `${route.name} on ${base} with no credential`);
        assert.equal(await status(`${base}${route.path}`, withSecret(route.init, `${TEST_INDEXER_API_SECRET}x`)), 401, `${route.name} on ${base} with a wrong secret`);
        assert.equal(await status(`${base}${route.path}`, withSecret(route.init, TEST_INDEXER_API_SECRET.slice(0, -1))), 401, `${route.name} on ${base} with a prefix of the secret`);
        const asBasic = { ...route.init, headers: { ...(route.init?.headers as Record<string, string>), authorization: `Basic ${Buffer.from(`x:${TEST_INDEXER_API_SECRET}`).toString("base64")}` } };
        assert.equal(await status(`${base}${route.path}`, asBasic), 401, `${route.name} on ${base} with the secret as Basic credentials`);
      }
      // The health checks a load balancer and the web server's /health call stay open.
      assert.equal(await status(`${base}/health`), 200);
      assert.equal(await status(`${base}/ready`), 200);
    }
  });

  it("with the secret, the data routes answer 200", async () => {
    for (const base of [indexer.url, open.url]) {
      for (const route of DATA_ROUTES) assert.equal(await status(`${base}${route.path}`, withSecret(route.init)), 200, `${route.name} on ${base}`);
      const payments = (await (await fetch(`${base}/merchants/${merchant}/payments`, withSecret())).json()) as { data: unknown[] };
      assert.ok(payments.data.length >= 2, "the seeded payments are served");
    }
  });

  it("SQL-over-HTTP and GraphQL are not there unless switched on, even with the secret", async () => {
    assert.equal(await status(`${indexer.url}${sqlPath("select count(*) from payment")}`, withSecret()), 404);
    assert.equal(await status(`${indexer.url}/sql/live?sql=x`, withSecret()), 404);
    assert.equal(await status(`${indexer.url}/graphql`, withSecret(graphqlInit("{ payments { items { id } } }"))), 404);
    assert.equal(await status(`${indexer.url}/graphql`, withSecret()), 404, "no GraphiQL page either");
    // Switched on, they answer the web server's secret.
    assert.equal(await status(`${open.url}${sqlPath("select count(*) from payment")}`, withSecret()), 200);
    const graphql = await fetch(`${open.url}/graphql`, withSecret(graphqlInit("{ payments { items { id } } }")));
    assert.equal(graphql.status, 200);
    assert.ok(((await graphql.json()) as { data: { payments: { items: unknown[] } } }).data.payments.items.length >= 2);
  });

  it("with SQL switched on, a query that runs past the statement timeout is cancelled, and only two run at once", async () => {
    // Ponder's SQL validator refuses pg_sleep (function calls outside its allow-list), so a long query is a
    // cross join it accepts: 30 copies of a table of 3 or more rows is over 10^14 rows, days of work. Three
    // at once (different texts, so Ponder's result cache does not merge them): the third is turned away.
    const crossJoin = (copies: number) => `select count(*) from ${Array.from({ length: copies }, (_, i) => `payment p${i}`).join(", ")}`;
    const started = performance.now();
    const answers = await Promise.all(
      [30, 31, 32].map(async (copies) => {
        const response = await fetch(`${open.url}${sqlPath(crossJoin(copies))}`, withSecret());
        return { status: response.status, body: await response.text(), ms: performance.now() - started };
      }),
    );
    const busy = answers.filter((answer) => answer.status === 503);
    const cancelled = answers.filter((answer) => answer.status === 500);
    assert.equal(busy.length, 1, JSON.stringify(answers));
    assert.ok(busy[0]!.ms < 5_000, `the third query waited ${Math.round(busy[0]!.ms)} ms for its 503`);
    assert.equal(cancelled.length, 2, JSON.stringify(answers));
    for (const answer of cancelled) {
      assert.match(answer.body, /canceling statement due to statement timeout/);
      // Ponder runs a failed statement 10 times with back-off (~64 s of waiting in all): 10 × 1 s + 64 s here;
      // with Ponder's own 30 s timeout it would be 10 × 30 s + 64 s.
      assert.ok(answer.ms < 120_000, `cancelled after ${Math.round(answer.ms)} ms`);
    }
    // The statements are gone from the database, not just abandoned by the HTTP handler.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const running = await db.query(`select count(*)::int as n from pg_stat_activity where pid <> pg_backend_pid() and state = 'active' and query like '%p29%'`);
      assert.equal(running.rows[0].n, 0, "a cross join still runs in PostgreSQL");
    } finally {
      await db.end();
    }
  });

  it("listens on loopback only: a connection to the machine's network address is refused", async (t) => {
    const address = externalAddress();
    if (!address) return t.skip("this machine has no non-loopback IPv4 address");
    for (const base of [indexer.url, open.url]) {
      const port = Number(new URL(base).port);
      assert.equal(await accepts("127.0.0.1", port), true, `${base} answers on loopback`);
      assert.equal(await accepts(address, port), false, `${base} accepts connections on ${address}`);
    }
  });

  it("started without an explicit hostname (Ponder's default is every interface), Ponder refuses to run", async () => {
    const port = await freePort();
    const bare = startProcess(process.execPath, [PONDER_CLI, "serve", "--schema", indexer.schema, "--port", String(port)], {
      cwd: INDEXER_DIR,
      label: "indexer-bare",
      env: { ...process.env, PONDER_TELEMETRY_DISABLED: "true", DATABASE_URL: databaseUrl, PONDER_RPC_URL_31337: local.chain.rpcUrl, INDEXER_API_SECRET: TEST_INDEXER_API_SECRET, PORT: String(port) },
    });
    const { code, output } = await exitOf(bare, 60_000);
    assert.notEqual(code, 0);
    assert.match(output, /--hostname/);
  });

  it("in production, an indexer without a secret, or with the public development one, refuses to start", async () => {
    for (const secret of [undefined, "coinpays-dev-indexer-api-secret", "short"]) {
      const port = await freePort();
      const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: "production", PONDER_TELEMETRY_DISABLED: "true", DATABASE_URL: databaseUrl, PONDER_RPC_URL_31337: local.chain.rpcUrl, PORT: String(port) };
      delete env.INDEXER_API_SECRET;
      if (secret !== undefined) env.INDEXER_API_SECRET = secret;
      const server = startPonder(["serve", "--schema", indexer.schema, "--port", String(port)], { cwd: INDEXER_DIR, label: "indexer-production", env });
      const { code, output } = await exitOf(server, 60_000);
      assert.notEqual(code, 0, `started with INDEXER_API_SECRET=${secret}`);
      assert.match(output, /INDEXER_API_SECRET/);
      assert.equal(await accepts("127.0.0.1", port), false);
    }
  });

  it("stops its processes and drops its database", async () => {
    await open?.process.stop();
    await indexer?.process.stop();
    if (databaseUrl) {
      const target = new URL(databaseUrl);
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      await admin.query(`drop database if exists "${target.pathname.slice(1)}" with (force)`).finally(() => admin.end());
    }
  });
});
