import type { NetworkConnection } from "hardhat/types/network";
import { encodeAbiParameters, getAddress, keccak256, maxUint256, parseUnits } from "viem";

export const WAD = 10n ** 18n;
export const ORACLE_SCALE = 10n ** 36n;
export const VIRTUAL_SHARES = 10n ** 6n;
export const LLTV = 860_000_000_000_000_000n; // 86%
export const USDC = (x: string) => parseUnits(x, 6);
export const WETH = (x: string) => parseUnits(x, 18);
export const MIN_BORROW = USDC("10");
export const STALENESS = 3600n;
export const ETH_PRICE = 3000n * 10n ** 8n; // feed answer, 8 decimals
/** The adapter's answer bounds for the ETH / USD feed: $1 to $1,000,000 (8 decimals). */
export const MIN_ANSWER = 1n * 10n ** 8n;
export const MAX_ANSWER = 1_000_000n * 10n ** 8n;
/** No sequencer-uptime feed (an L1 adapter) and so no grace period. */
export const NO_SEQUENCER = "0x0000000000000000000000000000000000000000" as const;

export type MarketParams = {
  loanToken: `0x${string}`;
  collateralToken: `0x${string}`;
  oracle: `0x${string}`;
  rateModel: `0x${string}`;
  lltv: bigint;
};

export function marketId(p: MarketParams): `0x${string}` {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "address" }, { type: "address" }, { type: "uint256" }],
      [p.loanToken, p.collateralToken, p.oracle, p.rateModel, p.lltv],
    ),
  );
}

export const mulDivUp = (x: bigint, y: bigint, d: bigint) => (x * y + d - 1n) / d;
export const mulDivDown = (x: bigint, y: bigint, d: bigint) => (x * y) / d;
export const toSharesDown = (a: bigint, ta: bigint, ts: bigint) => mulDivDown(a, ts + VIRTUAL_SHARES, ta + 1n);
export const toSharesUp = (a: bigint, ta: bigint, ts: bigint) => mulDivUp(a, ts + VIRTUAL_SHARES, ta + 1n);
export const toAssetsDown = (s: bigint, ta: bigint, ts: bigint) => mulDivDown(s, ta + 1n, ts + VIRTUAL_SHARES);
export const toAssetsUp = (s: bigint, ta: bigint, ts: bigint) => mulDivUp(s, ta + 1n, ts + VIRTUAL_SHARES);

/** Deploys tokens, feed, oracle adapter, rate model, lending (market created, fee recipient set), router and
 * credit payment; funds and approves the actors. */
export async function deployLending(connection: NetworkConnection, zeroRate = false) {
  const { viem, networkHelpers } = connection;
  const [owner, lender, borrower, liquidator, merchant, feeTo, other] = await viem.getWalletClients();
  const publicClient = await viem.getPublicClient();

  const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const weth = await viem.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
  const feed = await viem.deployContract("MockAggregatorV3", [8, ETH_PRICE]);
  const oracle = await viem.deployContract("ChainlinkOracleAdapter", [feed.address, STALENESS, 18, 6, MIN_ANSWER, MAX_ANSWER, NO_SEQUENCER, 0n]);
  // 0% base, +4% up to an 80% kink, +300% above it.
  // (`zeroRate`: a model charging nothing, for tests that compare exact amounts across blocks.)
  const rateModel = await viem.deployContract("KinkedRateModel",
    zeroRate ? [0n, 0n, 0n, WAD / 2n] : [0n, WAD / 25n, 3n * WAD, (WAD * 8n) / 10n]);
  const lending = await viem.deployContract("CoinPaysLending", [owner.account.address]);
  const router = await viem.deployContract("PaymentRouter", [owner.account.address, feeTo.account.address, 100]);
  const credit = await viem.deployContract("CreditPayment", [lending.address, router.address]);

  const params: MarketParams = {
    loanToken: getAddress(usdc.address),
    collateralToken: getAddress(weth.address),
    oracle: getAddress(oracle.address),
    rateModel: getAddress(rateModel.address),
    lltv: LLTV,
  };
  const id = marketId(params);
  await lending.write.enableLltv([LLTV]);
  await lending.write.enableRateModel([rateModel.address]);
  await lending.write.createMarket([params]);
  await lending.write.setFeeRecipient([feeTo.account.address]);
  await lending.write.setMinBorrow([usdc.address, MIN_BORROW]);
  await router.write.setTokenAccepted([usdc.address, true]);

  for (const w of [lender, borrower, liquidator, other]) {
    await usdc.write.mint([w.account.address, USDC("1000000")]);
    await weth.write.mint([w.account.address, WETH("1000")]);
    await usdc.write.approve([lending.address, maxUint256], { account: w.account });
    await weth.write.approve([lending.address, maxUint256], { account: w.account });
  }

  return {
    connection,
    viem,
    networkHelpers,
    publicClient,
    owner,
    lender,
    borrower,
    liquidator,
    merchant,
    feeTo,
    other,
    usdc,
    weth,
    feed,
    oracle,
    rateModel,
    lending,
    router,
    credit,
    params,
    id,
  };
}

/** A lender with 100k USDC supplied and a borrower with 10 WETH of collateral. */
export async function deployFunded(connection: NetworkConnection, zeroRate = false) {
  const f = await deployLending(connection, zeroRate);
  await f.lending.write.supply([f.params, USDC("100000"), 0n, f.lender.account.address], { account: f.lender.account });
  await f.lending.write.supplyCollateral([f.params, WETH("10"), f.borrower.account.address], {
    account: f.borrower.account,
  });
  return f;
}
