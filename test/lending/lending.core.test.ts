import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, zeroAddress } from "viem";
import {
  deployFunded,
  deployLending,
  LLTV,
  MIN_BORROW,
  STALENESS,
  toAssetsDown,
  toAssetsUp,
  toSharesDown,
  toSharesUp,
  USDC,
  VIRTUAL_SHARES,
  WAD,
  WETH,
  marketId,
} from "./fixture.js";

const connection = await network.create();
const { networkHelpers } = connection;
const base = () => networkHelpers.loadFixture(async function lendingBase() {
  return deployLending(connection);
});
const funded = () => networkHelpers.loadFixture(async function lendingFunded() {
  return deployFunded(connection);
});

describe("CoinPaysLending: owner and markets", () => {
  it("restricts every owner function to the owner", async () => {
    const { viem, lending, other, params, usdc } = await base();
    const as = { account: other.account };
    for (const p of [
      lending.write.enableLltv([WAD / 2n], as),
      lending.write.enableRateModel([other.account.address], as),
      lending.write.setFee([params, WAD / 10n], as),
      lending.write.setFeeRecipient([other.account.address], as),
      lending.write.setMinBorrow([usdc.address, 1n], as),
    ]) {
      await viem.assertions.revertWithCustomError(p, lending, "OwnableUnauthorizedAccount");
    }
  });

  it("enables LLTVs below 100% once", async () => {
    const { viem, lending } = await base();
    await viem.assertions.emitWithArgs(lending.write.enableLltv([WAD / 2n]), lending, "LltvEnabled", [WAD / 2n]);
    expect(await lending.read.isLltvEnabled([WAD / 2n])).to.equal(true);
    await viem.assertions.revertWithCustomError(lending.write.enableLltv([WAD / 2n]), lending, "AlreadySet");
    await viem.assertions.revertWithCustomErrorWithArgs(lending.write.enableLltv([WAD]), lending, "LltvTooHigh", [WAD]);
  });

  it("enables rate models once, never the zero address", async () => {
    const { viem, lending, rateModel, other } = await base();
    await viem.assertions.revertWithCustomError(lending.write.enableRateModel([rateModel.address]), lending, "AlreadySet");
    await viem.assertions.revertWithCustomError(lending.write.enableRateModel([zeroAddress]), lending, "ZeroAddress");
    await viem.assertions.emit(lending.write.enableRateModel([other.account.address]), lending, "RateModelEnabled");
  });

  it("creates a market keyed by keccak(params) once, from enabled LLTVs and rate models only", async () => {
    const { viem, lending, params, id, other } = await base();
    expect(await lending.read.idToMarketParams([id])).to.deep.equal(params);
    const m = await lending.read.market([id]);
    expect(m.lastUpdate > 0n).to.equal(true);
    await viem.assertions.revertWithCustomErrorWithArgs(lending.write.createMarket([params]), lending, "MarketAlreadyCreated", [id]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      lending.write.createMarket([{ ...params, lltv: WAD / 3n }]), lending, "LltvNotEnabled", [WAD / 3n]);
    await viem.assertions.revertWithCustomError(
      lending.write.createMarket([{ ...params, rateModel: other.account.address }]), lending, "RateModelNotEnabled");
    await viem.assertions.revertWithCustomError(
      lending.write.createMarket([{ ...params, loanToken: zeroAddress }]), lending, "ZeroAddress");
    await viem.assertions.revertWithCustomError(
      lending.write.createMarket([{ ...params, collateralToken: zeroAddress }]), lending, "ZeroAddress");
    await viem.assertions.revertWithCustomError(
      lending.write.createMarket([{ ...params, oracle: zeroAddress }]), lending, "ZeroAddress");
    const p2 = { ...params, oracle: getAddress(other.account.address) };
    await viem.assertions.emitWithArgs(lending.write.createMarket([p2], { account: other.account }), lending,
      "MarketCreated", [marketId(p2), p2]);
  });

  it("reverts every market entry point for an unknown market", async () => {
    const { viem, lending, params, lender } = await base();
    const p = { ...params, lltv: 1n };
    const a = lender.account.address;
    for (const call of [
      lending.write.supply([p, 1n, 0n, a]),
      lending.write.withdraw([p, 1n, 0n, a, a]),
      lending.write.borrow([p, 1n, 0n, a, a]),
      lending.write.repay([p, 1n, 0n, a]),
      lending.write.supplyCollateral([p, 1n, a]),
      lending.write.withdrawCollateral([p, 1n, a, a]),
      lending.write.liquidate([p, a, 1n, 0n]),
      lending.write.accrueInterest([p]),
      lending.write.setFee([p, 1n]),
    ]) {
      await viem.assertions.revertWithCustomErrorWithArgs(call, lending, "MarketNotCreated", [marketId(p)]);
    }
  });

  it("caps the fee at 25% and needs a change", async () => {
    const { viem, lending, params, id } = await base();
    expect(await lending.read.MAX_FEE()).to.equal(WAD / 4n);
    await viem.assertions.revertWithCustomError(lending.write.setFee([params, 0n]), lending, "AlreadySet");
    await viem.assertions.revertWithCustomErrorWithArgs(lending.write.setFee([params, WAD / 4n + 1n]), lending,
      "FeeTooHigh", [WAD / 4n + 1n]);
    await viem.assertions.emitWithArgs(lending.write.setFee([params, WAD / 4n]), lending, "FeeSet", [id, WAD / 4n]);
  });

  it("sets the fee recipient and the minimum borrow", async () => {
    const { viem, lending, feeTo, other, usdc } = await base();
    await viem.assertions.revertWithCustomError(lending.write.setFeeRecipient([feeTo.account.address]), lending, "AlreadySet");
    await viem.assertions.emit(lending.write.setFeeRecipient([other.account.address]), lending, "FeeRecipientSet");
    expect(getAddress(await lending.read.feeRecipient())).to.equal(getAddress(other.account.address));
    await viem.assertions.emitWithArgs(lending.write.setMinBorrow([usdc.address, 5n]), lending, "MinBorrowSet",
      [usdc.address, 5n]);
    expect(await lending.read.minBorrow([usdc.address])).to.equal(5n);
  });

  it("derives the liquidation incentive from the LLTV, capped at 15%", async () => {
    const { lending } = await base();
    const lif = (l: bigint) => {
      const x = (WAD * WAD) / (WAD - (3n * WAD / 10n) * (WAD - l) / WAD);
      return x < 115n * WAD / 100n ? x : 115n * WAD / 100n;
    };
    for (const l of [0n, WAD / 2n, LLTV, 945n * WAD / 1000n, WAD - 1n]) {
      expect(await lending.read.liquidationIncentiveFactor([l])).to.equal(lif(l));
    }
    expect(await lending.read.liquidationIncentiveFactor([0n])).to.equal(115n * WAD / 100n);
    expect(await lending.read.liquidationIncentiveFactor([LLTV]) > WAD).to.equal(true);
  });

  it("sets and revokes authorizations", async () => {
    const { viem, lending, lender, other } = await base();
    const as = { account: lender.account };
    await viem.assertions.emitWithArgs(lending.write.setAuthorization([other.account.address, true], as), lending,
      "AuthorizationSet", [lender.account.address, other.account.address, true]);
    expect(await lending.read.isAuthorized([lender.account.address, other.account.address])).to.equal(true);
    await viem.assertions.revertWithCustomError(lending.write.setAuthorization([other.account.address, true], as), lending, "AlreadySet");
    await lending.write.setAuthorization([other.account.address, false], as);
    expect(await lending.read.isAuthorized([lender.account.address, other.account.address])).to.equal(false);
  });
});

