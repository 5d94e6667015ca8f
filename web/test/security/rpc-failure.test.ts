// A failing, hanging or lagging RPC is not a chain reorganisation, and one dead RPC URL does not stop
// payment detection. The production build's own chain watcher runs against a real EDR chain behind a
// flaky JSON-RPC proxy (test/support/flaky-rpc.ts) and a real PostgreSQL database; merchants and orders
// are rows in that database, as the orders API writes them, so only the watcher decides what happens.
//
// The harm withstood: a payment marked `reorged` because a block lookup failed sends a false
// `payment.reorged` webhook, moves a paid order back to `new`, and settles it again later under a new
// event id. A merchant who acts on webhooks cancels a shipment that was paid for, or ships twice.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { asc, eq } from "drizzle-orm";
import type { Address } from "viem";
import { loadConfig, ConfigError } from "../../server/config.ts";
import { orderEvents, orders, payments, webhookEvents } from "../../server/db/schema.ts";
import { createMerchant, createOrder, startChainFixture, startDatabaseFixture, waitUntil, type ChainFixture, type DatabaseFixture } from "../gateway/support/fixtures.ts";
import { startFakeChain, startFakeIndexer, type FakeDependency } from "../support/fake-dependencies.ts";
import { BLOCK_LOOKUPS, startFlakyRpc, type FlakyRpc } from "../support/flaky-rpc.ts";
import { freePort, startServerProcess, type ServerProcess } from "../support/server-process.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Confirmations of the test merchants: the order stays `processing` while the RPC misbehaves. */
const CONFIRMATIONS = 20;
/** What one order's settlement writes, once each, when nothing goes wrong. */
const SETTLED_ONCE = ["order.created", "payment.detected", "order.processing", "payment.confirmed", "order.settled"];

