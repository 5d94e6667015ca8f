import { expect } from "chai";
import { network } from "hardhat";
import { maxUint256, zeroAddress, keccak256, toHex, getAddress } from "viem";
import { deployFunded, STALENESS, USDC, WAD, marketId } from "./fixture.js";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const ORDER = keccak256(toHex("order-42"));
const authorised = () => networkHelpers.loadFixture(async function creditAuthorised() {
  const f = await deployFunded(connection);
  await f.lending.write.setAuthorization([f.credit.address, true], { account: f.borrower.account });
  return f;
});

describe("CreditPayment", () => {
  it("borrows for the payer and pays the merchant's order through the router in one transaction", async () => {
    const { lending, credit, router, params, id, borrower, merchant, feeTo, usdc } = await authorised();
    const b = borrower.account.address;
    const m = merchant.account.address;
    const hash = credit.write.payWithCredit([params, ORDER, m, USDC("500"), maxUint256], { account: borrower.account });
    await viem.assertions.emitWithArgs(hash, credit, "CreditPaid", [ORDER, getAddress(m), getAddress(b), id, USDC("500"), USDC("500") * 10n ** 6n]);
    expect(await usdc.read.balanceOf([m])).to.equal(USDC("495"));
    expect(await usdc.read.balanceOf([feeTo.account.address])).to.equal(USDC("5"));
    expect(await usdc.read.balanceOf([credit.address])).to.equal(0n);
    expect(await usdc.read.allowance([credit.address, router.address])).to.equal(0n);
    expect(await lending.read.expectedBorrowAssets([params, b])).to.equal(USDC("500"));
    expect((await router.read.settlementOf([m, ORDER])).amount).to.equal(USDC("500"));
    const settled = await router.getEvents.PaymentSettled();
    expect(getAddress(settled[0].args.payer!)).to.equal(getAddress(credit.address));
  });

  it("needs the payer's authorisation and cannot borrow for anybody else", async () => {
    const { lending, credit, params, borrower, merchant, other } = await authorised();
    await viem.assertions.revertWithCustomErrorWithArgs(
      credit.write.payWithCredit([params, ORDER, merchant.account.address, USDC("50"), maxUint256], { account: other.account }),
      lending, "Unauthorized", [getAddress(credit.address), getAddress(other.account.address)]);
    expect(await lending.read.expectedBorrowAssets([params, borrower.account.address])).to.equal(0n);
  });

  it("enforces the payer's share slippage bound", async () => {
    const { credit, params, borrower, merchant } = await authorised();
    await viem.assertions.revertWithCustomErrorWithArgs(
      credit.write.payWithCredit([params, ORDER, merchant.account.address, USDC("50"), USDC("50") * 10n ** 6n - 1n], { account: borrower.account }),
      credit, "MaxBorrowSharesExceeded", [USDC("50") * 10n ** 6n, USDC("50") * 10n ** 6n - 1n]);
  });

  it("reverts everything (no debt left behind) when the borrow or the payment fails", async () => {
    const { lending, credit, router, params, borrower, merchant, networkHelpers: nh, owner } = await authorised();
    const as = { account: borrower.account };
    const m = merchant.account.address;
    await viem.assertions.revertWithCustomError(credit.write.payWithCredit([params, ORDER, m, USDC("5"), maxUint256], as), lending, "BorrowBelowMinimum");
    await viem.assertions.revertWithCustomError(credit.write.payWithCredit([params, ORDER, m, USDC("30000"), maxUint256], as), lending, "InsufficientCollateral");
    await viem.assertions.revertWithCustomError(credit.write.payWithCredit([params, ORDER, zeroAddress, USDC("50"), maxUint256], as), router, "InvalidMerchant");
    await credit.write.payWithCredit([params, ORDER, m, USDC("50"), maxUint256], as);
    await viem.assertions.revertWithCustomError(credit.write.payWithCredit([params, ORDER, m, USDC("50"), maxUint256], as), router, "OrderAlreadySettled");
    await router.write.setTokenAccepted([params.loanToken, false], { account: owner.account });
    await viem.assertions.revertWithCustomError(credit.write.payWithCredit([params, keccak256(toHex("o2")), m, USDC("50"), maxUint256], as), router, "TokenNotAccepted");
    await router.write.setTokenAccepted([params.loanToken, true], { account: owner.account });
    await nh.time.increase(Number(STALENESS) + 1);
    await viem.assertions.revertWithCustomError(credit.write.payWithCredit([params, keccak256(toHex("o3")), m, USDC("50"), maxUint256], as), lending, "OracleUnavailable");
    expect((await lending.read.expectedBorrowAssets([params, borrower.account.address])) < USDC("51")).to.equal(true);
  });

  it("rejects zero addresses at construction", async () => {
    const { credit, lending, router } = await authorised();
    await viem.assertions.revertWithCustomError(viem.deployContract("CreditPayment", [zeroAddress, router.address]), credit, "ZeroAddress");
    await viem.assertions.revertWithCustomError(viem.deployContract("CreditPayment", [lending.address, zeroAddress]), credit, "ZeroAddress");
    expect(getAddress(await credit.read.lending())).to.equal(getAddress(lending.address));
    expect(getAddress(await credit.read.router())).to.equal(getAddress(router.address));
    expect(marketId).to.be.a("function");
  });
});

describe("KinkedRateModel", () => {
  const Y = 365n * 86400n;
  it("is linear to the kink and steep after it", async () => {
    const { rateModel } = await authorised();
    const s1 = WAD / 25n / Y, s2 = 3n * WAD / Y, kink = WAD * 8n / 10n;
    expect(await rateModel.read.rateAt([0n])).to.equal(0n);
    expect(await rateModel.read.rateAt([kink / 2n])).to.equal(s1 * (kink / 2n) / kink);
    expect(await rateModel.read.rateAt([kink])).to.equal(s1);
    expect(await rateModel.read.rateAt([WAD * 9n / 10n])).to.equal(s1 + s2 * (WAD / 10n) / (WAD / 5n));
    expect(await rateModel.read.rateAt([WAD])).to.equal(s1 + s2);
    expect(await rateModel.read.rateAt([2n * WAD])).to.equal(s1 + s2); // clamped
    expect(await rateModel.read.utilization([0n, 0n])).to.equal(0n);
    expect(await rateModel.read.utilization([100n, 25n])).to.equal(WAD / 4n);
    expect(await rateModel.read.MAX_RATE_PER_YEAR()).to.equal(10n * WAD);
    expect([await rateModel.read.baseRate(), await rateModel.read.slope1(), await rateModel.read.slope2(), await rateModel.read.kink()])
      .to.deep.equal([0n, s1, s2, kink]);
  });

  it("rejects a kink outside (0, 1) and rates above 1,000% a year", async () => {
    const { rateModel } = await authorised();
    await viem.assertions.revertWithCustomError(viem.deployContract("KinkedRateModel", [0n, 1n, 1n, 0n]), rateModel, "InvalidKink");
    await viem.assertions.revertWithCustomError(viem.deployContract("KinkedRateModel", [0n, 1n, 1n, WAD]), rateModel, "InvalidKink");
    await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract("KinkedRateModel", [WAD, WAD, 8n * WAD + 1n, WAD / 2n]),
      rateModel, "RateTooHigh", [10n * WAD + 1n]);
  });
});