describe("CoinPaysLending: supply and withdraw", () => {
  it("supplies by assets with shares rounded down, at 1e6 virtual shares per asset", async () => {
    const { viem, lending, params, id, lender, usdc } = await base();
    const a = lender.account.address;
    await viem.assertions.emitWithArgs(lending.write.supply([params, USDC("100"), 0n, a], { account: lender.account }),
      lending, "Supplied", [id, a, a, USDC("100"), USDC("100") * VIRTUAL_SHARES]);
    const m = await lending.read.market([id]);
    expect(m.totalSupplyAssets).to.equal(USDC("100"));
    expect(m.totalSupplyShares).to.equal(USDC("100") * VIRTUAL_SHARES);
    expect((await lending.read.position([id, a])).supplyShares).to.equal(USDC("100") * VIRTUAL_SHARES);
    expect(await usdc.read.balanceOf([lending.address])).to.equal(USDC("100"));
  });

  it("supplies by shares with assets rounded up, and for someone else", async () => {
    const { viem, lending, params, id, lender, other } = await funded();
    const m = await lending.read.market([id]);
    const shares = 1_234_567n;
    const expected = toAssetsUp(shares, m.totalSupplyAssets, m.totalSupplyShares);
    await viem.assertions.emitWithArgs(
      lending.write.supply([params, 0n, shares, other.account.address], { account: lender.account }),
      lending, "Supplied", [id, lender.account.address, other.account.address, expected, shares]);
    expect((await lending.read.position([id, other.account.address])).supplyShares).to.equal(shares);
  });

  it("rejects inconsistent input and the zero address", async () => {
    const { viem, lending, params, lender } = await base();
    const a = lender.account.address;
    await viem.assertions.revertWithCustomError(lending.write.supply([params, 0n, 0n, a]), lending, "InconsistentInput");
    await viem.assertions.revertWithCustomError(lending.write.supply([params, 1n, 1n, a]), lending, "InconsistentInput");
    await viem.assertions.revertWithCustomError(lending.write.supply([params, 1n, 0n, zeroAddress]), lending, "ZeroAddress");
    await viem.assertions.revertWithCustomError(lending.write.withdraw([params, 0n, 0n, a, a]), lending, "InconsistentInput");
    await viem.assertions.revertWithCustomError(lending.write.withdraw([params, 1n, 1n, a, a]), lending, "InconsistentInput");
  });

  it("withdraws by assets (shares rounded up) and everything by shares (assets rounded down)", async () => {
    const { viem, lending, params, id, lender, usdc, networkHelpers, borrower } = await funded();
    const a = lender.account.address;
    // Some interest first so that share price is not round.
    await lending.write.borrow([params, USDC("20000"), 0n, borrower.account.address, borrower.account.address], { account: borrower.account });
    await networkHelpers.time.increase(30 * 86400);
    await lending.write.repay([params, 0n, (await lending.read.position([id, borrower.account.address])).borrowShares, borrower.account.address], { account: borrower.account });
    let m = await lending.read.market([id]);
    const sharesUp = toSharesUp(USDC("1000"), m.totalSupplyAssets, m.totalSupplyShares);
    const before = (await lending.read.position([id, a])).supplyShares;
    await viem.assertions.emitWithArgs(lending.write.withdraw([params, USDC("1000"), 0n, a, a], { account: lender.account }),
      lending, "Withdrawn", [id, a, a, a, USDC("1000"), sharesUp]);
    const all = before - sharesUp;
    m = await lending.read.market([id]);
    const assetsDown = toAssetsDown(all, m.totalSupplyAssets, m.totalSupplyShares);
    const bal = await usdc.read.balanceOf([a]);
    await lending.write.withdraw([params, 0n, all, a, a], { account: lender.account });
    expect(await usdc.read.balanceOf([a])).to.equal(bal + assetsDown);
    expect((await lending.read.position([id, a])).supplyShares).to.equal(0n);
    // The lender earned interest: more than the 100k supplied came back in total.
    expect(assetsDown + USDC("1000") > USDC("100000")).to.equal(true);
  });

  it("only the owner of a position or an authorised account can withdraw, to a non-zero receiver", async () => {
    const { viem, lending, params, lender, other } = await funded();
    const a = lender.account.address;
    await viem.assertions.revertWithCustomErrorWithArgs(
      lending.write.withdraw([params, 1n, 0n, a, other.account.address], { account: other.account }),
      lending, "Unauthorized", [other.account.address, a]);
    await lending.write.setAuthorization([other.account.address, true], { account: lender.account });
    await lending.write.withdraw([params, USDC("1"), 0n, a, other.account.address], { account: other.account });
    await viem.assertions.revertWithCustomError(
      lending.write.withdraw([params, 1n, 0n, a, zeroAddress], { account: lender.account }), lending, "ZeroAddress");
  });

  it("cannot withdraw more than the position or the idle liquidity", async () => {
    const { viem, lending, params, lender, borrower, other } = await funded();
    await lending.write.supply([params, USDC("10"), 0n, other.account.address], { account: other.account });
    await viem.assertions.revert(
      lending.write.withdraw([params, USDC("11"), 0n, other.account.address, other.account.address], { account: other.account }));
    await lending.write.borrow([params, USDC("20000"), 0n, borrower.account.address, borrower.account.address], { account: borrower.account });
    await viem.assertions.revertWithCustomErrorWithArgs(
      lending.write.withdraw([params, USDC("90000"), 0n, lender.account.address, lender.account.address], { account: lender.account }),
      lending, "InsufficientLiquidity", [USDC("90000"), USDC("80010")]);
  });
});

