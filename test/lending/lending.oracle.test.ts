import { expect } from "chai";
import { network } from "hardhat";
import { getAddress } from "viem";
import { deployFunded, ETH_PRICE, MAX_ANSWER, MIN_ANSWER, NO_SEQUENCER, STALENESS, USDC, WETH, type MarketParams } from "./fixture.js";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const funded = () => networkHelpers.loadFixture(async function oracleFunded() {
  return deployFunded(connection);
});

/** Chainlink's recommended grace period after an L2 sequencer comes back up. */
const GRACE = 3600n;
/** The L2 adapter's staleness: a day, so that the price feed stays fresh while tests move the clock through the
 * grace period (only the sequencer's timing is under test). */
const L2_STALENESS = 86_400n;
/** `priceStatus` failures, in the interface's enum order. */
const F = {
  None: 0, CallFailed: 1, NonPositive: 2, Stale: 3, FutureTimestamp: 4, OutOfBounds: 5,
  SequencerCallFailed: 6, SequencerDown: 7, SequencerRoundInvalid: 8, GracePeriodNotOver: 9,
} as const;

/** The funded fixture plus an L2 market: the same feed behind an adapter that also reads a sequencer-uptime feed
 * (up for longer than the grace period), with 100k USDC supplied and 10 WETH of the borrower's collateral. */
const l2Funded = () => networkHelpers.loadFixture(async function oracleL2Funded() {
  const f = await deployFunded(connection);
  const sequencer = await f.viem.deployContract("MockSequencerUptimeFeed", []);
  const now = BigInt(await f.networkHelpers.time.latest());
  await sequencer.write.setRound([0n, now - GRACE - 1n]);
  const l2Oracle = await f.viem.deployContract("ChainlinkOracleAdapter",
    [f.feed.address, L2_STALENESS, 18, 6, MIN_ANSWER, MAX_ANSWER, sequencer.address, GRACE]);
  const l2: MarketParams = { ...f.params, oracle: getAddress(l2Oracle.address) };
  await f.lending.write.createMarket([l2]);
  await f.lending.write.supply([l2, USDC("100000"), 0n, f.lender.account.address], { account: f.lender.account });
  await f.lending.write.supplyCollateral([l2, WETH("10"), f.borrower.account.address], { account: f.borrower.account });
  return { ...f, sequencer, l2Oracle, l2 };
});

