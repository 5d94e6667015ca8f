// P2P matcher benchmark: how many buyer orders per second the desk matches and settles with 200
// concurrent buyers against 20 sellers, beside pgbench's simple-update rate (`pgbench -N -c 8`) on
// the same PostgreSQL server in the same run. Zero invariant violations is part of the result.
//
// Run: node_modules/node/bin/node scripts/bench/p2p-matcher.ts   (DATABASE_URL: server to use,
// default postgres://postgres@127.0.0.1:5432/postgres; scratch databases are created and dropped)
//
// One "match" is a full cycle as a buyer experiences it: createOrder (FIFO head with SELECT … FOR
// UPDATE SKIP LOCKED, pending ledger transfer, reservation, sandbox invoice), the payment at the
// sandbox, and confirm (provider status call, post under the row lock). Matches/s counts cycles that
// ended posted.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../../web/server/db/index.ts";
import { createLogger } from "../../web/server/logger.ts";
import { loadP2PConfig } from "../../web/server/p2p/config.ts";
import { startP2P } from "../../web/server/p2p/index.ts";
import { createSeller, createVerifiedUser } from "../../web/test/p2p/support.ts";
import { ROOT } from "../lib/paths.ts";
import { processCpuSeconds } from "../lib/processes.ts";
import { createTemporaryDatabase, withClient } from "../../web/test/support/postgres.ts";

// The web server's own pg module (the desk's pool uses it): counted to report round trips per cycle.
const pg = createRequire(path.join(ROOT, "web/package.json"))("pg") as { Client: { prototype: { query: (...args: unknown[]) => unknown } } };
const BUYERS = Number(process.env.BENCH_BUYERS ?? 200);
const SELLERS = Number(process.env.BENCH_SELLERS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

function pgbench(url: URL, init = false): { tps: number; raw: string; transactions: number; walKiBPerTransaction: number } {
  const args = ["-h", url.hostname, "-p", url.port || "5432", "-U", decodeURIComponent(url.username || "postgres")];
  const db = url.pathname.slice(1);
  if (init) {
    execFileSync("pgbench", [...args, "-i", "-q", db], { stdio: "pipe" });
    return { tps: 0, raw: "", transactions: 0, walKiBPerTransaction: 0 };
  }
  const raw = execFileSync("pgbench", [...args, "-N", "-c", "8", "-j", "2", "-T", String(SECONDS), db], { encoding: "utf8", stdio: "pipe" });
  const tps = Number(/tps = ([\d.]+)/.exec(raw)?.[1]);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(raw)?.[1] ?? 0);
  return { tps, raw, transactions, walKiBPerTransaction: 0 };
}

