/**
 * Gas benchmark of revenue splits and loyalty, with baselines measured in the same run:
 * - SplitMain (contracts/splits) against PullSplitBaseline (contracts/mocks/bench), a minimal 0xSplits-v1-style
 *   pull split (rules hashed, passed in calldata, wallet clones, internal ledger).
 * - LoyaltyCheckout (contracts/loyalty) against PaymentRouter.pay / refund (no loyalty).
 *
 * Run: npx hardhat run scripts/bench/gas-splits-loyalty.ts
 * Writes bench/results/gas-splits-loyalty.json; the table is kept in docs/benchmarks.md.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { getAddress, getContractAddress, parseEventLogs, zeroAddress, type Address, type Hash } from "viem";
import { ROOT } from "../lib/paths.ts";

const RECIPIENTS = 10;
const TARGET_PER_RECIPIENT = 15_000n;

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const [deployer, payer, merchant, feeRecipient, distributor] = await viem.getWalletClients();

const gasOf = async (hash: Hash | Promise<Hash>) =>
  (await publicClient.waitForTransactionReceipt({ hash: await hash })).gasUsed;

// Ten fresh accounts, sorted ascending as SplitMain requires; allocations sum to 1e6 and leave dust.
const recipients = Array.from({ length: RECIPIENTS }, (_, i) =>
  getAddress(`0x${(0x5000 + i * 0x111).toString(16).padStart(40, "a")}`),
).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)) as Address[];
const allocations = [150_000, 130_000, 120_000, 110_000, 100_000, 95_000, 90_000, 85_000, 65_000, 55_000];

const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
await usdc.write.mint([payer.account.address, 10n ** 15n]);
const pay = (to: Address, amount: bigint) => usdc.write.transfer([to, amount], { account: payer.account });

type Row = { operation: string; coinpays: bigint; baseline?: bigint; baselineName?: string; note?: string };
const rows: Row[] = [];

// ---- Splits -----------------------------------------------------------------------------------------------
const splitMain = await viem.deployContract("SplitMain");
const base = await viem.deployContract("PullSplitBaseline");

const createHash = await splitMain.write.createSplit([recipients, allocations, 0, zeroAddress]);
const createGas = await gasOf(createHash);
const receipt = await publicClient.waitForTransactionReceipt({ hash: createHash });
const split = getAddress(
  parseEventLogs({ abi: splitMain.abi, logs: receipt.logs, eventName: "SplitCreated" })[0].args.split,
);
const baseCreateHash = await base.write.createSplit([recipients, allocations, 0]);
const baseCreateGas = await gasOf(baseCreateHash);
// The baseline emits no event: its wallet is the contract it created with nonce 2 (nonce 1 was its implementation).
const baseWallet = getContractAddress({ from: base.address, nonce: 2n });
if ((await base.read.splitHash([baseWallet])) === `0x${"0".repeat(64)}`) throw new Error("baseline wallet not found");

const distributeOurs = () => splitMain.write.distribute([split, usdc.address], { account: distributor.account });
const distributeBase = () =>
  base.write.distributeERC20([baseWallet, usdc.address, recipients, allocations, 0, distributor.account.address], {
    account: distributor.account,
  });

// First distribution: every recipient's ledger slot goes from zero to non-zero (cold, 20k writes).
await pay(split, 1_000_000_007n);
await pay(baseWallet, 1_000_000_007n);
const firstOurs = await gasOf(distributeOurs());
const firstBase = await gasOf(distributeBase());

// Withdraw everything (both keep the slot warm), then distribute again: the steady state of a busy split.
for (const r of recipients) {
  await splitMain.write.withdraw([r, [usdc.address]]);
  await base.write.withdraw([r, usdc.address]);
}
await pay(split, 2_000_000_011n);
await pay(baseWallet, 2_000_000_011n);
const steadyOurs = await gasOf(distributeOurs());
const steadyBase = await gasOf(distributeBase());
// Withdraw measured once every recipient already holds the token (both designs pay the same transfer cost).
const withdrawOurs = await gasOf(splitMain.write.withdraw([recipients[3], [usdc.address]]));
const withdrawBase = await gasOf(base.write.withdraw([recipients[3], usdc.address]));

// Two-level tree: collection -> regional (ledger credit, no token transfer) measured on the parent.
const regional = getAddress(
  parseEventLogs({
    abi: splitMain.abi,
    logs: (
      await publicClient.waitForTransactionReceipt({
        hash: await splitMain.write.createSplit([recipients, allocations, 0, zeroAddress]),
      })
    ).logs,
    eventName: "SplitCreated",
  })[0].args.split,
);
const [lo, hi] = BigInt(regional) < BigInt(recipients[0]) ? [regional, recipients[0]] : [recipients[0], regional];
const collection = getAddress(
  parseEventLogs({
    abi: splitMain.abi,
    logs: (
      await publicClient.waitForTransactionReceipt({
        hash: await splitMain.write.createSplit([[lo, hi], [500_000, 500_000], 0, zeroAddress]),
      })
    ).logs,
    eventName: "SplitCreated",
  })[0].args.split,
);
await pay(collection, 1_000_000n);
await splitMain.write.distribute([collection, usdc.address]);
await pay(collection, 1_000_000n);
const upTreeGas = await gasOf(splitMain.write.distribute([collection, usdc.address]));

const perOurs = steadyOurs / BigInt(RECIPIENTS);
const perBase = steadyBase / BigInt(RECIPIENTS);
rows.push(
  {
    operation: `distribute, ${RECIPIENTS}-recipient ERC-20, steady state (per recipient)`,
    coinpays: perOurs,
    baseline: perBase,
    baselineName: "0xSplits-style pull",
    note: `target <= ${TARGET_PER_RECIPIENT}`,
  },
  {
    operation: `distribute, ${RECIPIENTS}-recipient ERC-20, steady state (whole tx)`,
    coinpays: steadyOurs,
    baseline: steadyBase,
    baselineName: "0xSplits-style pull",
  },
  {
    operation: `distribute, ${RECIPIENTS}-recipient ERC-20, first time (fresh ledger slots, whole tx)`,
    coinpays: firstOurs,
    baseline: firstBase,
    baselineName: "0xSplits-style pull",
  },
  {
    operation: "distribute, 2-recipient split paying a parent split (internal credit, whole tx)",
    coinpays: upTreeGas,
  },
  { operation: "withdraw, 1 token (recipient already holds it)", coinpays: withdrawOurs, baseline: withdrawBase, baselineName: "0xSplits-style pull" },
  {
    operation: `createSplit, ${RECIPIENTS} recipients`,
    coinpays: createGas,
    baseline: baseCreateGas,
    baselineName: "0xSplits-style pull",
    note: "ours stores the rules on-chain",
  },
);

// ---- Loyalty ------------------------------------------------------------------------------------------------
const router = await viem.deployContract("PaymentRouter", [deployer.account.address, feeRecipient.account.address, 100]);
await router.write.setTokenAccepted([usdc.address, true]);
const checkout = await viem.deployContract("LoyaltyCheckout", [
  deployer.account.address,
  feeRecipient.account.address,
  100,
]);
await checkout.write.setTokenAccepted([usdc.address, true]);
const factory = await viem.getContractAt("LoyaltyProgramFactory", await checkout.read.loyaltyFactory());
const programGas = await gasOf(
  factory.write.createProgram(["Coffee Points", "BEAN", usdc.address, 500, false], { account: merchant.account }),
);
for (const spender of [router.address, checkout.address]) {
  await usdc.write.approve([spender, 2n ** 255n], { account: payer.account });
  await usdc.write.mint([merchant.account.address, 10n ** 12n]);
  await usdc.write.approve([spender, 2n ** 255n], { account: merchant.account });
}
// Warm the fee recipient's and merchant's token balances the same way for both contracts.
const ref = (s: string) => `0x${Buffer.from(s).toString("hex").padEnd(64, "0")}` as Hash;
const M = merchant.account.address;
const routerPay1 = await gasOf(router.write.pay([ref("r1"), M, usdc.address, 1_000_000n], { account: payer.account }));
const routerPay2 = await gasOf(router.write.pay([ref("r2"), M, usdc.address, 1_000_000n], { account: payer.account }));
const payMint1 = await gasOf(checkout.write.pay([ref("c1"), M, usdc.address, 1_000_000n], { account: payer.account }));
const payMint2 = await gasOf(checkout.write.pay([ref("c2"), M, usdc.address, 1_000_000n], { account: payer.account }));
const redeem = await gasOf(
  checkout.write.payWithRedemption([ref("c3"), M, usdc.address, 1_000_000n, 40_000n], { account: payer.account }),
);
const routerRefund = await gasOf(router.write.refund([ref("r2"), payer.account.address, 1_000_000n], { account: merchant.account }));
const refundClaw = await gasOf(
  checkout.write.refund([ref("c2"), payer.account.address, 1_000_000n], { account: merchant.account }),
);
rows.push(
  { operation: "createProgram (loyalty token clone)", coinpays: programGas },
  { operation: "pay + mint points (payer's first points)", coinpays: payMint1, baseline: routerPay1, baselineName: "PaymentRouter.pay (no loyalty)" },
  { operation: "pay + mint points (repeat payer)", coinpays: payMint2, baseline: routerPay2, baselineName: "PaymentRouter.pay (no loyalty)" },
  { operation: "payWithRedemption (burn 40,000 points) + mint", coinpays: redeem, baseline: routerPay2, baselineName: "PaymentRouter.pay (no loyalty)" },
  { operation: "refund in full + claw back points", coinpays: refundClaw, baseline: routerRefund, baselineName: "PaymentRouter.refund (no loyalty)" },
);

// ---- Report -------------------------------------------------------------------------------------------------
const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${os.platform()} ${os.release()}`,
  node: process.version,
  network: "Hardhat EDR (in-process), solc 0.8.28, optimizer 10,000 runs, cancun",
};
const fmt = (n?: bigint) => (n === undefined ? "–" : n.toLocaleString("en-US"));
const ratio = (a: bigint, b?: bigint) => (b ? `${((Number(a) / Number(b)) * 100).toFixed(0)}%` : "–");
const header = "| operation | CoinPays gas | baseline gas | CoinPays / baseline | baseline | note |";
const table = [
  header,
  "|---|---:|---:|---:|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.operation} | ${fmt(r.coinpays)} | ${fmt(r.baseline)} | ${ratio(r.coinpays, r.baseline)} | ${r.baselineName ?? "–"} | ${r.note ?? ""} |`,
  ),
].join("\n");

console.log(`\nMachine: ${machine.cpu} x${machine.cores}, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}`);
console.log(`${machine.network}\n`);
console.log(table);
const meetsTarget = perOurs <= TARGET_PER_RECIPIENT;
console.log(`\nTarget <= ${TARGET_PER_RECIPIENT} gas per recipient (10-recipient ERC-20 distribution): ${meetsTarget ? "met" : "MISSED"} (${perOurs}).`);

const json = {
  name: "gas-splits-loyalty",
  date: new Date().toISOString(),
  machine,
  targetPerRecipient: Number(TARGET_PER_RECIPIENT),
  targetMet: meetsTarget,
  results: rows.map((r) => ({
    operation: r.operation,
    gas: Number(r.coinpays),
    baselineGas: r.baseline === undefined ? null : Number(r.baseline),
    baseline: r.baselineName ?? null,
    note: r.note ?? null,
  })),
};
await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
await writeFile(path.join(ROOT, "bench/results/gas-splits-loyalty.json"), `${JSON.stringify(json, null, 2)}\n`);

const md = `# Gas: revenue splits and loyalty

Generated by \`npx hardhat run scripts/bench/gas-splits-loyalty.ts\` (figures also in
\`bench/results/gas-splits-loyalty.json\`). Gas is the whole transaction's \`gasUsed\` (including the 21,000
base cost) unless a row says "per recipient", which is the whole transaction divided by ${RECIPIENTS}.

Machine: ${machine.cpu} x${machine.cores}, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node};
${machine.network}. Run: ${json.date}.

${table}

Target: at most ${TARGET_PER_RECIPIENT.toLocaleString("en-US")} gas per recipient for a ${RECIPIENTS}-recipient
ERC-20 distribution — **${meetsTarget ? "met" : "missed"}** (${perOurs.toLocaleString("en-US")}).

## What is measured

- **Baseline for splits**: \`contracts/mocks/bench/PullSplitBaseline.sol\`, a minimal 0xSplits-v1-style pull
  split written for this benchmark: a split stores only the hash of its rules, every distribution passes the
  recipients and allocations in calldata, per-split clone wallets forward their balance to the main contract,
  recipients are credited in an internal ledger and withdraw. It keeps one base unit in the wallet and in each
  ledger slot. It has no hierarchy, cycle or depth checks, no versioned rule-set id and no event.
- **SplitMain** reads the rules from storage (one packed slot per recipient), so \`distribute(split, token)\`
  needs no calldata from the caller, emits the rule-set id with every distribution, accounts by balance delta
  (fee-on-transfer safe) and carries dust; that is what the difference to the baseline pays for.
- **Steady state**: the recipients have withdrawn before (their ledger slots hold the \`+1\` marker), the split
  has distributed before. **First time**: every recipient's slot goes from zero to non-zero (20,000 gas each),
  which dominates the first distribution for both designs.
- **Loyalty** rows compare against \`PaymentRouter\` in the same run: the difference is the order record
  (payer, discount, points), the program lookup and the point mint / burn.
`;
console.log(`\n${md}\nwrote bench/results/gas-splits-loyalty.json (copy the table above into docs/benchmarks.md)`);
