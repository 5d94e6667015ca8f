/**
 * Gas benchmark of the CoinPays payment contracts.
 *
 *   npx hardhat run scripts/bench/gas.ts        (pnpm bench:gas)
 *
 * Runs every payment path on Hardhat's in-process EDR chain (cancun, optimizer as in hardhat.config.ts),
 * measures receipt.gasUsed, prints one markdown table with the machine it ran on and writes the figures to
 * bench/results/gas.json. The baseline measured in the same run is a plain ERC-20 transfer to a recipient
 * that already holds the token (the floor any "pay with a token" path is compared with).
 */
import os from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import { network } from "hardhat";
import { getAddress, maxUint256, parseSignature, toHex, type Address, type Hash } from "viem";

const FEE_BPS = 100; // 1%, the default platform fee
const NATIVE: Address = "0x0000000000000000000000000000000000000000";

const connection = await network.create();
const { viem } = connection;
const hardfork = String((connection.networkConfig as { hardfork?: string }).hardfork ?? "default");
const publicClient = await viem.getPublicClient();
const wallets = await viem.getWalletClients();
const [ownerW, feeW, merchantW, payerW, permitPayerW, warmRecipientW] = wallets;
const owner = getAddress(ownerW.account.address);
const merchant = getAddress(merchantW.account.address);
const payer = getAddress(payerW.account.address);
const permitPayer = getAddress(permitPayerW.account.address);
const warmRecipient = getAddress(warmRecipientW.account.address);

const router = await viem.deployContract("PaymentRouter", [owner, getAddress(feeW.account.address), FEE_BPS]);
const factory = await viem.deployContract("DepositAddressFactory", [owner, getAddress(feeW.account.address), FEE_BPS]);
const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
for (const token of [NATIVE, usdc.address]) {
  await router.write.setTokenAccepted([token, true]);
  await factory.write.setTokenAccepted([token, true]);
}

const gasOf = async (tx: Promise<Hash> | Hash) => {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await tx });
  if (receipt.status !== "success") throw new Error("benchmark transaction reverted");
  return receipt.gasUsed;
};
let refCounter = 0;
const nextRef = () => toHex(++refCounter, { size: 32 });
/** A fresh address that has never held anything (cold account, zero balances). */
const fresh = (tag: number) => getAddress(`0x${(0xc0ffee000000n + BigInt(tag)).toString(16).padStart(40, "0")}`);
const UNIT = 1_000_000n; // 1 USDC

await usdc.write.mint([payer, 1_000_000n * UNIT]);
await usdc.write.mint([permitPayer, 1_000_000n * UNIT]);
await usdc.write.mint([warmRecipient, UNIT]);
await usdc.write.mint([merchant, 1_000n * UNIT]);

// --- Baseline: plain ERC-20 transfer, sender keeps a balance, recipient already holds the token.
const erc20Transfer = await gasOf(usdc.write.transfer([warmRecipient, 10n * UNIT], { account: payerW.account }));

// --- Direct pay, ERC-20, infinite approval.
await usdc.write.approve([router.address, maxUint256], { account: payerW.account });
const coldMerchant = fresh(1);
const coldFeeRecipient = fresh(2);
await router.write.setFee([coldFeeRecipient, FEE_BPS]);
const directPayCold = await gasOf(
  router.write.pay([nextRef(), coldMerchant, usdc.address, 25n * UNIT], { account: payerW.account }),
);
const directPayWarm = await gasOf(
  router.write.pay([nextRef(), coldMerchant, usdc.address, 25n * UNIT], { account: payerW.account }),
);

// Same, with a zero fee: the difference is what the fee transfer costs.
await router.write.setFee([coldFeeRecipient, 0]);
const directPayWarmNoFee = await gasOf(
  router.write.pay([nextRef(), coldMerchant, usdc.address, 25n * UNIT], { account: payerW.account }),
);
await router.write.setFee([coldFeeRecipient, FEE_BPS]);