describe("a failing or lagging RPC is not a reorg; several RPC URLs fail over", { timeout: 300_000 }, () => {
  let chain: ChainFixture;
  let dbf: DatabaseFixture;
  let indexer: FakeDependency;
  let proxy: FlakyRpc;
  let server: ServerProcess;

  before(async () => {
    [chain, dbf, indexer] = await Promise.all([startChainFixture(), startDatabaseFixture("rpc-failure"), startFakeIndexer()]);
    await chain.mint(chain.usdc, chain.payer.address, 10n ** 12n);
    proxy = await startFlakyRpc(chain.rpcUrl);
    server = await startServerProcess({ DATABASE_URL: dbf.url, RPC_URL: proxy.url, INDEXER_URL: indexer.url, WATCHER_POLL_MS: "50", GATEWAY_WORKERS: "on" });
  });
  after(async () => {
    await server?.stop();
    await proxy?.close();
    await Promise.all([dbf?.close(), chain?.stop(), indexer?.close()]);
  });

  const statusOf = async (database: DatabaseFixture, id: string) => (await database.database.db.select().from(orders).where(eq(orders.id, id)))[0]!.status;
  const historyOf = async (database: DatabaseFixture, id: string) =>
    (await database.database.db.select().from(orderEvents).where(eq(orderEvents.orderId, id)).orderBy(asc(orderEvents.id))).map((event) => event.type);
  const webhooksOf = async (database: DatabaseFixture, id: string) =>
    (await database.database.db.select().from(webhookEvents).where(eq(webhookEvents.orderId, id)).orderBy(asc(webhookEvents.createdAt))).map((event) => event.type);

  /** An order paid in full on chain and seen by the watcher (processing: confirmations still to come). */
  async function paidOrder(database: DatabaseFixture) {
    const merchant = await createMerchant(database.database, { confirmations: { "31337": CONFIRMATIONS } });
    const order = await createOrder(database.database, { merchant, token: chain.usdc, amount: 4_000_000n, predict: chain.predict });
    await chain.transfer(chain.usdc, order.depositAddress as Address, 4_000_000n);
    await waitUntil(async () => (await statusOf(database, order.id)) === "processing", 20_000);
    return order;
  }

  /** Waits until the watcher has read `count` more blocks through the proxy (ticks that got past their first lookup). */
  async function blockReads(count: number) {
    const before = proxy.served("eth_getBlockByNumber");
    await waitUntil(async () => proxy.served("eth_getBlockByNumber") >= before + count, 30_000);
  }

  /** Settles the order with the rest of its confirmations and checks every settlement event was written once. */
  async function settlesOnce(database: DatabaseFixture, id: string) {
    await chain.mine(CONFIRMATIONS);
    await waitUntil(async () => (await statusOf(database, id)) === "settled", 30_000);
    await sleep(500); // more ticks over the same blocks change nothing
    assert.deepEqual(await historyOf(database, id), SETTLED_ONCE);
    // One outbox row per event: no second order.settled (a new webhook event id) for the same payment.
    assert.deepEqual((await webhooksOf(database, id)).sort(), [...SETTLED_ONCE].sort());
    const rows = await database.database.db.select().from(payments).where(eq(payments.orderId, id));
    assert.deepEqual(rows.map((row) => row.status), ["confirmed"]);
  }

  it("block lookups failing for several ticks (500s in bursts, an outage, hung calls, everything down) never reorg a seen payment", async () => {
    const order = await paidOrder(dbf);
    const failedBefore = proxy.failed("eth_getBlockByNumber");

    // Bursts of 1..8 failed lookups land on different calls of a tick: the cursor's block, the
    // payment's block in a reorg check, the block time of a re-scanned log, the new cursor.
    for (let count = 1; count <= 8; count++) {
      proxy.failNext(BLOCK_LOOKUPS, count);
      await waitUntil(async () => proxy.pendingFailures() === 0, 30_000);
      await blockReads(3);
      if (count % 2 === 0) await chain.mine(1);
      assert.equal(await statusOf(dbf, order.id), "processing", `after a burst of ${count} failed block lookups`);
    }
    // An outage of block lookups over many ticks, while the chain moves on.
    for (const [methods, mode] of [[BLOCK_LOOKUPS, "500"], [BLOCK_LOOKUPS, "hang"], ["all", "500"]] as const) {
      proxy.fail(methods, mode);
      await chain.mine(1);
      await sleep(1_000);
      assert.equal(await statusOf(dbf, order.id), "processing", `during a ${mode} outage of ${methods === "all" ? "every call" : "block lookups"}`);
      proxy.recover();
      await blockReads(3);
    }
    assert.ok(proxy.failed("eth_getBlockByNumber") - failedBefore >= 36, "the watcher did meet the failures");
    assert.equal(await statusOf(dbf, order.id), "processing");
    assert.deepEqual(await historyOf(dbf, order.id), SETTLED_ONCE.slice(0, 3), "no payment.reorged, no order.new, no second payment.detected");

    await settlesOnce(dbf, order.id);
  });

  it("a lagging node reporting a head below the scanned blocks does not reorg the payments above it", async () => {
    const order = await paidOrder(dbf);
    // A load balancer sends the watcher to a node 10 blocks behind, while the chain moves on.
    proxy.lagHead(10);
    const heads = proxy.served("eth_blockNumber");
    await waitUntil(async () => proxy.served("eth_blockNumber") >= heads + 20, 30_000);
    await chain.mine(2);
    await waitUntil(async () => proxy.served("eth_blockNumber") >= heads + 40, 30_000);
    assert.equal(await statusOf(dbf, order.id), "processing");
    assert.ok(
      server.logs.some((line) => line.msg.startsWith("RPC head is below the last scanned block")),
      "the watcher says it is waiting for the head",
    );
    proxy.recover();
    await blockReads(3);
    assert.deepEqual(await historyOf(dbf, order.id), SETTLED_ONCE.slice(0, 3));

    await settlesOnce(dbf, order.id);
  });

  it("with a dead first RPC URL, one on another chain and one failing every call, the last URL still settles orders", async () => {
    const [other, dead, wrongChain, failing] = await Promise.all([startDatabaseFixture("rpc-failover"), freePort(), startFakeChain(1, 10n ** 9n), startFlakyRpc(chain.rpcUrl)]);
    failing.fail("all", "500");
    const deadUrl = `http://127.0.0.1:${dead}`;
    const fallbacks = [wrongChain.url, failing.url, chain.rpcUrl];
    const failover = await startServerProcess({ DATABASE_URL: other.url, RPC_URL: deadUrl, RPC_FALLBACK_URLS: fallbacks.join(","), INDEXER_URL: indexer.url, WATCHER_POLL_MS: "50", GATEWAY_WORKERS: "on" });
    try {
      const order = await paidOrder(other);
      await settlesOnce(other, order.id);
      assert.ok(failing.failed("eth_chainId") > 0, "the failing URL was tried (its chain id check fails first)");
      assert.ok(failover.logs.some((line) => line.msg === "RPC URL serves another chain: it is skipped" && line.url === wrongChain.url));
      // The browser is given the first URL only: a fallback URL may carry a provider's key.
      const page = await (await fetch(`${failover.url}/`)).text();
      assert.ok(page.includes(deadUrl), "the page's chain config names RPC_URL");
      for (const url of fallbacks) assert.ok(!page.includes(url), `${url} is not sent to browsers`);
    } finally {
      await failover.stop();
      await Promise.all([other.close(), wrongChain.close(), failing.close()]);
    }
  });

  it("start-up refuses an RPC_FALLBACK_URLS entry that is not an http(s) URL", () => {
    assert.throws(
      () => loadConfig({ RPC_URL: "http://127.0.0.1:8545", RPC_FALLBACK_URLS: "https://rpc.example, ftp://rpc.example" }),
      (error: unknown) => error instanceof ConfigError && error.issues.some((issue) => issue.field === "RPC_FALLBACK_URLS" && issue.message.includes("ftp://rpc.example")),
    );
    const config = loadConfig({ RPC_URL: "http://127.0.0.1:8545", RPC_FALLBACK_URLS: " https://a.example/v2/key , http://127.0.0.1:8545,https://b.example " });
    assert.equal(config.rpcUrl, "http://127.0.0.1:8545");
    assert.deepEqual(config.rpcUrls, ["http://127.0.0.1:8545", "https://a.example/v2/key", "https://b.example"]);
  });
});
