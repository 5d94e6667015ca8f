/**
 * Orders API under load against PostgreSQL: order creations (POST /api/v1/orders, each with its own
 * Idempotency-Key) and order reads (GET /api/v1/orders/{id}), through real HTTP to the production server
 * process, with N concurrent clients. Prints throughput and p50/p99 latency beside the machine and the CPU
 * each side used (the load generator shares the machine with the server and PostgreSQL), and writes
 * bench/results/orders-api.json.
 *
 *   node_modules/node/bin/node scripts/bench/orders-api.ts        # needs `pnpm --filter @coinpays/web build`
 *
 * Environment: CONCURRENCY (default 32), BENCH_SECONDS per phase (default 10); the servers inherit the
 * rest of the environment. BENCH_PHASES=create (or read) runs one phase only. BENCH_SERVERS=N runs N
 * server processes on the one database (the first with the gateway workers, the others with
 * GATEWAY_WORKERS=off, as behind a load balancer) and sends the requests to each in turn.
 * BENCH_CPU_PROF=<dir> writes the first server's V8 CPU profile there (it is then stopped with SIGTERM
 * so the profile is flushed). The first server runs its gateway workers (watcher, relay), as in
 * production; the chain is a stub that answers eth_chainId.
 */
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { call, CHAIN_ID, createApiKey, createMerchant, signIn, startGateway } from "../../web/test/gateway/support.ts";
import { startFakeChain, startFakeIndexer } from "../../web/test/support/fake-dependencies.ts";
import { startServerProcess, type ServerProcess } from "../../web/test/support/server-process.ts";
import { ROOT } from "../lib/paths.ts";

const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PROFILE_DIR = process.env.BENCH_CPU_PROF;
const SERVERS = Number(process.env.BENCH_SERVERS ?? 1);
/** Which phases run (a profile of one phase alone reads more easily): "create,read" by default. */
const PHASES = new Set((process.env.BENCH_PHASES ?? "create,read").split(","));

type Cpu = { serverPct: number; serverKernelPct: number; postgresPct: number; loadGeneratorPct: number; machineBusyPct: number; serverCpuMsPerRequest: number; postgresCpuMsPerRequest: number };
type Phase = { requests: number; errors: number; seconds: number; perSecond: number; p50Ms: number; p99Ms: number; cpu: Cpu };

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds of a process (all its threads), from /proc: in user space and in the kernel. */
function processCpu(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS }; // utime, stime
}
const processCpuSeconds = (pid: number) => {
  const { user, system } = processCpu(pid);
  return user + system;
};
/** Busy and total CPU seconds of the whole machine (every core), from /proc/stat. */
function machineCpuSeconds(): { busy: number; total: number } {
  const [, ...values] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const ticks = values.map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3]! + ticks[4]!; // idle + iowait
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

/** CPU seconds of each listed process that still exists. */
function cpuByProcess(pids: number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    try {
      seconds.set(pid, processCpuSeconds(pid));
    } catch {
      // the backend ended (the pool closed an idle connection)
    }
  }
  return seconds;
}