// --- Direct pay with an EIP-2612 permit instead of an approval (allowance 0 before, 0 after).
async function permitPay() {
  const amount = 25n * UNIT;
  const deadline = BigInt((await publicClient.getBlock()).timestamp) + 3600n;
  const nonce = await usdc.read.nonces([permitPayer]);
  const signature = await permitPayerW.signTypedData({
    account: permitPayerW.account,
    domain: { name: "USD Coin", version: "1", chainId: await publicClient.getChainId(), verifyingContract: usdc.address },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner: permitPayer, spender: router.address, value: amount, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return gasOf(
    router.write.payWithPermit([nextRef(), coldMerchant, usdc.address, amount, deadline, Number(v ?? BigInt(yParity) + 27n), r, s], {
      account: permitPayerW.account,
    }),
  );
}
const directPayPermitFirstUse = await permitPay(); // the payer's permit nonce goes 0 -> 1 (fresh slot)
const directPayPermit = await permitPay(); // steady state: nonce already non-zero

// --- Native pay (merchant and fee recipient accounts already exist).
await router.write.pay([nextRef(), merchant, NATIVE, 10n ** 16n], { account: payerW.account, value: 10n ** 16n });
const nativePay = await gasOf(
  router.write.pay([nextRef(), merchant, NATIVE, 10n ** 16n], { account: payerW.account, value: 10n ** 16n }),
);

// --- Refund (ERC-20, merchant approved the router, first refund of the order).
const refundRef = nextRef();
await router.write.pay([refundRef, merchant, usdc.address, 25n * UNIT], { account: payerW.account });
await usdc.write.approve([router.address, maxUint256], { account: merchantW.account });
const refund = await gasOf(router.write.refund([refundRef, payer, 10n * UNIT], { account: merchantW.account }));
const refundSecond = await gasOf(router.write.refund([refundRef, payer, 5n * UNIT], { account: merchantW.account }));

// --- Deposit addresses. Destinations are merchants that already hold the token; fee recipient warm.
const destinations = Array.from({ length: 10 }, (_, i) => fresh(100 + i));
for (const d of destinations) await usdc.write.mint([d, UNIT]);
await factory.write.setFee([getAddress(feeW.account.address), FEE_BPS]);
await usdc.write.mint([getAddress(feeW.account.address), UNIT]);

const ref1 = nextRef();
const deposit1 = await factory.read.predict([destinations[0], ref1]);
const depositTransfer = await gasOf(usdc.write.transfer([deposit1, 25n * UNIT], { account: payerW.account }));
const firstSweep = await gasOf(factory.write.sweep([destinations[0], ref1, usdc.address]));
await usdc.write.transfer([deposit1, 25n * UNIT], { account: payerW.account });
const laterSweep = await gasOf(factory.write.sweep([destinations[0], ref1, usdc.address]));

async function batch(n: number) {
  const requests = [];
  for (let i = 0; i < n; i++) {
    const request = { destination: destinations[i % destinations.length], orderRef: nextRef(), token: usdc.address };
    await usdc.write.transfer([await factory.read.predict([request.destination, request.orderRef]), 25n * UNIT], {
      account: payerW.account,
    });
    requests.push(request);
  }
  const total = await gasOf(factory.write.sweepBatch([requests]));
  // The same addresses, paid again and swept again: already deployed (what address reuse would cost).
  for (const request of requests) {
    await usdc.write.transfer([await factory.read.predict([request.destination, request.orderRef]), 25n * UNIT], {
      account: payerW.account,
    });
  }
  const totalDeployed = await gasOf(factory.write.sweepBatch([requests]));
  return { total, perOrder: total / BigInt(n), perOrderDeployed: totalDeployed / BigInt(n) };
}
const batch10 = await batch(10);
const batch50 = await batch(50);

// --- Report.
const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  node: process.version,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  date: new Date().toISOString(),
  chain: `Hardhat 3 EDR (in-process), hardfork ${hardfork}; contracts: evm cancun, solc 0.8.28 optimizer 10,000 runs`,
};
const results = {
  erc20Transfer,
  directPayCold,
  directPayWarm,
  directPayWarmNoFee,
  directPayPermit,
  directPayPermitFirstUse,
  nativePay,
  depositTransfer,
  firstSweep,
  laterSweep,
  batchSweepTotal10: batch10.total,
  batchSweepPerOrder10: batch10.perOrder,
  batchSweepTotal50: batch50.total,
  batchSweepPerOrder50: batch50.perOrder,
  batchLaterSweepPerOrder50: batch50.perOrderDeployed,
  refund,
  refundSecond,
};
const targets: Partial<Record<keyof typeof results, bigint>> = {
  directPayWarm: 55_000n,
  firstSweep: 85_000n,
  batchSweepPerOrder10: 55_000n,
  batchSweepPerOrder50: 55_000n,
};
const rows: [keyof typeof results, string][] = [
  ["erc20Transfer", "ERC-20 transfer, warm recipient (baseline)"],
  ["directPayCold", "Direct pay ERC-20, cold (fresh merchant and fee balances)"],
  ["directPayWarm", "Direct pay ERC-20, warm (balances non-zero, infinite approval)"],
  ["directPayWarmNoFee", "Direct pay ERC-20, warm, fee set to 0 (no fee transfer)"],
  ["directPayPermit", "Direct pay with EIP-2612 permit (payer's nonce already used)"],
  ["directPayPermitFirstUse", "Direct pay with permit, payer's first permit (nonce 0 -> 1)"],
  ["nativePay", "Direct pay, native coin"],
  ["depositTransfer", "Payer's ERC-20 transfer to a deposit address"],
  ["firstSweep", "First sweep (deploy clone + sweep)"],
  ["laterSweep", "Later sweep (already deployed)"],
  ["batchSweepPerOrder10", "Batch sweep of 10 (deploy + sweep), per order"],
  ["batchSweepPerOrder50", "Batch sweep of 50 (deploy + sweep), per order"],
  ["batchLaterSweepPerOrder50", "Batch sweep of 50 already deployed addresses, per order"],
  ["refund", "Refund ERC-20, first (partial) refund of an order"],
  ["refundSecond", "Refund ERC-20, later refund of the same order"],
];
const fmt = (n: bigint) => n.toLocaleString("en-US");
const lines = [
  `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.os}, ${machine.date}`,
  `Chain: ${machine.chain}. Gas = receipt gasUsed (includes the 21,000 intrinsic and calldata).`,
  "",
  "| Operation | Gas | vs ERC-20 transfer | Target | Status |",
  "|---|---:|---:|---:|---|",
  ...rows.map(([key, label]) => {
    const gas = results[key];
    const target = targets[key];
    const delta = key === "erc20Transfer" ? "baseline" : `${gas >= erc20Transfer ? "+" : ""}${fmt(gas - erc20Transfer)}`;
    const status = target === undefined ? "" : gas <= target ? "pass" : `MISS (+${fmt(gas - target)})`;
    return `| ${label} | ${fmt(gas)} | ${delta} | ${target === undefined ? "" : `≤ ${fmt(target)}`} | ${status} |`;
  }),
  "",
  `Batch totals: 10 orders ${fmt(batch10.total)} gas, 50 orders ${fmt(batch50.total)} gas.`,
];
console.log(lines.join("\n"));

await mkdir("bench/results", { recursive: true });
await writeFile(
  "bench/results/gas.json",
  JSON.stringify(
    {
      ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number(v)])),
      targets: Object.fromEntries(Object.entries(targets).map(([k, v]) => [k, Number(v)])),
      machine,
    },
    null,
    2,
  ) + "\n",
);
console.log("\nWrote bench/results/gas.json");
