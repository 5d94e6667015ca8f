// Gas of the lending entry points on a fresh in-process chain. Run: npx hardhat run scripts/bench/gas-lending.ts
// Writes bench/results/gas-lending.json. Each figure is the receipt's gasUsed (21k base included) of a "warm"
// call: the market and the account already exist, and (except the first supply/borrow) interest has to be
// accrued over one elapsed second, which is the common case on a live market.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { network } from "hardhat";
import { keccak256, maxUint256, parseUnits, toHex } from "viem";
import { ROOT } from "../lib/paths.ts";

const { viem, networkHelpers } = await network.create();
const publicClient = await viem.getPublicClient();
const [owner, lender, borrower, liquidator, merchant, feeTo] = await viem.getWalletClients();
const WAD = 10n ** 18n;
const USDC = (x: string) => parseUnits(x, 6);
const WETH = (x: string) => parseUnits(x, 18);

const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
const weth = await viem.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
const feed = await viem.deployContract("MockAggregatorV3", [8, 3000n * 10n ** 8n]);
const zero = "0x0000000000000000000000000000000000000000";
const oracle = await viem.deployContract("ChainlinkOracleAdapter", [feed.address, 86400n, 18, 6, 10n ** 8n, 10n ** 14n, zero, 0n]);
// The same feed behind an L2 adapter, which also reads a sequencer-uptime feed (up for longer than the grace period).
const sequencer = await viem.deployContract("MockSequencerUptimeFeed", []);
await networkHelpers.time.increase(3601);
const l2Oracle = await viem.deployContract("ChainlinkOracleAdapter", [feed.address, 86400n, 18, 6, 10n ** 8n, 10n ** 14n, sequencer.address, 3600n]);
const rateModel = await viem.deployContract("KinkedRateModel", [0n, WAD / 25n, 3n * WAD, (WAD * 8n) / 10n]);
const lending = await viem.deployContract("CoinPaysLending", [owner.account.address]);
const router = await viem.deployContract("PaymentRouter", [owner.account.address, feeTo.account.address, 100]);
const credit = await viem.deployContract("CreditPayment", [lending.address, router.address]);
const lltv = (WAD * 86n) / 100n;
const params = { loanToken: usdc.address, collateralToken: weth.address, oracle: oracle.address, rateModel: rateModel.address, lltv };
await lending.write.enableLltv([lltv]);
await lending.write.enableRateModel([rateModel.address]);
await lending.write.createMarket([params]);
await lending.write.setFeeRecipient([feeTo.account.address]);
await lending.write.setFee([params, WAD / 10n]);
await router.write.setTokenAccepted([usdc.address, true]);
for (const w of [lender, borrower, liquidator]) {
  await usdc.write.mint([w.account.address, USDC("10000000")]);
  await weth.write.mint([w.account.address, WETH("1000")]);
  await usdc.write.approve([lending.address, maxUint256], { account: w.account });
  await weth.write.approve([lending.address, maxUint256], { account: w.account });
}

async function gas(hash: Promise<`0x${string}`>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error("reverted");
  return Number(receipt.gasUsed);
}
const L = { account: lender.account };
const B = { account: borrower.account };
const b = borrower.account.address;

// Warm-up so that every measured call touches already-initialised slots (as on a live market).
await lending.write.supply([params, USDC("100000"), 0n, lender.account.address], L);
await lending.write.supplyCollateral([params, WETH("10"), b], B);
await lending.write.borrow([params, USDC("100"), 0n, b, b], B);
const l2Params = { ...params, oracle: l2Oracle.address };
await lending.write.createMarket([l2Params]);
await lending.write.setFee([l2Params, WAD / 10n]);
await lending.write.supply([l2Params, USDC("100000"), 0n, lender.account.address], L);
await lending.write.supplyCollateral([l2Params, WETH("10"), b], B);
await lending.write.borrow([l2Params, USDC("100"), 0n, b, b], B);

const results: Record<string, number> = {};
results.supply = await gas(lending.write.supply([params, USDC("1000"), 0n, lender.account.address], L));
results.supplyCollateral = await gas(lending.write.supplyCollateral([params, WETH("1"), b], B));
results.borrow = await gas(lending.write.borrow([params, USDC("1000"), 0n, b, b], B));
// The same borrow on a market whose adapter also checks the L2 sequencer-uptime feed.
results.borrowWithSequencerCheck = await gas(lending.write.borrow([l2Params, USDC("1000"), 0n, b, b], B));
results.repay = await gas(lending.write.repay([params, USDC("500"), 0n, b], B));
results.withdraw = await gas(lending.write.withdraw([params, USDC("1000"), 0n, lender.account.address, lender.account.address], L));
results.withdrawCollateral = await gas(lending.write.withdrawCollateral([params, WETH("1"), b, b], B));
// What a payer signs once before the first credit payment at checkout.
results.setAuthorization = await gas(lending.write.setAuthorization([credit.address, true], B));
results.creditPayment = await gas(credit.write.payWithCredit([params, keccak256(toHex("order-1")), merchant.account.address, USDC("250"), maxUint256], B));
// Make the position liquidatable: borrow close to the LLTV, then the price drops 10%.
await lending.write.borrow([params, USDC("24000"), 0n, b, b], B);
await feed.write.setAnswer([2700n * 10n ** 8n]);
const shares = (await lending.read.position([await idOf(), b])).borrowShares;
results.liquidate = await gas(lending.write.liquidate([params, b, 0n, shares / 4n], { account: liquidator.account }));
results.accrueInterest = await (async () => { await networkHelpers.time.increase(3600); return gas(lending.write.accrueInterest([params])); })();

async function idOf() {
  const { encodeAbiParameters } = await import("viem");
  return keccak256(encodeAbiParameters(
    [{ type: "address" }, { type: "address" }, { type: "address" }, { type: "address" }, { type: "uint256" }],
    [params.loanToken, params.collateralToken, params.oracle, params.rateModel, params.lltv]));
}

console.table(results);
const out = path.join(ROOT, "bench/results/gas-lending.json");
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ solc: "0.8.28", optimizerRuns: 10000, evmVersion: "cancun", unit: "gasUsed per transaction (incl. 21,000 base)", results }, null, 2) + "\n");
console.log(`wrote ${path.relative(ROOT, out)}`);