describe("CoinPaysLending: collateral, borrow and repay", () => {
  it("supplies collateral for anyone, never zero or to the zero address", async () => {
    const { viem, lending, params, id, other, borrower } = await funded();
    await viem.assertions.emitWithArgs(
      lending.write.supplyCollateral([params, WETH("1"), borrower.account.address], { account: other.account }),
      lending, "CollateralSupplied", [id, other.account.address, borrower.account.address, WETH("1")]);
    expect((await lending.read.position([id, borrower.account.address])).collateral).to.equal(WETH("11"));
    await viem.assertions.revertWithCustomError(lending.write.supplyCollateral([params, 0n, borrower.account.address]), lending, "ZeroAssets");
    await viem.assertions.revertWithCustomError(lending.write.supplyCollateral([params, 1n, zeroAddress]), lending, "ZeroAddress");
  });

  it("borrows by assets with shares rounded up, up to exactly the LLTV", async () => {
    const { viem, lending, params, id, borrower, usdc } = await funded();
    const b = borrower.account.address;
    // 10 WETH * 3000 * 86% = 25,800 USDC.
    await viem.assertions.revertWithCustomError(
      lending.write.borrow([params, USDC("25800") + 1n, 0n, b, b], { account: borrower.account }), lending, "InsufficientCollateral");
    const shares = toSharesUp(USDC("25800"), 0n, 0n);
    await viem.assertions.emitWithArgs(lending.write.borrow([params, USDC("25800"), 0n, b, b], { account: borrower.account }),
      lending, "Borrowed", [id, b, b, b, USDC("25800"), shares]);
    expect(await usdc.read.balanceOf([b])).to.equal(USDC("1025800"));
    expect(await lending.read.expectedBorrowAssets([params, b])).to.equal(USDC("25800"));
    expect(await lending.read.isHealthy([params, b])).to.deep.equal([true, true]);
  });

  it("borrows by shares with assets rounded down", async () => {
    const { lending, params, id, borrower } = await funded();
    const b = borrower.account.address;
    await lending.write.borrow([params, USDC("100"), 0n, b, b], { account: borrower.account });
    const m = await lending.read.market([id]);
    const shares = 12_345_678_901n;
    const assets = toAssetsDown(shares, m.totalBorrowAssets, m.totalBorrowShares);
    const { result } = await lending.simulate.borrow([params, 0n, shares, b, b], { account: b });
    expect(result).to.deep.equal([assets, shares]);
  });

  it("rejects bad borrow input, unauthorised callers, dust and over-borrowing of liquidity", async () => {
    const { viem, lending, params, borrower, other } = await funded();
    const b = borrower.account.address;
    const as = { account: borrower.account };
    await viem.assertions.revertWithCustomError(lending.write.borrow([params, 0n, 0n, b, b], as), lending, "InconsistentInput");
    await viem.assertions.revertWithCustomError(lending.write.borrow([params, 1n, 1n, b, b], as), lending, "InconsistentInput");
    await viem.assertions.revertWithCustomError(lending.write.borrow([params, USDC("20"), 0n, b, zeroAddress], as), lending, "ZeroAddress");
    // 1 share is worth 1e-6 of a base unit: rounds to zero assets.
    await viem.assertions.revertWithCustomError(lending.write.borrow([params, 0n, 1n, b, b], as), lending, "ZeroAssets");
    await viem.assertions.revertWithCustomErrorWithArgs(lending.write.borrow([params, USDC("20"), 0n, b, b], { account: other.account }),
      lending, "Unauthorized", [other.account.address, b]);
    await viem.assertions.revertWithCustomErrorWithArgs(lending.write.borrow([params, MIN_BORROW - 1n, 0n, b, b], as),
      lending, "BorrowBelowMinimum", [MIN_BORROW - 1n, MIN_BORROW]);
    // Plenty of collateral but not enough liquidity.
    await lending.write.supplyCollateral([params, WETH("100"), b], as);
    await viem.assertions.revertWithCustomErrorWithArgs(lending.write.borrow([params, USDC("100001"), 0n, b, b], as),
      lending, "InsufficientLiquidity", [USDC("100001"), USDC("100000")]);
    // An authorised operator may borrow for the borrower, to itself.
    await lending.write.setAuthorization([other.account.address, true], as);
    await lending.write.borrow([params, USDC("20"), 0n, b, other.account.address], { account: other.account });
  });

  it("repays by assets (shares rounded down) and all by shares (assets rounded up), for anyone", async () => {
    const { viem, lending, params, id, borrower, other, networkHelpers, usdc } = await funded();
    const b = borrower.account.address;
    await lending.write.borrow([params, USDC("1000"), 0n, b, b], { account: borrower.account });
    await networkHelpers.time.increase(86400 * 7);
    await lending.write.accrueInterest([params]);
    let m = await lending.read.market([id]);
    const sharesDown = toSharesDown(USDC("100"), m.totalBorrowAssets, m.totalBorrowShares);
    await viem.assertions.emitWithArgs(lending.write.repay([params, USDC("100"), 0n, b], { account: other.account }),
      lending, "Repaid", [id, other.account.address, b, USDC("100"), sharesDown]);
    const shares = (await lending.read.position([id, b])).borrowShares;
    m = await lending.read.market([id]);
    const assetsUp = toAssetsUp(shares, m.totalBorrowAssets, m.totalBorrowShares);
    const bal = await usdc.read.balanceOf([b]);
    await lending.write.repay([params, 0n, shares, b], { account: borrower.account });
    expect(await usdc.read.balanceOf([b])).to.equal(bal - assetsUp);
    expect((await lending.read.position([id, b])).borrowShares).to.equal(0n);
    expect(assetsUp + USDC("100") > USDC("1000")).to.equal(true); // interest paid
  });

  it("rejects bad repay input, over-repayment and a remaining debt below the minimum", async () => {
    const { viem, lending, params, id, borrower } = await funded();
    const b = borrower.account.address;
    const as = { account: borrower.account };
    await lending.write.borrow([params, USDC("100"), 0n, b, b], as);
    await viem.assertions.revertWithCustomError(lending.write.repay([params, 0n, 0n, b], as), lending, "InconsistentInput");
    await viem.assertions.revertWithCustomError(lending.write.repay([params, 1n, 1n, b], as), lending, "InconsistentInput");
    await viem.assertions.revertWithCustomError(lending.write.repay([params, 1n, 0n, zeroAddress], as), lending, "ZeroAddress");
    await viem.assertions.revertWithCustomError(lending.write.repay([params, USDC("95"), 0n, b], as), lending, "BorrowBelowMinimum");
    const shares = (await lending.read.position([id, b])).borrowShares;
    await viem.assertions.revert(lending.write.repay([params, 0n, shares + 1n, b], as));
    await viem.assertions.revert(lending.write.repay([params, USDC("101"), 0n, b], as));
    // Raising the minimum above an open position never blocks repaying it in full.
    await lending.write.setMinBorrow([params.loanToken, USDC("1000")]);
    await lending.write.repay([params, 0n, shares, b], as);
  });

  it("withdraws collateral while healthy, needing a price only with debt", async () => {
    const { viem, lending, params, id, borrower, other, feed, networkHelpers } = await funded();
    const b = borrower.account.address;
    const as = { account: borrower.account };
    await viem.assertions.revertWithCustomError(lending.write.withdrawCollateral([params, 0n, b, b], as), lending, "ZeroAssets");
    await viem.assertions.revertWithCustomError(lending.write.withdrawCollateral([params, 1n, b, zeroAddress], as), lending, "ZeroAddress");
    await viem.assertions.revertWithCustomErrorWithArgs(lending.write.withdrawCollateral([params, 1n, b, b], { account: other.account }),
      lending, "Unauthorized", [other.account.address, b]);
    await viem.assertions.revert(lending.write.withdrawCollateral([params, WETH("10") + 1n, b, b], as));
    await lending.write.borrow([params, USDC("12900"), 0n, b, b], as); // 43% of 30k
    await viem.assertions.revertWithCustomError(lending.write.withdrawCollateral([params, WETH("5") + 1n, b, b], as),
      lending, "InsufficientCollateral");
    await viem.assertions.emitWithArgs(lending.write.withdrawCollateral([params, WETH("4"), b, other.account.address], as),
      lending, "CollateralWithdrawn", [id, b, b, other.account.address, WETH("4")]);
    // With the feed stale, indebted positions cannot withdraw collateral.
    await networkHelpers.time.increase(Number(STALENESS) + 1);
    await viem.assertions.revertWithCustomErrorWithArgs(lending.write.withdrawCollateral([params, 1n, b, b], as),
      lending, "OracleUnavailable", [params.oracle]);
    expect((await lending.read.isHealthy([params, b]))[0]).to.equal(false);
    // ...but after repaying everything they can, with no price at all.
    await feed.write.setBroken([true]);
    const shares = (await lending.read.position([id, b])).borrowShares;
    await lending.write.repay([params, 0n, shares, b], as);
    await lending.write.withdrawCollateral([params, WETH("6"), b, b], as);
    expect(await lending.read.position([id, b])).to.deep.equal({ supplyShares: 0n, borrowShares: 0n, collateral: 0n });
  });
});

