/**
 * Subscription keeper: what one keeper run costs for N due subscriptions, through the real path (EDR chain,
 * PostgreSQL, the gateway's keeper and projection), against a same-run baseline of a naive keeper that sends
 * one `charge` transaction per subscription. Period 0 is charged by the gateway keeper (one chargeBatch),
 * period 1 (after time travel) by the naive keeper; both are projected into orders by the same projection.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node_modules/node/bin/node scripts/bench/subscription-keeper.ts
 *
 * Needs `hardhat compile`. Prints a table with the machine and writes bench/results/subscription-keeper.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createTestClient, createWalletClient, http, parseEventLogs, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { mockErc20Abi, subscriptionsAbi } from "../../sdk/src/contracts/abis.ts";
import { devAccount } from "../lib/dev-accounts.ts";
import { ROOT } from "../lib/paths.ts";
import { withClient } from "../../web/test/support/postgres.ts";
import { createSubscriptionKeeper } from "../../web/server/gateway/subscriptions/keeper.ts";
import { createMerchant, provePayoutAddress, silentLogger, startChainFixture, startDatabaseFixture } from "../../web/test/gateway/support/fixtures.ts";

const SUBSCRIPTIONS = Number(process.env.SUBSCRIPTIONS ?? 100);
const PRICE = 9_990_000n;
const DAY = 86_400;

const [chain, dbf] = await Promise.all([startChainFixture(), startDatabaseFixture("bench_keeper")]);
try {
  const viemChain = { id: 31337, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [chain.rpcUrl] } } };
  const transport = http(chain.rpcUrl, { retryCount: 0 });
  const contract = chain.deployment.contracts.Subscriptions.address;
  const send = async (account: Parameters<typeof createWalletClient>[0]["account"], address: `0x${string}`, abi: typeof subscriptionsAbi | typeof mockErc20Abi, functionName: string, args: readonly unknown[]) => {
    const hash = await createWalletClient({ account, chain: viemChain, transport }).writeContract({ address, abi, functionName, args } as never);
    return chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 10 });
  };

  const merchantWallet = devAccount(5);
  const merchant = await createMerchant(dbf.database, { payoutAddress: merchantWallet.address });
  // Plans belong to proven payout addresses only: the wallet signs for its account, as in the dashboard.
  await provePayoutAddress(dbf.database, merchant.id, merchantWallet, chain.publicClient);
  const created = await send(merchantWallet, contract, subscriptionsAbi, "createPlan", [chain.usdc, PRICE, DAY, 0]);
  const planId = parseEventLogs({ abi: subscriptionsAbi, eventName: "PlanCreated", logs: created.logs })[0]!.args.planId;
  const ids: bigint[] = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const subscriber = privateKeyToAccount(generatePrivateKey());
    await chain.publicClient.request({ method: "hardhat_setBalance" as never, params: [subscriber.address, "0x8AC7230489E80000"] as never });
    await chain.mint(chain.usdc, subscriber.address, 10n * PRICE);
    await send(subscriber, chain.usdc, mockErc20Abi, "approve", [contract, 10n * PRICE]);
    const receipt = await send(subscriber, contract, subscriptionsAbi, "subscribe", [planId, PRICE]);
    ids.push(parseEventLogs({ abi: subscriptionsAbi, eventName: "Subscribed", logs: receipt.logs })[0]!.args.subscriptionId);
  }
  const keeper = createSubscriptionKeeper({
    db: dbf.database.db,
    logger: silentLogger,
    rpcUrl: chain.rpcUrl,
    chain: { chainId: 31337, contract, fromBlock: BigInt(chain.deployment.contracts.Subscriptions.blockNumber), confirmations: 1 },
    relayer: devAccount(0),
    retryPastDueAfterSeconds: 3_600,
  });
  const projectAll = async () => {
    while (!(await keeper.project()).caughtUp);
  };
  await projectAll(); // the sign-ups: not part of either measurement
  const ordersNow = () => withClient(dbf.url, async (client) => Number((await client.query("select count(*)::int as n from orders where merchant_id = $1", [merchant.id])).rows[0].n));
  const gasOf = async (hashes: Hex[]) => {
    let gas = 0n;
    for (const hash of hashes) gas += (await chain.publicClient.getTransactionReceipt({ hash })).gasUsed;
    return gas;
  };

  // The gateway keeper: one chargeBatch for all, then the projection into orders and webhooks.
  let started = performance.now();
  const batch = await keeper.chargeDue();
  const batchChargeMs = performance.now() - started;
  started = performance.now();
  await projectAll();
  const batchProjectMs = performance.now() - started;
  if (batch.charged !== SUBSCRIPTIONS || (await ordersNow()) !== SUBSCRIPTIONS) throw new Error(`batch keeper charged ${batch.charged}, orders ${await ordersNow()}`);
  const batchGas = await gasOf(batch.transactions);

  // Baseline: a naive keeper, one charge transaction per subscription, one after another.
  const test = createTestClient({ chain: viemChain, mode: "hardhat", transport });
  await test.increaseTime({ seconds: DAY });
  await test.mine({ blocks: 1 });
  const naiveKeeper = devAccount(10);
  const naiveHashes: Hex[] = [];
  started = performance.now();
  for (const id of ids) naiveHashes.push((await send(naiveKeeper, contract, subscriptionsAbi, "charge", [id])).transactionHash);
  const naiveChargeMs = performance.now() - started;
  started = performance.now();
  await projectAll();
  const naiveProjectMs = performance.now() - started;
  if ((await ordersNow()) !== 2 * SUBSCRIPTIONS) throw new Error(`naive keeper: ${await ordersNow()} orders`);
  const naiveGas = await gasOf(naiveHashes);

  const round = (value: number) => Math.round(value);
  const figures = {
    subscriptions: SUBSCRIPTIONS,
    batch: { transactions: batch.transactions.length, gasPerCharge: Number(batchGas / BigInt(SUBSCRIPTIONS)), chargeMs: round(batchChargeMs), projectMs: round(batchProjectMs), projectMsPerCharge: +(batchProjectMs / SUBSCRIPTIONS).toFixed(1) },
    naive: { transactions: naiveHashes.length, gasPerCharge: Number(naiveGas / BigInt(SUBSCRIPTIONS)), chargeMs: round(naiveChargeMs), projectMs: round(naiveProjectMs), projectMsPerCharge: +(naiveProjectMs / SUBSCRIPTIONS).toFixed(1) },
  };
  const machine = { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, date: new Date().toISOString().slice(0, 10) };
  console.log(`\nSubscription keeper, ${SUBSCRIPTIONS} due subscriptions (EDR automine, PostgreSQL)`);
  console.log(`Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}, ${machine.date}\n`);
  console.log("| Keeper | Transactions | Gas per charge | Charging (wall) | Projection into orders (wall) | Projection per charge |\n|---|---:|---:|---:|---:|---:|");
  for (const [name, f] of [["gateway keeper (chargeBatch)", figures.batch], ["baseline: one charge tx each", figures.naive]] as const) {
    console.log(`| ${name} | ${f.transactions} | ${f.gasPerCharge.toLocaleString("en-US")} | ${f.chargeMs.toLocaleString("en-US")} ms | ${f.projectMs.toLocaleString("en-US")} ms | ${f.projectMsPerCharge} ms |`);
  }
  await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
  await writeFile(path.join(ROOT, "bench/results/subscription-keeper.json"), `${JSON.stringify({ ...figures, machine }, null, 2)}\n`);
} finally {
  await Promise.all([dbf.close(), chain.stop()]);
}