describe("ChainlinkOracleAdapter", () => {
  it("normalises decimals to a 1e36-scaled price (positive and negative exponents)", async () => {
    const { oracle } = await funded();
    // 3000e8 * 10^(36 + 6 - 18 - 8).
    expect(await oracle.read.price()).to.equal(3n * 10n ** 27n);
    expect(await oracle.read.tryPrice()).to.deep.equal([true, 3n * 10n ** 27n]);
    const feed18 = await viem.deployContract("MockAggregatorV3", [18, 2n * 10n ** 18n]);
    const a = await viem.deployContract("ChainlinkOracleAdapter", [feed18.address, 60n, 6, 18, 1n, 10n ** 30n, NO_SEQUENCER, 0n]);
    expect(await a.read.price()).to.equal(2n * 10n ** 18n * 10n ** 30n);
    const feed8 = await viem.deployContract("MockAggregatorV3", [8, 3000n * 10n ** 8n]);
    // Exponent -8: the smallest answer that is a non-zero price is 1e8.
    const b = await viem.deployContract("ChainlinkOracleAdapter", [feed8.address, 60n, 36, 0, 10n ** 8n, 10n ** 20n, NO_SEQUENCER, 0n]);
    expect(await b.read.price()).to.equal(3000n);
    await feed8.write.setAnswer([10n ** 8n]);
    expect(await b.read.price()).to.equal(1n);
  });

  it("validates its constructor arguments", async () => {
    const { feed, oracle, sequencerFeed } = { ...(await funded()), sequencerFeed: await viem.deployContract("MockSequencerUptimeFeed", []) };
    const deploy = (args: readonly unknown[]) => viem.deployContract("ChainlinkOracleAdapter", args as never);
    const ok = [feed.address, 1n, 18, 6, MIN_ANSWER, MAX_ANSWER, NO_SEQUENCER, 0n] as const;
    const withArgs = (i: number, v: unknown) => ok.map((x, j) => (j === i ? v : x));
    await viem.assertions.revertWithCustomError(deploy(withArgs(1, 0n)), oracle, "InvalidStaleness");
    await viem.assertions.revertWithCustomError(deploy(withArgs(2, 37)), oracle, "InvalidDecimals");
    await viem.assertions.revertWithCustomError(deploy(withArgs(3, 37)), oracle, "InvalidDecimals");
    const feed40 = await viem.deployContract("MockAggregatorV3", [40, 1n]);
    await viem.assertions.revertWithCustomError(deploy(withArgs(0, feed40.address)), oracle, "InvalidDecimals");
    // Bounds: 0 < min < max.
    for (const [min, max] of [[0n, MAX_ANSWER], [-1n, MAX_ANSWER], [MAX_ANSWER, MAX_ANSWER], [MAX_ANSWER + 1n, MAX_ANSWER]]) {
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([...ok.slice(0, 4), min, max, NO_SEQUENCER, 0n]), oracle, "InvalidAnswerBounds", [min, max]);
    }
    // ...the maximum must scale to a price that fits 256 bits (exponent 36 + 36 - 0 - 8 = 64 here)...
    const f8 = await viem.deployContract("MockAggregatorV3", [8, 3000n * 10n ** 8n]);
    const hugeMax = 2n ** 256n / 10n ** 64n + 1n;
    await viem.assertions.revertWithCustomErrorWithArgs(deploy([f8.address, 1n, 0, 36, 1n, hugeMax, NO_SEQUENCER, 0n]), oracle, "InvalidAnswerBounds", [1n, hugeMax]);
    await deploy([f8.address, 1n, 0, 36, 1n, hugeMax - 1n, NO_SEQUENCER, 0n]);
    // ...and the minimum to a non-zero price (exponent 36 + 0 - 36 - 8 = -8).
    await viem.assertions.revertWithCustomErrorWithArgs(deploy([f8.address, 1n, 36, 0, 10n ** 8n - 1n, 10n ** 20n, NO_SEQUENCER, 0n]), oracle, "InvalidAnswerBounds", [10n ** 8n - 1n, 10n ** 20n]);
    // A sequencer feed needs a grace period, and a grace period needs a sequencer feed.
    await viem.assertions.revertWithCustomErrorWithArgs(deploy([...ok.slice(0, 6), sequencerFeed.address, 0n]), oracle, "InvalidGracePeriod", [getAddress(sequencerFeed.address), 0n]);
    await viem.assertions.revertWithCustomErrorWithArgs(deploy([...ok.slice(0, 6), NO_SEQUENCER, GRACE]), oracle, "InvalidGracePeriod", [NO_SEQUENCER, GRACE]);
    const l2 = await deploy([...ok.slice(0, 6), sequencerFeed.address, GRACE]);
    expect(await l2.read.sequencerUptimeFeed()).to.equal(getAddress(sequencerFeed.address));
    expect(await l2.read.gracePeriod()).to.equal(GRACE);
    expect(await oracle.read.minAnswer()).to.equal(MIN_ANSWER);
    expect(await oracle.read.maxAnswer()).to.equal(MAX_ANSWER);
    expect(await oracle.read.sequencerUptimeFeed()).to.equal(NO_SEQUENCER);
  });

  it("reports every failure: stale, zero, negative, out of bounds, future, zero timestamp, reverting feed", async () => {
    const { oracle, feed, networkHelpers: nh } = await funded();
    const now = BigInt(await nh.time.latest());
    const cases: Array<[() => Promise<unknown>, string, number]> = [
      [() => feed.write.setAnswerAt([ETH_PRICE, now - STALENESS - 1n]), "StalePrice", F.Stale],
      [() => feed.write.setAnswer([0n]), "NonPositivePrice", F.NonPositive],
      [() => feed.write.setAnswer([-1n]), "NonPositivePrice", F.NonPositive],
      [() => feed.write.setAnswer([2n ** 255n - 1n]), "PriceOutOfBounds", F.OutOfBounds],
      [() => feed.write.setAnswerAt([ETH_PRICE, now + 1000n]), "InvalidTimestamp", F.FutureTimestamp],
      [() => feed.write.setAnswerAt([ETH_PRICE, 0n]), "InvalidTimestamp", F.FutureTimestamp],
    ];
    for (const [act, error, failure] of cases) {
      await act();
      await viem.assertions.revertWithCustomError(oracle.read.price(), oracle, error as never);
      expect(await oracle.read.tryPrice()).to.deep.equal([false, 0n]);
      expect((await oracle.read.priceStatus())[0]).to.equal(failure);
    }
    await feed.write.setAnswer([ETH_PRICE]);
    await feed.write.setBroken([true]);
    await viem.assertions.revertWithCustomError(oracle.read.price(), oracle, "FeedCallFailed");
    expect(await oracle.read.priceStatus()).to.deep.equal([F.CallFailed, 0n]);
    await feed.write.setBroken([false]);
    expect(await oracle.read.priceStatus()).to.deep.equal([F.None, 3n * 10n ** 27n]);
    // Exactly at the staleness limit is still fresh.
    const t = BigInt(await nh.time.latest());
    await feed.write.setAnswerAt([ETH_PRICE, t + 1n - STALENESS]);
    expect((await oracle.read.tryPrice())[0]).to.equal(true);
  });

  it("takes an answer as a price only within [minAnswer, maxAnswer]: min-1 and max+1 refused, min and max used", async () => {
    const { oracle, feed } = await funded();
    const scale = 10n ** 16n; // 10^(36 + 6 - 18 - 8)
    for (const [answer, usable] of [[MIN_ANSWER - 1n, false], [MIN_ANSWER, true], [MAX_ANSWER, true], [MAX_ANSWER + 1n, false]] as const) {
      await feed.write.setAnswer([answer]);
      if (usable) {
        expect(await oracle.read.priceStatus()).to.deep.equal([F.None, answer * scale]);
        expect(await oracle.read.price()).to.equal(answer * scale);
      } else {
        expect(await oracle.read.priceStatus()).to.deep.equal([F.OutOfBounds, 0n]);
        expect(await oracle.read.tryPrice()).to.deep.equal([false, 0n]);
        await viem.assertions.revertWithCustomErrorWithArgs(oracle.read.price(), oracle, "PriceOutOfBounds", [answer, MIN_ANSWER, MAX_ANSWER]);
      }
    }
  });

  it("with a sequencer-uptime feed: down refuses, back up waits the grace period from startedAt, then the price is used", async () => {
    const { l2Oracle, sequencer, networkHelpers: nh } = await l2Funded();
    expect((await l2Oracle.read.tryPrice())[0]).to.equal(true);
    // Down (answer 1): refused even though the price feed itself is fresh.
    await sequencer.write.setStatus([true]);
    await viem.assertions.revertWithCustomError(l2Oracle.read.price(), l2Oracle, "SequencerDown");
    expect(await l2Oracle.read.priceStatus()).to.deep.equal([F.SequencerDown, 0n]);
    // Any answer other than 0 is read as down.
    await sequencer.write.setRound([2n, BigInt(await nh.time.latest())]);
    expect((await l2Oracle.read.priceStatus())[0]).to.equal(F.SequencerDown);
    await nh.time.increase(7200);
    await sequencer.write.setStatus([true]);
    // Back up at `upAt`: refused until upAt + GRACE, naming that moment.
    await sequencer.write.setStatus([false]);
    const upAt = BigInt(await nh.time.latest());
    expect(await sequencer.read.startedAt()).to.equal(upAt);
    await viem.assertions.revertWithCustomErrorWithArgs(l2Oracle.read.price(), l2Oracle, "GracePeriodNotOver", [upAt + GRACE]);
    await nh.time.increaseTo(upAt + GRACE - 1n);
    expect(await l2Oracle.read.priceStatus()).to.deep.equal([F.GracePeriodNotOver, 0n]);
    await nh.mine(); // the next block is at upAt + GRACE
    expect(BigInt(await nh.time.latest())).to.equal(upAt + GRACE);
    expect(await l2Oracle.read.priceStatus()).to.deep.equal([F.None, 3n * 10n ** 27n]);
  });

  it("with a sequencer-uptime feed: a round with startedAt == 0 and a reverting feed are refused, before the price feed is read", async () => {
    const { l2Oracle, sequencer, feed } = await l2Funded();
    await sequencer.write.setRound([0n, 0n]); // "up", but an invalid round
    await viem.assertions.revertWithCustomError(l2Oracle.read.price(), l2Oracle, "SequencerRoundInvalid");
    expect(await l2Oracle.read.priceStatus()).to.deep.equal([F.SequencerRoundInvalid, 0n]);
    await sequencer.write.setRound([1n, 0n]);
    expect((await l2Oracle.read.priceStatus())[0]).to.equal(F.SequencerRoundInvalid);
    // A startedAt in the future is not "up long enough" either (and saturates rather than overflowing).
    await sequencer.write.setRound([0n, 2n ** 256n - 1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(l2Oracle.read.price(), l2Oracle, "GracePeriodNotOver", [2n ** 256n - 1n]);
    await sequencer.write.setBroken([true]);
    await viem.assertions.revertWithCustomError(l2Oracle.read.price(), l2Oracle, "SequencerFeedCallFailed");
    expect(await l2Oracle.read.tryPrice()).to.deep.equal([false, 0n]);
    // The sequencer's failure is reported even when the price feed is broken too.
    await feed.write.setBroken([true]);
    expect((await l2Oracle.read.priceStatus())[0]).to.equal(F.SequencerCallFailed);
  });
});

describe("CoinPaysLending: oracle failure pauses only what needs a price", () => {
  it("fuzzed failures (stale, zero, negative, out of bounds, reverting): borrow paused; supply, withdraw, repay, collateral keep working", async () => {
    const f = await funded();
    const { lending, params, borrower, lender, feed, networkHelpers: nh } = f;
    const b = borrower.account.address;
    const l = lender.account.address;
    await lending.write.borrow([params, USDC("1000"), 0n, b, b], { account: borrower.account });
    let seed = 0x12345678n;
    const rnd = (n: bigint) => { seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n; return seed % n; };
    for (let i = 0; i < 24; i++) {
      const kind = Number(rnd(5n));
      const now = BigInt(await nh.time.latest());
      if (kind === 0) await feed.write.setAnswerAt([ETH_PRICE, now - STALENESS - 1n - rnd(10n ** 6n)]);
      else if (kind === 1) await feed.write.setAnswer([0n]);
      else if (kind === 2) await feed.write.setAnswer([-1n - BigInt(rnd(2n ** 62n))]);
      else if (kind === 3) await feed.write.setAnswer([rnd(2n) === 0n ? 1n + rnd(MIN_ANSWER - 1n) : MAX_ANSWER + 1n + rnd(2n ** 200n)]);
      else await feed.write.setBroken([true]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        lending.write.borrow([params, USDC("20"), 0n, b, b], { account: borrower.account }), lending, "OracleUnavailable", [params.oracle]);
      await lending.write.supply([params, USDC("5"), 0n, l], { account: lender.account });
      await lending.write.withdraw([params, USDC("5"), 0n, l, l], { account: lender.account });
      await lending.write.repay([params, USDC("1"), 0n, b], { account: borrower.account });
      await lending.write.supplyCollateral([params, WETH("0.01"), b], { account: borrower.account });
      await lending.write.accrueInterest([params]);
      await feed.write.setBroken([false]);
      await feed.write.setAnswer([ETH_PRICE]);
      await lending.write.borrow([params, USDC("20"), 0n, b, b], { account: borrower.account });
    }
  });

  it("sequencer down, then in its grace period: borrow, liquidation and indebted collateral withdrawal paused; repay, supply, withdraw and collateral keep working; all resume after the grace period", async () => {
    const { lending, l2, l2Oracle, sequencer, feed, borrower, lender, liquidator, other, networkHelpers: nh } = await l2Funded();
    const b = borrower.account.address;
    const l = lender.account.address;
    const o = other.account.address;
    const as = { account: borrower.account };
    // 25,000 against 10 WETH at 3,000 (max 25,800); ETH falls to 2,500 during the outage, which makes it liquidatable.
    await lending.write.borrow([l2, USDC("25000"), 0n, b, b], as);
    await lending.write.supplyCollateral([l2, WETH("1"), o], { account: other.account }); // no debt
    await sequencer.write.setStatus([true]);
    await feed.write.setAnswer([2500n * 10n ** 8n]);

    const paused = async (reason: "SequencerDown" | "GracePeriodNotOver") => {
      await viem.assertions.revertWithCustomError(l2Oracle.read.price(), l2Oracle, reason);
      const unavailable: [`0x${string}`] = [getAddress(l2Oracle.address)];
      await viem.assertions.revertWithCustomErrorWithArgs(lending.write.borrow([l2, USDC("20"), 0n, b, b], as), lending, "OracleUnavailable", unavailable);
      await viem.assertions.revertWithCustomErrorWithArgs(
        lending.write.liquidate([l2, b, 0n, 1_000_000n], { account: liquidator.account }), lending, "OracleUnavailable", unavailable);
      await viem.assertions.revertWithCustomErrorWithArgs(lending.write.withdrawCollateral([l2, 1n, b, b], as), lending, "OracleUnavailable", unavailable);
      // Nothing that cannot make a position unhealthy needs the price.
      await lending.write.repay([l2, USDC("10"), 0n, b], as);
      await lending.write.supplyCollateral([l2, WETH("0.01"), b], as);
      await lending.write.supply([l2, USDC("5"), 0n, l], { account: lender.account });
      await lending.write.withdraw([l2, USDC("5"), 0n, l, l], { account: lender.account });
      await lending.write.withdrawCollateral([l2, WETH("0.1"), o, o], { account: other.account });
      await lending.write.accrueInterest([l2]);
    };
    await paused("SequencerDown");
    await nh.time.increase(3 * 3600);
    await sequencer.write.setStatus([false]);
    const upAt = BigInt(await nh.time.latest());
    await paused("GracePeriodNotOver");
    // The borrower used the outage to repay a little and add collateral: 10.02 WETH at 2,500 x 86% = 21,543 of
    // borrowing power against ~24,980 of debt, so it is still liquidatable once prices are used again, from the
    // first block at upAt + GRACE.
    await nh.time.setNextBlockTimestamp(upAt + GRACE);
    await lending.write.liquidate([l2, b, 0n, 1_000_000n], { account: liquidator.account });
    await lending.write.supplyCollateral([l2, WETH("5"), b], as);
    await lending.write.borrow([l2, USDC("20"), 0n, b, b], as);
    await lending.write.withdrawCollateral([l2, 1n, b, b], as);
  });

  it("an answer clamped below minAnswer (a crash against the aggregator's floor) pauses borrow and liquidation, not repay", async () => {
    const { lending, params, oracle, feed, borrower, liquidator } = await funded();
    const b = borrower.account.address;
    await lending.write.borrow([params, USDC("25000"), 0n, b, b], { account: borrower.account });
    await feed.write.setAnswer([MIN_ANSWER - 1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(oracle.read.price(), oracle, "PriceOutOfBounds", [MIN_ANSWER - 1n, MIN_ANSWER, MAX_ANSWER]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      lending.write.liquidate([params, b, 0n, 1_000_000n], { account: liquidator.account }), lending, "OracleUnavailable", [params.oracle]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      lending.write.borrow([params, USDC("20"), 0n, b, b], { account: borrower.account }), lending, "OracleUnavailable", [params.oracle]);
    await lending.write.repay([params, USDC("100"), 0n, b], { account: borrower.account });
  });

  it("treats an oracle that reverts or reports ok with a zero price as unavailable", async () => {
    const { lending, params, borrower, feed, owner } = await funded();
    const b = borrower.account.address;
    // The raw feed has no tryPrice(): the call reverts and is caught.
    const p2 = { ...params, oracle: feed.address };
    await lending.write.createMarket([p2], { account: owner.account });
    await lending.write.supply([p2, USDC("100"), 0n, b], { account: borrower.account });
    await lending.write.supplyCollateral([p2, WETH("1"), b], { account: borrower.account });
    await viem.assertions.revertWithCustomError(lending.write.borrow([p2, USDC("20"), 0n, b, b], { account: borrower.account }),
      lending, "OracleUnavailable");
    expect((await lending.read.isHealthy([p2, b]))).to.deep.equal([true, true]);
  });
});
