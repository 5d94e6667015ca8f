// "Pay with credit" against a real EDR chain and a real PostgreSQL database: the checkout's quote
// (components/apps/lending-math.ts, fed the same reads as the page) agrees with CoinPaysLending at the boundary
// of a position's capacity and in each refusal, and an order paid through CreditPayment settles through the
// gateway watcher's ordinary router path (orderRef, merchant destination, gross amount, token).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import {
  BaseError,
  ContractFunctionRevertedError,
  createTestClient,
  createWalletClient,
  http,
  parseEventLogs,
  type Abi,
  type Address,
  type Hex,
  type LocalAccount,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { chainlinkOracleAdapterAbi, coinPaysLendingAbi, creditPaymentAbi, mockAggregatorV3Abi, mockErc20Abi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { creditPaymentCallAbi } from "../../components/apps/credit-payment-abi.ts";
import { quoteCredit, type MarketTotals, type Position } from "../../components/apps/lending-math.ts";
import type { Database } from "../../server/db/index.ts";
import { orders, payments } from "../../server/db/schema.ts";
import { createChainWatcher, type ChainWatcher } from "../../server/gateway/settlement/watcher.ts";
import { createMerchant, createOrder, silentLogger, startChainFixture, startDatabaseFixture, watchedChain, type ChainFixture, type DatabaseFixture } from "./support/fixtures.ts";

const USDC = 10n ** 6n;
const WETH = 10n ** 18n;

describe("pay with credit", { timeout: 180_000 }, () => {
  let chain: ChainFixture;
  let dbf: DatabaseFixture;
  let database: Database;
  let watcher: ChainWatcher;
  let lending: Address;
  let creditPayment: Address;
  let market: ChainFixture["deployment"]["lending"]["markets"][number];
  let params: { loanToken: Address; collateralToken: Address; oracle: Address; rateModel: Address; lltv: bigint };
  const [lender, feedOwner] = [devAccount(18), devAccount(0)];

  async function send(account: LocalAccount, address: Address, abi: Abi, functionName: string, args: readonly unknown[]) {
    const wallet = createWalletClient({ account, chain: chain.publicClient.chain, transport: http(chain.rpcUrl) });
    const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    assert.equal(receipt.status, "success", `${functionName} reverted`);
    return receipt;
  }

  /** The custom error a call would revert with (simulated from `account`, nothing sent). */
  async function revertName(account: LocalAccount, address: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<string> {
    try {
      await chain.publicClient.simulateContract({ account, address, abi, functionName, args } as never);
    } catch (error) {
      const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
      if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) return reverted.data.errorName;
      throw error;
    }
    throw new Error(`${functionName} did not revert`);
  }

  const read = <T,>(address: Address, abi: Abi, functionName: string, args: readonly unknown[] = []) =>
    chain.publicClient.readContract({ address, abi, functionName, args } as never) as Promise<T>;

  /** What the checkout page reads for a payer, turned into its quote. */
  async function quote(account: Address, amount: bigint) {
    const [position, debt, totals, [priceOk, price], minBorrow] = await Promise.all([
      read<Position>(lending, coinPaysLendingAbi as Abi, "position", [market.id, account]),
      read<bigint>(lending, coinPaysLendingAbi as Abi, "expectedBorrowAssets", [params, account]),
      read<MarketTotals>(lending, coinPaysLendingAbi as Abi, "market", [market.id]),
      read<[boolean, bigint]>(params.oracle, chainlinkOracleAdapterAbi as Abi, "tryPrice"),
      read<bigint>(lending, coinPaysLendingAbi as Abi, "minBorrow", [params.loanToken]),
    ]);
    return quoteCredit({ position, debt, totals, price: priceOk && price > 0n ? price : undefined, lltv: params.lltv, minBorrow, amount });
  }

  /** A borrower with `collateral` WETH deposited who has authorised CreditPayment once, as the checkout makes them. */
  async function borrowerWithCollateral(index: number, collateral: bigint): Promise<LocalAccount> {
    const borrower = devAccount(index);
    await chain.mint(params.collateralToken, borrower.address, collateral);
    await send(borrower, params.collateralToken, mockErc20Abi as Abi, "approve", [lending, collateral]);
    await send(borrower, lending, coinPaysLendingAbi as Abi, "supplyCollateral", [params, collateral, borrower.address]);
    await send(borrower, lending, coinPaysLendingAbi as Abi, "setAuthorization", [creditPayment, true]);
    return borrower;
  }

  /** An order towards a fresh payout address, so its balance shows exactly what the merchant received. */
  async function newOrder(amount: bigint) {
    const merchant = await createMerchant(database, { payoutAddress: privateKeyToAccount(generatePrivateKey()).address });
    return createOrder(database, { merchant, token: params.loanToken, amount, predict: chain.predict });
  }

  const payArgs = (order: { orderRef: string; destination: string; amount: bigint }, maxBorrowShares: bigint) => [params, order.orderRef as Hex, order.destination as Address, order.amount, maxBorrowShares];
  const borrowSharesOf = async (account: Address) => (await read<Position>(lending, coinPaysLendingAbi as Abi, "position", [market.id, account])).borrowShares;

  before(async () => {
    [chain, dbf] = await Promise.all([startChainFixture(), startDatabaseFixture("credit")]);
    database = dbf.database;
    lending = chain.deployment.contracts.CoinPaysLending.address;
    creditPayment = chain.deployment.contracts.CreditPayment.address;
    market = chain.deployment.lending.markets[0]!;
    params = { loanToken: market.loanToken, collateralToken: market.collateralToken, oracle: market.oracle, rateModel: market.rateModel, lltv: BigInt(market.lltv) };
    assert.equal(params.loanToken, chain.usdc);
    // Lenders: 10,000 USDC to borrow from.
    await chain.mint(chain.usdc, lender.address, 10_000n * USDC);
    await send(lender, chain.usdc, mockErc20Abi as Abi, "approve", [lending, 10_000n * USDC]);
    await send(lender, lending, coinPaysLendingAbi as Abi, "supply", [params, 10_000n * USDC, 0n, lender.address]);
    watcher = createChainWatcher({ db: database.db, logger: silentLogger, chain: watchedChain(chain) });
    await watcher.tick(); // sets the cursor
  });
  after(async () => {
    await dbf?.close();
    await chain?.stop();
  });

  it("offers exactly the contract's capacity: one base unit more reverts, all of it pays the order, the watcher settles it", async () => {
    const borrower = await borrowerWithCollateral(15, WETH);
    // 1 WETH at 3,000 USDC with an 86% LLTV.
    const { available } = (await quote(borrower.address, USDC)) as { available: bigint };
    assert.equal(available, 2_580n * USDC);

    const tooMuch = await newOrder(available + 1n);
    const refused = await quote(borrower.address, tooMuch.amount);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.reason, "insufficient-collateral");
    assert.equal(await revertName(borrower, creditPayment, creditPaymentCallAbi, "payWithCredit", payArgs(tooMuch, 2n ** 256n - 1n)), "InsufficientCollateral");

    const order = await newOrder(available);
    const offered = await quote(borrower.address, order.amount);
    assert.ok(offered.ok, JSON.stringify(offered, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
    const receipt = await send(borrower, creditPayment, creditPaymentAbi as Abi, "payWithCredit", payArgs(order, offered.maxBorrowShares));

    // What CreditPayment handed the router is what the watcher matches an order on.
    const [settled] = parseEventLogs({ abi: paymentRouterAbi, eventName: "PaymentSettled", logs: receipt.logs });
    assert.equal(settled!.args.orderRef, order.orderRef);
    assert.equal(settled!.args.merchant, order.destination);
    assert.equal(settled!.args.token, order.token);
    assert.equal(settled!.args.amount, order.amount);
    assert.equal(settled!.args.payer, creditPayment);
    const [paid] = parseEventLogs({ abi: creditPaymentAbi, eventName: "CreditPaid", logs: receipt.logs });
    assert.equal(paid!.args.payer, borrower.address);
    assert.equal(paid!.args.borrowShares, offered.borrowShares);
    assert.equal(await read<bigint>(lending, coinPaysLendingAbi as Abi, "expectedBorrowAssets", [params, borrower.address]), offered.debtAfter);
    assert.equal(await read<bigint>(chain.usdc, mockErc20Abi as Abi, "balanceOf", [order.destination]), settled!.args.merchantAmount);
    assert.equal(settled!.args.merchantAmount + settled!.args.fee, order.amount);

    await watcher.tick();
    const [stored] = await database.db.select().from(orders).where(eq(orders.id, order.id));
    assert.equal(stored!.status, "settled");
    assert.equal(stored!.amountPaid, order.amount);
    const rows = await database.db.select().from(payments).where(eq(payments.orderId, order.id));
    // The router saw CreditPayment as its payer; the gateway records the borrower, whom an on-chain refund goes to by default.
    assert.deepEqual(
      rows.map((row) => [row.method, row.amount, row.transactionHash, row.payer]),
      [["router", order.amount, receipt.transactionHash, borrower.address]],
    );
    const [untouched] = await database.db.select().from(orders).where(eq(orders.id, tooMuch.id));
    assert.equal(untouched!.status, "new", "the refused order was neither paid nor borrowed for");
  });

  it("two credit payments of one order in the same block (two tabs, a double click): one pays, the other reverts whole, no second debt", async () => {
    const borrower = await borrowerWithCollateral(14, WETH);
    const order = await newOrder(40n * USDC);
    const q = await quote(borrower.address, order.amount);
    assert.ok(q.ok);
    const wallet = createWalletClient({ account: borrower, chain: chain.publicClient.chain, transport: http(chain.rpcUrl) });
    const testClient = createTestClient({ mode: "hardhat", transport: http(chain.rpcUrl) });
    await testClient.setAutomine(false);
    let hashes: Hex[];
    try {
      // Explicit gas: estimating against the pending block would already see the first payment.
      const submit = (nonce: number) =>
        wallet.writeContract({ address: creditPayment, abi: creditPaymentCallAbi, functionName: "payWithCredit", args: payArgs(order, q.maxBorrowShares), gas: 600_000n, nonce } as never);
      const nonce = await chain.publicClient.getTransactionCount({ address: borrower.address, blockTag: "pending" });
      hashes = [await submit(nonce), await submit(nonce + 1)];
      await testClient.mine({ blocks: 1 });
    } finally {
      await testClient.setAutomine(true);
    }
    const receipts = await Promise.all(hashes.map((hash) => chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 })));
    assert.equal(receipts[0]!.blockNumber, receipts[1]!.blockNumber, "both in one block");
    assert.deepEqual(receipts.map((r) => r.status), ["success", "reverted"]);
    // Borrowed once: the quote's debt, give or take the interest of the second between quote and block.
    const owed = await read<bigint>(lending, coinPaysLendingAbi as Abi, "expectedBorrowAssets", [params, borrower.address]);
    assert.ok(owed >= q.debtAfter && owed - q.debtAfter <= owed / 1_000_000n, `quoted ${q.debtAfter}, owed ${owed}`);
    assert.equal(receipts.flatMap((r) => parseEventLogs({ abi: creditPaymentAbi, eventName: "CreditPaid", logs: r.logs })).length, 1);
    // A third try, simulated now, names the reason the page would show.
    assert.equal(await revertName(borrower, creditPayment, creditPaymentCallAbi, "payWithCredit", payArgs(order, q.maxBorrowShares)), "OrderAlreadySettled");

    await watcher.tick();
    const [stored] = await database.db.select().from(orders).where(eq(orders.id, order.id));
    assert.equal(stored!.status, "settled");
    assert.equal(stored!.amountPaid, order.amount, "counted once");
    assert.equal((await database.db.select().from(payments).where(eq(payments.orderId, order.id))).length, 1);
  });

  it("with debt and a year of interest, the quoted debt after is what the contract records and the share bound holds", async () => {
    const borrower = await borrowerWithCollateral(16, 2n * WETH);
    const first = await newOrder(1_000n * USDC);
    const q1 = await quote(borrower.address, first.amount);
    assert.ok(q1.ok);
    await send(borrower, creditPayment, creditPaymentAbi as Abi, "payWithCredit", payArgs(first, q1.maxBorrowShares));
    await watcher.tick();
    assert.equal((await database.db.select().from(orders).where(eq(orders.id, first.id)))[0]!.status, "settled");

    const testClient = createTestClient({ mode: "hardhat", transport: http(chain.rpcUrl) });
    await testClient.increaseTime({ seconds: 365 * 86_400 });
    await testClient.mine({ blocks: 1 });
    // The dev feed only moves when set: a fresh answer after the year (the adapter would call it stale).
    const stale = await quote(borrower.address, USDC);
    assert.equal(!stale.ok && stale.reason, "price-unavailable");
    await send(feedOwner, market.feed, mockAggregatorV3Abi as Abi, "setAnswer", [3_000n * 10n ** 8n]);

    const second = await newOrder(500n * USDC);
    const q2 = await quote(borrower.address, second.amount);
    assert.ok(q2.ok);
    const owedBefore = await read<bigint>(lending, coinPaysLendingAbi as Abi, "expectedBorrowAssets", [params, borrower.address]);
    assert.ok(owedBefore > 1_000n * USDC, "a year of interest accrued");
    const receipt = await send(borrower, creditPayment, creditPaymentAbi as Abi, "payWithCredit", payArgs(second, q2.maxBorrowShares));
    const [paid] = parseEventLogs({ abi: creditPaymentAbi, eventName: "CreditPaid", logs: receipt.logs });
    // Accrual between the quote and the transaction only lowers the shares minted.
    assert.ok(paid!.args.borrowShares <= q2.borrowShares && q2.borrowShares < q2.maxBorrowShares);
    const owedAfter = await read<bigint>(lending, coinPaysLendingAbi as Abi, "expectedBorrowAssets", [params, borrower.address]);
    // The transaction ran a second or two after the quote: at most that much more interest, never less debt.
    assert.ok(owedAfter >= q2.debtAfter && owedAfter - q2.debtAfter <= owedAfter / 1_000_000n, `quoted ${q2.debtAfter}, recorded ${owedAfter}`);

  });

  it("each refusal is the contract's: not enough to lend, below the minimum, price feed down; nothing is borrowed or paid", async () => {
    const borrower = await borrowerWithCollateral(17, 10n * WETH);
    const totals = await read<MarketTotals>(lending, coinPaysLendingAbi as Abi, "market", [market.id]);
    const liquidity = totals.totalSupplyAssets - totals.totalBorrowAssets;

    const big = await newOrder(liquidity + 1n);
    const dry = await quote(borrower.address, big.amount);
    assert.deepEqual(!dry.ok && [dry.reason, dry.reason === "insufficient-liquidity" && dry.available], ["insufficient-liquidity", liquidity]);
    assert.equal(await revertName(borrower, creditPayment, creditPaymentCallAbi, "payWithCredit", payArgs(big, 2n ** 256n - 1n)), "InsufficientLiquidity");

    const small = await newOrder(USDC / 2n);
    const tiny = await quote(borrower.address, small.amount);
    assert.equal(!tiny.ok && tiny.reason, "below-minimum");
    assert.equal(await revertName(borrower, creditPayment, creditPaymentCallAbi, "payWithCredit", payArgs(small, 2n ** 256n - 1n)), "BorrowBelowMinimum");

    const fine = await newOrder(100n * USDC);
    assert.equal((await quote(borrower.address, fine.amount)).ok, true);
    await send(feedOwner, market.feed, mockAggregatorV3Abi as Abi, "setBroken", [true]);
    try {
      const down = await quote(borrower.address, fine.amount);
      assert.equal(!down.ok && down.reason, "price-unavailable");
      assert.equal(await revertName(borrower, creditPayment, creditPaymentCallAbi, "payWithCredit", payArgs(fine, 2n ** 256n - 1n)), "OracleUnavailable");
    } finally {
      await send(feedOwner, market.feed, mockAggregatorV3Abi as Abi, "setBroken", [false]);
    }

    // Borrowing from a market works only for the caller's own position, with its authorisation.
    const stranger = devAccount(19);
    assert.equal(await revertName(stranger, creditPayment, creditPaymentCallAbi, "payWithCredit", payArgs(fine, 2n ** 256n - 1n)), "Unauthorized");

    assert.equal(await borrowSharesOf(borrower.address), 0n);
    await watcher.tick();
    for (const order of [big, small, fine]) {
      const [stored] = await database.db.select().from(orders).where(eq(orders.id, order.id));
      assert.equal(stored!.status, "new");
    }
  });
});
