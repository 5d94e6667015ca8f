// The subscription keeper against a real EDR chain (time travel) and real PostgreSQL, with real pg-boss
// and webhook delivery to a real HTTP receiver: charges become settled orders and webhooks, a failed
// charge becomes one past_due event, a cancel stops charging, and two keepers (two job queues, two
// database pools, two relayer keys) running at once never charge or record a period twice.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { createTestClient, createWalletClient, http, parseEventLogs, type Address, type LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { subscriptionTermsTypedData } from "@coinpays/sdk";
import { mockErc20Abi, subscriptionsAbi } from "@coinpays/sdk/contracts";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { openDatabase, type Database } from "../../server/db/index.ts";
import { orderEvents, orders, payments, subscriptionCharges, subscriptionCursors, subscriptions, webhookEndpoints, webhookEvents } from "../../server/db/schema.ts";
import { ApiError } from "../../server/gateway/http/errors.ts";
import { createSubscriptionRelay, signedSubscriptionSchema } from "../../server/gateway/subscriptions/relay.ts";
import { createSubscriptionService } from "../../server/gateway/subscriptions/service.ts";
import { createSubscriptionKeeper, startSubscriptionKeeperWorker, type SubscriptionKeeper } from "../../server/gateway/subscriptions/keeper.ts";
import { createWebhookService, type WebhookService } from "../../server/gateway/webhooks/delivery.ts";
import { LOCAL_TARGETS } from "../../server/gateway/webhooks/targets.ts";
import { parseKeyring } from "../../server/secrets/keyring.ts";
import { startJobQueue } from "../../server/jobs.ts";
import { createMerchant, provePayoutAddress, silentLogger, startChainFixture, startDatabaseFixture, waitUntil, type ChainFixture, type DatabaseFixture } from "./support/fixtures.ts";
import { startReceiver, type Receiver } from "./support/webhook-receiver.ts";

const DAY = 86_400;
const PRICE = 9_990_000n; // 9.99 USDC

