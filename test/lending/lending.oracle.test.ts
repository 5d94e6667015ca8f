import { expect } from "chai";
import { network } from "hardhat";
import { deployFunded, ETH_PRICE, STALENESS, USDC, WETH } from "./fixture.js";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const funded = () => networkHelpers.loadFixture(async function oracleFunded() {
  return deployFunded(connection);
});

describe("ChainlinkOracleAdapter", () => {
  it("normalises decimals to a 1e36-scaled price (positive and negative exponents)", async () => {
    const { oracle } = await funded();
    // 3000e8 * 10^(36 + 6 - 18 - 8).
    expect(await oracle.read.price()).to.equal(3n * 10n ** 27n);
    expect(await oracle.read.tryPrice()).to.deep.equal([true, 3n * 10n ** 27n]);
    const feed18 = await viem.deployContract("MockAggregatorV3", [18, 2n * 10n ** 18n]);
    const a = await viem.deployContract("ChainlinkOracleAdapter", [feed18.address, 60n, 6, 18]);
    expect(await a.read.price()).to.equal(2n * 10n ** 18n * 10n ** 30n);
    const feed8 = await viem.deployContract("MockAggregatorV3", [8, 3000n * 10n ** 8n]);
    const b = await viem.deployContract("ChainlinkOracleAdapter", [feed8.address, 60n, 36, 0]); // exponent -8
    expect(await b.read.price()).to.equal(3000n);
    await feed8.write.setAnswer([99_999_999n]); // rounds to zero
    await viem.assertions.revertWithCustomError(b.read.price(), b, "NonPositivePrice");
    expect(await b.read.tryPrice()).to.deep.equal([false, 0n]);
  });

  it("validates its constructor arguments", async () => {
    const { feed, oracle } = await funded();
    await viem.assertions.revertWithCustomError(viem.deployContract("ChainlinkOracleAdapter", [feed.address, 0n, 18, 6]), oracle, "InvalidStaleness");
    await viem.assertions.revertWithCustomError(viem.deployContract("ChainlinkOracleAdapter", [feed.address, 1n, 37, 6]), oracle, "InvalidDecimals");
    await viem.assertions.revertWithCustomError(viem.deployContract("ChainlinkOracleAdapter", [feed.address, 1n, 18, 37]), oracle, "InvalidDecimals");
    const feed40 = await viem.deployContract("MockAggregatorV3", [40, 1n]);
    await viem.assertions.revertWithCustomError(viem.deployContract("ChainlinkOracleAdapter", [feed40.address, 1n, 18, 6]), oracle, "InvalidDecimals");
  });

  it("reports every failure: stale, zero, negative, future, zero timestamp, reverting feed, overflow", async () => {
    const { oracle, feed, networkHelpers: nh } = await funded();
    const now = BigInt(await nh.time.latest());
    const cases: Array<[() => Promise<unknown>, string, number]> = [
      [() => feed.write.setAnswerAt([ETH_PRICE, now - STALENESS - 1n]), "StalePrice", 3],
      [() => feed.write.setAnswer([0n]), "NonPositivePrice", 2],
      [() => feed.write.setAnswer([-1n]), "NonPositivePrice", 2],
      [() => feed.write.setAnswerAt([ETH_PRICE, now + 1000n]), "InvalidTimestamp", 4],
      [() => feed.write.setAnswerAt([ETH_PRICE, 0n]), "InvalidTimestamp", 4],
      [() => feed.write.setAnswer([2n ** 255n - 1n]), "PriceOverflow", 5],
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
    expect(await oracle.read.priceStatus()).to.deep.equal([1, 0n]);
    await feed.write.setBroken([false]);
    expect(await oracle.read.priceStatus()).to.deep.equal([0, 3n * 10n ** 27n]);
    // Exactly at the staleness limit is still fresh.
    const t = BigInt(await nh.time.latest());
    await feed.write.setAnswerAt([ETH_PRICE, t + 1n - STALENESS]);
    expect((await oracle.read.tryPrice())[0]).to.equal(true);
  });
});

describe("CoinPaysLending: oracle failure pauses only what needs a price", () => {
  it("fuzzed failures (stale, zero, negative, reverting): borrow paused; supply, withdraw, repay, collateral keep working", async () => {
    const f = await funded();
    const { lending, params, borrower, lender, feed, networkHelpers: nh } = f;
    const b = borrower.account.address;
    const l = lender.account.address;
    await lending.write.borrow([params, USDC("1000"), 0n, b, b], { account: borrower.account });
    let seed = 0x12345678n;
    const rnd = (n: bigint) => { seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n; return seed % n; };
    for (let i = 0; i < 24; i++) {
      const kind = Number(rnd(4n));
      const now = BigInt(await nh.time.latest());
      if (kind === 0) await feed.write.setAnswerAt([ETH_PRICE, now - STALENESS - 1n - rnd(10n ** 6n)]);
      else if (kind === 1) await feed.write.setAnswer([0n]);
      else if (kind === 2) await feed.write.setAnswer([-1n - BigInt(rnd(2n ** 62n))]);
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
