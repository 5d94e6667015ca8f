import { describe, it, beforeEach, afterEach } from "mocha";
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, parseEventLogs, zeroAddress, type Address, type Hash } from "viem";

const { viem, networkHelpers } = await network.create();

const FEE_BPS = 100n; // 1%
const ref = (s: string) => `0x${Buffer.from(s).toString("hex").padEnd(64, "0")}` as Hash;

async function fixture() {
  const publicClient = await viem.getPublicClient();
  const [owner, feeRecipient, merchant, merchant2, payer, payer2, stranger] = await viem.getWalletClients();
  const checkout = await viem.deployContract("LoyaltyCheckout", [
    owner.account.address,
    feeRecipient.account.address,
    Number(FEE_BPS),
  ]);
  const factory = await viem.getContractAt("LoyaltyProgramFactory", await checkout.read.loyaltyFactory());
  const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const dai = await viem.deployContract("MockERC20", ["Dai", "DAI", 18]);
  await checkout.write.setTokenAccepted([usdc.address, true]);
  await checkout.write.setTokenAccepted([dai.address, true]);
  for (const w of [payer, payer2]) {
    await usdc.write.mint([w.account.address, 10n ** 12n]);
    await dai.write.mint([w.account.address, 10n ** 24n]);
    await usdc.write.approve([checkout.address, 2n ** 255n], { account: w.account });
    await dai.write.approve([checkout.address, 2n ** 255n], { account: w.account });
  }
  for (const m of [merchant, merchant2]) {
    await usdc.write.mint([m.account.address, 10n ** 12n]);
    await usdc.write.approve([checkout.address, 2n ** 255n], { account: m.account });
  }
  // Merchant 1 runs a 5% program on USDC; merchant 2 has no program.
  const hash = await factory.write.createProgram(["Coffee Points", "BEAN", usdc.address, 500, false], {
    account: merchant.account,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const [log] = parseEventLogs({ abi: factory.abi, logs: receipt.logs, eventName: "ProgramCreated" });
  const points = await viem.getContractAt("LoyaltyToken", log.args.program);
  return { publicClient, checkout, factory, usdc, dai, points, w: { owner, feeRecipient, merchant, merchant2, payer, payer2, stranger } };
}

describe("Loyalty", () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  let M: Address, P: Address, FR: Address;

  beforeEach(async () => {
    f = await networkHelpers.loadFixture(fixture);
    M = getAddress(f.w.merchant.account.address);
    P = getAddress(f.w.payer.account.address);
    FR = getAddress(f.w.feeRecipient.account.address);
  });

  // supply == minted - redeemed - clawed back, after every test.
  afterEach(async () => {
    if (!f) return;
    const [supply, minted, redeemed, clawed] = await Promise.all([
      f.points.read.totalSupply(),
      f.points.read.totalMinted(),
      f.points.read.totalRedeemed(),
      f.points.read.totalClawedBack(),
    ]);
    expect(supply).to.equal(minted - redeemed - clawed);
    // The checkout never holds funds.
    expect(await f.usdc.read.balanceOf([f.checkout.address])).to.equal(0n);
  });

  const pay = (orderRef: Hash, amount: bigint, opts: { merchant?: Address; token?: Address; as?: "payer" | "payer2" } = {}) =>
    f.checkout.write.pay([orderRef, opts.merchant ?? M, opts.token ?? f.usdc.address, amount], {
      account: f.w[opts.as ?? "payer"].account,
    });

  describe("LoyaltyProgramFactory", () => {
    it("creates one clone per merchant with its terms and the asset's decimals", async () => {
      expect(await f.factory.read.programOf([M])).to.equal(getAddress(f.points.address));
      expect(await f.factory.read.isProgram([f.points.address])).to.equal(true);
      expect(await f.factory.read.paymentPath()).to.equal(getAddress(f.checkout.address));
      expect(await f.points.read.name()).to.equal("Coffee Points");
      expect(await f.points.read.symbol()).to.equal("BEAN");
      expect(await f.points.read.decimals()).to.equal(6);
      expect(await f.points.read.merchant()).to.equal(M);
      expect(await f.points.read.asset()).to.equal(getAddress(f.usdc.address));
      expect(await f.points.read.rewardBps()).to.equal(500);
      expect(await f.points.read.nonTransferable()).to.equal(false);
      expect(await f.points.read.terms()).to.deep.equal([getAddress(f.usdc.address), 500]);
      expect(await f.points.read.paymentPath()).to.equal(getAddress(f.checkout.address));
      expect(await f.points.read.factory()).to.equal(getAddress(f.factory.address));
      expect(await f.points.read.MAX_REWARD_BPS()).to.equal(10_000);
    });

    it("emits ProgramCreated and ProgramInitialized", async () => {
      const hash = await f.factory.write.createProgram(["Pizza", "PIZ", f.dai.address, 1_000, true], {
        account: f.w.merchant2.account,
      });
      const program = await f.factory.read.programOf([f.w.merchant2.account.address]);
      await viem.assertions.emitWithArgs(hash, f.factory, "ProgramCreated", [
        getAddress(f.w.merchant2.account.address),
        program,
        getAddress(f.dai.address),
      ]);
      const token = await viem.getContractAt("LoyaltyToken", program);
      await viem.assertions.emitWithArgs(hash, token, "ProgramInitialized", [
        getAddress(f.w.merchant2.account.address),
        getAddress(f.dai.address),
        "Pizza",
        "PIZ",
        1_000,
        true,
      ]);
      expect(await token.read.decimals()).to.equal(18);
    });

    it("falls back to 18 decimals for an asset without decimals()", async () => {
      const noDecimals = await viem.deployContract("RejectingReceiver");
      await f.factory.write.createProgram(["X", "X", noDecimals.address, 0, false], { account: f.w.merchant2.account });
      const token = await viem.getContractAt("LoyaltyToken", await f.factory.read.programOf([f.w.merchant2.account.address]));
      expect(await token.read.decimals()).to.equal(18);
    });

    it("rejects a second program, a non-contract asset, a rate above 100% and a zero payment path", async () => {
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.factory.write.createProgram(["Again", "AG", f.usdc.address, 1, false], { account: f.w.merchant.account }),
        f.factory,
        "ProgramExists",
        [M, getAddress(f.points.address)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.factory.write.createProgram(["E", "E", P, 1, false], { account: f.w.merchant2.account }),
        f.factory,
        "InvalidAsset",
        [P],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.factory.write.createProgram(["E", "E", f.usdc.address, 10_001, false], { account: f.w.merchant2.account }),
        f.points,
        "RewardRateTooHigh",
        [10_001n, 10_000n],
      );
      await viem.assertions.revertWithCustomError(
        viem.deployContract("LoyaltyProgramFactory", [zeroAddress]),
        f.factory,
        "InvalidPaymentPath",
      );
    });

    it("lets nobody re-initialise a clone or initialise the implementation", async () => {
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.points.write.initialize([P, f.usdc.address, "H", "H", 6, 0, false], { account: f.w.payer.account }),
        f.points,
        "NotFactory",
        [P],
      );
      const impl = await viem.getContractAt("LoyaltyToken", await f.factory.read.implementation());
      await viem.assertions.revertWithCustomError(
        impl.write.initialize([P, f.usdc.address, "H", "H", 6, 0, false]),
        impl,
        "NotFactory",
      );
      // A factory whose implementation is already initialised (deployer acts as the factory here).
      const own = await viem.deployContract("LoyaltyToken", [P]);
      await viem.assertions.revertWithCustomError(
        own.write.initialize([P, f.usdc.address, "H", "H", 6, 0, false]),
        own,
        "AlreadyInitialized",
      );
    });
  });

  describe("LoyaltyToken", () => {
    it("lets only the payment path mint, redeem and claw back", async () => {
      for (const fn of ["mint", "redeem", "clawBack"] as const) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          f.points.write[fn]([P, 1n], { account: f.w.merchant.account }),
          f.points,
          "NotPaymentPath",
          [M],
        );
      }
    });

    it("lets only the merchant change the rate, within 100%", async () => {
      await viem.assertions.emitWithArgs(
        f.points.write.setRewardRate([250], { account: f.w.merchant.account }),
        f.points,
        "RewardRateUpdated",
        [500, 250],
      );
      expect(await f.points.read.rewardBps()).to.equal(250);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.points.write.setRewardRate([1], { account: f.w.payer.account }),
        f.points,
        "NotMerchant",
        [P],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.points.write.setRewardRate([10_001], { account: f.w.merchant.account }),
        f.points,
        "RewardRateTooHigh",
        [10_001n, 10_000n],
      );
      // The new rate applies to the next payment.
      await pay(ref("rate"), 1_000_000n);
      expect(await f.points.read.balanceOf([P])).to.equal(25_000n);
    });

    it("transfers when the program allows it, and never when it is non-transferable", async () => {
      await pay(ref("t"), 1_000_000n);
      await f.points.write.transfer([f.w.payer2.account.address, 10n], { account: f.w.payer.account });
      expect(await f.points.read.balanceOf([f.w.payer2.account.address])).to.equal(10n);

      await f.factory.write.createProgram(["Bound", "BND", f.usdc.address, 1_000, true], { account: f.w.merchant2.account });
      const bound = await viem.getContractAt("LoyaltyToken", await f.factory.read.programOf([f.w.merchant2.account.address]));
      await pay(ref("b"), 1_000_000n, { merchant: f.w.merchant2.account.address });
      expect(await bound.read.balanceOf([P])).to.equal(100_000n);
      await viem.assertions.revertWithCustomError(
        bound.write.transfer([f.w.payer2.account.address, 1n], { account: f.w.payer.account }),
        bound,
        "NonTransferable",
      );
      await bound.write.approve([f.w.payer2.account.address, 1n], { account: f.w.payer.account });
      await viem.assertions.revertWithCustomError(
        bound.write.transferFrom([P, f.w.payer2.account.address, 1n], { account: f.w.payer2.account }),
        bound,
        "NonTransferable",
      );
    });
  });

  describe("LoyaltyCheckout.pay", () => {
    it("splits the fee, mints points at the merchant's rate and records the order", async () => {
      const amount = 1_000_000n;
      const fee = (amount * FEE_BPS) / 10_000n;
      const hash = await pay(ref("o1"), amount);
      await viem.assertions.emitWithArgs(hash, f.checkout, "PaymentSettled", [
        ref("o1"),
        M,
        P,
        getAddress(f.usdc.address),
        amount,
        0n,
        amount - fee,
        fee,
        getAddress(f.points.address),
        50_000n,
      ]);
      await viem.assertions.emitWithArgs(hash, f.points, "PointsMinted", [P, 50_000n]);
      expect(await f.usdc.read.balanceOf([FR])).to.equal(fee);
      expect(await f.points.read.balanceOf([P])).to.equal(50_000n);
      const order = await f.checkout.read.orderOf([M, ref("o1")]);
      expect(order).to.deep.equal({
        payer: P,
        amount,
        token: getAddress(f.usdc.address),
        discount: 0n,
        refunded: 0n,
        pointsMinted: 50_000n,
        pointsReversed: 0n,
      });
    });

    it("mints nothing without a program or in a token other than the program's asset", async () => {
      const hash = await pay(ref("np"), 1_000_000n, { merchant: f.w.merchant2.account.address });
      await viem.assertions.emitWithArgs(hash, f.checkout, "PaymentSettled", [
        ref("np"),
        getAddress(f.w.merchant2.account.address),
        P,
        getAddress(f.usdc.address),
        1_000_000n,
        0n,
        990_000n,
        10_000n,
        zeroAddress,
        0n,
      ]);
      await pay(ref("dai"), 10n ** 18n, { token: f.dai.address });
      expect(await f.points.read.balanceOf([P])).to.equal(0n);
    });

    it("rejects bad payments", async () => {
      const c = f.checkout;
      await viem.assertions.revertWithCustomError(pay(ref("z"), 0n), c, "ZeroAmount");
      await viem.assertions.revertWithCustomErrorWithArgs(pay(ref("big"), 2n ** 96n), c, "AmountTooLarge", [2n ** 96n]);
      await viem.assertions.revertWithCustomError(pay(ref("m"), 1n, { merchant: zeroAddress }), c, "InvalidMerchant");
      await viem.assertions.revertWithCustomErrorWithArgs(pay(ref("n"), 1n, { token: zeroAddress }), c, "TokenNotAccepted", [
        zeroAddress,
      ]);
      await c.write.setTokenAccepted([f.dai.address, false]);
      await viem.assertions.revertWithCustomErrorWithArgs(pay(ref("n"), 1n, { token: f.dai.address }), c, "TokenNotAccepted", [
        getAddress(f.dai.address),
      ]);
      await pay(ref("dup"), 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(pay(ref("dup"), 1n, { as: "payer2" }), c, "OrderAlreadySettled", [
        M,
        ref("dup"),
      ]);
    });
  });

  describe("LoyaltyCheckout.payWithRedemption", () => {
    beforeEach(async () => {
      await pay(ref("earn"), 2_000_000n); // 100_000 points
    });

    it("burns points as a discount the merchant funds; fee and new points on the cash part only", async () => {
      const amount = 500_000n;
      const discount = 60_000n;
      const cash = amount - discount;
      const fee = (cash * FEE_BPS) / 10_000n;
      const mBefore = await f.usdc.read.balanceOf([M]);
      const pBefore = await f.usdc.read.balanceOf([P]);
      const hash = await f.checkout.write.payWithRedemption([ref("r1"), M, f.usdc.address, amount, discount], {
        account: f.w.payer.account,
      });
      await viem.assertions.emitWithArgs(hash, f.checkout, "PaymentSettled", [
        ref("r1"),
        M,
        P,
        getAddress(f.usdc.address),
        amount,
        discount,
        cash - fee,
        fee,
        getAddress(f.points.address),
        (cash * 500n) / 10_000n,
      ]);
      await viem.assertions.emitWithArgs(hash, f.points, "PointsRedeemed", [P, discount]);
      expect(pBefore - (await f.usdc.read.balanceOf([P]))).to.equal(cash);
      expect((await f.usdc.read.balanceOf([M])) - mBefore).to.equal(cash - fee);
      expect(await f.points.read.balanceOf([P])).to.equal(100_000n - discount + (cash * 500n) / 10_000n);
      expect(await f.points.read.totalRedeemed()).to.equal(discount);
    });

    it("pays an order entirely with points", async () => {
      const pBefore = await f.usdc.read.balanceOf([P]);
      await f.checkout.write.payWithRedemption([ref("all"), M, f.usdc.address, 100_000n, 100_000n], {
        account: f.w.payer.account,
      });
      expect(await f.usdc.read.balanceOf([P])).to.equal(pBefore);
      expect(await f.points.read.balanceOf([P])).to.equal(0n);
      // Nothing cash to refund.
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.checkout.write.refund([ref("all"), P, 1n], { account: f.w.merchant.account }),
        f.checkout,
        "RefundExceedsPayment",
        [1n, 0n],
      );
    });

    it("rejects bad redemptions", async () => {
      const c = f.checkout;
      const r = (amount: bigint, discount: bigint, merchant: Address = M, token: Address = f.usdc.address) =>
        c.write.payWithRedemption([ref("bad"), merchant, token, amount, discount], { account: f.w.payer.account });
      await viem.assertions.revertWithCustomError(r(10n, 0n), c, "ZeroAmount");
      await viem.assertions.revertWithCustomErrorWithArgs(r(10n, 11n), c, "DiscountExceedsAmount", [11n, 10n]);
      await viem.assertions.revertWithCustomErrorWithArgs(r(10n, 1n, f.w.merchant2.account.address), c, "NoLoyaltyProgram", [
        getAddress(f.w.merchant2.account.address),
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(r(10n, 1n, M, f.dai.address), c, "TokenNotLoyaltyAsset", [
        getAddress(f.dai.address),
        getAddress(f.usdc.address),
      ]);
      await viem.assertions.revertWithCustomError(r(10n ** 9n, 100_001n), f.points, "ERC20InsufficientBalance");
      // Points only count at their own merchant: merchant 2's program cannot burn merchant 1's points.
      await f.factory.write.createProgram(["Other", "OTH", f.usdc.address, 100, false], { account: f.w.merchant2.account });
      const other = await viem.getContractAt("LoyaltyToken", await f.factory.read.programOf([f.w.merchant2.account.address]));
      await viem.assertions.revertWithCustomError(r(10n, 1n, f.w.merchant2.account.address), other, "ERC20InsufficientBalance");
    });
  });

  describe("LoyaltyCheckout.refund", () => {
    it("claws back points in proportion to the cash refunded, exactly in full over partial refunds", async () => {
      await pay(ref("o"), 1_000_003n); // 50_000 points (rounded down)
      const minted = 50_000n;
      const hash1 = await f.checkout.write.refund([ref("o"), P, 333_333n], { account: f.w.merchant.account });
      const first = (minted * 333_333n) / 1_000_003n;
      await viem.assertions.emitWithArgs(hash1, f.checkout, "PaymentRefunded", [
        ref("o"),
        M,
        P,
        getAddress(f.usdc.address),
        333_333n,
        333_333n,
        333_333n,
        first,
        0n,
      ]);
      await viem.assertions.emitWithArgs(hash1, f.points, "PointsClawedBack", [P, first]);
      await f.checkout.write.refund([ref("o"), P, 333_333n], { account: f.w.merchant.account });
      await f.checkout.write.refund([ref("o"), P, 333_337n], { account: f.w.merchant.account });
      expect(await f.points.read.balanceOf([P])).to.equal(0n);
      expect(await f.points.read.totalClawedBack()).to.equal(minted);
      const order = await f.checkout.read.orderOf([M, ref("o")]);
      expect(order.refunded).to.equal(1_000_003n);
      expect(order.pointsReversed).to.equal(minted);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.checkout.write.refund([ref("o"), P, 1n], { account: f.w.merchant.account }),
        f.checkout,
        "RefundExceedsPayment",
        [1n, 0n],
      );
    });

    it("deducts points the payer no longer holds from the cash refund", async () => {
      await pay(ref("o"), 1_000_000n); // 50_000 points
      await f.points.write.transfer([f.w.payer2.account.address, 30_000n], { account: f.w.payer.account });
      const pBefore = await f.usdc.read.balanceOf([P]);
      const hash = await f.checkout.write.refund([ref("o"), P, 1_000_000n], { account: f.w.merchant.account });
      await viem.assertions.emitWithArgs(hash, f.checkout, "PaymentRefunded", [
        ref("o"),
        M,
        P,
        getAddress(f.usdc.address),
        1_000_000n,
        970_000n,
        1_000_000n,
        20_000n,
        30_000n,
      ]);
      expect((await f.usdc.read.balanceOf([P])) - pBefore).to.equal(970_000n);
      expect(await f.points.read.balanceOf([P])).to.equal(0n);
    });

    it("refunds only the cash part of a redemption order and does not restore redeemed points", async () => {
      await pay(ref("earn"), 2_000_000n); // 100_000 points
      await f.checkout.write.payWithRedemption([ref("r"), M, f.usdc.address, 200_000n, 100_000n], {
        account: f.w.payer.account,
      }); // cash 100_000, earns 5_000
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.checkout.write.refund([ref("r"), P, 100_001n], { account: f.w.merchant.account }),
        f.checkout,
        "RefundExceedsPayment",
        [100_001n, 100_000n],
      );
      await f.checkout.write.refund([ref("r"), P, 100_000n], { account: f.w.merchant.account });
      expect(await f.points.read.balanceOf([P])).to.equal(0n);
      expect(await f.points.read.totalClawedBack()).to.equal(5_000n);
    });

    it("refunds without clawback when nothing was minted", async () => {
      await pay(ref("np"), 1_000n, { merchant: f.w.merchant2.account.address });
      await viem.assertions.emitWithArgs(
        f.checkout.write.refund([ref("np"), P, 1_000n], { account: f.w.merchant2.account }),
        f.checkout,
        "PaymentRefunded",
        [ref("np"), getAddress(f.w.merchant2.account.address), P, getAddress(f.usdc.address), 1_000n, 1_000n, 1_000n, 0n, 0n],
      );
    });

    it("rejects bad refunds", async () => {
      await pay(ref("o"), 1_000n);
      const c = f.checkout;
      await viem.assertions.revertWithCustomErrorWithArgs(
        c.write.refund([ref("o"), P, 1n], { account: f.w.merchant2.account }),
        c,
        "PaymentNotFound",
        [getAddress(f.w.merchant2.account.address), ref("o")],
      );
      await viem.assertions.revertWithCustomError(c.write.refund([ref("o"), P, 0n], { account: f.w.merchant.account }), c, "ZeroAmount");
      await viem.assertions.revertWithCustomError(
        c.write.refund([ref("o"), zeroAddress, 1n], { account: f.w.merchant.account }),
        c,
        "InvalidRefundRecipient",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        c.write.refund([ref("o"), P, 1_001n], { account: f.w.merchant.account }),
        c,
        "RefundExceedsPayment",
        [1_001n, 1_000n],
      );
    });
  });

  it("keeps the platform settings owner-only (PlatformFees)", async () => {
    await viem.assertions.revertWithCustomError(
      f.checkout.write.setFee([FR, 10], { account: f.w.stranger.account }),
      f.checkout,
      "OwnableUnauthorizedAccount",
    );
  });
});
