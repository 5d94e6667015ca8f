/**
 * Gas of every user-facing Escrow and Subscriptions call on Hardhat's EDR chain (cancun, optimizer 10,000
 * runs). Prints a markdown table and writes bench/results/gas-escrow-subscriptions.json.
 *
 *   npx hardhat run scripts/bench/gas-escrow-subscriptions.ts
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { network } from "hardhat";
import { zeroAddress, type Address, type Hash } from "viem";
import { subscriptionTermsTypedData } from "../../sdk/src/subscription-terms.ts";

const { viem, networkHelpers } = await network.create();
const publicClient = await viem.getPublicClient();
const [owner, buyer, seller, arbiter, merchant, subscriber, keeper, feeRecipient] = await viem.getWalletClients();
const DAY = 86_400;

const rows: { contract: string; call: string; gasUsed: number; note: string }[] = [];
async function measure(contract: string, call: string, tx: Promise<Hash>, note = "", divideBy = 1) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await tx });
  if (receipt.status !== "success") throw new Error(`${call} reverted`);
  rows.push({ contract, call, gasUsed: Math.round(Number(receipt.gasUsed) / divideBy), note });
}

// ---- Escrow ----
const escrow = await viem.deployContract("Escrow");
const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
for (const who of [buyer, subscriber]) {
  await usdc.write.mint([who.account.address, 10n ** 18n]);
}
await usdc.write.approve([escrow.address, 2n ** 256n - 1n], { account: buyer.account });

async function terms(token: Address, amount: bigint) {
  return {
    seller: seller.account.address,
    arbiter: arbiter.account.address,
    token,
    amount,
    deadline: (await networkHelpers.time.latest()) + 7 * DAY,
    disputeWindow: 3 * DAY,
    arbiterFeeBps: 200,
    arbiterTimeout: 5 * DAY,
  };
}
const fund = async (token: Address, amount: bigint) =>
  escrow.write.fund([await terms(token, amount)], { account: buyer.account, value: token === zeroAddress ? amount : 0n });
// Warm the ledger/ids so figures show the steady state, not the contract's first-ever escrow.
await fund(zeroAddress, 1n);
await fund(usdc.address, 1n);

const nextId = async () => (await escrow.read.nextEscrowId()) - 1n;
await measure("Escrow", "fund (native)", fund(zeroAddress, 10n ** 18n), "new escrow, 4 storage slots");
const nativeId = await nextId();
await measure("Escrow", "fund (ERC-20)", fund(usdc.address, 100_000_000n), "plus transferFrom and balance-delta check");
const erc20Id = await nextId();
await measure("Escrow", "release", escrow.write.release([erc20Id], { account: buyer.account }), "credits seller; its first credit in the token (zero to non-zero slot)");
await fund(usdc.address, 100_000_000n);
await measure("Escrow", "refund (by seller)", escrow.write.refund([await nextId()], { account: seller.account }));
await fund(usdc.address, 100_000_000n);
const disputed = await nextId();
await measure("Escrow", "dispute", escrow.write.dispute([disputed], { account: seller.account }));
await measure("Escrow", "rule (3-way split)", escrow.write.rule([disputed, 60_000_000n], { account: arbiter.account }), "credits seller, buyer, arbiter");
await fund(usdc.address, 100_000_000n);
const expiring = await nextId();
await networkHelpers.time.increase(11 * DAY);
await measure("Escrow", "claimRefund (deadline default)", escrow.write.claimRefund([expiring], { account: keeper.account }));
await measure("Escrow", "withdraw (ERC-20)", escrow.write.withdraw([usdc.address], { account: seller.account }));
await escrow.write.release([nativeId], { account: buyer.account });
await measure("Escrow", "withdraw (native)", escrow.write.withdraw([zeroAddress], { account: seller.account }));

// ---- Subscriptions ----
const subs = await viem.deployContract("Subscriptions", [owner.account.address, feeRecipient.account.address, 100]);
await subs.write.setTokenAccepted([usdc.address, true]);
await usdc.write.approve([subs.address, 2n ** 256n - 1n], { account: subscriber.account });
await subs.write.createPlan([usdc.address, 1n, 3_600, 0], { account: merchant.account }); // warm-up
await measure("Subscriptions", "createPlan", subs.write.createPlan([usdc.address, 10_000_000n, 30 * DAY, 0], { account: merchant.account }));
const planId = (await subs.read.nextPlanId()) - 1n;
await measure("Subscriptions", "subscribe", subs.write.subscribe([planId, 10_000_000n], { account: subscriber.account }));
const subId = (await subs.read.nextSubscriptionId()) - 1n;

const chainId = await publicClient.getChainId();
const now = await networkHelpers.time.latest();
const signed = {
  subscriber: subscriber.account.address,
  planId,
  maxAmount: 10_000_000n,
  period: 30 * DAY,
  start: now,
  nonce: await subs.read.nonces([subscriber.account.address]),
  deadline: BigInt(now + 3_600),
};
const signature = await subscriber.signTypedData({ account: subscriber.account, ...subscriptionTermsTypedData(chainId, subs.address, signed) });
await measure(
  "Subscriptions",
  "subscribeWithSignature",
  subs.write.subscribeWithSignature([signed, signature], { account: keeper.account }),
  "ECDSA signer, relayer pays",
);

// Warm the merchant's and fee recipient's token balances so charges show the recurring cost.
await usdc.write.mint([merchant.account.address, 1n]);
await usdc.write.mint([feeRecipient.account.address, 1n]);
await measure("Subscriptions", "charge", subs.write.charge([subId], { account: keeper.account }), "two transferFroms in a self-call");

// Ten different subscribers (cold balances, like a real batch) of one merchant's plan.
const batch: bigint[] = [];
for (const wallet of (await viem.getWalletClients()).slice(8, 18)) {
  await usdc.write.mint([wallet.account.address, 100_000_000n]);
  await usdc.write.approve([subs.address, 2n ** 256n - 1n], { account: wallet.account });
  await subs.write.subscribe([planId, 10_000_000n], { account: wallet.account });
  batch.push((await subs.read.nextSubscriptionId()) - 1n);
}
await measure(
  "Subscriptions",
  "chargeBatch (per item, 10 items)",
  subs.write.chargeBatch([batch], { account: keeper.account }),
  "total / 10; 10 subscribers, 1 merchant",
  10,
);

await usdc.write.approve([subs.address, 0n], { account: subscriber.account });
await networkHelpers.time.increase(31 * DAY);
await measure("Subscriptions", "charge (failed → PastDue)", subs.write.charge([subId], { account: keeper.account }), "no allowance: event, no revert");
await measure("Subscriptions", "cancel", subs.write.cancel([subId], { account: subscriber.account }));

const table = [
  "| Contract | Call | gasUsed | Note |",
  "| --- | --- | ---: | --- |",
  ...rows.map((r) => `| ${r.contract} | ${r.call} | ${r.gasUsed.toLocaleString("en-US")} | ${r.note} |`),
].join("\n");
console.log(table);

const out = path.join(process.cwd(), "bench/results/gas-escrow-subscriptions.json");
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ solc: "0.8.28", optimizerRuns: 10_000, evmVersion: "cancun", rows }, null, 2) + "\n");
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
