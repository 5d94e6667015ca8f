import { describe, it, beforeEach } from "mocha";
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, getContractAddress, parseEventLogs, zeroAddress, type Address } from "viem";
import { PPM, createdSplit, expectedShares, ruleSetId, sortRules } from "./helpers.js";

const { viem, networkHelpers } = await network.create();
const NATIVE = zeroAddress;

async function fixture() {
  const publicClient = await viem.getPublicClient();
  const [deployer, alice, bob, carol, dave, payer, distributor, controller2, feeRecipient] =
    await viem.getWalletClients();
  const splitMain = await viem.deployContract("SplitMain");
  const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const dai = await viem.deployContract("MockERC20", ["Dai", "DAI", 18]);
  await usdc.write.mint([payer.account.address, 10n ** 15n]);
  await dai.write.mint([payer.account.address, 10n ** 30n]);
  return {
    publicClient,
    splitMain,
    usdc,
    dai,
    w: { deployer, alice, bob, carol, dave, payer, distributor, controller2, feeRecipient },
  };
}

describe("SplitMain", () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  let A: Address, B: Address, C: Address, D: Address;

  beforeEach(async () => {
    f = await networkHelpers.loadFixture(fixture);
    A = f.w.alice.account.address;
    B = f.w.bob.account.address;
    C = f.w.carol.account.address;
    D = f.w.dave.account.address;
  });

  const create = async (
    rules: Array<[Address, number]>,
    opts: { fee?: number; controller?: Address } = {},
  ): Promise<Address> => {
    const { recipients, allocations } = sortRules(rules);
    const hash = await f.splitMain.write.createSplit([
      recipients,
      allocations,
      opts.fee ?? 0,
      opts.controller ?? zeroAddress,
    ]);
    return createdSplit(f.publicClient, f.splitMain, hash);
  };
  const payInto = (split: Address, amount: bigint, token = f.usdc) =>
    token.write.transfer([split, amount], { account: f.w.payer.account });
  const bal = (account: Address, token: Address = f.usdc.address) => f.splitMain.read.balanceOf([account, token]);

  describe("createSplit", () => {
    it("creates a wallet clone, stores the rules and emits the versioned rule-set id", async () => {
      const { recipients, allocations } = sortRules([
        [A, 600_000],
        [B, 300_000],
        [C, 100_000],
      ]);
      const hash = await f.splitMain.write.createSplit([recipients, allocations, 5_000, A]);
      const split = await createdSplit(f.publicClient, f.splitMain, hash);
      const id = ruleSetId(1, recipients, allocations, 5_000);
      await viem.assertions.emitWithArgs(hash, f.splitMain, "SplitCreated", [
        split,
        getAddress(A),
        id,
        1,
        recipients,
        allocations,
        5_000,
      ]);
      expect(await f.splitMain.read.ruleSetOf([split])).to.equal(id);
      expect(await f.splitMain.read.ruleSetIdOf([1, recipients, allocations, 5_000])).to.equal(id);
      expect(await f.splitMain.read.isSplit([split])).to.equal(true);
      expect(await f.splitMain.read.isSplit([A])).to.equal(false);
      const config = await f.splitMain.read.configOf([split]);
      expect(config).to.deep.equal({
        controller: getAddress(A),
        version: 1,
        height: 1,
        recipientCount: 3,
        distributorFeePpm: 5_000,
      });
      const [rs, as, isSplit] = await f.splitMain.read.rulesOf([split]);
      expect(rs).to.deep.equal(recipients);
      expect(as).to.deep.equal(allocations);
      expect(isSplit).to.deep.equal([false, false, false]);
      const wallet = await viem.getContractAt("SplitWallet", split);
      expect(await wallet.read.splitMain()).to.equal(getAddress(f.splitMain.address));
      expect(await f.publicClient.getCode({ address: split })).to.not.equal(undefined);
    });

    it("accepts a single recipient (a forwarder) and the maximum of 50", async () => {
      await create([[A, 1_000_000]]);
      const many = Array.from({ length: 50 }, (_, i) => [
        getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`),
        20_000,
      ]) as Array<[Address, number]>;
      const split = await create(many);
      expect((await f.splitMain.read.configOf([split])).recipientCount).to.equal(50);
    });

    it("rejects malformed rules", async () => {
      const sm = f.splitMain;
      const [lo, hi] = sortRules([
        [A, 1],
        [B, 1],
      ]).recipients;
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([[lo, hi], [1_000_000], 0, zeroAddress]),
        sm,
        "LengthMismatch",
        [2n, 1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([[], [], 0, zeroAddress]),
        sm,
        "InvalidRecipientCount",
        [0n, 50n],
      );
      const tooMany = Array.from({ length: 51 }, (_, i) => getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`));
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([tooMany, tooMany.map(() => 1), 0, zeroAddress]),
        sm,
        "InvalidRecipientCount",
        [51n, 50n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([[hi, lo], [500_000, 500_000], 0, zeroAddress]),
        sm,
        "RecipientsNotSortedOrUnique",
        [1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([[lo, lo], [500_000, 500_000], 0, zeroAddress]),
        sm,
        "RecipientsNotSortedOrUnique",
        [1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([[zeroAddress, lo], [500_000, 500_000], 0, zeroAddress]),
        sm,
        "RecipientsNotSortedOrUnique",
        [0n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([[lo, hi], [1_000_000, 0], 0, zeroAddress]),
        sm,
        "ZeroAllocation",
        [1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([[lo, hi], [500_000, 499_999], 0, zeroAddress]),
        sm,
        "InvalidAllocationSum",
        [999_999n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([[lo, hi], [500_000, 500_001], 0, zeroAddress]),
        sm,
        "InvalidAllocationSum",
        [1_000_001n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        sm.write.createSplit([[lo, hi], [500_000, 500_000], 100_001, zeroAddress]),
        sm,
        "DistributorFeeTooHigh",
        [100_001n, 100_000n],
      );
    });

    it("rejects listing the new split's own (predictable) address: the cycle open at creation", async () => {
      const nonce = await f.publicClient.getTransactionCount({ address: f.splitMain.address });
      const next = getContractAddress({ from: f.splitMain.address, nonce: BigInt(nonce) });
      const { recipients, allocations } = sortRules([
        [next, 500_000],
        [A, 500_000],
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.createSplit([recipients, allocations, 0, zeroAddress]),
        f.splitMain,
        "SplitCycle",
        [next, 0n, 255n],
      );
    });

    it("records heights and enforces the maximum depth of 8", async () => {
      let child = await create([[A, 1_000_000]]);
      for (let h = 2; h <= 8; h++) {
        child = await create([
          [child, 500_000],
          [B, 500_000],
        ]);
        expect((await f.splitMain.read.configOf([child])).height).to.equal(h);
      }
      const { recipients, allocations } = sortRules([[child, 1_000_000]]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.createSplit([recipients, allocations, 0, zeroAddress]),
        f.splitMain,
        "DepthExceeded",
        [9n, 8n],
      );
    });
  });

  describe("distribute", () => {
    it("credits every recipient its share of an ERC-20 and emits the rule-set id", async () => {
      const rules = sortRules([
        [A, 500_000],
        [B, 300_000],
        [C, 200_000],
      ]);
      const split = await create(rules.recipients.map((r, i) => [r, rules.allocations[i]]));
      await payInto(split, 1_000_000n);
      const hash = await f.splitMain.write.distribute([split, f.usdc.address], { account: f.w.distributor.account });
      await viem.assertions.emitWithArgs(hash, f.splitMain, "SplitDistributed", [
        split,
        await f.splitMain.read.ruleSetOf([split]),
        getAddress(f.usdc.address),
        getAddress(f.w.distributor.account.address),
        1_000_000n,
        1_000_000n,
        0n,
        0n,
      ]);
      expect(await bal(A)).to.equal(500_000n);
      expect(await bal(B)).to.equal(300_000n);
      expect(await bal(C)).to.equal(200_000n);
      expect(await f.usdc.read.balanceOf([split])).to.equal(0n);
      expect(await f.usdc.read.balanceOf([f.splitMain.address])).to.equal(1_000_000n);
    });

    it("carries rounding dust to the next distribution (credited + dust = distributed)", async () => {
      const split = await create([
        [A, 333_333],
        [B, 333_333],
        [C, 333_334],
      ]);
      const { allocations } = sortRules([
        [A, 333_333],
        [B, 333_333],
        [C, 333_334],
      ]);
      await payInto(split, 100n);
      const first = expectedShares(100n, allocations);
      const hash = await f.splitMain.write.distribute([split, f.usdc.address]);
      const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
      const [log] = parseEventLogs({ abi: f.splitMain.abi, logs: receipt.logs, eventName: "SplitDistributed" });
      expect(log.args.credited + log.args.dust).to.equal(log.args.amount);
      expect(log.args.dust).to.equal(first.dust);
      expect(first.dust > 0n).to.equal(true);
      expect(await f.splitMain.read.splitBalanceOf([split, f.usdc.address])).to.equal(first.dust);

      // The next distribution spreads the new money plus the dust.
      await payInto(split, 200n);
      const second = expectedShares(200n + first.dust, allocations);
      await viem.assertions.emitWithArgs(
        f.splitMain.write.distribute([split, f.usdc.address]),
        f.splitMain,
        "SplitDistributed",
        [
          split,
          await f.splitMain.read.ruleSetOf([split]),
          getAddress(f.usdc.address),
          (x: unknown) => typeof x === "string",
          200n + first.dust,
          second.credited,
          0n,
          second.dust,
        ],
      );
      // Dust alone, too small to give anybody anything, is still a valid (no-op) distribution.
      expect(await f.splitMain.read.splitBalanceOf([split, f.usdc.address])).to.equal(second.dust);
    });

    it("credits the distributor fee to the caller", async () => {
      const split = await create(
        [
          [A, 500_000],
          [B, 500_000],
        ],
        { fee: 10_000 },
      );
      await payInto(split, 1_000_000n);
      await f.splitMain.write.distribute([split, f.usdc.address], { account: f.w.distributor.account });
      expect(await bal(f.w.distributor.account.address)).to.equal(10_000n);
      expect(await bal(A)).to.equal(495_000n);
      expect(await bal(B)).to.equal(495_000n);
    });

    it("reverts for an unknown split and when there is nothing to distribute", async () => {
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.distribute([A, f.usdc.address]),
        f.splitMain,
        "SplitNotFound",
        [getAddress(A)],
      );
      const split = await create([[A, 1_000_000]]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.distribute([split, f.usdc.address]),
        f.splitMain,
        "NothingToDistribute",
        [split, getAddress(f.usdc.address)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.distribute([split, NATIVE]),
        f.splitMain,
        "NothingToDistribute",
        [split, NATIVE],
      );
    });

    it("credits only what arrived for a fee-on-transfer token", async () => {
      const taxed = await viem.deployContract("MockFeeOnTransferERC20", [100n]); // 1% per transfer
      await taxed.write.mint([f.w.payer.account.address, 1_000_000n]);
      const split = await create([[A, 1_000_000]]);
      await taxed.write.transfer([split, 100_000n], { account: f.w.payer.account }); // 99_000 arrive
      await f.splitMain.write.distribute([split, taxed.address]);
      // The wallet -> SplitMain hop is taxed too: 99_000 - 990.
      expect(await f.splitMain.read.balanceOf([A, taxed.address])).to.equal(98_010n);
      expect(await taxed.read.balanceOf([f.splitMain.address])).to.equal(98_010n);
    });

    it("cannot be re-entered from a token hook", async () => {
      const ren = await viem.deployContract("MockReentrantERC20");
      await ren.write.mint([f.w.payer.account.address, 1_000n]);
      const split = await create([[A, 1_000_000]]);
      await ren.write.transfer([split, 1_000n], { account: f.w.payer.account });
      const { encodeFunctionData } = await import("viem");
      await ren.write.setReentry([
        f.splitMain.address,
        encodeFunctionData({ abi: f.splitMain.abi, functionName: "distribute", args: [split, ren.address] }),
      ]);
      await viem.assertions.revertWithCustomError(
        f.splitMain.write.distribute([split, ren.address]),
        f.splitMain,
        "ReentrancyGuardReentrantCall",
      );
    });

    it("distributes native coin", async () => {
      const split = await create([
        [A, 250_000],
        [B, 750_000],
      ]);
      await f.w.payer.sendTransaction({ to: split, value: 4_000n });
      await f.splitMain.write.distribute([split, NATIVE]);
      expect(await bal(A, NATIVE)).to.equal(1_000n);
      expect(await bal(B, NATIVE)).to.equal(3_000n);
      expect(await f.publicClient.getBalance({ address: f.splitMain.address })).to.equal(4_000n);
    });
  });

  describe("withdraw", () => {
    it("pays out every token, emits Withdrawn, skips empty balances and keeps the slot warm", async () => {
      const split = await create([
        [A, 500_000],
        [B, 500_000],
      ]);
      await payInto(split, 1_000n);
      await payInto(split, 10n ** 18n, f.dai);
      await f.splitMain.write.distribute([split, f.usdc.address]);
      await f.splitMain.write.distribute([split, f.dai.address]);
      const before = await f.usdc.read.balanceOf([A]);
      // Anyone may trigger a withdrawal; funds only go to the account.
      const hash = await f.splitMain.write.withdraw([A, [f.usdc.address, f.dai.address, NATIVE]], {
        account: f.w.carol.account,
      });
      await viem.assertions.emitWithArgs(hash, f.splitMain, "Withdrawn", [
        getAddress(A),
        getAddress(f.usdc.address),
        500n,
      ]);
      await viem.assertions.emitWithArgs(hash, f.splitMain, "Withdrawn", [
        getAddress(A),
        getAddress(f.dai.address),
        5n * 10n ** 17n,
      ]);
      expect((await f.usdc.read.balanceOf([A])) - before).to.equal(500n);
      expect(await bal(A)).to.equal(0n);
      expect(await bal(A, f.dai.address)).to.equal(0n);
      // Nothing left: a second withdrawal pays nothing and emits nothing.
      const again = await f.splitMain.simulate.withdraw([A, [f.usdc.address]]);
      expect(again.result).to.deep.equal([0n]);
      // The ledger still backs B exactly.
      expect(await f.usdc.read.balanceOf([f.splitMain.address])).to.equal(500n);
    });

    it("pays native coin, and reverts when the account rejects it", async () => {
      const rejecting = await viem.deployContract("RejectingReceiver");
      const split = await create(
        sortRules([
          [A, 500_000],
          [rejecting.address, 500_000],
        ]).recipients.map((r) => [r, 500_000] as [Address, number]),
      );
      await f.w.payer.sendTransaction({ to: split, value: 2_000n });
      await f.splitMain.write.distribute([split, NATIVE]);
      await viem.assertions.balancesHaveChanged(f.splitMain.write.withdraw([A, [NATIVE]]), [
        { address: A, amount: 1_000n },
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.withdraw([rejecting.address, [NATIVE]]),
        f.splitMain,
        "NativeTransferFailed",
        [getAddress(rejecting.address)],
      );
    });

    it("rejects native coin sent to the registry by anyone but a split wallet", async () => {
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.w.payer.sendTransaction({ to: f.splitMain.address, value: 1n }),
        f.splitMain,
        "UnexpectedNativeSender",
        [getAddress(f.w.payer.account.address)],
      );
    });

    it("lets only the registry pull a wallet", async () => {
      const split = await create([[A, 1_000_000]]);
      const wallet = await viem.getContractAt("SplitWallet", split);
      await viem.assertions.revertWithCustomErrorWithArgs(
        wallet.write.pull([f.usdc.address]),
        wallet,
        "UnauthorizedCaller",
        [getAddress(f.w.deployer.account.address)],
      );
    });
  });

  describe("hierarchy", () => {
    it("moves money up two levels as ledger credits, paid into the bottom split through PaymentRouter", async () => {
      // head office <- regional <- collection account; the regional keeps 20%, its office fund 80% goes up.
      const headOffice = await create([
        [C, 700_000],
        [D, 300_000],
      ]);
      const regional = await create([
        [headOffice, 800_000],
        [B, 200_000],
      ]);
      const collection = await create([
        [regional, 900_000],
        [A, 100_000],
      ]);
      expect((await f.splitMain.read.configOf([collection])).height).to.equal(3);
      expect(await f.splitMain.read.referenceCountOf([regional])).to.equal(1n);
      const [, , flags] = await f.splitMain.read.rulesOf([collection]);
      expect(flags.filter(Boolean).length).to.equal(1);

      const router = await viem.deployContract("PaymentRouter", [
        f.w.deployer.account.address,
        f.w.feeRecipient.account.address,
        100,
      ]);
      await router.write.setTokenAccepted([f.usdc.address, true]);
      await f.usdc.write.approve([router.address, 1_000_000n], { account: f.w.payer.account });
      const orderRef = `0x${"11".repeat(32)}` as const;
      await router.write.pay([orderRef, collection, f.usdc.address, 1_000_000n], { account: f.w.payer.account });
      expect(await f.usdc.read.balanceOf([collection])).to.equal(990_000n); // 1% platform fee

      const tokenBefore = await f.usdc.read.balanceOf([f.splitMain.address]);
      await f.splitMain.write.distribute([collection, f.usdc.address]);
      expect(await bal(A)).to.equal(99_000n);
      expect(await f.splitMain.read.splitBalanceOf([regional, f.usdc.address])).to.equal(891_000n);
      // Moving up the tree is a credit: the registry's token balance only grew by what the wallet held.
      expect((await f.usdc.read.balanceOf([f.splitMain.address])) - tokenBefore).to.equal(990_000n);

      await f.splitMain.write.distribute([regional, f.usdc.address]);
      expect(await bal(B)).to.equal(178_200n);
      expect(await f.splitMain.read.splitBalanceOf([headOffice, f.usdc.address])).to.equal(712_800n);
      expect(await f.splitMain.read.splitBalanceOf([regional, f.usdc.address])).to.equal(0n);

      await f.splitMain.write.distribute([headOffice, f.usdc.address]);
      expect(await bal(C)).to.equal(498_960n);
      expect(await bal(D)).to.equal(213_840n);

      const cBefore = await f.usdc.read.balanceOf([C]);
      await f.splitMain.write.withdraw([C, [f.usdc.address]]);
      expect((await f.usdc.read.balanceOf([C])) - cBefore).to.equal(498_960n);
      // A split's internal balance is not an account balance: nothing to withdraw for it.
      expect(await bal(headOffice)).to.equal(0n);
    });

    it("keeps crediting as an account an address that becomes a split only later", async () => {
      // Predict the next wallet address and list it as a plain account.
      const nonce = await f.publicClient.getTransactionCount({ address: f.splitMain.address });
      const future = getContractAddress({ from: f.splitMain.address, nonce: BigInt(nonce + 1) });
      const first = await create([
        [future, 500_000],
        [A, 500_000],
      ]);
      const second = await create([[first, 1_000_000]]);
      expect(second).to.equal(future);
      const [, , flags] = await f.splitMain.read.rulesOf([first]);
      expect(flags).to.deep.equal([false, false]);
      await payInto(first, 1_000n);
      await f.splitMain.write.distribute([first, f.usdc.address]);
      // Credited to the account ledger of `future`, not to the split `second`: no ledger cycle.
      expect(await bal(future)).to.equal(500n);
      expect(await f.splitMain.read.splitBalanceOf([second, f.usdc.address])).to.equal(0n);
    });
  });

  describe("updates, control and cycles", () => {
    it("updates a mutable split, bumping the version and the rule-set id", async () => {
      const split = await create([[A, 1_000_000]], { controller: A });
      const oldId = await f.splitMain.read.ruleSetOf([split]);
      const next = sortRules([
        [B, 400_000],
        [C, 600_000],
      ]);
      const hash = await f.splitMain.write.updateSplit([split, next.recipients, next.allocations, 1_000], {
        account: f.w.alice.account,
      });
      const id = ruleSetId(2, next.recipients, next.allocations, 1_000);
      expect(id).to.not.equal(oldId);
      await viem.assertions.emitWithArgs(hash, f.splitMain, "SplitUpdated", [
        split,
        id,
        2,
        next.recipients,
        next.allocations,
        1_000,
      ]);
      expect((await f.splitMain.read.configOf([split])).version).to.equal(2);
      await payInto(split, 10_000n);
      const dh = await f.splitMain.write.distribute([split, f.usdc.address]);
      await viem.assertions.emitWithArgs(dh, f.splitMain, "SplitDistributed", [
        split,
        id,
        getAddress(f.usdc.address),
        (x: unknown) => typeof x === "string",
        10_000n,
        10_000n,
        10n,
        0n,
      ]);
      expect(await bal(A)).to.equal(0n);
    });

    it("lets only the controller update, never for an immutable split", async () => {
      const mutable = await create([[A, 1_000_000]], { controller: A });
      const immutable = await create([[A, 1_000_000]]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.updateSplit([mutable, [B], [1_000_000], 0], { account: f.w.bob.account }),
        f.splitMain,
        "NotController",
        [mutable, getAddress(B)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.updateSplit([immutable, [B], [1_000_000], 0]),
        f.splitMain,
        "NotController",
        [immutable, getAddress(f.w.deployer.account.address)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.updateSplit([A, [B], [1_000_000], 0]),
        f.splitMain,
        "SplitNotFound",
        [getAddress(A)],
      );
    });

    it("hands control over in two steps, can cancel, and can renounce for good", async () => {
      const split = await create([[A, 1_000_000]], { controller: A });
      const next = f.w.controller2.account.address;
      await viem.assertions.emitWithArgs(
        f.splitMain.write.transferControl([split, next], { account: f.w.alice.account }),
        f.splitMain,
        "ControlTransferStarted",
        [split, getAddress(A), getAddress(next)],
      );
      expect(await f.splitMain.read.pendingControllerOf([split])).to.equal(getAddress(next));
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.acceptControl([split], { account: f.w.bob.account }),
        f.splitMain,
        "NotPendingController",
        [split, getAddress(B)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.acceptControl([A], { account: f.w.bob.account }),
        f.splitMain,
        "SplitNotFound",
        [getAddress(A)],
      );
      // Control has not moved yet.
      await viem.assertions.revertWithCustomError(
        f.splitMain.write.updateSplit([split, [B], [1_000_000], 0], { account: f.w.controller2.account }),
        f.splitMain,
        "NotController",
      );
      await viem.assertions.emitWithArgs(
        f.splitMain.write.acceptControl([split], { account: f.w.controller2.account }),
        f.splitMain,
        "ControlTransferred",
        [split, getAddress(A), getAddress(next)],
      );
      expect((await f.splitMain.read.configOf([split])).controller).to.equal(getAddress(next));
      expect(await f.splitMain.read.pendingControllerOf([split])).to.equal(zeroAddress);

      // Cancel: start a transfer to Bob, then reset it to zero.
      await f.splitMain.write.transferControl([split, B], { account: f.w.controller2.account });
      await f.splitMain.write.transferControl([split, zeroAddress], { account: f.w.controller2.account });
      await viem.assertions.revertWithCustomError(
        f.splitMain.write.acceptControl([split], { account: f.w.bob.account }),
        f.splitMain,
        "NotPendingController",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.transferControl([split, B], { account: f.w.bob.account }),
        f.splitMain,
        "NotController",
        [split, getAddress(B)],
      );

      await viem.assertions.emitWithArgs(
        f.splitMain.write.renounceControl([split], { account: f.w.controller2.account }),
        f.splitMain,
        "ControlTransferred",
        [split, getAddress(next), zeroAddress],
      );
      await viem.assertions.revertWithCustomError(
        f.splitMain.write.updateSplit([split, [B], [1_000_000], 0], { account: f.w.controller2.account }),
        f.splitMain,
        "NotController",
      );
      await viem.assertions.revertWithCustomError(
        f.splitMain.write.renounceControl([split], { account: f.w.controller2.account }),
        f.splitMain,
        "NotController",
      );
    });

    it("rejects an update listing the split itself", async () => {
      const split = await create([[A, 1_000_000]], { controller: A });
      const { recipients, allocations } = sortRules([
        [split, 500_000],
        [B, 500_000],
      ]);
      await viem.assertions.revertWithCustomError(
        f.splitMain.write.updateSplit([split, recipients, allocations, 0], { account: f.w.alice.account }),
        f.splitMain,
        "SplitCycle",
      );
    });

    it("rejects an update closing a cycle through other splits", async () => {
      const top = await create([[A, 1_000_000]], { controller: A });
      const middle = await create([
        [top, 500_000],
        [B, 500_000],
      ]);
      const bottom = await create([
        [middle, 500_000],
        [C, 500_000],
      ]);
      // top -> bottom -> middle -> top would be a cycle.
      const { recipients, allocations } = sortRules([
        [bottom, 500_000],
        [A, 500_000],
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.updateSplit([top, recipients, allocations, 0], { account: f.w.alice.account }),
        f.splitMain,
        "SplitCycle",
        [top, 1n, 4n],
      );
    });

    it("lets a referenced split change rules without growing, and an unreferenced one grow", async () => {
      const leaf = await create([[A, 1_000_000]]);
      const mid = await create([[leaf, 1_000_000]], { controller: A }); // height 2
      const parent = await create([
        [mid, 500_000],
        [B, 500_000],
      ]); // height 3, references mid
      // mid may drop to accounts only (height stays recorded as 2, an upper bound for its parent).
      await f.splitMain.write.updateSplit([mid, [C], [1_000_000], 0], { account: f.w.alice.account });
      expect((await f.splitMain.read.configOf([mid])).height).to.equal(2);
      expect(await f.splitMain.read.referenceCountOf([leaf])).to.equal(0n);
      // ... and back to the leaf (height 2 again).
      await f.splitMain.write.updateSplit([mid, [leaf], [1_000_000], 0], { account: f.w.alice.account });
      expect(await f.splitMain.read.referenceCountOf([leaf])).to.equal(1n);
      // But it may not grow to height 3 while `parent` lists it.
      const mid2 = await create([[leaf, 1_000_000]]); // height 2
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.splitMain.write.updateSplit([mid, [mid2], [1_000_000], 0], { account: f.w.alice.account }),
        f.splitMain,
        "SplitCycle",
        [mid, 2n, 3n],
      );
      // An unreferenced mutable split can grow freely (up to MAX_DEPTH).
      const free = await create([[A, 1_000_000]], { controller: A });
      await f.splitMain.write.updateSplit([free, [parent], [1_000_000], 0], { account: f.w.alice.account });
      expect((await f.splitMain.read.configOf([free])).height).to.equal(4);
    });
  });
});
