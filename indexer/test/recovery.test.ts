/**
 * The indexer survives the two things that happen to it in production:
 * - a reorg: a payment the indexer has already seen in an unfinalized block disappears from the chain
 *   (EDR snapshot/revert), another takes its place; the row goes, and the rollups and payer sets are
 *   corrected to exactly what the surviving chain holds;
 * - a crash: `kill -9` mid-backfill, a restart on the same PostgreSQL schema, and the same rows and sums
 *   as the chain holds, no event lost or counted twice.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maxUint256, parseUnits, type Abi } from "viem";
import { mockErc20Abi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { devAccount } from "../../scripts/lib/dev-accounts.ts";
import { generateRouterPayments } from "../../scripts/lib/payment-load.ts";
import { waitFor } from "../../scripts/lib/processes.ts";
import { DEMO, orderRefOf, seedLocalChain } from "../../scripts/lib/seed.ts";
import { deployedLocalChain, chainWriter, freshDatabase, schemaQuery, startIndexer, type RunningIndexer } from "./support.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const DAY = 86_400n;
const lower = (a: string) => a.toLowerCase();

describe("indexer recovery", { timeout: 600_000, skip: !DATABASE_URL && "DATABASE_URL is not set" }, () => {
  const local = deployedLocalChain();

  it("removes a reorged payment and corrects its rollups and payer sets", async () => {
    const w = chainWriter(local.chain.rpcUrl);
    const dayStart = ((BigInt(Math.floor(Date.now() / 1000)) + DAY) / DAY) * DAY;
    await w.setNextBlockTimestamp(dayStart);
    await seedLocalChain(local.chain.rpcUrl, local.deployment, () => {});
    const merchant = lower(DEMO.merchant.address);
    const usdc = lower(local.deployment.tokens.find((t) => t.symbol === "USDC")!.address);
    const router = local.deployment.contracts.PaymentRouter.address;
    const databaseUrl = await freshDatabase(DATABASE_URL!, "reorg");
    const indexer: RunningIndexer = await startIndexer({ databaseUrl, rpcUrl: local.chain.rpcUrl });
    const db = await schemaQuery(databaseUrl, indexer.schema);
    try {
      const dayRollup = async () =>
        (await db.rows(`select payment_count, volume::text, fees::text, unique_payers from $schema.revenue_rollup where merchant = $1 and token = $2 and period = 'day' and bucket_start = $3`, [merchant, usdc, dayStart.toString()]))[0];
      const payerSet = async () =>
        (await db.rows(`select payer, payment_count, volume::text from $schema.rollup_payer where rollup_id = $1 order by payer`, [`31337:${merchant}:${usdc}:day:${dayStart}`])).map((r) => [r.payer, r.payment_count, r.volume]);
      await waitFor("the seeded payments", async () => ((await dayRollup())?.payment_count === 2 ? true : undefined), 60_000, indexer.process);
      // The seed: 25 USDC through the router from the demo payer, 12.5 USDC swept (no payer).
      assert.deepEqual(await dayRollup(), { payment_count: 2, volume: "37500000", fees: "375000", unique_payers: 1 });

      const snapshot = await w.client.request({ method: "evm_snapshot" as never });
      await w.send("doomed", DEMO.payer, router, paymentRouterAbi as Abi, "pay", [orderRefOf("reorg-doomed"), merchant, usdc, parseUnits("30", 6)]);
      await waitFor("the doomed payment to be indexed", async () => ((await dayRollup())?.payment_count === 3 ? true : undefined), 60_000, indexer.process);
      assert.deepEqual(await dayRollup(), { payment_count: 3, volume: "67500000", fees: "675000", unique_payers: 1 });
      assert.deepEqual(await payerSet(), [[lower(DEMO.payer.address), 2, "55000000"]]);

      // The chain drops that block; another payer's payment lands instead, and the chain grows past it.
      assert.equal(await w.client.request({ method: "evm_revert" as never, params: [snapshot] as never }), true);
      const replacementPayer = devAccount(3);
      await w.send("approve", replacementPayer, usdc as `0x${string}`, mockErc20Abi as Abi, "approve", [router, maxUint256]);
      await w.send("replacement", replacementPayer, router, paymentRouterAbi as Abi, "pay", [orderRefOf("reorg-replacement"), merchant, usdc, parseUnits("7", 6)]);
      for (let i = 0; i < 3; i++) await w.client.request({ method: "evm_mine" as never });

      await waitFor("the reorg to be applied", async () => {
        const refs = (await db.rows(`select order_ref from $schema.payment`)).map((r) => r.order_ref);
        return refs.includes(orderRefOf("reorg-replacement")) && !refs.includes(orderRefOf("reorg-doomed")) ? true : undefined;
      }, 60_000, indexer.process);
      assert.deepEqual(await dayRollup(), { payment_count: 3, volume: "44500000", fees: "445000", unique_payers: 2 });
      assert.deepEqual(
        await payerSet(),
        [
          [lower(DEMO.payer.address), 1, "25000000"],
          [lower(replacementPayer.address), 1, "7000000"],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      // The hour rollups agree with the day's.
      const hours = (await db.rows(`select sum(payment_count)::int as n, sum(volume)::text as v from $schema.revenue_rollup where merchant = $1 and token = $2 and period = 'hour'`, [merchant, usdc]))[0];
      assert.deepEqual(hours, { n: 3, v: "44500000" });
    } finally {
      await db.end();
      await indexer.process.stop();
    }
  });

  it("resumes after kill -9 mid-backfill with identical rows and sums", async () => {
    const load = await generateRouterPayments({ rpcUrl: local.chain.rpcUrl, deployment: local.deployment, count: 30_000, merchantCount: 50, label: "restart-test" });
    const databaseUrl = await freshDatabase(DATABASE_URL!, "restart");
    const schema = `restart_${process.pid}`;
    const merchants = load.merchants.map(lower);
    const first = await startIndexer({ databaseUrl, rpcUrl: local.chain.rpcUrl, schema, waitReady: false });
    const db = await schemaQuery(databaseUrl, schema);
    const count = async () => {
      try {
        return (await db.rows(`select count(*)::int as n from $schema.payment where merchant = any($1)`, [merchants]))[0]!.n as number;
      } catch {
        return 0; // the tables do not exist yet
      }
    };
    try {
      // Kill as soon as part of the backfill is on disk, and before all of it is.
      const partial = await waitFor("part of the backfill to be written", async () => {
        const n = await count();
        return n > 0 ? n : undefined;
      }, 180_000, first.process);
      await first.process.stop("SIGKILL");
      const afterKill = await count();
      assert.ok(partial < load.count && afterKill < load.count, `killed mid-backfill (${afterKill} of ${load.count} rows written)`);

      const second = await startIndexer({ databaseUrl, rpcUrl: local.chain.rpcUrl, schema, waitReady: false });
      try {
        await waitFor("the restarted indexer to finish", async () => ((await count()) === load.count ? true : undefined), 300_000, second.process);
        // It resumed from its checkpoint rather than starting over.
        assert.match(second.process.output(), /Detected crash recovery/);
        const fee = (load.amount * 100n) / 10_000n;
        const [rows] = await db.rows(`select count(*)::int as n, count(distinct id)::int as ids, sum(amount)::text as amount, sum(fee)::text as fee from $schema.payment where merchant = any($1)`, [merchants]);
        assert.deepEqual(rows, { n: load.count, ids: load.count, amount: (load.amount * BigInt(load.count)).toString(), fee: (fee * BigInt(load.count)).toString() });
        for (const period of ["hour", "day"]) {
          const [rollups] = await db.rows(`select sum(payment_count)::int as n, sum(volume)::text as volume, sum(fees)::text as fees from $schema.revenue_rollup where period = $1 and merchant = any($2)`, [period, merchants]);
          assert.deepEqual(rollups, { n: load.count, volume: rows!.amount, fees: rows!.fee }, period);
        }
        // One payer (the batcher) per merchant bucket, counted once however the backfill was cut.
        const [payers] = await db.rows(`select count(*)::int as buckets, sum(unique_payers)::int as payers from $schema.revenue_rollup where merchant = any($1)`, [merchants]);
        assert.equal(payers!.payers, payers!.buckets);
        const [payerSets] = await db.rows(`select sum(payment_count)::int as n from $schema.rollup_payer where payer = $1 and rollup_id like '%:day:%'`, [lower(load.batcher)]);
        assert.equal(payerSets!.n, load.count);
      } finally {
        await second.process.stop();
      }
    } finally {
      await db.end();
      await first.process.stop();
    }
  });
});
