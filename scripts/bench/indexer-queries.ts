/**
 * Analytics query latency at scale: 1,000,000 payments in the indexer's PostgreSQL tables, then every
 * dashboard query through the real Ponder HTTP API, sequentially, p50/p95/max per query.
 *
 * The rows are synthetic and inserted with SQL straight into the tables Ponder created (generating and
 * indexing a million real payments would take the better part of an hour here; the backfill benchmark
 * measures that path). They are shaped like real traffic: 1,000 merchants with a skewed share (the largest
 * has ~3% of all payments), 200,000 payers, three tokens, every payment method, a year of timestamps;
 * 5% of payments refunded; rollups and payer sets derived from the payments by the same keys the indexer
 * uses; loyalty points, credit payments and split distributions beside them. Queries ask for the largest
 * merchant (the worst case), as a dashboard would: last 30 days, last year, and hourly revenue for 31 days.
 * Ponder's reorg triggers are bypassed for the load (session_replication_role = replica). JIT is off for
 * the API's queries because ponder.config.ts sets it on Ponder's connections, not on the database.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node_modules/node/bin/node scripts/bench/indexer-queries.ts
 *
 * Environment: PAYMENTS (default 1000000), REQUESTS per query (default 200), KEEP_DATABASE=1 to leave the
 * loaded database behind for EXPLAIN ANALYZE (the next run drops it).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { deployCoinPays } from "../lib/deploy.ts";
import { devAccount } from "../lib/dev-accounts.ts";
import { startLocalChain } from "../lib/local-chain.ts";
import { ROOT } from "../lib/paths.ts";
import { freePort, waitFor } from "../lib/processes.ts";
import { startPonder } from "../lib/ponder.ts";
import { authorized, TEST_INDEXER_API_SECRET } from "../../indexer/test/support.ts";

const PAYMENTS = Number(process.env.PAYMENTS ?? 1_000_000);
const REQUESTS = Number(process.env.REQUESTS ?? 200);
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SCHEMA = "bench_queries";
const DAY = 86_400;

const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();
await admin.query(`drop database if exists coinpays_bench_queries with (force)`);
await admin.query(`create database coinpays_bench_queries`);
// No jit setting on the database: the indexer's own pool config (ponder.config.ts) turns JIT off per connection.
await admin.end();
const url = new URL(DATABASE_URL);
url.pathname = "/coinpays_bench_queries";
const databaseUrl = url.toString();

const chain = await startLocalChain();
const deploymentsDir = await mkdtemp(path.join(os.tmpdir(), "coinpays-bench-"));
const port = await freePort();
const db = new pg.Client({ connectionString: databaseUrl });
try {
  const deployment = await deployCoinPays({ rpcUrl: chain.rpcUrl, account: devAccount(0), deploymentsDir, log: () => {} });
  const indexer = startPonder(["start", "--schema", SCHEMA], {
    cwd: path.join(ROOT, "indexer"),
    label: "indexer",
    env: { ...process.env, PONDER_TELEMETRY_DISABLED: "true", DATABASE_URL: databaseUrl, PORT: String(port), PONDER_RPC_URL_31337: chain.rpcUrl, INDEXER_API_SECRET: TEST_INDEXER_API_SECRET },
  });
  try {
    const api = `http://127.0.0.1:${port}`;
    await waitFor("the indexer to be ready", async () => ((await fetch(`${api}/ready`)).ok ? true : undefined), 180_000, indexer);
    await db.connect();
    const usdc = deployment.tokens.find((t) => t.symbol === "USDC")!.address.toLowerCase();
    const dai = deployment.tokens.find((t) => t.symbol === "DAI")!.address.toLowerCase();
    const now = Math.floor(Date.now() / 1000);
    const q = (text: string) => db.query(text.replaceAll("$schema", `"${SCHEMA}"`));
    const t0 = performance.now();
    await q(`set session_replication_role = replica`);
    await q(`select setseed(0.42)`);
    // Payments: merchant index skewed by random()^2; 10% without payer (deposit sweeps).
    await q(`
      insert into $schema.payment (id, chain_id, method, order_ref, merchant, payer, deposit_address, token, amount, merchant_amount, fee, refunded_amount, value_usd_e8, block_number, timestamp, transaction_hash, log_index)
      select 'bench:' || i, 31337, m.method::$schema.payment_method, '0x' || lpad(to_hex(i), 64, '0'),
             '0x' || lpad(to_hex(1000000 + floor(1000 * power(r1, 2))::int), 40, '0'),
             case when m.method = 'deposit_address' then null else '0x' || lpad(to_hex(5000000 + floor(r2 * 200000)::int), 40, '0') end,
             null, tk.token, tk.amount, tk.amount - div(tk.amount, 100), div(tk.amount, 100), 0, usd, i, ${now} - floor(r3 * ${365 * DAY})::bigint,
             '0x' || lpad(to_hex(i), 64, '0'), 0
      from (select i, random() r1, random() r2, random() r3, random() r4, random() r5, (1 + floor(random() * 100000))::numeric * 1000000 as usd from generate_series(1, ${PAYMENTS}) i) s
      cross join lateral (select (array['router','permit','native','deposit_address','credit','loyalty','subscription'])[1 + floor(r4 * 7)::int] as method) m
      cross join lateral (select case when m.method = 'native' then '0x0000000000000000000000000000000000000000'
                                      when r5 < 0.75 then '${usdc}' else '${dai}' end as token,
                                 case when m.method = 'native' then div(usd * 10000000000, 3000)
                                      when r5 < 0.75 then div(usd, 100) else usd * 10000000000 end as amount) tk`);
    // 5% refunded by half, in the payment's own bucket.
    await q(`
      insert into $schema.refund (id, chain_id, payment_id, order_ref, merchant, recipient, token, amount, total_refunded, value_usd_e8, block_number, timestamp, transaction_hash)
      select 'r' || id, chain_id, id, order_ref, merchant, coalesce(payer, merchant), token, div(amount, 2), div(amount, 2), div(value_usd_e8, 2), block_number, timestamp, transaction_hash
      from $schema.payment where block_number % 20 = 0 and method in ('router', 'permit', 'native', 'credit')`);
    await q(`update $schema.payment p set refunded_amount = r.amount from $schema.refund r where r.payment_id = p.id`);
    // Rollups and payer sets, keyed as src/rollups.ts keys them.
    for (const [period, seconds] of [["hour", 3600], ["day", DAY]] as const) {
      await q(`
        insert into $schema.rollup_payer (id, rollup_id, chain_id, merchant, token, period, bucket_start, payer, payment_count, volume)
        select rollup_id || ':' || payer, rollup_id, chain_id, merchant, token, '${period}', b, payer, count(*), sum(amount) from (
          select chain_id || ':' || merchant || ':' || token || ':${period}:' || b as rollup_id, chain_id, merchant, token, b, payer, amount
          from (select *, div(timestamp, ${seconds}) * ${seconds} as b from $schema.payment where payer is not null) p) x
        group by rollup_id, chain_id, merchant, token, b, payer`);
      await q(`
        insert into $schema.revenue_rollup (id, chain_id, merchant, token, period, bucket_start, payment_count, volume, merchant_amount, fees, volume_usd_e8, unpriced_count, unique_payers, refund_count, refund_volume, refund_volume_usd_e8)
        select chain_id || ':' || merchant || ':' || token || ':${period}:' || b, chain_id, merchant, token, '${period}', b, count(*), sum(amount), sum(merchant_amount), sum(fee), sum(value_usd_e8), 0, count(distinct payer), 0, 0, 0
        from (select *, div(timestamp, ${seconds}) * ${seconds} as b from $schema.payment) p group by chain_id, merchant, token, b`);
      await q(`
        update $schema.revenue_rollup r set refund_count = x.n, refund_volume = x.v, refund_volume_usd_e8 = x.u
        from (select chain_id || ':' || merchant || ':' || token || ':${period}:' || (div(timestamp, ${seconds}) * ${seconds}) as id, count(*) n, sum(amount) v, sum(value_usd_e8) u from $schema.refund group by 1) x
        where r.id = x.id`);
    }
    // Which merchants each payer paid per bucket, and the payer rows of payers who paid several (src/rollups.ts
    // keeps both while indexing; first_merchant stands for whichever paid first, which no query reads).
    await q(`
      insert into $schema.payer_bucket (id, chain_id, token, period, bucket_start, payer, merchant_count, first_merchant)
      select chain_id || ':' || token || ':' || period || ':' || bucket_start || ':' || payer, chain_id, token, period, bucket_start, payer, count(*), min(merchant)
      from $schema.rollup_payer group by chain_id, token, period, bucket_start, payer`);
    await q(`
      insert into $schema.payer_overlap (id, chain_id, merchant, token, period, bucket_start, payer)
      select id, chain_id, merchant, token, period, bucket_start, payer
      from (select *, count(*) over (partition by chain_id, token, period, bucket_start, payer) as merchants from $schema.rollup_payer) x where merchants > 1`);
    // Loyalty points for loyalty payments (5% issued; a tenth of them redeemed), credit payments for credit ones.
    await q(`
      insert into $schema.loyalty_points (id, chain_id, program, merchant, account, order_ref, kind, amount, block_number, timestamp, transaction_hash)
      select id || ':' || k.kind, chain_id, '0x' || lpad(to_hex(9000000 + ('x' || substr(merchant, 35, 8))::bit(32)::int), 40, '0'), merchant, payer, order_ref, k.kind::$schema.loyalty_points_kind,
             case when k.kind = 'minted' then div(amount, 20) else div(amount, 40) end, block_number, timestamp, transaction_hash
      from $schema.payment cross join lateral (select unnest(case when block_number % 10 = 0 then array['minted', 'redeemed'] else array['minted'] end) as kind) k
      where method = 'loyalty'`);
    await q(`
      insert into $schema.credit_payment (id, chain_id, order_ref, merchant, payer, market_id, amount, borrow_shares, block_number, timestamp, transaction_hash)
      select id, chain_id, order_ref, merchant, payer, '${deployment.lending.markets[0]!.id}', amount, amount * 1000000, block_number, timestamp, transaction_hash
      from $schema.payment where method = 'credit'`);
    // Splits paying the merchants (one per 10 merchants, two recipients each), distributed daily for a year.
    await q(`
      insert into $schema.split_rule_set (id, chain_id, split, rule_set_id, version, recipients, allocations, distributor_fee_ppm, block_number, transaction_hash)
      select '31337:' || s || ':1', 31337, s, '0x' || lpad(to_hex(g), 64, '0'), 1,
             array['0x' || lpad(to_hex(1000000 + g * 10), 40, '0'), '0x' || lpad(to_hex(1000000 + g * 10 + 1), 40, '0')], array[600000, 400000], 10000, 1, '0x' || lpad(to_hex(g), 64, '0')
      from (select g, '0x' || lpad(to_hex(8000000 + g), 40, '0') as s from generate_series(0, 99) g) x`);
    await q(`
      insert into $schema.split_distribution (id, chain_id, split, rule_set_id, token, distributor, amount, credited, distributor_fee, dust, block_number, timestamp, transaction_hash)
      select rs.split || ':' || d, 31337, rs.split, rs.rule_set_id, '${usdc}', rs.split, 100000000, 100000000, 1000000, 0, d, ${now} - d * ${DAY}, '0x' || lpad(to_hex(d), 64, '0')
      from $schema.split_rule_set rs cross join generate_series(0, 364) d`);
    await q(`set session_replication_role = origin`);
    await q(`vacuum analyze`); // as autovacuum would: sets the visibility map, so covering indexes serve index-only scans
    const loadSeconds = (performance.now() - t0) / 1000;
    const counts = (await q(`select (select count(*) from $schema.payment)::int as payments, (select count(*) from $schema.refund)::int as refunds, (select count(*) from $schema.revenue_rollup)::int as rollups, (select count(*) from $schema.rollup_payer)::int as payer_sets, (select count(*) from $schema.payer_bucket)::int as payer_buckets, (select count(*) from $schema.payer_overlap)::int as payer_overlaps, (select count(*) from $schema.loyalty_points)::int as loyalty_points, (select count(*) from $schema.split_distribution)::int as distributions`)).rows[0];
    const top = (await q(`select merchant, count(*)::int as n from $schema.payment group by merchant order by n desc limit 1`)).rows[0] as { merchant: string; n: number };
    console.log(`loaded in ${loadSeconds.toFixed(0)} s:`, counts, `largest merchant ${top.merchant} with ${top.n} payments`);

    const m = top.merchant;
    const month = `from=${now - 30 * DAY}&to=${now}`;
    const year = `from=${now - 365 * DAY}&to=${now}`;
    const queries: Array<[string, string]> = [
      ["revenue, daily, 30 days", `/analytics/revenue?merchant=${m}&interval=day&${month}`],
      ["revenue, daily, 1 year", `/analytics/revenue?merchant=${m}&interval=day&${year}`],
      ["revenue, hourly, 31 days", `/analytics/revenue?merchant=${m}&interval=hour&from=${now - 31 * DAY}&to=${now}`],
      ["revenue, daily, 1 year, 10 payout addresses", `/analytics/revenue?merchant=${Array.from({ length: 10 }, (_, i) => `0x${(1000000 + i).toString(16).padStart(40, "0")}`).join(",")}&interval=day&${year}`],
      ["top payers, 30 days", `/analytics/top-payers?merchant=${m}&${month}`],
      ["top payers, 1 year", `/analytics/top-payers?merchant=${m}&${year}`],
      ["payment methods, 30 days", `/analytics/payment-methods?merchant=${m}&${month}`],
      ["payment methods, 1 year", `/analytics/payment-methods?merchant=${m}&${year}`],
      ["refunds, 1 year", `/analytics/refunds?merchant=${m}&${year}`],
      ["split payouts, 1 year", `/analytics/split-payouts?merchant=${m}&${year}`],
      ["loyalty, daily, 1 year", `/analytics/loyalty?merchant=${m}&${year}`],
      ["lending, 1 year", `/analytics/lending?merchant=${m}&${year}`],
      ["revenue CSV, daily, 1 year", `/analytics/revenue?merchant=${m}&interval=day&${year}&format=csv`],
    ];
    const results: Array<{ query: string; rows: number; p50Ms: number; p95Ms: number; maxMs: number }> = [];
    for (const [name, path_] of queries) {
      let rows = 0;
      const latencies: number[] = [];
      for (let i = 0; i < REQUESTS + 20; i++) {
        const started = performance.now();
        const response = await fetch(`${api}${path_}`, authorized());
        const text = await response.text();
        const elapsed = performance.now() - started;
        if (response.status !== 200) throw new Error(`${name}: ${response.status} ${text.slice(0, 300)}`);
        if (i >= 20) latencies.push(elapsed);
        rows = path_.includes("format=csv") ? text.trim().split("\n").length - 1 : (JSON.parse(text).data as unknown[]).length;
      }
      latencies.sort((a, b) => a - b);
      const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!;
      results.push({ query: name, rows, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: latencies[latencies.length - 1]! });
    }
    const machine = { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, date: new Date().toISOString().slice(0, 10) };
    console.log(`\nMachine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}, ${machine.date}`);
    console.log(`${counts.payments} payments; ${REQUESTS} sequential requests per query after 20 warm-up, largest merchant (${top.n} payments)\n`);
    console.log("| query | rows | p50 ms | p95 ms | max ms |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const r of results) console.log(`| ${r.query} | ${r.rows} | ${r.p50Ms.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${r.maxMs.toFixed(1)} |`);
    const worst = Math.max(...results.map((r) => r.p95Ms));
    console.log(`\nworst p95 ${worst.toFixed(1)} ms (target < 100 ms)`);
    await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
    await writeFile(path.join(ROOT, "bench/results/indexer-queries.json"), `${JSON.stringify({ counts, largestMerchantPayments: top.n, requests: REQUESTS, loadSeconds, results, machine }, null, 2)}\n`);
  } finally {
    await indexer.stop();
  }
} finally {
  await db.end().catch(() => {});
  await chain.stop();
  await rm(deploymentsDir, { recursive: true, force: true });
  if (process.env.KEEP_DATABASE !== "1") {
    const cleanup = new pg.Client({ connectionString: DATABASE_URL });
    await cleanup.connect();
    await cleanup.query(`drop database if exists coinpays_bench_queries with (force)`);
    await cleanup.end();
  }
}
