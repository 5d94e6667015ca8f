/**
 * End to end for every contract beyond the payment router and deposit addresses: activity on a real EDR
 * chain (a plan, a subscription and its charge; escrows released and refunded; a split distributed and
 * withdrawn; a loyalty program paid into and refunded; supply, collateral, borrow, credit payment, a
 * liquidation, a repayment and a withdrawal on the demo market; the subscription cancelled), then Ponder into PostgreSQL (DATABASE_URL) and the rows checked exactly,
 * against the events and, for lending, against the contract's own views.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import {
  createPublicClient,
  createWalletClient,
  http,
  maxUint256,
  parseAbi,
  parseEventLogs,
  parseSignature,
  parseUnits,
  type Abi,
  type Address,
  type HDAccount,
  type Hex,
  type TransactionReceipt,
} from "viem";
import {
  paymentRouterAbi,
  coinPaysLendingAbi,
  creditPaymentAbi,
  escrowAbi,
  loyaltyCheckoutAbi,
  loyaltyProgramFactoryAbi,
  mockErc20Abi,
  splitMainAbi,
  subscriptionsAbi,
} from "@coinpays/sdk/contracts";
import { deployCoinPays, type Deployment } from "../../scripts/lib/deploy.ts";
import { devAccount } from "../../scripts/lib/dev-accounts.ts";
import { startLocalChain, type LocalChain } from "../../scripts/lib/local-chain.ts";
import { ROOT } from "../../scripts/lib/paths.ts";
import { freePort, waitFor, type ManagedProcess } from "../../scripts/lib/processes.ts";
import { startPonder } from "../../scripts/lib/ponder.ts";
import { orderRefOf, seedLocalChain } from "../../scripts/lib/seed.ts";
import { freshDatabase } from "./support.ts";

const INDEXER_DIR = path.join(ROOT, "indexer");
const DATABASE_URL = process.env.DATABASE_URL;

const aggregatorAbi = parseAbi(["function setAnswer(int256 newAnswer)"]);

const merchant = devAccount(1);
const customer = devAccount(2);
const lender = devAccount(4);
const borrower = devAccount(5);
const liquidator = devAccount(6);
const creditMerchant = devAccount(7);
const splitPartner = devAccount(8);
const permitPayer = devAccount(9);
const DAY = 86_400n;
const HOUR = 3_600n;

describe("indexer: subscriptions, escrow, splits, loyalty, lending", { timeout: 300_000 }, () => {
  let chain: LocalChain;
  let deploymentsDir: string;
  let deployment: Deployment;
  let client: ReturnType<typeof createPublicClient>;
  const receipts: Record<string, TransactionReceipt> = {};
  let dayStart: bigint;

  /** Sends one transaction from `account` and waits for it; it must succeed. */
  async function send(label: string, account: HDAccount, address: Address, abi: Abi, functionName: string, args: readonly unknown[]) {
    const chainDef = { id: 31337, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [chain.rpcUrl] } } };
    const wallet = createWalletClient({ account, chain: chainDef, transport: http(chain.rpcUrl) });
    const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
    const receipt = await client.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success", label);
    receipts[label] = receipt;
    return receipt;
  }
  /** The one event `name` a transaction emitted. */
  function eventOf(label: string, abi: Abi, name: string): Record<string, any> {
    const logs = parseEventLogs({ abi, logs: receipts[label]!.logs, eventName: name } as never) as unknown as Array<{ args: Record<string, any> }>;
    assert.equal(logs.length, 1, `${label} emitted ${logs.length} ${name}`);
    return logs[0]!.args;
  }

  before(async () => {
    chain = await startLocalChain();
    deploymentsDir = await mkdtemp(path.join(tmpdir(), "coinpays-deployments-"));
    deployment = await deployCoinPays({ rpcUrl: chain.rpcUrl, account: devAccount(0), deploymentsDir, log: () => {} });
    client = createPublicClient({ transport: http(chain.rpcUrl) });
    // Pin the activity to known rollup buckets: everything up to the cancellation in the first hour of the
    // next UTC day, the last payment and refund two hours later (the same day bucket, another hour).
    dayStart = ((BigInt(Math.floor(Date.now() / 1000)) + DAY) / DAY) * DAY;
    await client.request({ method: "evm_setNextBlockTimestamp" as never, params: [Number(dayStart)] as never });
    await seedLocalChain(chain.rpcUrl, deployment, () => {});
    const c = deployment.contracts;
    const usdc = deployment.tokens.find((t) => t.symbol === "USDC")!.address;
    const weth = deployment.tokens.find((t) => t.symbol === "WETH")!.address;
    const erc20 = mockErc20Abi as Abi;

    // Subscriptions: a monthly 10 USDC plan, no trial, subscribed to and charged for period 0.
    await send("createPlan", merchant, c.Subscriptions.address, subscriptionsAbi as Abi, "createPlan", [usdc, parseUnits("10", 6), 30 * 86_400, 0]);
    const planId = eventOf("createPlan", subscriptionsAbi as Abi, "PlanCreated").planId as bigint;
    await send("approveSubscriptions", customer, usdc, erc20, "approve", [c.Subscriptions.address, maxUint256]);
    await send("subscribe", customer, c.Subscriptions.address, subscriptionsAbi as Abi, "subscribe", [planId, parseUnits("10", 6)]);
    const subscriptionId = eventOf("subscribe", subscriptionsAbi as Abi, "Subscribed").subscriptionId as bigint;
    await send("charge", devAccount(0), c.Subscriptions.address, subscriptionsAbi as Abi, "charge", [subscriptionId]);

    // Escrow: one funded and released (then withdrawn by the seller), one funded and refunded by the seller.
    await send("approveEscrow", customer, usdc, erc20, "approve", [c.Escrow.address, maxUint256]);
    const now = (await client.getBlock()).timestamp;
    const terms = (amount: bigint) => ({ seller: merchant.address, arbiter: "0x0000000000000000000000000000000000000000", token: usdc, amount, deadline: Number(now + 86_400n), disputeWindow: 0, arbiterFeeBps: 0, arbiterTimeout: 0 });
    await send("fundReleased", customer, c.Escrow.address, escrowAbi as Abi, "fund", [terms(parseUnits("40", 6))]);
    await send("fundRefunded", customer, c.Escrow.address, escrowAbi as Abi, "fund", [terms(parseUnits("15", 6))]);
    await send("release", customer, c.Escrow.address, escrowAbi as Abi, "release", [eventOf("fundReleased", escrowAbi as Abi, "EscrowFunded").id]);
    await send("refund", merchant, c.Escrow.address, escrowAbi as Abi, "refund", [eventOf("fundRefunded", escrowAbi as Abi, "EscrowFunded").id]);
    await send("escrowWithdraw", merchant, c.Escrow.address, escrowAbi as Abi, "withdraw", [usdc]);

    // Splits: 70/30 between the merchant and a partner, 1% to the distributor; 100 USDC paid in, distributed, withdrawn.
    const recipients = [merchant.address, splitPartner.address].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const allocations = recipients.map((r) => (r === merchant.address ? 700_000 : 300_000));
    await send("createSplit", merchant, c.SplitMain.address, splitMainAbi as Abi, "createSplit", [recipients, allocations, 10_000, merchant.address]);
    const splitAddress = eventOf("createSplit", splitMainAbi as Abi, "SplitCreated").split as Address;
    await send("fundSplit", customer, usdc, erc20, "transfer", [splitAddress, parseUnits("100", 6)]);
    await send("distribute", devAccount(0), c.SplitMain.address, splitMainAbi as Abi, "distribute", [splitAddress, usdc]);
    await send("splitWithdraw", merchant, c.SplitMain.address, splitMainAbi as Abi, "withdraw", [merchant.address, [usdc]]);

    // Loyalty: a 5% program, a 20 USDC order through the checkout, then a 10 USDC refund (points clawed back).
    await send("createProgram", merchant, c.LoyaltyProgramFactory.address, loyaltyProgramFactoryAbi as Abi, "createProgram", ["Demo Points", "DPT", usdc, 500, false]);
    await send("approveCheckout", customer, usdc, erc20, "approve", [c.LoyaltyCheckout.address, maxUint256]);
    await send("loyaltyPay", customer, c.LoyaltyCheckout.address, loyaltyCheckoutAbi as Abi, "pay", [orderRefOf("loyalty-1"), merchant.address, usdc, parseUnits("20", 6)]);
    await send("approveCheckoutRefund", merchant, usdc, erc20, "approve", [c.LoyaltyCheckout.address, maxUint256]);
    await send("loyaltyRefund", merchant, c.LoyaltyCheckout.address, loyaltyCheckoutAbi as Abi, "refund", [orderRefOf("loyalty-1"), customer.address, parseUnits("10", 6)]);

    // Lending on the demo USDC/WETH market: supply, collateral, borrow, a credit payment, then a price drop
    // makes the borrower liquidatable and a liquidator seizes part of the collateral.
    const market = deployment.lending.markets[0]!;
    const params = { loanToken: market.loanToken, collateralToken: market.collateralToken, oracle: market.oracle, rateModel: market.rateModel, lltv: BigInt(market.lltv) };
    const lending = c.CoinPaysLending.address;
    const lendingAbi = coinPaysLendingAbi as Abi;
    await send("mintWeth", devAccount(0), weth, erc20, "mint", [borrower.address, parseUnits("1", 18)]);
    await send("approveLender", lender, usdc, erc20, "approve", [lending, maxUint256]);
    await send("supply", lender, lending, lendingAbi, "supply", [params, parseUnits("5000", 6), 0n, lender.address]);
    await send("approveBorrower", borrower, weth, erc20, "approve", [lending, maxUint256]);
    await send("supplyCollateral", borrower, lending, lendingAbi, "supplyCollateral", [params, parseUnits("1", 18), borrower.address]);
    await send("borrow", borrower, lending, lendingAbi, "borrow", [params, parseUnits("2000", 6), 0n, borrower.address, borrower.address]);
    await send("authorizeCredit", borrower, lending, lendingAbi, "setAuthorization", [c.CreditPayment.address, true]);
    await send("payWithCredit", borrower, c.CreditPayment.address, creditPaymentAbi as Abi, "payWithCredit", [params, orderRefOf("credit-1"), creditMerchant.address, parseUnits("50", 6), maxUint256]);
    await send("priceDrop", devAccount(0), market.feed, aggregatorAbi as Abi, "setAnswer", [2_000n * 10n ** 8n]);
    await send("approveLiquidator", liquidator, usdc, erc20, "approve", [lending, maxUint256]);
    await send("liquidate", liquidator, lending, lendingAbi, "liquidate", [params, borrower.address, parseUnits("0.1", 18), 0n]);
    await send("approveRepay", borrower, usdc, erc20, "approve", [lending, maxUint256]);
    await send("repay", borrower, lending, lendingAbi, "repay", [params, parseUnits("100", 6), 0n, borrower.address]);
    await send("withdraw", lender, lending, lendingAbi, "withdraw", [params, parseUnits("1000", 6), 0n, lender.address, lender.address]);

    // Last: the subscriber cancels.
    await send("cancel", customer, c.Subscriptions.address, subscriptionsAbi as Abi, "cancel", [subscriptionId]);

    // Two hours on: a payment with an EIP-2612 permit from a new payer, and a partial refund of the seeded
    // router payment (its refund counts in this hour, its payment in the first).
    await client.request({ method: "evm_setNextBlockTimestamp" as never, params: [Number(dayStart + 2n * HOUR)] as never });
    const permitAmount = parseUnits("30", 6);
    const deadline = dayStart + DAY;
    const usdcName = (await client.readContract({ address: usdc, abi: erc20, functionName: "name" })) as string;
    const nonce = (await client.readContract({ address: usdc, abi: erc20, functionName: "nonces", args: [permitPayer.address] })) as bigint;
    const signature = await permitPayer.signTypedData({
      domain: { name: usdcName, version: "1", chainId: 31337, verifyingContract: usdc },
      types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
      primaryType: "Permit",
      message: { owner: permitPayer.address, spender: c.PaymentRouter.address, value: permitAmount, nonce, deadline },
    });
    const { r, s, v, yParity } = parseSignature(signature);
    await send("permitPay", permitPayer, c.PaymentRouter.address, paymentRouterAbi as Abi, "payWithPermit", [orderRefOf("permit-1"), merchant.address, usdc, permitAmount, deadline, Number(v ?? BigInt(yParity) + 27n), r, s]);
    await send("approveRouterRefund", merchant, usdc, erc20, "approve", [c.PaymentRouter.address, maxUint256]);
    await send("routerRefund", merchant, c.PaymentRouter.address, paymentRouterAbi as Abi, "refund", [orderRefOf("demo-order-router-usdc"), customer.address, parseUnits("5", 6)]);
  });

  after(async () => {
    await chain?.stop();
    if (deploymentsDir) await rm(deploymentsDir, { recursive: true, force: true });
  });

  it("projects every domain's events into PostgreSQL, exactly", { skip: !DATABASE_URL && "DATABASE_URL is not set" }, async () => {
    const databaseUrl = await freshDatabase(DATABASE_URL!, "domains");
    const port = await freePort();
    const schema = `indexer_domains_${process.pid}_${port}`;
    const indexer: ManagedProcess = startPonder(["start", "--schema", schema, "--port", String(port)], {
      cwd: INDEXER_DIR,
      label: "indexer",
      env: { ...process.env, PONDER_TELEMETRY_DISABLED: "true", DATABASE_URL: databaseUrl, PONDER_RPC_URL_31337: chain.rpcUrl, PORT: String(port) },
    });
    const db = new pg.Client({ connectionString: databaseUrl });
    try {
      await waitFor("the indexer to be ready", async () => ((await fetch(`http://127.0.0.1:${port}/ready`)).ok ? true : undefined), 120_000, indexer);
      await db.connect();
      const rows = async (sql: string, params: unknown[] = []) => (await db.query(sql.replaceAll("$schema", `"${schema}"`), params)).rows as Array<Record<string, any>>;
      // Live indexing lags /ready: wait until the last transaction (the router refund) is in.
      await waitFor("the indexer to reach the last refund", async () => ((await rows(`select count(*)::int as n from $schema.refund`))[0]!.n === 1 ? true : undefined), 60_000, indexer);
      const lower = (a: string) => a.toLowerCase();
      const c = deployment.contracts;
      const usdc = lower(deployment.tokens.find((t) => t.symbol === "USDC")!.address);
      const zero = "0x0000000000000000000000000000000000000000";

      // ---- subscriptions
      const created = eventOf("createPlan", subscriptionsAbi as Abi, "PlanCreated");
      assert.deepEqual(await rows(`select plan_id::text, merchant, token, amount::text, period, trial, active, subscriber_count from $schema.subscription_plan`), [
        { plan_id: created.planId.toString(), merchant: lower(merchant.address), token: usdc, amount: "10000000", period: 2_592_000, trial: 0, active: true, subscriber_count: 1 },
      ]);
      const subscribed = eventOf("subscribe", subscriptionsAbi as Abi, "Subscribed");
      assert.deepEqual(await rows(`select subscription_id::text, plan_id::text, merchant, subscriber, token, anchor::text, status, charge_count, total_charged::text, last_charged_period::text, failed_charge_count, cancelled_by from $schema.subscription`), [
        {
          subscription_id: subscribed.subscriptionId.toString(),
          plan_id: created.planId.toString(),
          merchant: lower(merchant.address),
          subscriber: lower(customer.address),
          token: usdc,
          anchor: String(subscribed.anchor),
          status: "cancelled",
          charge_count: 1,
          total_charged: "10000000",
          last_charged_period: "0",
          failed_charge_count: 0,
          cancelled_by: lower(customer.address),
        },
      ]);
      assert.deepEqual(await rows(`select subscription_id::text, merchant, subscriber, outcome, period_index::text, amount::text, merchant_amount::text, fee::text, failure_reason, transaction_hash from $schema.subscription_charge`), [
        {
          subscription_id: subscribed.subscriptionId.toString(),
          merchant: lower(merchant.address),
          subscriber: lower(customer.address),
          outcome: "charged",
          period_index: "0",
          amount: "10000000",
          merchant_amount: "9900000",
          fee: "100000",
          failure_reason: null,
          transaction_hash: receipts.charge!.transactionHash,
        },
      ]);

      // ---- escrow
      const released = eventOf("fundReleased", escrowAbi as Abi, "EscrowFunded").id.toString();
      const refunded = eventOf("fundRefunded", escrowAbi as Abi, "EscrowFunded").id.toString();
      assert.deepEqual(await rows(`select escrow_id::text, buyer, seller, token, amount::text, state, refund_reason, to_buyer::text, to_seller::text, arbiter_fee::text from $schema.escrow order by escrow_id`), [
        { escrow_id: released, buyer: lower(customer.address), seller: lower(merchant.address), token: usdc, amount: "40000000", state: "released", refund_reason: null, to_buyer: "0", to_seller: "40000000", arbiter_fee: "0" },
        { escrow_id: refunded, buyer: lower(customer.address), seller: lower(merchant.address), token: usdc, amount: "15000000", state: "refunded", refund_reason: "seller_refunded", to_buyer: "15000000", to_seller: "0", arbiter_fee: "0" },
      ].sort((a, b) => Number(BigInt(a.escrow_id) - BigInt(b.escrow_id))));
      assert.deepEqual(await rows(`select escrow_id::text, kind, amount::text from $schema.escrow_event order by block_number, log_index`), [
        { escrow_id: released, kind: "funded", amount: "40000000" },
        { escrow_id: refunded, kind: "funded", amount: "15000000" },
        { escrow_id: released, kind: "released", amount: "40000000" },
        { escrow_id: refunded, kind: "refunded", amount: "15000000" },
      ]);
      assert.deepEqual(await rows(`select account, token, "to", amount::text from $schema.escrow_withdrawal`), [
        { account: lower(merchant.address), token: usdc, to: lower(merchant.address), amount: "40000000" },
      ]);

      // ---- splits
      const splitCreated = eventOf("createSplit", splitMainAbi as Abi, "SplitCreated");
      const recipients = (splitCreated.recipients as string[]).map(lower);
      assert.deepEqual(await rows(`select address, controller, pending_controller, rule_set_id, version, recipients, allocations, distributor_fee_ppm from $schema.split`), [
        {
          address: lower(splitCreated.split),
          controller: lower(merchant.address),
          pending_controller: null,
          rule_set_id: splitCreated.ruleSetId,
          version: 1,
          recipients,
          allocations: recipients.map((r) => (r === lower(merchant.address) ? 700_000 : 300_000)),
          distributor_fee_ppm: 10_000,
        },
      ]);
      assert.deepEqual(await rows(`select split, rule_set_id, version from $schema.split_rule_set`), [{ split: lower(splitCreated.split), rule_set_id: splitCreated.ruleSetId, version: 1 }]);
      const distributed = eventOf("distribute", splitMainAbi as Abi, "SplitDistributed");
      assert.deepEqual(await rows(`select split, rule_set_id, token, distributor, amount::text, credited::text, distributor_fee::text, dust::text from $schema.split_distribution`), [
        {
          split: lower(splitCreated.split),
          rule_set_id: splitCreated.ruleSetId,
          token: usdc,
          distributor: lower(devAccount(0).address),
          amount: "100000000",
          credited: distributed.credited.toString(),
          distributor_fee: "1000000",
          dust: distributed.dust.toString(),
        },
      ]);
      assert.equal(distributed.credited + distributed.dust, 100_000_000n);
      const withdrawn = eventOf("splitWithdraw", splitMainAbi as Abi, "Withdrawn");
      assert.equal(withdrawn.amount, 69_300_000n); // 70% of the 99 USDC left after the distributor's 1%
      assert.deepEqual(await rows(`select account, token, amount::text from $schema.split_withdrawal`), [{ account: lower(merchant.address), token: usdc, amount: "69300000" }]);

      // ---- loyalty
      const program = lower(eventOf("createProgram", loyaltyProgramFactoryAbi as Abi, "ProgramCreated").program);
      assert.deepEqual(await rows(`select address, merchant, asset from $schema.loyalty_program`), [{ address: program, merchant: lower(merchant.address), asset: usdc }]);
      const settled = eventOf("loyaltyPay", loyaltyCheckoutAbi as Abi, "PaymentSettled");
      const loyaltyRefunded = eventOf("loyaltyRefund", loyaltyCheckoutAbi as Abi, "PaymentRefunded");
      assert.equal(settled.pointsMinted, 1_000_000n); // 5% of 20 USDC
      assert.deepEqual(await rows(`select order_ref, merchant, payer, token, amount::text, discount::text, merchant_amount::text, fee::text, program, points_minted::text, refunded_amount::text, cash_refunded::text, points_clawed_back::text, points_shortfall::text from $schema.loyalty_payment`), [
        {
          order_ref: orderRefOf("loyalty-1"),
          merchant: lower(merchant.address),
          payer: lower(customer.address),
          token: usdc,
          amount: "20000000",
          discount: "0",
          merchant_amount: "19800000",
          fee: "200000",
          program,
          points_minted: "1000000",
          refunded_amount: "10000000",
          cash_refunded: loyaltyRefunded.cashRefunded.toString(),
          points_clawed_back: loyaltyRefunded.pointsClawedBack.toString(),
          points_shortfall: loyaltyRefunded.pointsShortfall.toString(),
        },
      ]);
      assert.equal(loyaltyRefunded.pointsClawedBack, 500_000n);
      assert.deepEqual(await rows(`select program, merchant, account, order_ref, kind, amount::text from $schema.loyalty_points order by block_number`), [
        { program, merchant: lower(merchant.address), account: lower(customer.address), order_ref: orderRefOf("loyalty-1"), kind: "minted", amount: "1000000" },
        { program, merchant: lower(merchant.address), account: lower(customer.address), order_ref: orderRefOf("loyalty-1"), kind: "clawed_back", amount: "500000" },
      ]);
      assert.equal((await rows(`select count(*)::int as n from $schema.loyalty_refund`))[0]!.n, 1);
      // The clone itself, found through the factory: its settings, totals and balances from its own events.
      assert.deepEqual(await rows(`select name, symbol, reward_bps, non_transferable, total_supply::text, total_minted::text, total_redeemed::text, total_clawed_back::text, holder_count from $schema.loyalty_program`), [
        { name: "Demo Points", symbol: "DPT", reward_bps: 500, non_transferable: false, total_supply: "500000", total_minted: "1000000", total_redeemed: "0", total_clawed_back: "500000", holder_count: 1 },
      ]);
      const onchainSupply = (await client.readContract({ address: program as Address, abi: mockErc20Abi, functionName: "totalSupply" })) as bigint;
      assert.equal(onchainSupply, 500_000n);
      assert.deepEqual(await rows(`select program, account, balance::text from $schema.loyalty_balance`), [{ program, account: lower(customer.address), balance: "500000" }]);

      // ---- lending: the indexed totals and positions are what the contract itself holds.
      const market = deployment.lending.markets[0]!;
      const onchain = (await client.readContract({ address: c.CoinPaysLending.address, abi: coinPaysLendingAbi, functionName: "market", args: [market.id] })) as Record<string, bigint>;
      const [indexedMarket] = await rows(`select market_id, loan_token, collateral_token, lltv::text, total_supply_assets::text, total_supply_shares::text, total_borrow_assets::text, total_borrow_shares::text, total_collateral::text from $schema.lending_market`);
      assert.deepEqual(indexedMarket, {
        market_id: market.id,
        loan_token: lower(market.loanToken),
        collateral_token: lower(market.collateralToken),
        lltv: market.lltv,
        total_supply_assets: onchain.totalSupplyAssets!.toString(),
        total_supply_shares: onchain.totalSupplyShares!.toString(),
        total_borrow_assets: onchain.totalBorrowAssets!.toString(),
        total_borrow_shares: onchain.totalBorrowShares!.toString(),
        total_collateral: parseUnits("0.9", 18).toString(),
      });
      for (const account of [lender, borrower]) {
        const p = (await client.readContract({ address: c.CoinPaysLending.address, abi: coinPaysLendingAbi, functionName: "position", args: [market.id, account.address] })) as Record<string, bigint>;
        assert.deepEqual(await rows(`select supply_shares::text, borrow_shares::text, collateral::text from $schema.lending_position where account = $1`, [lower(account.address)]), [
          { supply_shares: p.supplyShares!.toString(), borrow_shares: p.borrowShares!.toString(), collateral: p.collateral!.toString() },
        ]);
      }
      assert.deepEqual(
        (await rows(`select kind, on_behalf, assets::text from $schema.lending_event where kind <> 'accrue_interest' order by block_number, log_index`)).map((r) => [r.kind, r.on_behalf, r.assets]),
        [
          ["supply", lower(lender.address), "5000000000"],
          ["supply_collateral", lower(borrower.address), "1000000000000000000"],
          ["borrow", lower(borrower.address), "2000000000"],
          ["borrow", lower(borrower.address), "50000000"],
          ["liquidate", lower(borrower.address), eventOf("liquidate", coinPaysLendingAbi as Abi, "Liquidated").repaidAssets.toString()],
          ["repay", lower(borrower.address), "100000000"],
          ["withdraw", lower(lender.address), "1000000000"],
        ],
      );
      const liquidated = eventOf("liquidate", coinPaysLendingAbi as Abi, "Liquidated");
      assert.deepEqual(await rows(`select liquidator, borrower, repaid_assets::text, repaid_shares::text, seized_assets::text, bad_debt_assets::text from $schema.liquidation`), [
        { liquidator: lower(liquidator.address), borrower: lower(borrower.address), repaid_assets: liquidated.repaidAssets.toString(), repaid_shares: liquidated.repaidShares.toString(), seized_assets: "100000000000000000", bad_debt_assets: "0" },
      ]);
      const credit = eventOf("payWithCredit", creditPaymentAbi as Abi, "CreditPaid");
      assert.deepEqual(await rows(`select order_ref, merchant, payer, market_id, amount::text, borrow_shares::text from $schema.credit_payment`), [
        { order_ref: orderRefOf("credit-1"), merchant: lower(creditMerchant.address), payer: lower(borrower.address), market_id: market.id, amount: "50000000", borrow_shares: credit.borrowShares.toString() },
      ]);

      // ---- the revenue ledger: every payment path, with the payer the merchant knows.
      assert.deepEqual(await rows(`select method, merchant, payer, token, amount::text, merchant_amount::text, fee::text, refunded_amount::text, value_usd_e8::text from $schema.payment order by block_number, log_index`), [
        { method: "router", merchant: lower(merchant.address), payer: lower(customer.address), token: usdc, amount: "25000000", merchant_amount: "24750000", fee: "250000", refunded_amount: "5000000", value_usd_e8: "2500000000" },
        { method: "native", merchant: lower(merchant.address), payer: lower(customer.address), token: zero, amount: "50000000000000000", merchant_amount: "49500000000000000", fee: "500000000000000", refunded_amount: "0", value_usd_e8: "15000000000" },
        { method: "deposit_address", merchant: lower(merchant.address), payer: null, token: usdc, amount: "12500000", merchant_amount: "12375000", fee: "125000", refunded_amount: "0", value_usd_e8: "1250000000" },
        { method: "subscription", merchant: lower(merchant.address), payer: lower(customer.address), token: usdc, amount: "10000000", merchant_amount: "9900000", fee: "100000", refunded_amount: "0", value_usd_e8: "1000000000" },
        { method: "loyalty", merchant: lower(merchant.address), payer: lower(customer.address), token: usdc, amount: "20000000", merchant_amount: "19800000", fee: "200000", refunded_amount: "10000000", value_usd_e8: "2000000000" },
        { method: "credit", merchant: lower(creditMerchant.address), payer: lower(borrower.address), token: usdc, amount: "50000000", merchant_amount: "49500000", fee: "500000", refunded_amount: "0", value_usd_e8: "5000000000" },
        { method: "permit", merchant: lower(merchant.address), payer: lower(permitPayer.address), token: usdc, amount: "30000000", merchant_amount: "29700000", fee: "300000", refunded_amount: "0", value_usd_e8: "3000000000" },
      ]);

      // ---- rollups: hour and day buckets per merchant, token and chain, exactly.
      const rollup = (m: string, token: string, period: string, bucket: bigint, r: Record<string, string | number>) => ({ chain_id: 31337, merchant: m, token, period, bucket_start: bucket.toString(), ...r });
      const usdcFirstHour = { payment_count: 4, volume: "67500000", merchant_amount: "66825000", fees: "675000", volume_usd_e8: "6750000000", unpriced_count: 0, unique_payers: 1, refund_count: 1, refund_volume: "10000000", refund_volume_usd_e8: "1000000000" };
      const native = { payment_count: 1, volume: "50000000000000000", merchant_amount: "49500000000000000", fees: "500000000000000", volume_usd_e8: "15000000000", unpriced_count: 0, unique_payers: 1, refund_count: 0, refund_volume: "0", refund_volume_usd_e8: "0" };
      const creditRollup = { payment_count: 1, volume: "50000000", merchant_amount: "49500000", fees: "500000", volume_usd_e8: "5000000000", unpriced_count: 0, unique_payers: 1, refund_count: 0, refund_volume: "0", refund_volume_usd_e8: "0" };
      const m = lower(merchant.address);
      const cm = lower(creditMerchant.address);
      assert.deepEqual(
        await rows(`select chain_id, merchant, token, period, bucket_start::text, payment_count, volume::text, merchant_amount::text, fees::text, volume_usd_e8::text, unpriced_count, unique_payers, refund_count, refund_volume::text, refund_volume_usd_e8::text from $schema.revenue_rollup order by merchant = $1 desc, token, period::text desc, bucket_start`, [cm]),
        [
          rollup(cm, usdc, "hour", dayStart, creditRollup),
          rollup(cm, usdc, "day", dayStart, creditRollup),
          rollup(m, zero, "hour", dayStart, native),
          rollup(m, zero, "day", dayStart, native),
          rollup(m, usdc, "hour", dayStart, usdcFirstHour),
          rollup(m, usdc, "hour", dayStart + 2n * HOUR, { payment_count: 1, volume: "30000000", merchant_amount: "29700000", fees: "300000", volume_usd_e8: "3000000000", unpriced_count: 0, unique_payers: 1, refund_count: 1, refund_volume: "5000000", refund_volume_usd_e8: "500000000" }),
          rollup(m, usdc, "day", dayStart, { payment_count: 5, volume: "97500000", merchant_amount: "96525000", fees: "975000", volume_usd_e8: "9750000000", unpriced_count: 0, unique_payers: 2, refund_count: 2, refund_volume: "15000000", refund_volume_usd_e8: "1500000000" }),
        ].sort((a, b) => (a.merchant === cm ? 0 : 1) - (b.merchant === cm ? 0 : 1) || a.token.localeCompare(b.token) || b.period.localeCompare(a.period) || Number(BigInt(a.bucket_start) - BigInt(b.bucket_start))),
      );
      // The payer sets behind unique_payers: the day bucket holds the customer (4 payments) and the permit payer.
      assert.deepEqual(await rows(`select payer, payment_count, volume::text from $schema.rollup_payer where rollup_id = $1 order by payer`, [`31337:${m}:${usdc}:day:${dayStart}`]), [
        { payer: lower(customer.address), payment_count: 3, volume: "55000000" },
        { payer: lower(permitPayer.address), payment_count: 1, volume: "30000000" },
      ].sort((a, b) => a.payer.localeCompare(b.payer)));
      // Which merchants each payer paid per bucket: each payer paid one merchant here, so none overlaps.
      const byBucket = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(Object.values(a)).localeCompare(JSON.stringify(Object.values(b)));
      const payerBucket = (token: string, period: string, bucket: bigint, payer: string, firstMerchant: string) => ({ chain_id: 31337, token, period, bucket_start: bucket.toString(), payer, merchant_count: 1, first_merchant: firstMerchant });
      const [customerP, borrowerP, permitP] = [lower(customer.address), lower(borrower.address), lower(permitPayer.address)];
      assert.deepEqual((await rows(`select chain_id, token, period, bucket_start::text, payer, merchant_count, first_merchant from $schema.payer_bucket`)).sort(byBucket), [
        payerBucket(zero, "hour", dayStart, customerP, m),
        payerBucket(zero, "day", dayStart, customerP, m),
        payerBucket(usdc, "hour", dayStart, customerP, m),
        payerBucket(usdc, "hour", dayStart, borrowerP, cm),
        payerBucket(usdc, "hour", dayStart + 2n * HOUR, permitP, m),
        payerBucket(usdc, "day", dayStart, customerP, m),
        payerBucket(usdc, "day", dayStart, borrowerP, cm),
        payerBucket(usdc, "day", dayStart, permitP, m),
      ].sort(byBucket));
      assert.deepEqual(await rows(`select id from $schema.payer_overlap`), []);

      // ---- administration: the credit authorisation and the deploy's lending settings are on record.
      assert.deepEqual(await rows(`select contract_name, args from $schema.contract_event where event = 'AuthorizationSet'`), [
        { contract_name: "CoinPaysLending", args: { authorizer: lower(borrower.address), authorized: lower(c.CreditPayment.address), isAuthorized: true } },
      ]);
      assert.deepEqual((await rows(`select args from $schema.contract_event where event = 'MinBorrowSet'`)).map((r) => r.args.minBorrow), ["1000000"]);
      // Fee settings and accepted tokens now cover the subscriptions and loyalty contracts too.
      const feeContracts = (await rows(`select distinct contract from $schema.fee_update`)).map((r) => r.contract).sort();
      assert.deepEqual(feeContracts, [c.PaymentRouter.address, c.DepositAddressFactory.address, c.Subscriptions.address, c.LoyaltyCheckout.address].map(lower).sort());
    } finally {
      await db.end().catch(() => {});
      await indexer.stop();
    }
  });
});