describe("CoinPaysLending: interest and fee", () => {
  it("accrues per-second interest on both sides from the rate model (Taylor-compounded)", async () => {
    const { viem, lending, params, id, borrower, rateModel, networkHelpers } = await funded();
    const b = borrower.account.address;
    await lending.write.borrow([params, USDC("20000"), 0n, b, b], { account: borrower.account });
    const m0 = await lending.read.market([id]);
    const rate = await rateModel.read.rateAt([await rateModel.read.utilization([m0.totalSupplyAssets, m0.totalBorrowAssets])]);
    await networkHelpers.time.setNextBlockTimestamp(Number(m0.lastUpdate) + 365 * 86400);
    const first = rate * 365n * 86400n;
    const second = (first * first) / (2n * WAD);
    const third = (second * first) / (3n * WAD);
    const interest = (m0.totalBorrowAssets * (first + second + third)) / WAD;
    await viem.assertions.emitWithArgs(lending.write.accrueInterest([params]), lending, "InterestAccrued", [id, rate, interest, 0n]);
    const m1 = await lending.read.market([id]);
    expect(m1.totalBorrowAssets - m0.totalBorrowAssets).to.equal(interest);
    expect(m1.totalSupplyAssets - m0.totalSupplyAssets).to.equal(interest);
    // 20% utilisation: 1% APR, ~200 USDC a year.
    expect(interest > USDC("200") && interest < USDC("203")).to.equal(true);
  });

  it("mints the fee share of interest as supply shares to the fee recipient", async () => {
    const { lending, params, id, borrower, feeTo, networkHelpers } = await funded();
    const b = borrower.account.address;
    await lending.write.setFee([params, WAD / 10n]);
    await lending.write.borrow([params, USDC("20000"), 0n, b, b], { account: borrower.account });
    await networkHelpers.time.increase(365 * 86400);
    const m0 = await lending.read.market([id]);
    await lending.write.accrueInterest([params]);
    const m1 = await lending.read.market([id]);
    const interest = m1.totalSupplyAssets - m0.totalSupplyAssets;
    const feeAmount = interest / 10n;
    const feeShares = toSharesDown(feeAmount, m1.totalSupplyAssets - feeAmount, m0.totalSupplyShares);
    expect((await lending.read.position([id, feeTo.account.address])).supplyShares).to.equal(feeShares);
    expect(m1.totalSupplyShares - m0.totalSupplyShares).to.equal(feeShares);
  });

  it("accrues nothing without borrows and only once per block", async () => {
    const { viem, lending, params, id, networkHelpers } = await funded();
    await networkHelpers.time.increase(1000);
    await viem.assertions.emit(lending.write.accrueInterest([params]), lending, "InterestAccrued").then(
      () => { throw new Error("should not emit"); }, () => {});
    const m = await lending.read.market([id]);
    expect(m.totalSupplyAssets).to.equal(USDC("100000"));
    expect(BigInt(await networkHelpers.time.latest())).to.equal(m.lastUpdate);
  });

  it("makes a position at its LLTV unhealthy through interest alone", async () => {
    const { lending, params, borrower, networkHelpers } = await funded();
    const b = borrower.account.address;
    await lending.write.borrow([params, USDC("25800"), 0n, b, b], { account: borrower.account });
    expect(await lending.read.isHealthy([params, b])).to.deep.equal([true, true]);
    await networkHelpers.time.increase(60);
    await networkHelpers.mine();
    // The price is unchanged and still fresh: only interest moved the position.
    expect(await lending.read.isHealthy([params, b])).to.deep.equal([true, false]);
    expect((await lending.read.expectedBorrowAssets([params, b])) > USDC("25800")).to.equal(true);
  });
});