async function load(name: string, serverPids: number[], postgresPids: () => Promise<number[]>, request: (i: number) => Promise<number>): Promise<Phase> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const serversCpu = () => serverPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const serversKernel = () => serverPids.reduce((sum, pid) => sum + processCpu(pid).system, 0);
  const backends = await postgresPids();
  const postgres0 = cpuByProcess(backends);
  const serverCpu0 = serversCpu();
  const serverKernel0 = serversKernel();
  const ownCpu0 = process.cpuUsage();
  const machine0 = machineCpuSeconds();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const i = next++;
        const t0 = performance.now();
        const status = await request(i); // with the whole body read
        latencies.push(performance.now() - t0);
        if (status >= 300) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const ownCpu = process.cpuUsage(ownCpu0);
  // Backends serving this benchmark's database (the servers' pools). A connection the pools opened during
  // the phase counts whole; one closed during the phase is missed.
  const postgres1 = cpuByProcess(await postgresPids());
  const postgresSeconds = [...postgres1].reduce((sum, [pid, cpu]) => sum + cpu - (postgres0.get(pid) ?? 0), 0);
  const machine1 = machineCpuSeconds();
  const cpu: Cpu = {
    serverPct: Math.round(((serversCpu() - serverCpu0) / seconds) * 100),
    // The part spent in the kernel: socket reads and writes (HTTP and PostgreSQL), wake-ups.
    serverKernelPct: Math.round(((serversKernel() - serverKernel0) / seconds) * 100),
    loadGeneratorPct: Math.round(((ownCpu.user + ownCpu.system) / 1e6 / seconds) * 100),
    // 200% = both cores busy; includes PostgreSQL and whatever else runs on the machine.
    machineBusyPct: Math.round(((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * os.cpus().length * 100),
    // Less sensitive to other jobs on the machine than throughput is (they take CPU, not work).
    serverCpuMsPerRequest: Math.round(((serversCpu() - serverCpu0) * 1000 * 100) / Math.max(1, latencies.length)) / 100,
    postgresPct: Math.round((postgresSeconds / seconds) * 100),
    postgresCpuMsPerRequest: Math.round((postgresSeconds * 1000 * 100) / Math.max(1, latencies.length)) / 100,
  };
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]! * 10) / 10;
  const phase = { requests: latencies.length, errors, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(latencies.length / seconds), p50Ms: pct(50), p99Ms: pct(99), cpu };
  console.log(
    `${name}: ${phase.requests} requests, ${phase.perSecond}/s, p50 ${phase.p50Ms} ms, p99 ${phase.p99Ms} ms, ${phase.errors} errors; ` +
      `CPU server ${cpu.serverPct}% (kernel ${cpu.serverKernelPct}%; ${cpu.serverCpuMsPerRequest} ms per request), PostgreSQL ${cpu.postgresPct}% (${cpu.postgresCpuMsPerRequest} ms per request), load generator ${cpu.loadGeneratorPct}%, machine ${cpu.machineBusyPct}% of ${os.cpus().length * 100}%`,
  );
  return phase;
}

