import { describe, it, beforeEach, afterEach } from "mocha";
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, parseSignature, maxUint256, zeroAddress, type Address } from "viem";
import {
  NATIVE,
  FEE_BPS,
  feeOf,
  ref,
  deployPayments,
  balanceOf,
  expectNoBalanceChange,
  expectContractsHoldNothing,
  type Payments,
} from "./helpers.js";

const { viem, networkHelpers } = await network.create();

async function paymentsFixture() {
  return deployPayments(viem);
}

describe("PaymentRouter", () => {
  let p: Payments;
  let everyone: Address[];

  beforeEach(async () => {
    p = await networkHelpers.loadFixture(paymentsFixture);
    everyone = [p.payer, p.merchant, p.merchant2, p.feeRecipient, p.other, p.router.address];
  });

  // Every test leaves the router without funds.
  afterEach(async () => {
    if (p) await expectContractsHoldNothing(p);
  });

  async function signPermit(token: Payments["usdc"], signer = p.wallets.payerW, opts: { owner?: Address; value: bigint; deadline: bigint }) {
    const [name, nonce, chainId] = await Promise.all([
      token.read.name(),
      token.read.nonces([opts.owner ?? p.payer]),
      p.publicClient.getChainId(),
    ]);
    const signature = await signer.signTypedData({
      account: signer.account,
      domain: { name, version: "1", chainId, verifyingContract: token.address },
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
      message: { owner: opts.owner ?? p.payer, spender: p.router.address, value: opts.value, nonce, deadline: opts.deadline },
    });
    const { r, s, v, yParity } = parseSignature(signature);
    return { r, s, v: Number(v ?? BigInt(yParity) + 27n) };
  }

  async function approveAndPay(token: Payments["usdc"], amount: bigint, orderRef = ref("order-1"), merchant = p.merchant) {
    await token.write.approve([p.router.address, maxUint256], { account: p.wallets.payerW.account });
    return p.router.write.pay([orderRef, merchant, token.address, amount], { account: p.wallets.payerW.account });
  }

  describe("pay", () => {
    it("pays in native coin with the exact fee split and emits every amount", async () => {
      const amount = 1_234_567_890_123_456_789n;
      const fee = feeOf(amount);
      const hash = p.router.write.pay([ref("n-1"), p.merchant, NATIVE, amount], {
        account: p.wallets.payerW.account,
        value: amount,
      });
      await viem.assertions.balancesHaveChanged(hash, [
        { address: p.merchant, amount: amount - fee },
        { address: p.feeRecipient, amount: fee },
        { address: p.router.address, amount: 0n },
      ]);
      await viem.assertions.emitWithArgs(hash, p.router, "PaymentSettled", [
        ref("n-1"),
        p.merchant,
        p.payer,
        NATIVE,
        amount,
        amount - fee,
        fee,
      ]);
      const settlement = await p.router.read.settlementOf([p.merchant, ref("n-1")]);
      expect(settlement).to.deep.equal({ token: NATIVE, amount });
    });

    it("pays in a 6-decimal ERC-20: fee rounded down, merchant gets the rest", async () => {
      const amount = 123_456_789n; // 123.456789 USDC
      const fee = 1_234_567n; // 1% = 1.23456789 rounded down
      expect(feeOf(amount)).to.equal(fee);
      const payerBefore = await p.usdc.read.balanceOf([p.payer]);
      const hash = await approveAndPay(p.usdc, amount);
      expect(await p.usdc.read.balanceOf([p.merchant])).to.equal(amount - fee);
      expect(await p.usdc.read.balanceOf([p.feeRecipient])).to.equal(fee);
      expect(await p.usdc.read.balanceOf([p.payer])).to.equal(payerBefore - amount);
      await viem.assertions.emitWithArgs(hash, p.router, "PaymentSettled", [
        ref("order-1"),
        p.merchant,
        p.payer,
        p.usdc.address,
        amount,
        122_222_222n,
        fee,
      ]);
    });

    it("pays in an 18-decimal ERC-20", async () => {
      const amount = 1_500_000_000_000_000_007n;
      const fee = feeOf(amount);
      const hash = await approveAndPay(p.dai, amount);
      expect(await p.dai.read.balanceOf([p.merchant])).to.equal(amount - fee);
      expect(await p.dai.read.balanceOf([p.feeRecipient])).to.equal(fee);
      expect(fee + (amount - fee)).to.equal(amount);
      await viem.assertions.emitWithArgs(hash, p.router, "PaymentSettled", [
        ref("order-1"), p.merchant, p.payer, p.dai.address, amount, amount - fee, fee,
      ]);
    });

    it("rounds a fee below one unit to zero (merchant gets everything)", async () => {
      await approveAndPay(p.usdc, 99n);
      expect(await p.usdc.read.balanceOf([p.merchant])).to.equal(99n);
      expect(await p.usdc.read.balanceOf([p.feeRecipient])).to.equal(0n);
    });

    it("with a zero fee sends the whole amount to the merchant (no fee transfer, fee = 0 in the event)", async () => {
      await p.router.write.setFee([zeroAddress, 0]);
      const amount = 5_000_000n;
      const hash = await approveAndPay(p.usdc, amount);
      expect(await p.usdc.read.balanceOf([p.merchant])).to.equal(amount);
      expect(await p.usdc.read.balanceOf([p.feeRecipient])).to.equal(0n);
      await viem.assertions.emitWithArgs(hash, p.router, "PaymentSettled", [
        ref("order-1"), p.merchant, p.payer, p.usdc.address, amount, amount, 0n,
      ]);
      const receipt = await p.publicClient.getTransactionReceipt({ hash });
      const transfers = receipt.logs.filter((l) => getAddress(l.address) === getAddress(p.usdc.address));
      expect(transfers).to.have.length(1);
    });

    it("applies the maximum fee of 5% exactly", async () => {
      await p.router.write.setFee([p.feeRecipient, 500]);
      await approveAndPay(p.usdc, 1_000_001n);
      expect(await p.usdc.read.balanceOf([p.feeRecipient])).to.equal(50_000n);
      expect(await p.usdc.read.balanceOf([p.merchant])).to.equal(950_001n);
    });

    it("settles an order once per merchant: a second payment reverts with OrderAlreadySettled and moves nothing", async () => {
      await approveAndPay(p.usdc, 1_000_000n, ref("dup"));
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.pay([ref("dup"), p.merchant, p.dai.address, 7n], { account: p.wallets.payerW.account }),
          p.router,
          "OrderAlreadySettled",
          [p.merchant, ref("dup")],
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.pay([ref("dup"), p.merchant, NATIVE, 7n], { account: p.wallets.otherW.account, value: 7n }),
          p.router,
          "OrderAlreadySettled",
          [p.merchant, ref("dup")],
        );
      });
    });

    it("lets the same order reference be paid to another merchant", async () => {
      await approveAndPay(p.usdc, 1_000_000n, ref("shared"));
      await approveAndPay(p.usdc, 2_000_000n, ref("shared"), p.merchant2);
      expect(await p.usdc.read.balanceOf([p.merchant2])).to.equal(2_000_000n - feeOf(2_000_000n));
      expect((await p.router.read.settlementOf([p.merchant, ref("shared")])).amount).to.equal(1_000_000n);
      expect((await p.router.read.settlementOf([p.merchant2, ref("shared")])).amount).to.equal(2_000_000n);
    });

    it("fails a native payment to a merchant that rejects native coin with NativeTransferFailed", async () => {
      const rejecting = await viem.deployContract("RejectingReceiver");
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.pay([ref("rej"), rejecting.address, NATIVE, 10n], { account: p.wallets.payerW.account, value: 10n }),
        p.router,
        "NativeTransferFailed",
        [getAddress(rejecting.address)],
      );
    });
  });

  describe("bad input reverts with its named error and moves nothing", () => {
    it("zero amount -> ZeroAmount", async () => {
      await p.usdc.write.approve([p.router.address, maxUint256], { account: p.wallets.payerW.account });
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomError(
          p.router.write.pay([ref("z"), p.merchant, p.usdc.address, 0n], { account: p.wallets.payerW.account }),
          p.router,
          "ZeroAmount",
        );
        await viem.assertions.revertWithCustomError(
          p.router.write.pay([ref("z"), p.merchant, NATIVE, 0n], { account: p.wallets.payerW.account }),
          p.router,
          "ZeroAmount",
        );
      });
    });

    it("unknown token -> TokenNotAccepted", async () => {
      await p.stray.write.mint([p.payer, 10n ** 18n]);
      await p.stray.write.approve([p.router.address, maxUint256], { account: p.wallets.payerW.account });
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.pay([ref("u"), p.merchant, p.stray.address, 10n ** 18n], { account: p.wallets.payerW.account }),
          p.router,
          "TokenNotAccepted",
          [getAddress(p.stray.address)],
        );
      });
    });

    it("amount above 96 bits -> AmountTooLarge", async () => {
      const huge = 2n ** 96n;
      await p.dai.write.approve([p.router.address, maxUint256], { account: p.wallets.payerW.account });
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.pay([ref("big"), p.merchant, p.dai.address, huge], { account: p.wallets.payerW.account }),
          p.router,
          "AmountTooLarge",
          [huge],
        );
      });
    });

    it("zero merchant -> InvalidMerchant", async () => {
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomError(
          p.router.write.pay([ref("m0"), zeroAddress, NATIVE, 5n], { account: p.wallets.payerW.account, value: 5n }),
          p.router,
          "InvalidMerchant",
        );
      });
    });

    it("wrong msg.value -> NativeValueMismatch (native underpaid, and value sent with an ERC-20)", async () => {
      await p.usdc.write.approve([p.router.address, maxUint256], { account: p.wallets.payerW.account });
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.pay([ref("v"), p.merchant, NATIVE, 100n], { account: p.wallets.payerW.account, value: 99n }),
          p.router,
          "NativeValueMismatch",
          [100n, 99n],
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.pay([ref("v"), p.merchant, p.usdc.address, 100n], { account: p.wallets.payerW.account, value: 1n }),
          p.router,
          "NativeValueMismatch",
          [0n, 1n],
        );
      });
    });

    it("native coin when native is not accepted -> TokenNotAccepted", async () => {
      await p.router.write.setTokenAccepted([NATIVE, false]);
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.pay([ref("n"), p.merchant, NATIVE, 5n], { account: p.wallets.payerW.account, value: 5n }),
          p.router,
          "TokenNotAccepted",
          [NATIVE],
        );
      });
    });
  });

  describe("payWithPermit", () => {
    it("pays with a valid EIP-2612 signature instead of an approve transaction", async () => {
      const amount = 25_000_000n;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      expect(await p.usdc.read.allowance([p.payer, p.router.address])).to.equal(0n);
      const { v, r, s } = await signPermit(p.usdc, p.wallets.payerW, { value: amount, deadline });
      const hash = p.router.write.payWithPermit([ref("permit"), p.merchant, p.usdc.address, amount, deadline, v, r, s], {
        account: p.wallets.payerW.account,
      });
      await viem.assertions.emitWithArgs(hash, p.router, "PaymentSettled", [
        ref("permit"), p.merchant, p.payer, p.usdc.address, amount, amount - feeOf(amount), feeOf(amount),
      ]);
      expect(await p.usdc.read.balanceOf([p.merchant])).to.equal(amount - feeOf(amount));
      expect(await p.usdc.read.balanceOf([p.feeRecipient])).to.equal(feeOf(amount));
      expect(await p.usdc.read.allowance([p.payer, p.router.address])).to.equal(0n);
    });

    it("expired permit -> PermitExpired, nothing moves", async () => {
      const amount = 1_000_000n;
      const deadline = BigInt(await networkHelpers.time.latest()) + 60n;
      const { v, r, s } = await signPermit(p.usdc, p.wallets.payerW, { value: amount, deadline });
      await networkHelpers.time.increase(120);
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.payWithPermit([ref("exp"), p.merchant, p.usdc.address, amount, deadline, v, r, s], {
            account: p.wallets.payerW.account,
          }),
          p.router,
          "PermitExpired",
          [deadline],
        );
      });
    });

    it("permit signed by someone else -> InvalidPermit, nothing moves", async () => {
      const amount = 1_000_000n;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const { v, r, s } = await signPermit(p.usdc, p.wallets.otherW, { owner: p.payer, value: amount, deadline });
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.payWithPermit([ref("ws"), p.merchant, p.usdc.address, amount, deadline, v, r, s], {
            account: p.wallets.payerW.account,
          }),
          p.router,
          "InvalidPermit",
          [getAddress(p.usdc.address), p.payer],
        );
      });
    });

    it("permit for a different value -> InvalidPermit, nothing moves", async () => {
      const amount = 1_000_000n;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const { v, r, s } = await signPermit(p.usdc, p.wallets.payerW, { value: amount - 1n, deadline });
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.payWithPermit([ref("wv"), p.merchant, p.usdc.address, amount, deadline, v, r, s], {
            account: p.wallets.payerW.account,
          }),
          p.router,
          "InvalidPermit",
          [getAddress(p.usdc.address), p.payer],
        );
      });
    });

    it("still pays when the permit was front-run (the allowance it granted is used)", async () => {
      const amount = 3_000_000n;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const { v, r, s } = await signPermit(p.usdc, p.wallets.payerW, { value: amount, deadline });
      // A mempool observer submits the permit first.
      await p.usdc.write.permit([p.payer, p.router.address, amount, deadline, v, r, s], { account: p.wallets.otherW.account });
      expect(await p.usdc.read.allowance([p.payer, p.router.address])).to.equal(amount);
      await p.router.write.payWithPermit([ref("fr"), p.merchant, p.usdc.address, amount, deadline, v, r, s], {
        account: p.wallets.payerW.account,
      });
      expect(await p.usdc.read.balanceOf([p.merchant])).to.equal(amount - feeOf(amount));
      expect(await p.usdc.read.balanceOf([p.feeRecipient])).to.equal(feeOf(amount));
    });

    it("native coin or an unaccepted token -> TokenNotAccepted", async () => {
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const { v, r, s } = await signPermit(p.stray, p.wallets.payerW, { value: 1n, deadline });
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.payWithPermit([ref("np"), p.merchant, NATIVE, 1n, deadline, v, r, s], { account: p.wallets.payerW.account }),
        p.router,
        "TokenNotAccepted",
        [NATIVE],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.payWithPermit([ref("np"), p.merchant, p.stray.address, 1n, deadline, v, r, s], {
          account: p.wallets.payerW.account,
        }),
        p.router,
        "TokenNotAccepted",
        [getAddress(p.stray.address)],
      );
    });
  });

  describe("refund", () => {
    const paid = 10_000_000n;

    beforeEach(async () => {
      await approveAndPay(p.usdc, paid, ref("r"));
      await p.usdc.write.mint([p.merchant, 100_000_000n]);
      await p.usdc.write.approve([p.router.address, maxUint256], { account: p.wallets.merchantW.account });
    });

    it("refunds in full from the merchant's funds", async () => {
      const payerBefore = await p.usdc.read.balanceOf([p.payer]);
      const merchantBefore = await p.usdc.read.balanceOf([p.merchant]);
      const hash = p.router.write.refund([ref("r"), p.payer, paid], { account: p.wallets.merchantW.account });
      await viem.assertions.emitWithArgs(hash, p.router, "PaymentRefunded", [ref("r"), p.merchant, p.payer, p.usdc.address, paid, paid]);
      expect(await p.usdc.read.balanceOf([p.payer])).to.equal(payerBefore + paid);
      expect(await p.usdc.read.balanceOf([p.merchant])).to.equal(merchantBefore - paid);
      expect(await p.router.read.refundedOf([p.merchant, ref("r")])).to.equal(paid);
    });

    it("refunds in parts up to the amount paid, then RefundExceedsPayment", async () => {
      await viem.assertions.emitWithArgs(
        p.router.write.refund([ref("r"), p.payer, 4_000_000n], { account: p.wallets.merchantW.account }),
        p.router,
        "PaymentRefunded",
        [ref("r"), p.merchant, p.payer, p.usdc.address, 4_000_000n, 4_000_000n],
      );
      await viem.assertions.emitWithArgs(
        p.router.write.refund([ref("r"), p.other, 6_000_000n], { account: p.wallets.merchantW.account }),
        p.router,
        "PaymentRefunded",
        [ref("r"), p.merchant, p.other, p.usdc.address, 6_000_000n, paid],
      );
      expect(await p.usdc.read.balanceOf([p.other])).to.equal(6_000_000n);
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.refund([ref("r"), p.payer, 1n], { account: p.wallets.merchantW.account }),
          p.router,
          "RefundExceedsPayment",
          [1n, 0n],
        );
      });
    });

    it("refund above the amount paid -> RefundExceedsPayment, nothing moves", async () => {
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.refund([ref("r"), p.payer, paid + 1n], { account: p.wallets.merchantW.account }),
          p.router,
          "RefundExceedsPayment",
          [paid + 1n, paid],
        );
      });
      expect(await p.router.read.refundedOf([p.merchant, ref("r")])).to.equal(0n);
    });

    it("only the merchant can refund: anyone else -> PaymentNotFound, nothing moves", async () => {
      await p.usdc.write.approve([p.router.address, maxUint256], { account: p.wallets.otherW.account });
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.refund([ref("r"), p.other, 1n], { account: p.wallets.otherW.account }),
          p.router,
          "PaymentNotFound",
          [p.other, ref("r")],
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.refund([ref("r"), p.payer, 1n], { account: p.wallets.payerW.account }),
          p.router,
          "PaymentNotFound",
          [p.payer, ref("r")],
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.refund([ref("unpaid"), p.payer, 1n], { account: p.wallets.merchantW.account }),
          p.router,
          "PaymentNotFound",
          [p.merchant, ref("unpaid")],
        );
      });
    });

    it("zero amount -> ZeroAmount, zero recipient -> InvalidRefundRecipient, value on an ERC-20 refund -> NativeValueMismatch", async () => {
      await expectNoBalanceChange(p, everyone, async () => {
        await viem.assertions.revertWithCustomError(
          p.router.write.refund([ref("r"), p.payer, 0n], { account: p.wallets.merchantW.account }),
          p.router,
          "ZeroAmount",
        );
        await viem.assertions.revertWithCustomError(
          p.router.write.refund([ref("r"), zeroAddress, 1n], { account: p.wallets.merchantW.account }),
          p.router,
          "InvalidRefundRecipient",
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.router.write.refund([ref("r"), p.payer, 1n], { account: p.wallets.merchantW.account, value: 1n }),
          p.router,
          "NativeValueMismatch",
          [0n, 1n],
        );
      });
    });

    it("refunds a native payment with msg.value, fully and partially, and checks the value", async () => {
      const amount = 2n * 10n ** 18n;
      await p.router.write.pay([ref("nr"), p.merchant, NATIVE, amount], { account: p.wallets.payerW.account, value: amount });
      await viem.assertions.balancesHaveChanged(
        p.router.write.refund([ref("nr"), p.other, 5n * 10n ** 17n], {
          account: p.wallets.merchantW.account,
          value: 5n * 10n ** 17n,
        }),
        [
          { address: p.other, amount: 5n * 10n ** 17n },
          { address: p.router.address, amount: 0n },
        ],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.refund([ref("nr"), p.other, 10n ** 18n], { account: p.wallets.merchantW.account, value: 10n ** 17n }),
        p.router,
        "NativeValueMismatch",
        [10n ** 18n, 10n ** 17n],
      );
      const rest = amount - 5n * 10n ** 17n;
      const hash = p.router.write.refund([ref("nr"), p.other, rest], { account: p.wallets.merchantW.account, value: rest });
      await viem.assertions.emitWithArgs(hash, p.router, "PaymentRefunded", [ref("nr"), p.merchant, p.other, NATIVE, rest, amount]);
      expect(await balanceOf(p, NATIVE, p.router.address)).to.equal(0n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.refund([ref("nr"), p.other, 1n], { account: p.wallets.merchantW.account, value: 1n }),
        p.router,
        "RefundExceedsPayment",
        [1n, 0n],
      );
    });
  });

  describe("fee settings and ownership", () => {
    it("only the owner changes the fee or the accepted tokens", async () => {
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.setFee([p.other, 10], { account: p.wallets.otherW.account }),
        p.router,
        "OwnableUnauthorizedAccount",
        [p.other],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.setTokenAccepted([p.stray.address, true], { account: p.wallets.otherW.account }),
        p.router,
        "OwnableUnauthorizedAccount",
        [p.other],
      );
      await viem.assertions.emitWithArgs(p.router.write.setFee([p.other, 250]), p.router, "FeeUpdated", [p.other, 250]);
      expect(await p.router.read.feeConfig()).to.deep.equal([p.other, 250]);
    });

    it("the new fee applies to the next payment", async () => {
      await p.router.write.setFee([p.other, 250]);
      await approveAndPay(p.usdc, 1_000_000n);
      expect(await p.usdc.read.balanceOf([p.other])).to.equal(25_000n);
      expect(await p.usdc.read.balanceOf([p.feeRecipient])).to.equal(0n);
    });

    it("FeeTooHigh above 5%, InvalidFeeRecipient for a non-zero fee without recipient", async () => {
      expect(await p.router.read.MAX_FEE_BPS()).to.equal(500);
      await viem.assertions.revertWithCustomErrorWithArgs(p.router.write.setFee([p.feeRecipient, 501]), p.router, "FeeTooHigh", [501n, 500n]);
      await viem.assertions.revertWithCustomError(p.router.write.setFee([zeroAddress, 1]), p.router, "InvalidFeeRecipient");
      await p.router.write.setFee([zeroAddress, 0]);
      expect(await p.router.read.feeConfig()).to.deep.equal([zeroAddress, 0]);
    });

    it("ownership moves in two steps: transferOwnership then acceptOwnership by the new owner", async () => {
      await p.router.write.transferOwnership([p.other]);
      expect(getAddress(await p.router.read.owner())).to.equal(p.owner);
      expect(getAddress(await p.router.read.pendingOwner())).to.equal(p.other);
      // Pending owner has no rights yet; the old owner still has them.
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.setFee([p.other, 10], { account: p.wallets.otherW.account }),
        p.router,
        "OwnableUnauthorizedAccount",
        [p.other],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.acceptOwnership({ account: p.wallets.payerW.account }),
        p.router,
        "OwnableUnauthorizedAccount",
        [p.payer],
      );
      await p.router.write.acceptOwnership({ account: p.wallets.otherW.account });
      expect(getAddress(await p.router.read.owner())).to.equal(p.other);
      expect(await p.router.read.pendingOwner()).to.equal(zeroAddress);
      await p.router.write.setFee([p.other, 10], { account: p.wallets.otherW.account });
      await viem.assertions.revertWithCustomErrorWithArgs(p.router.write.setFee([p.owner, 10]), p.router, "OwnableUnauthorizedAccount", [p.owner]);
    });

    it("token acceptance can be granted and withdrawn", async () => {
      await viem.assertions.emitWithArgs(
        p.router.write.setTokenAccepted([p.stray.address, true]),
        p.router,
        "TokenAcceptanceUpdated",
        [getAddress(p.stray.address), true],
      );
      expect(await p.router.read.isTokenAccepted([p.stray.address])).to.equal(true);
      await p.stray.write.mint([p.payer, 100n]);
      await approveAndPay(p.stray, 100n, ref("stray"));
      await p.router.write.setTokenAccepted([p.usdc.address, false]);
      expect(await p.router.read.isTokenAccepted([p.usdc.address])).to.equal(false);
      await p.usdc.write.approve([p.router.address, maxUint256], { account: p.wallets.payerW.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.router.write.pay([ref("off"), p.merchant, p.usdc.address, 1n], { account: p.wallets.payerW.account }),
        p.router,
        "TokenNotAccepted",
        [getAddress(p.usdc.address)],
      );
    });
  });

  describe("reentrancy", () => {
    it("a token that calls back into the router during transferFrom cannot re-enter", async () => {
      const evil = await viem.deployContract("MockReentrantERC20");
      await p.router.write.setTokenAccepted([evil.address, true]);
      await evil.write.mint([p.payer, 1_000n]);
      await evil.write.approve([p.router.address, maxUint256], { account: p.wallets.payerW.account });
      const { encodeFunctionData } = await import("viem");
      const reenter = encodeFunctionData({
        abi: p.router.abi,
        functionName: "pay",
        args: [ref("inner"), p.merchant, evil.address, 1n],
      });
      await evil.write.setReentry([p.router.address, reenter]);
      await viem.assertions.revertWithCustomError(
        p.router.write.pay([ref("outer"), p.merchant, evil.address, 100n], { account: p.wallets.payerW.account }),
        p.router,
        "ReentrancyGuardReentrantCall",
      );
      expect(await evil.read.balanceOf([p.merchant])).to.equal(0n);
      expect((await p.router.read.settlementOf([p.merchant, ref("outer")])).amount).to.equal(0n);
    });
  });
});
