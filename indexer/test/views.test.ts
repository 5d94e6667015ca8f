/**
 * Blue/green deployments through Ponder's views schema: every indexer deployment writes its own schema
 * (`--schema`), and the one that became ready last publishes its tables as views in a stable schema
 * (`--views-schema coinpays`). The read API (`ponder serve --schema coinpays`, what the web server calls)
 * reads the latest data through those views while deployments come and go.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseUnits, type Abi } from "viem";
import { paymentRouterAbi } from "@coinpays/sdk/contracts";
import { waitFor } from "../../scripts/lib/processes.ts";
import { DEMO, orderRefOf, seedLocalChain } from "../../scripts/lib/seed.ts";
import { authorized, deployedLocalChain, chainWriter, freshDatabase, schemaQuery, startIndexer, startServe } from "./support.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const VIEWS = "coinpays";

describe("indexer views schema", { timeout: 400_000, skip: !DATABASE_URL && "DATABASE_URL is not set" }, () => {
  const local = deployedLocalChain();

  it("serves the latest deployment's rows through the views while a new deployment takes over", async () => {
    await seedLocalChain(local.chain.rpcUrl, local.deployment, () => {});
    const w = chainWriter(local.chain.rpcUrl);
    const merchant = DEMO.merchant.address;
    const usdc = local.deployment.tokens.find((t) => t.symbol === "USDC")!.address;
    const router = local.deployment.contracts.PaymentRouter.address;
    const databaseUrl = await freshDatabase(DATABASE_URL!, "views");
    const db = await schemaQuery(databaseUrl, VIEWS);
    const viewTarget = async () =>
      (await db.rows(`select definition from pg_views where schemaname = $1 and viewname = 'payment'`, [VIEWS]))[0]?.definition as string | undefined;
    const blue = await startIndexer({ databaseUrl, rpcUrl: local.chain.rpcUrl, schema: "coinpays_blue", env: { DATABASE_VIEWS_SCHEMA: VIEWS } });
    let green: Awaited<ReturnType<typeof startIndexer>> | undefined;
    const api = await startServe({ databaseUrl, rpcUrl: local.chain.rpcUrl, schema: VIEWS });
    const paymentsThroughApi = async () => {
      const response = await fetch(`${api.url}/merchants/${merchant}/payments?limit=500`, authorized());
      assert.equal(response.status, 200);
      return ((await response.json()) as { data: Array<{ orderRef: string }> }).data;
    };
    try {
      // Blue is ready: the views point at its schema, and the API reads the seeded payments through them.
      assert.match((await viewTarget()) ?? "", /coinpays_blue\.payment/);
      const seeded = (await db.rows(`select count(*)::int as n from "${VIEWS}".payment where merchant = $1`, [merchant.toLowerCase()]))[0]!.n as number;
      assert.ok(seeded >= 2);
      assert.equal((await paymentsThroughApi()).length, seeded);

      // A payment indexed live by blue is visible through the views at once: views are not copies.
      await w.send("live on blue", DEMO.payer, router, paymentRouterAbi as Abi, "pay", [orderRefOf("views-blue"), merchant, usdc, parseUnits("3", 6)]);
      await waitFor("blue's live payment through the API", async () => ((await paymentsThroughApi()).some((p) => p.orderRef === orderRefOf("views-blue")) ? true : undefined), 60_000, blue.process);

      // Green (a new build, e.g. after a schema change) backfills into its own schema while blue keeps
      // serving; when green is ready the views switch to it. Ready means backfilled up to the finalized
      // block: the blocks after it (here every payment: the local chain finalizes 30 blocks deep) reach
      // green's tables through its live sync a moment later, so the API can lag by that depth for seconds.
      green = await startIndexer({ databaseUrl, rpcUrl: local.chain.rpcUrl, schema: "coinpays_green", env: { DATABASE_VIEWS_SCHEMA: VIEWS } });
      await waitFor("the views to point at green", async () => (/coinpays_green\.payment/.test((await viewTarget()) ?? "") ? true : undefined), 60_000, green.process);
      await waitFor("green to catch up with the head", async () => ((await paymentsThroughApi()).length === seeded + 1 ? true : undefined), 60_000, green.process);
      await blue.process.stop();
      assert.equal((await paymentsThroughApi()).length, seeded + 1);

      await w.send("live on green", DEMO.payer, router, paymentRouterAbi as Abi, "pay", [orderRefOf("views-green"), merchant, usdc, parseUnits("4", 6)]);
      const after = await waitFor("green's live payment through the API", async () => {
        const rows = await paymentsThroughApi();
        return rows.some((p) => p.orderRef === orderRefOf("views-green")) ? rows : undefined;
      }, 60_000, green.process);
      assert.equal(after.length, seeded + 2);
      // Green indexed everything itself: its own table holds the same rows the views show.
      assert.equal((await db.rows(`select count(*)::int as n from coinpays_green.payment where merchant = $1`, [merchant.toLowerCase()]))[0]!.n, seeded + 2);

      // The analytics endpoints answer through the views too.
      const now = Math.floor(Date.now() / 1000);
      const revenue = await fetch(`${api.url}/analytics/revenue?merchant=${merchant}&from=${now - 7 * 86_400}&to=${now + 7 * 86_400}&interval=day`, authorized());
      assert.equal(revenue.status, 200, await revenue.clone().text());
      const totals = ((await revenue.json()) as { totals: { paymentCount: number } }).totals;
      assert.equal(totals.paymentCount, seeded + 2);
    } finally {
      await api.process.stop();
      await green?.process.stop();
      await blue.process.stop();
      await db.end();
    }
  });
});