if (PROFILE_DIR) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --cpu-prof --cpu-prof-dir=${path.resolve(PROFILE_DIR)}`.trim();
const gateway = await startGateway("bench_orders");
if (PROFILE_DIR) delete process.env.NODE_OPTIONS;
const extraServers: ServerProcess[] = [];
const extraDependencies: { close(): Promise<void> }[] = [];
try {
  if (SERVERS > 1) {
    const [chain, indexer] = await Promise.all([startFakeChain(CHAIN_ID, 1n), startFakeIndexer(200)]);
    extraDependencies.push(chain, indexer);
    const env = { DATABASE_URL: gateway.database.url, CHAIN_ID: String(CHAIN_ID), RPC_URL: chain.url, INDEXER_URL: indexer.url, GATEWAY_WORKERS: "off" };
    extraServers.push(...(await Promise.all(Array.from({ length: SERVERS - 1 }, () => startServerProcess(env)))));
  }
  const urls = [gateway.url, ...extraServers.map((server) => server.url)];
  const postgresPids = async () => (await gateway.sql<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")).map((row) => row.pid);
  const pids = [gateway.server.pid, ...extraServers.map((server) => server.pid)];
  const owner = await signIn(gateway);
  const merchant = await createMerchant(gateway, owner);
  const key = await createApiKey(gateway, owner, merchant.id);
  const headers = { authorization: `Bearer ${key.secret}`, "content-type": "application/json" };
  const body = JSON.stringify({ amount: "12.50", token: "USDC", chainId: 31337, metadata: { sku: "gem-pack" } });
  // Warm-up: first requests compile route code and fill connection pools.
  for (let i = 0; i < 50; i++) await call(gateway, "POST", "/api/v1/orders", { apiKey: key.secret, body: JSON.parse(body) });

  // The server's own background work (chain watcher, webhook relay, job queue) with no requests.
  const idleCpu = () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const idleCpu0 = idleCpu();
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const serverIdlePct = Math.round(((idleCpu() - idleCpu0) / 3) * 100);
  console.log(`idle: server CPU ${serverIdlePct}% with no requests`);

  const run = `${Date.now()}`;
  const created: string[] = [];
  // Every server answers a little first, so none is measured while it loads code.
  for (const url of urls.slice(1)) for (let i = 0; i < 50; i++) await (await fetch(`${url}/api/v1/orders`, { method: "POST", headers, body })).arrayBuffer();
  const create = !PHASES.has("create") ? undefined : await load("create", pids, postgresPids, async (i) => {
    const response = await fetch(`${urls[i % urls.length]}/api/v1/orders`, { method: "POST", headers: { ...headers, "idempotency-key": `bench-${run}-${i}` }, body });
    const text = await response.text();
    if (response.status === 201) created.push((JSON.parse(text) as { id: string }).id);
    return response.status;
  });
  if (!PHASES.has("create")) created.push(...(await Promise.all(Array.from({ length: 200 }, async (_, i) => (await call(gateway, "POST", "/api/v1/orders", { apiKey: key.secret, body: { ...JSON.parse(body), reference: `read-${i}` } })).body.id as string))));
  const read = PHASES.has("read") ? await load("read", pids, postgresPids, async (i) => {
        const response = await fetch(`${urls[i % urls.length]}/api/v1/orders/${created[i % created.length]}`, { headers });
        await response.arrayBuffer();
        return response.status;
      })
    : undefined;

  const loadAverage = os.loadavg().map((value) => value.toFixed(2)).join(" ");
  const machine = { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, date: new Date().toISOString().slice(0, 10), loadAverage };
  console.log(`\nOrders API, ${CONCURRENCY} concurrent clients, ${SECONDS} s per phase, ${SERVERS} server process(es), PostgreSQL ${gateway.database.name}`);
  console.log(`Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}, ${machine.date}, load average ${loadAverage}\n`);
  console.log("| Phase | Requests/s | p50 | p99 | Errors | CPU server / PostgreSQL / load generator / machine | CPU ms per request, server + PostgreSQL | Target |\n|---|---:|---:|---:|---:|---|---|---|");
  const cpuCell = (phase: Phase) => `${phase.cpu.serverPct}% / ${phase.cpu.postgresPct}% / ${phase.cpu.loadGeneratorPct}% / ${phase.cpu.machineBusyPct}% | ${phase.cpu.serverCpuMsPerRequest} + ${phase.cpu.postgresCpuMsPerRequest}`;
  if (create) console.log(`| create order | ${create.perSecond} | ${create.p50Ms} ms | ${create.p99Ms} ms | ${create.errors} | ${cpuCell(create)} | ≥ 500/s, p99 < 100 ms (${create.perSecond >= 500 && create.p99Ms < 100 ? "met" : "MISSED"}) |`);
  if (read) console.log(`| read order | ${read.perSecond} | ${read.p50Ms} ms | ${read.p99Ms} ms | ${read.errors} | ${cpuCell(read)} | |`);
  await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
  await writeFile(path.join(ROOT, "bench/results/orders-api.json"), `${JSON.stringify({ concurrency: CONCURRENCY, secondsPerPhase: SECONDS, servers: SERVERS, serverIdlePct, create, read, machine }, null, 2)}\n`);
} finally {
  // SIGTERM lets the server exit through its shutdown path, which flushes a CPU profile.
  if (PROFILE_DIR) await gateway.server.stop("SIGTERM").catch(() => undefined);
  await Promise.all(extraServers.map((server) => server.stop("SIGKILL").catch(() => undefined)));
  await Promise.all(extraDependencies.map((dependency) => dependency.close()));
  await gateway.close();
}