async function main() {
  // The web server's own logger, silenced: the benchmark prints its own table.
  const logger = createLogger({ logLevel: "silent", nodeEnv: "production" });

  // Baseline: pgbench simple-update on a scratch database of the same server.
  const scratch = await createTemporaryDatabase("bench_pgbench");
  let baseline;
  try {
    process.stdout.write(`pgbench -N -c 8 -T ${SECONDS} … `);
    const lsn = () => withClient(scratch.url, async (c) => String((await c.query("select pg_current_wal_lsn()::text as l")).rows[0].l));
    pgbench(new URL(scratch.url), true);
    const before = await lsn();
    baseline = pgbench(new URL(scratch.url));
    const after = await lsn();
    const walBytes = await withClient(scratch.url, async (c) => Number((await c.query("select pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn) as d", [after, before])).rows[0].d));
    // Server-wide WAL, like the matcher's figure below.
    baseline.walKiBPerTransaction = Number((walBytes / 1024 / Math.max(1, baseline.transactions)).toFixed(2));
    console.log(`${baseline.tps.toFixed(0)} tps`);
  } finally {
    await scratch.drop();
  }

  const desk = await createTemporaryDatabase("bench_p2p");
  // Per-function time of the desk's PL/pgSQL functions (pg_stat_user_functions) for the profile.
  await withClient(desk.url, (c) => c.query(`alter database "${desk.name}" set track_functions = 'pl'`));
  const database = await openDatabase({ kind: "postgres", url: desk.url }, logger);
  try {
    await database.migrate();
    const config = loadP2PConfig({ NODE_ENV: "test", P2P_COOLDOWN_SECONDS: "0", P2P_TRADE_FEE_BPS: process.env.BENCH_TRADE_FEE_BPS ?? "100" });
    const p2p = await startP2P({ database, config, sweeper: false });
    const serverVersion = await withClient(desk.url, async (c) => (await c.query("show server_version")).rows[0].server_version as string);

    process.stdout.write(`setting up ${SELLERS} sellers and ${BUYERS} buyers … `);
    for (let i = 0; i < SELLERS; i += 1) {
      await createSeller(p2p, database, `bs${i}`, { deposit: 10_000_000_000n, request: { amount: 9_000_000_000n, min: 100n, max: 100_000n } });
    }
    const buyers = await Promise.all(Array.from({ length: BUYERS }, (_, i) => createVerifiedUser(database, `bb${i}`)));
    console.log("done");

    // Profile: SQL round trips (every client.query), commits (pg_stat_database), Node CPU, and what
    // the desk's server backends are doing, sampled every 50 ms from pg_stat_activity.
    let queries = 0;
    const originalQuery = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
      queries += 1;
      return originalQuery.apply(this, args);
    };
    const commits = () =>
      withClient(desk.url, async (c) => Number((await c.query("select xact_commit from pg_stat_database where datname = current_database()")).rows[0].xact_commit));
    const waits: Record<string, number> = {};
    let sampling = true;
    const sampler = withClient(desk.url, async (c) => {
      while (sampling) {
        const r = await c.query(
          `select coalesce(wait_event_type || ':' || wait_event, 'CPU (running)') as w, count(*)::int as n from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid() and state = 'active' group by 1`,
        );
        for (const row of r.rows as { w: string; n: number }[]) waits[row.w] = (waits[row.w] ?? 0) + row.n;
        waits["(samples)"] = (waits["(samples)"] ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    const stage = { createOrder: [] as number[], pay: [] as number[], confirm: [] as number[] };
    const walLsn = () => withClient(desk.url, async (c) => String((await c.query("select pg_current_wal_lsn()::text as l")).rows[0].l));
    // CPU of the desk database's backends (the pool's connections; the server is on this machine),
    // per posted cycle: unlike throughput it hardly depends on what else runs on the two cores.
    const backendPids = () =>
      withClient(desk.url, async (c) =>
        ((await c.query("select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")).rows as { pid: number }[]).map(
          (row) => row.pid,
        ),
      );
    const backendCpuBefore = new Map((await backendPids()).map((pid) => [pid, processCpuSeconds(pid) ?? 0]));
    const walBefore = await walLsn();
    const commitsBefore = await commits();
    const queriesBefore = queries;
    const cpuBefore = process.cpuUsage();

    let matched = 0;
    let posted = 0;
    let refused = 0;
    const latencies: number[] = [];
    const deadline = performance.now() + SECONDS * 1000;
    const started = performance.now();
    process.stdout.write(`${BUYERS} buyers matching for ${SECONDS} s … `);
    await Promise.all(
      buyers.map(async (buyer) => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          const amount = BigInt(100 + Math.floor(Math.random() * 10_000));
          let order;
          try {
            order = await p2p.desk.createOrder(buyer, { amount, method: "sandbox", idempotencyKey: randomUUID() });
          } catch {
            refused += 1;
            continue;
          }
          const t1 = performance.now();
          matched += 1;
          const invoiceId = order.reservation?.invoiceId;
          if (!invoiceId) continue;
          await p2p.sandbox.pay(invoiceId, { notify: false });
          const t2 = performance.now();
          if ((await p2p.desk.confirm(order.reservation!.id)) === "posted") posted += 1;
          const t3 = performance.now();
          stage.createOrder.push(t1 - t0);
          stage.pay.push(t2 - t1);
          stage.confirm.push(t3 - t2);
          latencies.push(t3 - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    let backendCpuSeconds = 0;
    for (const pid of await backendPids()) backendCpuSeconds += (processCpuSeconds(pid) ?? 0) - (backendCpuBefore.get(pid) ?? 0);
    const cycleQueries = queries - queriesBefore;
    sampling = false;
    await sampler;
    pg.Client.prototype.query = originalQuery;
    const cycleCommits = (await commits()) - commitsBefore;
    const functionTimes = await withClient(desk.url, async (c) =>
      (
        await c.query(
          `select funcname as name, calls, round((self_time / $1)::numeric, 3)::float as self_ms, round((total_time / $1)::numeric, 3)::float as total_ms
           from pg_stat_user_functions where funcname like 'p2p%' order by self_time desc`,
          [Math.max(1, posted)],
        )
      ).rows as { name: string; calls: number; self_ms: number; total_ms: number }[],
    );
    const walBytes = await withClient(desk.url, async (c) =>
      Number((await c.query("select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) as d", [walBefore])).rows[0].d),
    );
    console.log("done");
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const samples = waits["(samples)"] ?? 1;
    const profile = {
      roundTripsPerCycle: Number((cycleQueries / Math.max(1, posted)).toFixed(1)),
      commitsPerCycle: Number((cycleCommits / Math.max(1, posted)).toFixed(1)),
      /** Server-wide WAL (other databases' work included on a shared server): an upper bound. */
      walKiBPerCycle: Number((walBytes / 1024 / Math.max(1, posted)).toFixed(1)),
      nodeCpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
      /** CPU per posted cycle: the Node process (service layer and load generator) and the desk's PostgreSQL backends. */
      cpuMsPerCycle: {
        node: Number((((cpu.user + cpu.system) / 1e3) / Math.max(1, posted)).toFixed(2)),
        postgres: Number(((backendCpuSeconds * 1e3) / Math.max(1, posted)).toFixed(2)),
      },
      /** Server time per posted cycle in each PL/pgSQL function (self = excluding the functions it calls). */
      functionMsPerCycle: Object.fromEntries(functionTimes.map((f) => [f.name, { self: f.self_ms, total: f.total_ms, calls: Number(f.calls) }])),
      stageMedianMs: Object.fromEntries(Object.entries(stage).map(([k, v]) => [k, Math.round(median(v))])),
      activeBackendsByWait: Object.fromEntries(
        Object.entries(waits)
          .filter(([k]) => k !== "(samples)")
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [k, Number((v / samples).toFixed(2))]),
      ),
    };
    const report = await p2p.desk.checkInvariants();
    await p2p.stop();

    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    const matchesPerSecond = posted / elapsed;
    const cpus = os.cpus();
    const result = {
      name: "p2p-matcher",
      date: new Date().toISOString(),
      machine: {
        cpu: cpus[0]?.model ?? "unknown",
        cores: cpus.length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        postgres: serverVersion,
      },
      params: { buyers: BUYERS, sellers: SELLERS, seconds: SECONDS, pool: 10 },
      baseline: { pgbenchSimpleUpdateTps: Math.round(baseline.tps), clients: 8, walKiBPerTransaction: baseline.walKiBPerTransaction },
      matcher: {
        matched,
        posted,
        refused,
        elapsedSeconds: Number(elapsed.toFixed(2)),
        matchesPerSecond: Number(matchesPerSecond.toFixed(1)),
        cycleLatencyMs: { p50: Math.round(pct(50)), p95: Math.round(pct(95)), p99: Math.round(pct(99)) },
        ratioToPgbench: Number((matchesPerSecond / baseline.tps).toFixed(3)),
      },
      profile,
      invariants: { ok: report.ok, violations: report.violations.length, ...report.checked },
      targets: { matchesPerSecond: 300, ratioToPgbench: 0.2 },
    };

    const rowsOut: [string, string][] = [
      ["machine", `${result.machine.cpu} × ${result.machine.cores}, ${result.machine.memoryGiB} GiB`],
      ["node / postgres", `${result.machine.node} / ${result.machine.postgres}`],
      ["pgbench -N -c 8 (baseline)", `${result.baseline.pgbenchSimpleUpdateTps} tps, WAL ≤ ${baseline.walKiBPerTransaction} KiB/transaction`],
      [`matches/s (${BUYERS} buyers, ${SELLERS} sellers)`, `${result.matcher.matchesPerSecond}`],
      ["matches / pgbench", `${(result.matcher.ratioToPgbench * 100).toFixed(1)} %`],
      ["cycle latency p50 / p95 / p99", `${result.matcher.cycleLatencyMs.p50} / ${result.matcher.cycleLatencyMs.p95} / ${result.matcher.cycleLatencyMs.p99} ms`],
      ["posted / matched / refused", `${posted} / ${matched} / ${refused}`],
      ["invariant violations", String(report.violations.length)],
      ["round trips / commits / WAL per cycle", `${profile.roundTripsPerCycle} / ${profile.commitsPerCycle} / ≤ ${profile.walKiBPerCycle} KiB`],
      ["Node CPU (% of one core)", `${profile.nodeCpuPercentOfOneCore} %`],
      ["CPU ms per cycle: Node / PostgreSQL", `${profile.cpuMsPerCycle.node} / ${profile.cpuMsPerCycle.postgres}`],
      [
        "PL/pgSQL self ms per cycle",
        functionTimes
          .slice(0, 4)
          .map((f) => `${f.name} ${f.self_ms}`)
          .join(", "),
      ],
      ["stage medians create / pay / confirm", `${profile.stageMedianMs.createOrder} / ${profile.stageMedianMs.pay} / ${profile.stageMedianMs.confirm} ms`],
      [
        "busy backends by wait (avg)",
        Object.entries(profile.activeBackendsByWait)
          .slice(0, 5)
          .map(([k, v]) => `${k} ${v}`)
          .join(", "),
      ],
    ];
    const width = Math.max(...rowsOut.map(([k]) => k.length));
    console.log();
    for (const [k, v] of rowsOut) console.log(`${k.padEnd(width)}  ${v}`);

    mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
    writeFileSync(path.join(ROOT, "bench/results/p2p-matcher.json"), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote bench/results/p2p-matcher.json`);
    if (!report.ok) {
      console.error(report.violations.join("\n"));
      process.exitCode = 1;
    }
  } finally {
    await database.close();
    await desk.drop();
  }
}

await main();
