import { expect } from "chai";
import { network } from "hardhat";
import { deployFunded, ETH_PRICE, LLTV, ORACLE_SCALE, STALENESS, toAssetsDown, toAssetsUp, toSharesUp, USDC, WAD, WETH, mulDivUp } from "./fixture.js";

const connection = await network.create();
const { networkHelpers } = connection;
/** Borrower at 25,000 USDC against 10 WETH, then ETH falls from 3,000 to 2,500: max debt 21,500, unhealthy. */
/** Zero-rate market so that amounts computed from one block's totals hold in the next. */
const unhealthy = () => networkHelpers.loadFixture(async function lendingUnhealthy() {
  const f = await deployFunded(connection, true);
  const b = f.borrower.account.address;
  await f.lending.write.borrow([f.params, USDC("25000"), 0n, b, b], { account: f.borrower.account });
  await f.feed.write.setAnswer([2500n * 10n ** 8n]);
  return f;
});
const PRICE_2500 = 2500n * 10n ** 8n * 10n ** 16n; // scaled 1e36, USDC(6) per WETH(18)
const lif = (l: bigint) => {
  const x = (WAD * WAD) / (WAD - (3n * WAD / 10n) * (WAD - l) / WAD);
  return x < 115n * WAD / 100n ? x : 115n * WAD / 100n;
};

describe("CoinPaysLending: liquidation", () => {
  it("refuses to liquidate a healthy position", async () => {
    const { viem, lending, params, borrower, liquidator, feed } = await unhealthy();
    await feed.write.setAnswer([ETH_PRICE]);
    await viem.assertions.revertWithCustomError(
      lending.write.liquidate([params, borrower.account.address, 0n, 1n], { account: liquidator.account }),
      lending, "HealthyPosition");
  });

  it("needs exactly one of seized assets / repaid shares", async () => {
    const { viem, lending, params, borrower } = await unhealthy();
    await viem.assertions.revertWithCustomError(lending.write.liquidate([params, borrower.account.address, 0n, 0n]), lending, "InconsistentInput");
    await viem.assertions.revertWithCustomError(lending.write.liquidate([params, borrower.account.address, 1n, 1n]), lending, "InconsistentInput");
  });

  it("liquidates partially by repaid shares: collateral = debt value x incentive, rounded down", async () => {
    const { viem, lending, params, id, borrower, liquidator, weth, usdc } = await unhealthy();
    const b = borrower.account.address;
    const pos = await lending.read.position([id, b]);
    const m = await lending.read.market([id]);
    const repaidShares = pos.borrowShares / 4n;
    const debtDown = toAssetsDown(repaidShares, m.totalBorrowAssets, m.totalBorrowShares);
    const seized = ((debtDown * lif(LLTV)) / WAD) * ORACLE_SCALE / PRICE_2500;
    const repaid = toAssetsUp(repaidShares, m.totalBorrowAssets, m.totalBorrowShares);
    const w0 = await weth.read.balanceOf([liquidator.account.address]);
    const u0 = await usdc.read.balanceOf([liquidator.account.address]);
    await viem.assertions.emitWithArgs(
      lending.write.liquidate([params, b, 0n, repaidShares], { account: liquidator.account }),
      lending, "Liquidated", [id, liquidator.account.address, b, repaid, repaidShares, seized, 0n, 0n]);
    expect(await weth.read.balanceOf([liquidator.account.address])).to.equal(w0 + seized);
    expect(await usdc.read.balanceOf([liquidator.account.address])).to.equal(u0 - repaid);
    const after = await lending.read.position([id, b]);
    expect(after.borrowShares).to.equal(pos.borrowShares - repaidShares);
    expect(after.collateral).to.equal(WETH("10") - seized);
    // The liquidator earned the incentive (~4.38% at 86% LLTV).
    expect(seized * PRICE_2500 / ORACLE_SCALE > repaid).to.equal(true);
  });

  it("liquidates by seized assets: repaid shares rounded up", async () => {
    const { lending, params, id, borrower, liquidator } = await unhealthy();
    const b = borrower.account.address;
    const m = await lending.read.market([id]);
    const seized = WETH("2");
    const quoted = mulDivUp(seized, PRICE_2500, ORACLE_SCALE);
    const repaidShares = toSharesUp(mulDivUp(quoted, WAD, lif(LLTV)), m.totalBorrowAssets, m.totalBorrowShares);
    const { result } = await lending.simulate.liquidate([params, b, seized, 0n], { account: liquidator.account.address });
    expect(result).to.deep.equal([seized, toAssetsUp(repaidShares, m.totalBorrowAssets, m.totalBorrowShares)]);
    await lending.write.liquidate([params, b, seized, 0n], { account: liquidator.account });
    expect((await lending.read.position([id, b])).collateral).to.equal(WETH("8"));
  });

  it("cannot seize more collateral than the position has", async () => {
    const { viem, lending, params, borrower, liquidator } = await unhealthy();
    await viem.assertions.revert(lending.write.liquidate([params, borrower.account.address, WETH("10") + 1n, 0n], { account: liquidator.account }));
  });

  it("realises bad debt against the lenders when no collateral is left", async () => {
    const { viem, lending, params, id, borrower, liquidator, feed } = await unhealthy();
    const b = borrower.account.address;
    await feed.write.setAnswer([1000n * 10n ** 8n]); // collateral worth 10,000 against 25,000 debt
    const m0 = await lending.read.market([id]);
    const hash = lending.write.liquidate([params, b, WETH("10"), 0n], { account: liquidator.account });
    await viem.assertions.emit(hash, lending, "Liquidated");
    const pos = await lending.read.position([id, b]);
    expect(pos.collateral).to.equal(0n);
    expect(pos.borrowShares).to.equal(0n);
    const m1 = await lending.read.market([id]);
    expect(m1.totalBorrowAssets).to.equal(0n);
    expect(m1.totalBorrowShares).to.equal(0n);
    // Lenders lose the debt that the collateral did not cover (~25,000 - 10,000 / 1.0438).
    const loss = m0.totalSupplyAssets - m1.totalSupplyAssets;
    expect(loss > USDC("15400") && loss < USDC("15500")).to.equal(true);
    const events = await lending.getEvents.Liquidated();
    expect(events[0].args.badDebtAssets! > 0n).to.equal(true);
  });

  it("is paused while the oracle fails (no price, no liquidation) and resumes with the feed", async () => {
    const { viem, lending, params, borrower, liquidator, feed, networkHelpers } = await unhealthy();
    await networkHelpers.time.increase(Number(STALENESS) + 1);
    await viem.assertions.revertWithCustomErrorWithArgs(
      lending.write.liquidate([params, borrower.account.address, 0n, 1_000_000n], { account: liquidator.account }),
      lending, "OracleUnavailable", [params.oracle]);
    await feed.write.setAnswer([2500n * 10n ** 8n]);
    await lending.write.liquidate([params, borrower.account.address, 0n, 1_000_000n], { account: liquidator.account });
  });

  it("liquidates a position made unhealthy by interest alone", async () => {
    const { lending, params, id, borrower, liquidator, networkHelpers: nh, feed } = await networkHelpers.loadFixture(
      async function interestOnly() {
        return deployFunded(connection);
      });
    const b = borrower.account.address;
    await lending.write.borrow([params, USDC("25800"), 0n, b, b], { account: borrower.account });
    await nh.time.increase(86400);
    await feed.write.setAnswer([ETH_PRICE]); // same price, fresh
    const shares = (await lending.read.position([id, b])).borrowShares;
    await lending.write.liquidate([params, b, 0n, shares / 10n], { account: liquidator.account });
  });
});
