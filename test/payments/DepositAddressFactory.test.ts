import { describe, it, beforeEach, afterEach } from "mocha";
import { expect } from "chai";
import { network } from "hardhat";
import { encodeFunctionData, getAddress, parseEventLogs, zeroAddress, type Address } from "viem";
import {
  NATIVE,
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

describe("DepositAddressFactory", () => {
  let p: Payments;
  let dest: Address;
  let dest2: Address;

  beforeEach(async () => {
    p = await networkHelpers.loadFixture(paymentsFixture);
    dest = p.merchant;
    dest2 = p.merchant2;
  });

  afterEach(async () => {
    if (p) await expectContractsHoldNothing(p);
  });

  const payTo = async (to: Address, token: Payments["usdc"] | typeof NATIVE, amount: bigint) => {
    if (typeof token === "string") {
      await p.wallets.payerW.sendTransaction({ account: p.wallets.payerW.account, to, value: amount });
    } else {
      await token.write.transfer([to, amount], { account: p.wallets.payerW.account });
    }
  };
  const code = (address: Address) => p.publicClient.getCode({ address });

  describe("predict", () => {
    it("predicts the address the sweep deploys, with the committed destination", async () => {
      const predicted = await p.factory.read.predict([dest, ref("o-1")]);
      expect(await code(predicted)).to.equal(undefined);
      await payTo(predicted, p.usdc, 1_000_000n);
      const hash = p.factory.write.sweep([dest, ref("o-1"), p.usdc.address], { account: p.wallets.relayerW.account });
      await viem.assertions.emitWithArgs(hash, p.factory, "DepositAddressDeployed", [ref("o-1"), dest, predicted]);
      expect(await code(predicted)).to.not.equal(undefined);
      const deposit = await viem.getContractAt("DepositAddress", predicted);
      expect(getAddress(await deposit.read.destination())).to.equal(dest);
      expect(getAddress(await deposit.read.factory())).to.equal(getAddress(p.factory.address));
      expect(await p.factory.read.predict([dest, ref("o-1")])).to.equal(predicted);
    });

    it("gives a different address when the destination or the order reference differs", async () => {
      const a = await p.factory.read.predict([dest, ref("o-1")]);
      const b = await p.factory.read.predict([dest2, ref("o-1")]);
      const c = await p.factory.read.predict([dest, ref("o-2")]);
      expect(new Set([a, b, c]).size).to.equal(3);
    });
  });

  describe("sweep", () => {
    it("sweeps an ERC-20 sent to the counterfactual address before deployment", async () => {
      const amount = 50_000_000n;
      const deposit = await p.factory.read.predict([dest, ref("o-1")]);
      await payTo(deposit, p.usdc, amount);
      const hash = p.factory.write.sweep([dest, ref("o-1"), p.usdc.address], { account: p.wallets.relayerW.account });
      await viem.assertions.emitWithArgs(hash, p.factory, "DepositSwept", [
        ref("o-1"), dest, deposit, p.usdc.address, amount, amount - feeOf(amount), feeOf(amount),
      ]);
      expect(await p.usdc.read.balanceOf([dest])).to.equal(amount - feeOf(amount));
      expect(await p.usdc.read.balanceOf([p.feeRecipient])).to.equal(feeOf(amount));
      expect(await p.usdc.read.balanceOf([deposit])).to.equal(0n);
    });

    it("sweeps native coin sent before deployment", async () => {
      const amount = 3n * 10n ** 18n + 1n;
      const deposit = await p.factory.read.predict([dest, ref("n-1")]);
      await payTo(deposit, NATIVE, amount);
      const hash = p.factory.write.sweep([dest, ref("n-1"), NATIVE], { account: p.wallets.relayerW.account });
      await viem.assertions.balancesHaveChanged(hash, [
        { address: dest, amount: amount - feeOf(amount) },
        { address: p.feeRecipient, amount: feeOf(amount) },
        { address: deposit, amount: -amount },
        { address: p.factory.address, amount: 0n },
      ]);
      await viem.assertions.emitWithArgs(hash, p.factory, "DepositSwept", [
        ref("n-1"), dest, deposit, NATIVE, amount, amount - feeOf(amount), feeOf(amount),
      ]);
    });

    it("sweeps again after deployment (ERC-20 and native sent to the live address), without redeploying", async () => {
      const deposit = await p.factory.read.predict([dest, ref("o-1")]);
      await payTo(deposit, p.usdc, 1_000_000n);
      await p.factory.write.sweep([dest, ref("o-1"), p.usdc.address]);

      await payTo(deposit, p.usdc, 2_000_000n);
      await payTo(deposit, NATIVE, 10n ** 18n); // the deployed clone's receive()
      const h1 = await p.factory.write.sweep([dest, ref("o-1"), p.usdc.address], { account: p.wallets.otherW.account });
      const r1 = await p.publicClient.waitForTransactionReceipt({ hash: h1 });
      expect(parseEventLogs({ abi: p.factory.abi, logs: r1.logs, eventName: "DepositAddressDeployed" })).to.have.length(0);
      await viem.assertions.emitWithArgs(h1, p.factory, "DepositSwept", [
        ref("o-1"), dest, deposit, p.usdc.address, 2_000_000n, 1_980_000n, 20_000n,
      ]);
      await viem.assertions.balancesHaveChanged(p.factory.write.sweep([dest, ref("o-1"), NATIVE]), [
        { address: dest, amount: 10n ** 18n - feeOf(10n ** 18n) },
        { address: p.feeRecipient, amount: feeOf(10n ** 18n) },
        { address: deposit, amount: -(10n ** 18n) },
      ]);
      expect(await p.usdc.read.balanceOf([dest])).to.equal(2_970_000n);
    });

    it("sweeping an empty address -> EmptyDeposit, nothing moves and nothing is deployed", async () => {
      const deposit = await p.factory.read.predict([dest, ref("empty")]);
      await expectNoBalanceChange(p, [dest, p.feeRecipient, deposit, p.factory.address], async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.factory.write.sweep([dest, ref("empty"), p.usdc.address]),
          p.factory,
          "EmptyDeposit",
          [deposit, getAddress(p.usdc.address)],
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.factory.write.sweep([dest, ref("empty"), NATIVE]),
          p.factory,
          "EmptyDeposit",
          [deposit, NATIVE],
        );
      });
      expect(await code(deposit)).to.equal(undefined);
    });

    it("a second sweep of an already swept address -> EmptyDeposit", async () => {
      const deposit = await p.factory.read.predict([dest, ref("o-1")]);
      await payTo(deposit, p.dai, 10n ** 18n);
      await p.factory.write.sweep([dest, ref("o-1"), p.dai.address]);
      await expectNoBalanceChange(p, [dest, p.feeRecipient, deposit], async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.factory.write.sweep([dest, ref("o-1"), p.dai.address]),
          p.factory,
          "EmptyDeposit",
          [deposit, getAddress(p.dai.address)],
        );
      });
    });

    it("unaccepted token -> TokenNotAccepted; zero destination -> InvalidDestination; nothing moves", async () => {
      const deposit = await p.factory.read.predict([dest, ref("o-1")]);
      await p.stray.write.mint([deposit, 5n]);
      const zeroDeposit = await p.factory.read.predict([zeroAddress, ref("o-1")]);
      await payTo(zeroDeposit, p.usdc, 5n);
      await expectNoBalanceChange(p, [dest, p.feeRecipient, deposit, zeroDeposit], async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.factory.write.sweep([dest, ref("o-1"), p.stray.address]),
          p.factory,
          "TokenNotAccepted",
          [getAddress(p.stray.address)],
        );
        await viem.assertions.revertWithCustomError(
          p.factory.write.sweep([zeroAddress, ref("o-1"), p.usdc.address]),
          p.factory,
          "InvalidDestination",
        );
      });
      await p.factory.write.rescue([dest, ref("o-1"), p.stray.address]); // leave no stray funds behind
    });

    it("a destination that rejects native coin makes the native sweep fail with NativeTransferFailed", async () => {
      const rejecting = await viem.deployContract("RejectingReceiver");
      const deposit = await p.factory.read.predict([rejecting.address, ref("o-1")]);
      await payTo(deposit, NATIVE, 1000n);
      const impl = await viem.getContractAt("DepositAddress", await p.factory.read.implementation());
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.factory.write.sweep([rejecting.address, ref("o-1"), NATIVE]),
        impl,
        "NativeTransferFailed",
        [getAddress(rejecting.address)],
      );
      expect(await balanceOf(p, NATIVE, deposit)).to.equal(1000n);
    });

    it("sweeps a fee-on-transfer token by balance (forwards what actually arrived)", async () => {
      const taxed = await viem.deployContract("MockFeeOnTransferERC20", [100n]); // 1% burnt per transfer
      await p.factory.write.setTokenAccepted([taxed.address, true]);
      await taxed.write.mint([p.payer, 10_000n]);
      const deposit = await p.factory.read.predict([dest, ref("fot")]);
      await taxed.write.transfer([deposit, 10_000n], { account: p.wallets.payerW.account });
      expect(await taxed.read.balanceOf([deposit])).to.equal(9_900n);
      const hash = p.factory.write.sweep([dest, ref("fot"), taxed.address]);
      await viem.assertions.emitWithArgs(hash, p.factory, "DepositSwept", [
        ref("fot"), dest, deposit, taxed.address, 9_900n, 9_900n - 99n, 99n,
      ]);
      expect(await taxed.read.balanceOf([deposit])).to.equal(0n);
      expect(await taxed.read.balanceOf([dest])).to.equal(9_801n - 98n); // the token taxes the forward too
      expect(await taxed.read.balanceOf([p.factory.address])).to.equal(0n);
    });

    it("a reentrant token cannot re-enter the factory (ReentrancyGuardReentrantCall)", async () => {
      const evil = await viem.deployContract("MockReentrantERC20");
      await p.factory.write.setTokenAccepted([evil.address, true]);
      const depositA = await p.factory.read.predict([dest, ref("a")]);
      const depositB = await p.factory.read.predict([dest, ref("b")]);
      await evil.write.mint([depositA, 1_000n]);
      await evil.write.mint([depositB, 1_000n]);
      await evil.write.setReentry([
        p.factory.address,
        encodeFunctionData({ abi: p.factory.abi, functionName: "sweep", args: [dest, ref("b"), evil.address] }),
      ]);
      await viem.assertions.revertWithCustomError(
        p.factory.write.sweep([dest, ref("a"), evil.address]),
        p.factory,
        "ReentrancyGuardReentrantCall",
      );
      await viem.assertions.revertWithCustomError(
        p.factory.write.sweepBatch([[{ destination: dest, orderRef: ref("a"), token: evil.address }]]),
        p.factory,
        "ReentrancyGuardReentrantCall",
      );
      expect(await evil.read.balanceOf([depositA])).to.equal(1_000n);
      expect(await evil.read.balanceOf([depositB])).to.equal(1_000n);
      expect(await evil.read.balanceOf([dest])).to.equal(0n);
    });
  });

  describe("sweepBatch", () => {
    it("sweeps many orders (ERC-20 and native) and skips empty ones with amount 0, without reverting", async () => {
      const d1 = await p.factory.read.predict([dest, ref("b1")]);
      const d3 = await p.factory.read.predict([dest2, ref("b3")]);
      const d4 = await p.factory.read.predict([dest, ref("b4")]);
      await payTo(d1, p.usdc, 1_000_000n);
      await payTo(d3, p.dai, 2n * 10n ** 18n);
      await payTo(d4, NATIVE, 10n ** 18n);
      const requests = [
        { destination: dest, orderRef: ref("b1"), token: p.usdc.address },
        { destination: dest, orderRef: ref("b2"), token: p.usdc.address }, // empty
        { destination: dest2, orderRef: ref("b3"), token: p.dai.address },
        { destination: dest, orderRef: ref("b4"), token: NATIVE },
      ];
      const { result } = await p.factory.simulate.sweepBatch([requests], { account: p.relayer });
      expect(result).to.deep.equal([1_000_000n, 0n, 2n * 10n ** 18n, 10n ** 18n]);

      const destNativeBefore = await balanceOf(p, NATIVE, dest);
      const hash = await p.factory.write.sweepBatch([requests], { account: p.wallets.relayerW.account });
      const receipt = await p.publicClient.waitForTransactionReceipt({ hash });
      const swept = parseEventLogs({ abi: p.factory.abi, logs: receipt.logs, eventName: "DepositSwept" });
      expect(swept.map((e) => e.args.orderRef)).to.deep.equal([ref("b1"), ref("b3"), ref("b4")]);
      expect(parseEventLogs({ abi: p.factory.abi, logs: receipt.logs, eventName: "DepositAddressDeployed" })).to.have.length(4);

      expect(await p.usdc.read.balanceOf([dest])).to.equal(990_000n);
      expect(await p.dai.read.balanceOf([dest2])).to.equal(2n * 10n ** 18n - feeOf(2n * 10n ** 18n));
      expect(await balanceOf(p, NATIVE, dest)).to.equal(destNativeBefore + 10n ** 18n - feeOf(10n ** 18n));
      for (const d of [d1, d3, d4]) {
        expect(await p.usdc.read.balanceOf([d])).to.equal(0n);
        expect(await p.dai.read.balanceOf([d])).to.equal(0n);
        expect(await balanceOf(p, NATIVE, d)).to.equal(0n);
      }
    });

    it("a batch whose orders were all front-run sweeps nothing and does not revert", async () => {
      const d1 = await p.factory.read.predict([dest, ref("f1")]);
      await payTo(d1, p.usdc, 1_000n);
      await p.factory.write.sweep([dest, ref("f1"), p.usdc.address], { account: p.wallets.otherW.account });
      const requests = [{ destination: dest, orderRef: ref("f1"), token: p.usdc.address }];
      const { result } = await p.factory.simulate.sweepBatch([requests]);
      expect(result).to.deep.equal([0n]);
      await expectNoBalanceChange(p, [dest, p.feeRecipient, d1], async () => {
        await p.factory.write.sweepBatch([requests]);
      });
    });

    it("an unaccepted token in a batch -> TokenNotAccepted for the whole batch", async () => {
      const d1 = await p.factory.read.predict([dest, ref("t1")]);
      await payTo(d1, p.usdc, 1_000n);
      await expectNoBalanceChange(p, [dest, p.feeRecipient, d1], async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.factory.write.sweepBatch([
            [
              { destination: dest, orderRef: ref("t1"), token: p.usdc.address },
              { destination: dest, orderRef: ref("t2"), token: p.stray.address },
            ],
          ]),
          p.factory,
          "TokenNotAccepted",
          [getAddress(p.stray.address)],
        );
      });
      await p.factory.write.sweep([dest, ref("t1"), p.usdc.address]);
    });
  });

  describe("rescue", () => {
    it("returns a non-accepted token to the destination in full, fee-free", async () => {
      const deposit = await p.factory.read.predict([dest, ref("r")]);
      await p.stray.write.mint([deposit, 777n]);
      const hash = p.factory.write.rescue([dest, ref("r"), p.stray.address], { account: p.wallets.otherW.account });
      await viem.assertions.emitWithArgs(hash, p.factory, "DepositRescued", [ref("r"), dest, deposit, p.stray.address, 777n]);
      expect(await p.stray.read.balanceOf([dest])).to.equal(777n);
      expect(await p.stray.read.balanceOf([p.feeRecipient])).to.equal(0n);
      expect(await p.stray.read.balanceOf([deposit])).to.equal(0n);
    });

    it("rescue of an accepted token -> TokenIsAccepted; of an empty address -> EmptyDeposit; nothing moves", async () => {
      const deposit = await p.factory.read.predict([dest, ref("r")]);
      await payTo(deposit, p.usdc, 1_000n);
      await expectNoBalanceChange(p, [dest, p.feeRecipient, deposit], async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.factory.write.rescue([dest, ref("r"), p.usdc.address]),
          p.factory,
          "TokenIsAccepted",
          [getAddress(p.usdc.address)],
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          p.factory.write.rescue([dest, ref("r"), p.stray.address]),
          p.factory,
          "EmptyDeposit",
          [deposit, getAddress(p.stray.address)],
        );
      });
      await p.factory.write.sweep([dest, ref("r"), p.usdc.address]);
    });
  });

  describe("DepositAddress.forward", () => {
    it("only the factory can call it (UnauthorizedCaller), even with a fee of 0 to the caller", async () => {
      const depositAddr = await p.factory.read.predict([dest, ref("x")]);
      await payTo(depositAddr, p.usdc, 1_000n);
      await p.factory.write.sweep([dest, ref("x"), p.usdc.address]);
      await payTo(depositAddr, p.usdc, 500n);
      const deposit = await viem.getContractAt("DepositAddress", depositAddr);
      await expectNoBalanceChange(p, [dest, p.other, depositAddr], async () => {
        await viem.assertions.revertWithCustomErrorWithArgs(
          deposit.write.forward([p.usdc.address, p.other, 500], { account: p.wallets.otherW.account }),
          deposit,
          "UnauthorizedCaller",
          [p.other],
        );
        await viem.assertions.revertWithCustomErrorWithArgs(
          deposit.write.forward([p.usdc.address, p.owner, 500]),
          deposit,
          "UnauthorizedCaller",
          [p.owner],
        );
      });
      await p.factory.write.sweep([dest, ref("x"), p.usdc.address]);
    });
  });

  describe("fee settings", () => {
    it("owner-only, FeeTooHigh, InvalidFeeRecipient, two-step ownership (shared PlatformFees)", async () => {
      await viem.assertions.revertWithCustomErrorWithArgs(
        p.factory.write.setFee([p.other, 1], { account: p.wallets.otherW.account }),
        p.factory,
        "OwnableUnauthorizedAccount",
        [p.other],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(p.factory.write.setFee([p.feeRecipient, 501]), p.factory, "FeeTooHigh", [501n, 500n]);
      await viem.assertions.revertWithCustomError(p.factory.write.setFee([zeroAddress, 100]), p.factory, "InvalidFeeRecipient");
      await p.factory.write.transferOwnership([p.other]);
      await p.factory.write.acceptOwnership({ account: p.wallets.otherW.account });
      await p.factory.write.setFee([p.other, 500], { account: p.wallets.otherW.account });
      const deposit = await p.factory.read.predict([dest, ref("f")]);
      await payTo(deposit, p.usdc, 1_000_000n);
      await p.factory.write.sweep([dest, ref("f"), p.usdc.address]);
      expect(await p.usdc.read.balanceOf([p.other])).to.equal(50_000n);
    });
  });
});
