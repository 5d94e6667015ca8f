// The chain watcher against a real EDR chain and a real PostgreSQL database: confirmations, partial
// and excess payments, late payments, wrong tokens, router payments, a reorg, a head below the scanned
// blocks (nothing decided until a block stands at the payment's height), and two watchers on one database.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { asc, eq } from "drizzle-orm";
import { createWalletClient, http, zeroAddress, type Address, type Hex } from "viem";
import { mockErc20Abi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { openDatabase, type Database } from "../../server/db/index.ts";
import { orderEvents, orders, payments, refunds } from "../../server/db/schema.ts";
import { createChainWatcher, expireOrders, type ChainWatcher } from "../../server/gateway/settlement/watcher.ts";
import { createMerchant, createOrder, silentLogger, startChainFixture, startDatabaseFixture, waitUntil, watchedChain, type ChainFixture, type DatabaseFixture } from "./support/fixtures.ts";

describe("chain watcher", { timeout: 180_000 }, () => {
  let chain: ChainFixture;
  let dbf: DatabaseFixture;
  let database: Database;
  let watcher: ChainWatcher;

  before(async () => {
    [chain, dbf] = await Promise.all([startChainFixture(), startDatabaseFixture("watcher")]);
    database = dbf.database;
    await chain.mint(chain.usdc, chain.payer.address, 1_000_000_000n);
    await chain.mint(chain.dai, chain.payer.address, 10n ** 24n);
    watcher = createChainWatcher({ db: database.db, logger: silentLogger, chain: watchedChain(chain) });
    await watcher.tick(); // sets the cursor
  });
  after(async () => {
    await dbf?.close();
    await chain?.stop();
  });

  const order = async (id: string) => (await database.db.select().from(orders).where(eq(orders.id, id)))[0]!;
  const eventTypes = async (id: string) =>
    (await database.db.select().from(orderEvents).where(eq(orderEvents.orderId, id)).orderBy(asc(orderEvents.id))).map((event) => event.type);
  const newOrder = async (amount: bigint, options: { token?: Address; confirmations?: number; expiresAt?: Date } = {}) => {
    const merchant = await createMerchant(database, options.confirmations ? { confirmations: { "31337": options.confirmations } } : {});
    return createOrder(database, { merchant, token: options.token ?? chain.usdc, amount, expiresAt: options.expiresAt, predict: chain.predict });
  };

  it("waits for the merchant's confirmations before settling", async () => {
    const created = await newOrder(25_000_000n, { confirmations: 3 });
    await chain.transfer(chain.usdc, created.depositAddress as Address, 25_000_000n);
    await watcher.tick();
    let current = await order(created.id);
    assert.equal(current.status, "processing");
    assert.equal(current.amountPending, 25_000_000n);
    assert.equal(current.amountPaid, 0n);

    await chain.mine(1);
    await watcher.tick();
    assert.equal((await order(created.id)).status, "processing", "2 of 3 confirmations");

    await chain.mine(1);
    await watcher.tick();
    current = await order(created.id);
    assert.equal(current.status, "settled");
    assert.equal(current.amountPaid, 25_000_000n);
    assert.equal(current.amountPending, 0n);
    assert.ok(current.settledAt);
    assert.deepEqual(await eventTypes(created.id), ["order.created", "payment.detected", "order.processing", "payment.confirmed", "order.settled"]);
  });

  it("reports an underpayment with what is left, then settles when topped up", async () => {
    const created = await newOrder(100_000_000n);
    await chain.transfer(chain.usdc, created.depositAddress as Address, 40_000_000n);
    await watcher.tick();
    let current = await order(created.id);
    assert.equal(current.status, "underpaid");
    assert.equal(current.amountPaid, 40_000_000n);

    await chain.transfer(chain.usdc, created.depositAddress as Address, 60_000_000n);
    await watcher.tick();
    current = await order(created.id);
    assert.equal(current.status, "settled");
    assert.equal(current.amountPaid, 100_000_000n);
    assert.ok((await eventTypes(created.id)).includes("order.underpaid"));
  });

  it("reports an overpayment with the amount received", async () => {
    const created = await newOrder(10_000_000n);
    await chain.transfer(chain.usdc, created.depositAddress as Address, 15_000_000n);
    await watcher.tick();
    const current = await order(created.id);
    assert.equal(current.status, "overpaid");
    assert.equal(current.amountPaid, 15_000_000n);
  });

  it("expires an unpaid order and marks a payment inside the monitoring window as paid_late", async () => {
    const created = await newOrder(5_000_000n, { expiresAt: new Date(Date.now() - 60_000) });
    assert.ok((await expireOrders(database.db)) >= 1);
    assert.equal((await order(created.id)).status, "expired");
    assert.equal(await expireOrders(database.db), 0, "expiry is idempotent");

    await chain.transfer(chain.usdc, created.depositAddress as Address, 5_000_000n);
    await watcher.tick();
    const current = await order(created.id);
    assert.equal(current.status, "paid_late");
    assert.equal(current.amountPaid, 5_000_000n);
    const [payment] = await database.db.select().from(payments).where(eq(payments.orderId, created.id));
    assert.equal(payment!.late, true);
  });

  it("records a payment in the wrong token as an event without counting it", async () => {
    const created = await newOrder(7_000_000n);
    await chain.transfer(chain.dai, created.depositAddress as Address, 7_000_000n);
    await watcher.tick();
    const current = await order(created.id);
    assert.equal(current.status, "new");
    assert.equal(current.amountPaid, 0n);
    assert.equal(current.amountPending, 0n);
    const types = await eventTypes(created.id);
    assert.ok(types.includes("payment.wrong_token"), types.join(","));
    assert.ok(!types.includes("payment.detected"));
  });

  it("settles an order paid through the PaymentRouter (orderRef + merchant destination)", async () => {
    const created = await newOrder(3_000_000n);
    const [decoy] = [await newOrder(3_000_000n)];
    // Same orderRef towards another destination must not count for this order.
    await chain.payThroughRouter(created.orderRef as `0x${string}`, decoy.destination as Address, chain.usdc, 3_000_000n);
    await chain.payThroughRouter(created.orderRef as `0x${string}`, created.destination as Address, chain.usdc, 3_000_000n);
    await watcher.tick();
    const current = await order(created.id);
    assert.equal(current.status, "settled");
    assert.equal(current.amountPaid, 3_000_000n);
    const rows = await database.db.select().from(payments).where(eq(payments.orderId, created.id));
    assert.deepEqual(rows.map((row) => row.method), ["router"]);
    assert.equal((await order(decoy.id)).status, "new");
  });

  it("records router refunds from the chain: completes the pending refund nobody reported, and one made outside the dashboard", async () => {
    const merchantWallet = devAccount(7);
    const merchant = await createMerchant(database, { payoutAddress: merchantWallet.address });
    const created = await createOrder(database, { merchant, token: chain.usdc, amount: 6_000_000n, predict: chain.predict });
    const decoy = await createOrder(database, { merchant: await createMerchant(database, { payoutAddress: devAccount(8).address }), token: chain.usdc, amount: 6_000_000n, predict: chain.predict });
    await chain.payThroughRouter(created.orderRef as Hex, merchantWallet.address, chain.usdc, 6_000_000n);
    await watcher.tick();
    assert.equal((await order(created.id)).status, "settled");
    // The dashboard recorded a refund and the wallet sent it, but the browser closed before reporting the transaction.
    const [reserved] = await database.db.insert(refunds).values({ orderId: created.id, kind: "onchain", status: "pending", amount: 2_000_000n, toAddress: chain.payer.address }).returning();
    const wallet = createWalletClient({ account: merchantWallet, chain: chain.publicClient.chain!, transport: http(chain.rpcUrl) });
    const router = chain.deployment.contracts.PaymentRouter.address;
    const send = async (amount: bigint, to: Address) => {
      await chain.publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: chain.usdc, abi: mockErc20Abi, functionName: "approve", args: [router, amount] }) });
      const hash = await wallet.writeContract({ address: router, abi: paymentRouterAbi, functionName: "refund", args: [created.orderRef as Hex, to, amount] });
      await chain.publicClient.waitForTransactionReceipt({ hash });
      return hash;
    };
    const reportedNowhere = await send(2_000_000n, chain.payer.address);
    // …and another refund straight through the router, to someone else, that the gateway never heard of.
    const outside = await send(1_000_000n, devAccount(9).address);
    await watcher.tick();
    await watcher.tick(); // a second pass over the same blocks changes nothing

    const current = await order(created.id);
    assert.equal(current.amountRefunded, 3_000_000n);
    assert.equal(current.status, "partially_refunded");
    const rows = await database.db.select().from(refunds).where(eq(refunds.orderId, created.id)).orderBy(asc(refunds.createdAt));
    assert.deepEqual(rows.map((row) => [row.id === reserved!.id, row.status, row.amount, row.transactionHash]), [
      [true, "completed", 2_000_000n, reportedNowhere],
      [false, "completed", 1_000_000n, outside],
    ]);
    assert.equal((await eventTypes(created.id)).filter((type) => type === "refund.completed").length, 2);
    assert.equal((await order(decoy.id)).amountRefunded, 0n);
  });

  it("detects native coin sent to a deposit address", async () => {
    const created = await newOrder(10n ** 16n, { token: zeroAddress });
    await chain.sendNative(created.depositAddress as Address, 10n ** 16n);
    await watcher.tick();
    const current = await order(created.id);
    assert.equal(current.status, "settled");
    assert.equal(current.amountPaid, 10n ** 16n);
  });

  it("moves an order back with an event when its payment is reorged out", async () => {
    const created = await newOrder(2_000_000n);
    const snapshot = await chain.snapshot();
    await chain.transfer(chain.usdc, created.depositAddress as Address, 2_000_000n);
    await chain.mine(1);
    await watcher.tick();
    assert.equal((await order(created.id)).status, "settled");

    await chain.revert(snapshot);
    await chain.mine(3); // the replacement chain is longer, without the payment
    const result = await watcher.tick();
    assert.equal(result.reorg, true);
    const current = await order(created.id);
    assert.equal(current.status, "new");
    assert.equal(current.amountPaid, 0n);
    assert.equal(current.settledAt, null);
    const [payment] = await database.db.select().from(payments).where(eq(payments.orderId, created.id));
    assert.equal(payment!.status, "reorged");
    const types = await eventTypes(created.id);
    assert.deepEqual(types.slice(-2), ["payment.reorged", "order.new"]);

    // Re-scanning the same range again changes nothing.
    await watcher.tick();
    assert.equal((await eventTypes(created.id)).length, types.length);
  });

  it("waits, marking nothing, while the head is below a payment's block; reorgs it once another block stands at that height", async () => {
    const created = await newOrder(2_000_000n);
    const snapshot = await chain.snapshot();
    await chain.transfer(chain.usdc, created.depositAddress as Address, 2_000_000n);
    await chain.mine(1);
    await watcher.tick();
    assert.equal((await order(created.id)).status, "settled");
    const settledTypes = await eventTypes(created.id);

    // The chain is now shorter than what was scanned: as a lagging node looks. No block at the
    // payment's height to compare with, so nothing is decided.
    await chain.revert(snapshot);
    for (let i = 0; i < 3; i++) {
      const result = await watcher.tick();
      assert.equal(result.waiting, true);
      assert.equal(result.reorg, false);
    }
    assert.equal((await order(created.id)).status, "settled");
    assert.deepEqual(await eventTypes(created.id), settledTypes);

    // A different block at the payment's height (still below the old cursor): now it is a reorg.
    await chain.mine(1);
    const result = await watcher.tick();
    assert.equal(result.reorg, true);
    assert.equal((await order(created.id)).status, "new");
    const [payment] = await database.db.select().from(payments).where(eq(payments.orderId, created.id));
    assert.equal(payment!.status, "reorged");
    assert.deepEqual((await eventTypes(created.id)).slice(settledTypes.length), ["payment.reorged", "order.new"]);
  });

  it("never confirms a payment whose recorded block is not the block at its height (read from another node's view): reorged, found again in its real block", async () => {
    const created = await newOrder(3_000_000n, { confirmations: 3 });
    const { blockNumber } = await chain.transfer(chain.usdc, created.depositAddress as Address, 3_000_000n);
    await watcher.tick();
    assert.equal((await order(created.id)).status, "processing");
    // As if the log had come from a node on a fork that the chain then left, while the cursor's block stayed.
    const forkHash = `0x${"f0".repeat(32)}` as Hex;
    await database.db.update(payments).set({ blockHash: forkHash }).where(eq(payments.orderId, created.id));

    await chain.mine(1);
    await watcher.tick();
    assert.equal((await order(created.id)).status, "processing", "not due yet: nothing checked, nothing decided");
    await chain.mine(1);
    const result = await watcher.tick();
    assert.equal(result.reorg, true);
    const current = await order(created.id);
    assert.equal(current.status, "settled");
    const [payment] = await database.db.select().from(payments).where(eq(payments.orderId, created.id));
    assert.equal(payment!.status, "confirmed");
    assert.equal(payment!.blockNumber, blockNumber);
    assert.equal(payment!.blockHash, (await chain.publicClient.getBlock({ blockNumber })).hash, "confirmed in the block the chain has");
    assert.deepEqual((await eventTypes(created.id)).slice(3), ["payment.reorged", "order.new", "payment.detected", "payment.confirmed", "order.settled"]);
  });

  it("two watchers on one database never double count", async () => {
    const second = await openDatabase({ kind: "postgres", url: dbf.url }, silentLogger);
    const watchers = [
      createChainWatcher({ db: database.db, logger: silentLogger, chain: { ...watchedChain(chain), pollIntervalMs: 10 } }),
      createChainWatcher({ db: second.db, logger: silentLogger, chain: { ...watchedChain(chain), pollIntervalMs: 10 } }),
    ];
    try {
      const created = await Promise.all(Array.from({ length: 6 }, () => newOrder(1_000_000n)));
      for (const w of watchers) w.start();
      for (const [index, item] of created.entries()) {
        await chain.transfer(chain.usdc, item.depositAddress as Address, index % 2 === 0 ? 1_000_000n : 400_000n);
      }
      await waitUntil(async () => {
        const rows = await Promise.all(created.map((item) => order(item.id)));
        return rows.every((row) => row.status === "settled" || row.status === "underpaid");
      }, 15_000);
      // Both watchers have had many ticks over the same blocks by now.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const [index, item] of created.entries()) {
        const current = await order(item.id);
        assert.equal(current.amountPaid, index % 2 === 0 ? 1_000_000n : 400_000n);
        const rows = await database.db.select().from(payments).where(eq(payments.orderId, item.id));
        assert.equal(rows.length, 1);
        const types = await eventTypes(item.id);
        assert.equal(types.filter((type) => type === "payment.detected").length, 1);
        assert.equal(types.filter((type) => type.startsWith("order.") && type !== "order.created").length, 1, types.join(","));
      }
    } finally {
      await Promise.all(watchers.map((w) => w.stop()));
      await second.close();
    }
  });
});