describe("subscription keeper", { timeout: 240_000 }, () => {
  let chain: ChainFixture;
  let dbf: DatabaseFixture;
  let database: Database;
  let boss: PgBoss;
  let webhooks: WebhookService;
  let receiver: Receiver;

  before(async () => {
    [chain, dbf] = await Promise.all([startChainFixture(), startDatabaseFixture("subscriptions")]);
    database = dbf.database;
    boss = await startJobQueue(database, { kind: "postgres", url: dbf.url }, silentLogger, { superviseIntervalSeconds: 1 });
    webhooks = createWebhookService({ db: database.db, boss, logger: silentLogger, keyring: parseKeyring(undefined), targets: LOCAL_TARGETS, relayIntervalMs: 50, pollingIntervalSeconds: 0.5 });
    await webhooks.start();
    receiver = await startReceiver();
  });
  after(async () => {
    await webhooks?.stop();
    await boss?.stop({ graceful: false });
    await receiver?.close();
    await dbf?.close();
    await chain?.stop();
  });

  const transport = () => http(chain.rpcUrl, { retryCount: 0 });
  const viemChain = () => ({ id: 31337, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [chain.rpcUrl] } } });
  const send = async (account: LocalAccount, address: Address, abi: typeof subscriptionsAbi | typeof mockErc20Abi, functionName: string, args: readonly unknown[]) => {
    const wallet = createWalletClient({ account, chain: viemChain(), transport: transport() });
    const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    assert.equal(receipt.status, "success", `${functionName} reverted`);
    return receipt;
  };
  const timeTravel = async (seconds: number) => {
    const test = createTestClient({ chain: viemChain(), mode: "hardhat", transport: transport() });
    await test.increaseTime({ seconds });
    await test.mine({ blocks: 1 });
  };
  /** A new wallet with gas money: the dev accounts are too few for every role of every test. */
  const fresh = async (): Promise<LocalAccount> => {
    const account = privateKeyToAccount(generatePrivateKey());
    await createTestClient({ chain: viemChain(), mode: "hardhat", transport: transport() }).setBalance({ address: account.address, value: 10n ** 20n });
    return account;
  };
  const contract = () => chain.deployment.contracts.Subscriptions.address;
  const keeperWith = (db: Database, relayer: LocalAccount, retryPastDueAfterSeconds = 3_600): SubscriptionKeeper =>
    createSubscriptionKeeper({
      db: db.db,
      logger: silentLogger,
      rpcUrl: chain.rpcUrl,
      chain: { chainId: 31337, contract: contract(), fromBlock: BigInt(chain.deployment.contracts.Subscriptions.blockNumber), confirmations: 1 },
      relayer,
      retryPastDueAfterSeconds,
    });

  /** A merchant wallet with a daily plan, a gateway merchant paid to it, a webhook endpoint, and a funded subscriber. */
  async function subscribedSetup() {
    const merchantWallet = await fresh();
    const subscriber = await fresh();
    const merchant = await createMerchant(database, { payoutAddress: merchantWallet.address });
    await provePayoutAddress(database, merchant.id, merchantWallet, chain.publicClient);
    await database.db.insert(webhookEndpoints).values({ merchantId: merchant.id, url: receiver.url, secret: `whsec_${randomBytes(16).toString("hex")}`, eventTypes: ["subscription.*"] });
    const created = await send(merchantWallet, contract(), subscriptionsAbi, "createPlan", [chain.usdc, PRICE, DAY, 0]);
    const planId = parseEventLogs({ abi: subscriptionsAbi, eventName: "PlanCreated", logs: created.logs })[0]!.args.planId;
    await chain.mint(chain.usdc, subscriber.address, 100n * PRICE);
    await send(subscriber, chain.usdc, mockErc20Abi, "approve", [contract(), 12n * PRICE]);
    const subscribed = await send(subscriber, contract(), subscriptionsAbi, "subscribe", [planId, PRICE]);
    const subscriptionId = parseEventLogs({ abi: subscriptionsAbi, eventName: "Subscribed", logs: subscribed.logs })[0]!.args.subscriptionId;
    return { merchant, merchantWallet, subscriber, planId, subscriptionId };
  }

  const ordersOf = (merchantId: string) => database.db.select().from(orders).where(eq(orders.merchantId, merchantId)).orderBy(asc(orders.createdAt));
  const subscriptionRow = async (subscriptionId: bigint) =>
    (await database.db.select().from(subscriptions).where(and(eq(subscriptions.chainId, 31337), eq(subscriptions.subscriptionId, subscriptionId))))[0]!;
  const onChain = (subscriptionId: bigint) => chain.publicClient.readContract({ address: contract(), abi: subscriptionsAbi, functionName: "getSubscription", args: [subscriptionId] });
  const failedCharges = async (subscriptionId: bigint) =>
    (await chain.publicClient.getContractEvents({ address: contract(), abi: subscriptionsAbi, eventName: "SubscriptionChargeFailed", args: { subscriptionId }, fromBlock: 0n })).length;
  /** Ends a test's subscription, so later tests' keeper runs have only their own to charge. */
  const cancel = (subscriber: LocalAccount, subscriptionId: bigint) => send(subscriber, contract(), subscriptionsAbi, "cancel", [subscriptionId]);
  const received = (merchantId: string, type?: string) =>
    receiver.requests.map((request) => JSON.parse(request.body)).filter((body) => body.merchantId === merchantId && (!type || body.type === type));
  const outbox = (merchantId: string, type: string) => database.db.select().from(webhookEvents).where(and(eq(webhookEvents.merchantId, merchantId), eq(webhookEvents.type, type)));

  it("charges two periods across time travel: two settled orders, two subscription.charged webhooks", async () => {
    const { merchant, merchantWallet, subscriber, subscriptionId } = await subscribedSetup();
    const keeper = keeperWith(database, devAccount(0));

    const first = await keeper.run();
    assert.equal(first.charges.charged, 1);
    const again = await keeper.run();
    assert.equal(again.charges.due, 0, "period 0 is paid: nothing due until the next day");
    assert.equal(again.charges.transactions.length, 0);

    await timeTravel(DAY);
    assert.equal((await keeper.run()).charges.charged, 1);
    assert.equal((await onChain(subscriptionId)).nextPeriod, 2);

    const rows = await ordersOf(merchant.id);
    assert.equal(rows.length, 2);
    for (const [index, order] of rows.entries()) {
      assert.equal(order.status, "settled");
      assert.equal(order.amount, PRICE);
      assert.equal(order.amountPaid, PRICE);
      assert.equal(order.token, chain.usdc);
      assert.equal(order.destination, merchantWallet.address);
      assert.deepEqual(order.metadata, { subscriptionId: subscriptionId.toString(), planId: (order.metadata as { planId: string }).planId, periodIndex: index, subscriber: subscriber.address });
      const [payment] = await database.db.select().from(payments).where(eq(payments.orderId, order.id));
      assert.equal(payment!.method, "subscription");
      assert.equal(payment!.status, "confirmed");
      const types = (await database.db.select().from(orderEvents).where(eq(orderEvents.orderId, order.id)).orderBy(asc(orderEvents.id))).map((event) => event.type);
      assert.deepEqual(types, ["order.created", "payment.confirmed", "order.settled", "subscription.charged"]);
    }
    const charges = await database.db.select().from(subscriptionCharges).where(eq(subscriptionCharges.subscriptionId, subscriptionId)).orderBy(asc(subscriptionCharges.periodIndex));
    assert.deepEqual(charges.map((charge) => [charge.periodIndex, charge.amount, charge.merchantAmount + charge.fee, charge.orderId]), [
      [0, PRICE, PRICE, rows[0]!.id],
      [1, PRICE, PRICE, rows[1]!.id],
    ]);
    assert.equal((await subscriptionRow(subscriptionId)).nextPeriod, 2);

    await waitUntil(async () => received(merchant.id, "subscription.charged").length === 2, 15_000);
    const bodies = received(merchant.id, "subscription.charged");
    assert.deepEqual(bodies.map((body) => body.data.data.charge.periodIndex).sort(), [0, 1]);
    assert.deepEqual(bodies.map((body) => body.data.orderId).sort(), rows.map((order) => order.id).sort());
    assert.equal(bodies[0].data.data.subscription.subscriptionId, subscriptionId.toString());
    assert.equal(received(merchant.id, "subscription.created").length, 1);

    // The dashboard's view of it.
    const [listed] = (await createSubscriptionService({ db: database.db, chainId: 31337 }).listForMerchant(merchant.id)).data;
    assert.equal(listed!.subscriptionId, subscriptionId.toString());
    assert.equal(listed!.status, "active");
    assert.equal(listed!.totalCharged.baseUnits, (2n * PRICE).toString());
    assert.deepEqual(listed!.charges.map((charge) => [charge.periodIndex, charge.amount.formatted, charge.orderId]), [
      [1, "9.99", rows[1]!.id],
      [0, "9.99", rows[0]!.id],
    ]);
    await cancel(subscriber, subscriptionId);
  });

  it("a failed charge marks the subscription past due once, retries after the wait, and a later charge makes it active", async () => {
    const { merchant, subscriber, subscriptionId } = await subscribedSetup();
    const keeper = keeperWith(database, devAccount(0), 3_600);
    assert.equal((await keeper.run()).charges.charged, 1);

    await send(subscriber, chain.usdc, mockErc20Abi, "approve", [contract(), 0n]); // the subscriber withdraws the allowance
    await timeTravel(DAY);
    await keeper.run();
    assert.equal(await failedCharges(subscriptionId), 1);
    assert.equal((await subscriptionRow(subscriptionId)).status, "past_due");
    assert.equal((await onChain(subscriptionId)).status, 2, "PastDue on-chain too");

    await keeper.run();
    assert.equal(await failedCharges(subscriptionId), 1, "no retry before the wait is over");

    await timeTravel(3_601);
    await keeper.run();
    assert.equal(await failedCharges(subscriptionId), 2, "retried after the wait, still failing");
    assert.equal((await outbox(merchant.id, "subscription.past_due")).length, 1, "one past_due event, not one per retry");

    await send(subscriber, chain.usdc, mockErc20Abi, "approve", [contract(), 12n * PRICE]);
    await timeTravel(3_601);
    await keeper.run();
    const row = await subscriptionRow(subscriptionId);
    assert.equal(row.status, "active");
    assert.equal(row.nextPeriod, 2);
    assert.equal((await ordersOf(merchant.id)).length, 2);

    await waitUntil(async () => received(merchant.id, "subscription.past_due").length === 1 && received(merchant.id, "subscription.charged").length === 2, 15_000);
    const pastDue = received(merchant.id, "subscription.past_due")[0];
    assert.equal(pastDue.data.data.periodIndex, 1);
    assert.equal(pastDue.data.data.subscription.status, "past_due");
    await cancel(subscriber, subscriptionId);
  });

  it("a cancel becomes subscription.canceled and the keeper charges it no more", async () => {
    const { merchant, subscriber, subscriptionId } = await subscribedSetup();
    const keeper = keeperWith(database, devAccount(0));
    await keeper.run();
    await send(subscriber, contract(), subscriptionsAbi, "cancel", [subscriptionId]);
    await timeTravel(DAY);
    await keeper.run();
    assert.equal((await onChain(subscriptionId)).nextPeriod, 1, "not charged after the cancel");
    const row = await subscriptionRow(subscriptionId);
    assert.equal(row.status, "cancelled");
    assert.equal(row.cancelledBy, subscriber.address);
    assert.equal((await ordersOf(merchant.id)).length, 1);
    await waitUntil(async () => received(merchant.id, "subscription.canceled").length === 1, 15_000);
  });

  it("does nothing for plans no gateway merchant owns, and links them when the merchant signs up", async () => {
    const merchantWallet = await fresh();
    const subscriber = await fresh();
    const created = await send(merchantWallet, contract(), subscriptionsAbi, "createPlan", [chain.usdc, PRICE, DAY, 0]);
    const planId = parseEventLogs({ abi: subscriptionsAbi, eventName: "PlanCreated", logs: created.logs })[0]!.args.planId;
    await chain.mint(chain.usdc, subscriber.address, 10n * PRICE);
    await send(subscriber, chain.usdc, mockErc20Abi, "approve", [contract(), 10n * PRICE]);
    const subscribed = await send(subscriber, contract(), subscriptionsAbi, "subscribe", [planId, PRICE]);
    const subscriptionId = parseEventLogs({ abi: subscriptionsAbi, eventName: "Subscribed", logs: subscribed.logs })[0]!.args.subscriptionId;
    const keeper = keeperWith(database, devAccount(0));
    await keeper.run();
    assert.equal((await onChain(subscriptionId)).nextPeriod, 0, "not ours: the gateway's relayer pays for its own merchants only");
    assert.equal((await subscriptionRow(subscriptionId)).merchantId, null);

    // Charged by somebody else's keeper, then the merchant joins: the next charge is linked and becomes an order.
    await send(devAccount(19), contract(), subscriptionsAbi, "charge", [subscriptionId]);
    await keeper.run();
    const merchant = await createMerchant(database, { payoutAddress: merchantWallet.address });
    await provePayoutAddress(database, merchant.id, merchantWallet, chain.publicClient);
    await timeTravel(DAY);
    await keeper.run();
    assert.equal((await onChain(subscriptionId)).nextPeriod, 2);
    const row = await subscriptionRow(subscriptionId);
    assert.equal(row.merchantId, merchant.id);
    const merchantOrders = await ordersOf(merchant.id);
    assert.deepEqual(merchantOrders.map((order) => (order.metadata as { periodIndex: number }).periodIndex), [1], "period 0 was charged before the merchant existed");
    await cancel(subscriber, subscriptionId);
  });

  it("a keeper that dies after charging, before projecting, loses nothing: the next keeper records the charge once", async () => {
    const { merchant, subscriber, subscriptionId } = await subscribedSetup();
    const dying = keeperWith(database, devAccount(0));
    await dying.project();
    await dying.chargeDue(); // the process dies here: charged on-chain, nothing recorded
    assert.equal((await onChain(subscriptionId)).nextPeriod, 1);
    assert.equal((await ordersOf(merchant.id)).length, 0);

    const next = keeperWith(database, devAccount(10));
    await next.run();
    await next.run();
    assert.equal((await onChain(subscriptionId)).nextPeriod, 1, "not charged again");
    const rows = await ordersOf(merchant.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, "settled");
    assert.equal((await outbox(merchant.id, "subscription.charged")).length, 1);
    await cancel(subscriber, subscriptionId);
  });

  it("a projection that starts after a sign-up still records its charges (the subscription is read from the chain)", async () => {
    const { merchantWallet, subscriber, subscriptionId } = await subscribedSetup();
    const late = await startDatabaseFixture("subscriptions_late");
    try {
      const lateMerchant = await createMerchant(late.database, { payoutAddress: merchantWallet.address });
      await provePayoutAddress(late.database, lateMerchant.id, merchantWallet, chain.publicClient);
      const head = await chain.publicClient.getBlockNumber();
      const lateKeeper = createSubscriptionKeeper({
        db: late.database.db,
        logger: silentLogger,
        rpcUrl: chain.rpcUrl,
        chain: { chainId: 31337, contract: contract(), fromBlock: head + 1n, confirmations: 1 },
        retryPastDueAfterSeconds: 3_600,
      });
      await keeperWith(database, devAccount(0)).run(); // charged by the other gateway
      await lateKeeper.run();
      const [order] = await late.database.db.select().from(orders).where(eq(orders.merchantId, lateMerchant.id));
      assert.equal(order!.status, "settled");
      assert.equal((order!.metadata as { subscriptionId: string }).subscriptionId, subscriptionId.toString());
    } finally {
      await late.close();
    }
    await cancel(subscriber, subscriptionId);
  });

  it("two keepers at once (two queues, two pools, two relayer keys) and a replay from scratch never duplicate a charge", async () => {
    const { merchant, subscriptionId } = await subscribedSetup();
    const second = await openDatabase({ kind: "postgres", url: dbf.url }, silentLogger);
    const secondBoss = await startJobQueue(second, { kind: "postgres", url: dbf.url }, silentLogger, { superviseIntervalSeconds: 1 });
    const keepers = [keeperWith(database, devAccount(0)), keeperWith(second, devAccount(10))];
    const workers = await Promise.all([
      startSubscriptionKeeperWorker({ boss, keeper: keepers[0]!, chainId: 31337, intervalMs: 100, logger: silentLogger }),
      startSubscriptionKeeperWorker({ boss: secondBoss, keeper: keepers[1]!, chainId: 31337, intervalMs: 100, logger: silentLogger }),
    ]);
    try {
      const charged = async (periods: number) =>
        (await database.db.select().from(subscriptionCharges).where(eq(subscriptionCharges.subscriptionId, subscriptionId))).length === periods;
      await waitUntil(() => charged(1), 20_000);
      for (let period = 2; period <= 3; period++) {
        await timeTravel(DAY);
        // Both keepers directly as well, racing each other and the queued runs.
        await Promise.all(keepers.map((keeper) => keeper.run()));
        await waitUntil(() => charged(period), 20_000);
      }
      // Give the queued runs time to try again: still nothing due.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await secondBoss.stop({ graceful: false });
      await second.close();
    }
    assert.equal((await onChain(subscriptionId)).nextPeriod, 3);
    const merchantOrders = await ordersOf(merchant.id);
    assert.equal(merchantOrders.length, 3);
    assert.deepEqual(merchantOrders.map((order) => (order.metadata as { periodIndex: number }).periodIndex).sort(), [0, 1, 2]);

    // Restart from the deployment block: every event is read again, nothing is recorded twice.
    await database.db.update(subscriptionCursors).set({ blockNumber: BigInt(chain.deployment.contracts.Subscriptions.blockNumber) - 1n });
    await keepers[0]!.run();
    assert.equal((await ordersOf(merchant.id)).length, 3);
    assert.equal((await outbox(merchant.id, "subscription.charged")).length, 3);
    assert.equal((await outbox(merchant.id, "subscription.created")).length, 1);
    const chargeRows = await database.db.select().from(subscriptionCharges).where(inArray(subscriptionCharges.orderId, merchantOrders.map((order) => order.id)));
    assert.equal(chargeRows.length, 3);
    await waitUntil(async () => received(merchant.id, "subscription.charged").length === 3, 15_000);
  });

  it("relays a sign-up from EIP-712 signed terms, and refuses what it should not pay for without spending gas", async () => {
    const merchantWallet = await fresh();
    const subscriber = await fresh();
    const merchant = await createMerchant(database, { payoutAddress: merchantWallet.address });
    await provePayoutAddress(database, merchant.id, merchantWallet, chain.publicClient);
    const created = await send(merchantWallet, contract(), subscriptionsAbi, "createPlan", [chain.usdc, PRICE, DAY, 0]);
    const planId = parseEventLogs({ abi: subscriptionsAbi, eventName: "PlanCreated", logs: created.logs })[0]!.args.planId;
    const relayer = devAccount(0);
    const relay = createSubscriptionRelay({ db: database.db, logger: silentLogger, chainId: 31337, rpcUrls: chain.rpcUrl, contract: contract(), relayer });
    const now = Number((await chain.publicClient.getBlock()).timestamp);
    const terms = { subscriber: subscriber.address, planId, maxAmount: PRICE, period: DAY, start: now, nonce: 0n, deadline: BigInt(now + 3_600) };
    const sign = (message: typeof terms) =>
      subscriber.signTypedData(subscriptionTermsTypedData(31337, contract(), message));
    // The HTTP body shape (decimal strings), through the route's own schema.
    const request = async (message: typeof terms, signature: string) =>
      signedSubscriptionSchema.parse({ terms: { ...message, planId: message.planId.toString(), maxAmount: message.maxAmount.toString(), nonce: message.nonce.toString(), deadline: message.deadline.toString() }, signature });
    const refused = async (promise: Promise<unknown>, code: string) => {
      await assert.rejects(promise, (error: unknown) => error instanceof ApiError && error.status === 422 && error.code === code);
    };
    const signature = await sign(terms);
    const nextId = () => chain.publicClient.readContract({ address: contract(), abi: subscriptionsAbi, functionName: "nextSubscriptionId" });
    const relayerNonce = () => chain.publicClient.getTransactionCount({ address: relayer.address });
    const before = [await nextId(), await relayerNonce()];

    await refused(relay.relay(await request(terms, signature)), "insufficient_allowance");
    await send(subscriber, chain.usdc, mockErc20Abi, "approve", [contract(), 12n * PRICE]);
    await refused(relay.relay(await request(terms, signature)), "insufficient_balance");
    await chain.mint(chain.usdc, subscriber.address, 12n * PRICE);
    await refused(relay.relay(await request({ ...terms, maxAmount: 2n * PRICE }, signature)), "subscription_rejected"); // tampered: InvalidSignature
    await refused(relay.relay(await request({ ...terms, maxAmount: PRICE - 1n }, await sign({ ...terms, maxAmount: PRICE - 1n }))), "subscription_rejected"); // AmountAboveMax
    assert.deepEqual([await nextId(), await relayerNonce()], before, "nothing sent for a refusal");

    const result = await relay.relay(await request(terms, signature));
    const subscriptionId = BigInt(result.subscriptionId);
    const onChainSub = await onChain(subscriptionId);
    assert.equal(onChainSub.subscriber, subscriber.address);
    assert.equal(onChainSub.planId, planId);
    await refused(relay.relay(await request(terms, signature)), "subscription_rejected"); // the nonce is used

    // The relayed subscription is charged by the keeper like any other.
    await keeperWith(database, devAccount(0)).run();
    assert.equal((await onChain(subscriptionId)).nextPeriod, 1);
    assert.equal((await ordersOf(merchant.id)).length, 1);

    // Plans of wallets that are no gateway merchant are not relayed.
    const stranger = await fresh();
    const strangerPlan = parseEventLogs({ abi: subscriptionsAbi, eventName: "PlanCreated", logs: (await send(stranger, contract(), subscriptionsAbi, "createPlan", [chain.usdc, PRICE, DAY, 0])).logs })[0]!.args.planId;
    const foreign = { ...terms, planId: strangerPlan, nonce: 1n };
    await refused(relay.relay(await request(foreign, await sign(foreign))), "plan_not_relayed");
    await cancel(subscriber, subscriptionId);
  });
});
