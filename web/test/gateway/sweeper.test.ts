// The sweeper against a real EDR chain and PostgreSQL: paid deposit addresses are swept in one batch to
// the merchant's destination minus the platform fee, unpaid ones are left alone, a late top-up is swept
// again, a sent batch whose receipt cannot be read is `submitted` (not `failed`), and two sweepers on one
// database never send the same batch.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import { erc20Abi, type Address } from "viem";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import type { Database } from "../../server/db/index.ts";
import { sweeps } from "../../server/db/schema.ts";
import { createSweeper } from "../../server/gateway/settlement/sweeper.ts";
import { createChainWatcher, type ChainWatcher } from "../../server/gateway/settlement/watcher.ts";
import { startFlakyRpc } from "../support/flaky-rpc.ts";
import { createMerchant, createOrder, silentLogger, startChainFixture, startDatabaseFixture, watchedChain, type ChainFixture, type DatabaseFixture } from "./support/fixtures.ts";

describe("deposit sweeper", { timeout: 180_000 }, () => {
  let chain: ChainFixture;
  let dbf: DatabaseFixture;
  let database: Database;
  let watcher: ChainWatcher;

  before(async () => {
    [chain, dbf] = await Promise.all([startChainFixture(), startDatabaseFixture("sweeper")]);
    database = dbf.database;
    await chain.mint(chain.usdc, chain.payer.address, 1_000_000_000n);
    watcher = createChainWatcher({ db: database.db, logger: silentLogger, chain: watchedChain(chain) });
    await watcher.tick();
  });
  after(async () => {
    await dbf?.close();
    await chain?.stop();
  });

  const sweeper = (rpcUrl: string = chain.rpcUrl) =>
    createSweeper({
      db: database.db,
      logger: silentLogger,
      chainId: 31337,
      rpcUrl,
      factory: chain.deployment.contracts.DepositAddressFactory.address,
      relayer: devAccount(0),
    });
  const usdcBalance = (holder: Address) => chain.publicClient.readContract({ address: chain.usdc, abi: erc20Abi, functionName: "balanceOf", args: [holder] });
  /** A merchant with a payout address nobody else uses, so its balance tells exactly what arrived. */
  const freshMerchant = () => createMerchant(database, { payoutAddress: `0x${randomBytes(20).toString("hex")}` as Address });

  it("sweeps settled deposits in one batch, net of the 1% platform fee, and leaves unpaid ones", async () => {
    const merchant = await freshMerchant();
    const paid = await Promise.all([10_000_000n, 25_000_000n].map((amount) => createOrder(database, { merchant, token: chain.usdc, amount, predict: chain.predict })));
    const unpaid = await createOrder(database, { merchant, token: chain.usdc, amount: 5_000_000n, predict: chain.predict });
    await chain.transfer(chain.usdc, paid[0]!.depositAddress as Address, 10_000_000n);
    await chain.transfer(chain.usdc, paid[1]!.depositAddress as Address, 25_000_000n);
    await watcher.tick();

    const result = await sweeper().tick();
    assert.equal(result.swept, 2);
    assert.equal(await usdcBalance(merchant.payoutAddress as Address), 34_650_000n, "35 USDC minus 1%");
    for (const order of paid) assert.equal(await usdcBalance(order.depositAddress as Address), 0n);
    const rows = await database.db.select().from(sweeps).where(eq(sweeps.transactionHash, result.transactionHash!));
    assert.deepEqual(rows.map((row) => [row.status, row.amount]).sort(), [["confirmed", 10_000_000n], ["confirmed", 25_000_000n]]);
    assert.equal((await database.db.select().from(sweeps).where(eq(sweeps.orderId, unpaid.id))).length, 0);

    assert.equal((await sweeper().tick()).swept, 0, "nothing left to sweep");
  });

  it("sweeps a late top-up again, from the live balance", async () => {
    const merchant = await freshMerchant();
    const order = await createOrder(database, { merchant, token: chain.usdc, amount: 10_000_000n, predict: chain.predict });
    await chain.transfer(chain.usdc, order.depositAddress as Address, 10_000_000n);
    await watcher.tick();
    assert.equal((await sweeper().tick()).swept, 1);
    await chain.transfer(chain.usdc, order.depositAddress as Address, 2_000_000n);
    await watcher.tick();
    assert.equal((await sweeper().tick()).swept, 1);
    assert.equal(await usdcBalance(merchant.payoutAddress as Address), 11_880_000n);
  });

  it("records a sent batch whose receipt the RPC cannot return as submitted, not failed, and never sweeps it twice", async () => {
    const merchant = await freshMerchant();
    const order = await createOrder(database, { merchant, token: chain.usdc, amount: 8_000_000n, predict: chain.predict });
    await chain.transfer(chain.usdc, order.depositAddress as Address, 8_000_000n);
    await watcher.tick();
    const proxy = await startFlakyRpc(chain.rpcUrl);
    try {
      proxy.fail(["eth_getTransactionReceipt"]);
      const result = await sweeper(proxy.url).tick();
      assert.equal(result.swept, 0);
      assert.ok(result.transactionHash, "the batch was sent");
      assert.ok(proxy.failed("eth_getTransactionReceipt") > 0);
      const rows = await database.db.select().from(sweeps).where(eq(sweeps.orderId, order.id));
      assert.deepEqual(rows.map((row) => [row.status, row.transactionHash]), [["submitted", result.transactionHash]]);
      // It did go through: the next tick (RPC recovered) finds an empty deposit and sends nothing.
      assert.equal(await usdcBalance(merchant.payoutAddress as Address), 7_920_000n);
      proxy.recover();
      assert.equal((await sweeper(proxy.url).tick()).swept, 0);
      assert.equal((await database.db.select().from(sweeps).where(eq(sweeps.orderId, order.id))).length, 1);
    } finally {
      await proxy.close();
    }
  });

  it("never sends the same batch twice when two processes sweep at once", async () => {
    const merchant = await freshMerchant();
    const order = await createOrder(database, { merchant, token: chain.usdc, amount: 7_000_000n, predict: chain.predict });
    await chain.transfer(chain.usdc, order.depositAddress as Address, 7_000_000n);
    await watcher.tick();
    const results = await Promise.all([sweeper().tick(), sweeper().tick()]);
    assert.equal(results.reduce((total, r) => total + r.swept, 0), 1);
    assert.equal((await database.db.select().from(sweeps).where(eq(sweeps.orderId, order.id))).length, 1);
    assert.equal(await usdcBalance(merchant.payoutAddress as Address), 6_930_000n);
  });
});
