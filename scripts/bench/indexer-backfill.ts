/**
 * Indexer backfill throughput: N real PaymentSettled events generated on the local EDR chain (PaymentBatcher,
 * 200 router payments per transaction), then in the same run
 *   1. the raw rate of fetching and decoding those logs with viem `getLogs` (the floor Ponder cannot beat:
 *      it must fetch the same logs, plus blocks, then run handlers and write PostgreSQL), and
 *   2. Ponder (`ponder start`, PostgreSQL, fresh database) backfilling them: from process start until every
 *      payment row is in the database and /ready answers (indexes built).
 * Prints events/s for both and their ratio beside the machine, writes bench/results/indexer-backfill.json.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node_modules/node/bin/node scripts/bench/indexer-backfill.ts
 *
 * Environment: EVENTS (default 200000), GETLOGS_BLOCKS per request (default 50 blocks = 10,000 logs).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createPublicClient, getAbiItem, http } from "viem";
import { readArtifact } from "../lib/artifacts.ts";
import { deployCoinPays } from "../lib/deploy.ts";
import { devAccount } from "../lib/dev-accounts.ts";
import { startLocalChain } from "../lib/local-chain.ts";
import { ROOT } from "../lib/paths.ts";
import { generateRouterPayments } from "../lib/payment-load.ts";
import { freePort, waitFor } from "../lib/processes.ts";
import { startPonder } from "../lib/ponder.ts";

const EVENTS = Number(process.env.EVENTS ?? 200_000);
const GETLOGS_BLOCKS = BigInt(process.env.GETLOGS_BLOCKS ?? 50);
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

const chain = await startLocalChain();
const deploymentsDir = await mkdtemp(path.join(os.tmpdir(), "coinpays-bench-"));
try {
  const deployment = await deployCoinPays({ rpcUrl: chain.rpcUrl, account: devAccount(0), deploymentsDir, log: () => {} });
  console.log(`generating ${EVENTS} payments on the local chain…`);
  const load = await generateRouterPayments({ rpcUrl: chain.rpcUrl, deployment, count: EVENTS, merchantCount: 1_000, label: "bench-backfill", log: (m) => process.stdout.write(`\r${m}   `) });
  console.log(`\n${load.count} payments in ${load.transactions} transactions, ${load.seconds.toFixed(1)} s (${Math.round(load.count / load.seconds)}/s)`);
  const client = createPublicClient({ transport: http(chain.rpcUrl) });
  // Bury the payments under more than Ponder's 30-block finality for this chain, so all of them are backfill.
  await client.request({ method: "hardhat_mine" as never, params: ["0x40"] as never });

  // 1. The floor: the same logs through viem, decoded, sequential requests as Ponder's backfill makes them.
  const routerAbi = (await readArtifact("PaymentRouter")).abi;
  const event = getAbiItem({ abi: routerAbi, name: "PaymentSettled" }) as never;
  const startedRaw = performance.now();
  let fetched = 0;
  for (let from = load.firstBlock; from <= load.lastBlock; from += GETLOGS_BLOCKS) {
    const to = from + GETLOGS_BLOCKS - 1n < load.lastBlock ? from + GETLOGS_BLOCKS - 1n : load.lastBlock;
    const logs = await client.getLogs({ address: deployment.contracts.PaymentRouter.address, event, fromBlock: from, toBlock: to });
    fetched += logs.length;
  }
  const rawSeconds = (performance.now() - startedRaw) / 1000;
  if (fetched !== load.count) throw new Error(`getLogs returned ${fetched} logs, expected ${load.count}`);
  const rawPerSecond = fetched / rawSeconds;
  console.log(`viem getLogs: ${fetched} logs in ${rawSeconds.toFixed(2)} s = ${Math.round(rawPerSecond)} events/s`);

  // 1b. The same logs fetched the way Ponder's backfill asks for them: one eth_getLogs per indexed contract
  // address and block range, concurrently (the other eight contracts have no logs here, but the node still
  // has to answer each request). This separates the cost of the request pattern from Ponder's own work.
  const indexed = ["PaymentRouter", "DepositAddressFactory", "Subscriptions", "Escrow", "SplitMain", "LoyaltyCheckout", "LoyaltyProgramFactory", "CoinPaysLending", "CreditPayment"] as const;
  const addresses = indexed.map((name) => deployment.contracts[name].address);
  const startedShaped = performance.now();
  let shapedFetched = 0;
  for (let from = load.firstBlock; from <= load.lastBlock; from += GETLOGS_BLOCKS) {
    const to = from + GETLOGS_BLOCKS - 1n < load.lastBlock ? from + GETLOGS_BLOCKS - 1n : load.lastBlock;
    const results = await Promise.all(addresses.map((address) => client.getLogs({ address, fromBlock: from, toBlock: to })));
    shapedFetched += results.reduce((n, logs) => n + logs.length, 0);
  }
  const shapedSeconds = (performance.now() - startedShaped) / 1000;
  const shapedPerSecond = load.count / shapedSeconds;
  console.log(`viem getLogs, one request per contract (${addresses.length}): ${shapedFetched} logs in ${shapedSeconds.toFixed(2)} s = ${Math.round(shapedPerSecond)} events/s`);

  // 2. Ponder into a fresh PostgreSQL database.
  const databaseUrl = await freshDatabase("coinpays_bench_backfill");
  const port = await freePort();
  const schema = "bench_backfill";
  const startedPonder = performance.now();
  const ponder = startPonder(["start", "--schema", schema], {
    cwd: path.join(ROOT, "indexer"),
    label: "indexer",
    env: { ...process.env, PONDER_TELEMETRY_DISABLED: "true", PONDER_LOG_LEVEL: process.env.PONDER_LOG_LEVEL ?? "info", DATABASE_URL: databaseUrl, PONDER_RPC_URL_31337: chain.rpcUrl, PORT: String(port) },
  });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  let ponderSeconds: number;
  let firstRowSeconds: number | undefined;
  try {
    await waitFor(
      "Ponder to backfill every payment",
      async () => {
        const ready = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok).catch(() => false);
        const rows = await db.query(`select count(*)::int as n from "${schema}".payment`).then((r) => r.rows[0].n as number).catch(() => 0);
        if (rows > 0) firstRowSeconds ??= (performance.now() - startedPonder) / 1000;
        return ready && rows === load.count ? true : undefined;
      },
      3_600_000,
      ponder,
    );
    ponderSeconds = (performance.now() - startedPonder) / 1000;
  } finally {
    await db.end();
    await ponder.stop();
    if (process.env.PONDER_LOG) console.log(ponder.output());
  }
  const ponderPerSecond = load.count / ponderSeconds;
  const ratio = ponderPerSecond / rawPerSecond;
  const machine = { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, date: new Date().toISOString().slice(0, 10) };
  console.log(`\nMachine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}, ${machine.date}\n`);
  console.log("| | events | seconds | events/s |");
  console.log("| --- | ---: | ---: | ---: |");
  console.log(`| viem getLogs (${GETLOGS_BLOCKS} blocks/request) | ${fetched} | ${rawSeconds.toFixed(2)} | ${Math.round(rawPerSecond)} |`);
  console.log(`| viem getLogs, one request per indexed contract (${addresses.length}) | ${shapedFetched} | ${shapedSeconds.toFixed(2)} | ${Math.round(shapedPerSecond)} |`);
  console.log(`| Ponder backfill into PostgreSQL (start → all rows + /ready) | ${load.count} | ${ponderSeconds.toFixed(2)} | ${Math.round(ponderPerSecond)} |`);
  console.log(`\nPonder / raw = ${(ratio * 100).toFixed(1)}% (target ≥ 40%); Ponder / per-contract requests = ${((ponderPerSecond / shapedPerSecond) * 100).toFixed(1)}%; first rows on disk after ${firstRowSeconds?.toFixed(1)} s`);
  await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
  await writeFile(
    path.join(ROOT, "bench/results/indexer-backfill.json"),
    `${JSON.stringify({ events: load.count, generation: { transactions: load.transactions, seconds: load.seconds }, getLogs: { blocksPerRequest: Number(GETLOGS_BLOCKS), seconds: rawSeconds, perSecond: rawPerSecond }, getLogsPerContract: { contracts: addresses.length, seconds: shapedSeconds, perSecond: shapedPerSecond }, ponder: { seconds: ponderSeconds, perSecond: ponderPerSecond, firstRowSeconds }, ratio, machine }, null, 2)}\n`,
  );
} finally {
  await chain.stop();
  await rm(deploymentsDir, { recursive: true, force: true });
  const cleanup = new pg.Client({ connectionString: DATABASE_URL });
  await cleanup.connect();
  await cleanup.query(`drop database if exists coinpays_bench_backfill with (force)`);
  await cleanup.end();
}
