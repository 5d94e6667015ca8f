import { expect } from "chai";
import { network } from "hardhat";
import { encodeFunctionData, getAddress, maxUint96, parseEther, zeroAddress, type Address } from "viem";

const { viem, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const DAY = 86_400;
const State = { None: 0, Funded: 1, Disputed: 2, Released: 3, Refunded: 4, Resolved: 5 } as const;
const Reason = { SellerRefunded: 0, DeadlinePassed: 1, ArbiterTimedOut: 2 } as const;

async function deploy() {
  const [buyer, seller, arbiter, other] = await viem.getWalletClients();
  const escrow = await viem.deployContract("Escrow");
  const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const taxed = await viem.deployContract("MockFeeOnTransferERC20", [100n]);
  const publicClient = await viem.getPublicClient();
  await usdc.write.mint([buyer.account.address, 10n ** 30n]);
  await usdc.write.approve([escrow.address, 2n ** 256n - 1n]);
  await taxed.write.mint([buyer.account.address, 10n ** 30n]);
  await taxed.write.approve([escrow.address, 2n ** 256n - 1n]);
  return { escrow, usdc, taxed, buyer, seller, arbiter, other, publicClient };
}

type Fixture = Awaited<ReturnType<typeof deploy>>;

/** Default terms: 7-day deadline, 3-day dispute window, 2% arbiter fee, 5-day arbiter timeout. */
async function terms(f: Fixture, overrides: Partial<Record<string, unknown>> = {}) {
  const now = await time.latest();
  return {
    seller: f.seller.account.address,
    arbiter: f.arbiter.account.address,
    token: zeroAddress as Address,
    amount: parseEther("1"),
    deadline: now + 7 * DAY,
    disputeWindow: 3 * DAY,
    arbiterFeeBps: 200,
    arbiterTimeout: 5 * DAY,
    ...overrides,
  };
}

async function fundNative(f: Fixture, overrides: Partial<Record<string, unknown>> = {}) {
  const t = await terms(f, overrides);
  await f.escrow.write.fund([t as never], { value: t.token === zeroAddress ? (t.amount as bigint) : 0n });
  const id = (await f.escrow.read.nextEscrowId()) - 1n;
  return { id, t };
}

async function fundToken(f: Fixture, overrides: Partial<Record<string, unknown>> = {}) {
  return fundNative(f, { token: f.usdc.address, amount: 1_000_000_000n, ...overrides });
}

describe("Escrow", () => {
  describe("fund", () => {
    it("funds a native escrow, stores the terms and emits EscrowFunded", async () => {
      const f = await loadFixture(deploy);
      const t = await terms(f);
      const hash = f.escrow.write.fund([t as never], { value: t.amount });
      await viem.assertions.emitWithArgs(hash, f.escrow, "EscrowFunded", [
        1n,
        getAddress(f.buyer.account.address),
        getAddress(f.seller.account.address),
        getAddress(f.arbiter.account.address),
        zeroAddress,
        t.amount,
        t.deadline,
        t.disputeWindow,
        t.arbiterFeeBps,
        t.arbiterTimeout,
      ]);
      const e = await f.escrow.read.getEscrow([1n]);
      expect(e.state).to.equal(State.Funded);
      expect(e.amount).to.equal(t.amount);
      expect(e.buyer).to.equal(getAddress(f.buyer.account.address));
      expect(await f.publicClient.getBalance({ address: f.escrow.address })).to.equal(t.amount);
      expect(await f.escrow.read.nextEscrowId()).to.equal(2n);
    });

    it("funds an ERC-20 escrow by pulling exactly the amount", async () => {
      const f = await loadFixture(deploy);
      const { id } = await fundNative(f, { token: f.usdc.address, amount: 5_000_000n });
      await f.escrow.write.fund([(await terms(f, { token: f.usdc.address, amount: 7n })) as never]);
      expect(await f.usdc.read.balanceOf([f.escrow.address])).to.equal(5_000_007n);
      expect((await f.escrow.read.getEscrow([id])).token).to.equal(getAddress(f.usdc.address));
    });

    it("funds an escrow without an arbiter", async () => {
      const f = await loadFixture(deploy);
      const { id } = await fundNative(f, { arbiter: zeroAddress, disputeWindow: 0, arbiterFeeBps: 0, arbiterTimeout: 0 });
      expect((await f.escrow.read.getEscrow([id])).arbiter).to.equal(zeroAddress);
    });

    it("accepts the largest arbiter fee and the bounds of the timeouts", async () => {
      const f = await loadFixture(deploy);
      await fundNative(f, { arbiterFeeBps: 1_000, disputeWindow: 90 * DAY, arbiterTimeout: DAY });
      await fundNative(f, { arbiterTimeout: 90 * DAY, amount: maxUint96 / 10n ** 10n });
    });

    it("rejects bad terms", async () => {
      const f = await loadFixture(deploy);
      const { escrow } = f;
      const bad = async (overrides: Partial<Record<string, unknown>>, error: string, value?: bigint) => {
        const t = await terms(f, overrides);
        await viem.assertions.revertWithCustomError(
          escrow.write.fund([t as never], { value: value ?? (t.token === zeroAddress ? (t.amount as bigint) : 0n) }),
          escrow,
          error as never,
        );
      };
      await bad({ amount: 0n }, "ZeroAmount");
      await bad({ token: f.usdc.address, amount: maxUint96 + 1n }, "AmountTooLarge");
      await bad({ seller: zeroAddress }, "InvalidSeller");
      await bad({ seller: f.buyer.account.address }, "InvalidSeller");
      await bad({ deadline: await time.latest() }, "InvalidDeadline");
      await bad({ arbiter: f.buyer.account.address }, "InvalidArbiter");
      await bad({ arbiter: f.seller.account.address }, "InvalidArbiter");
      await bad({ disputeWindow: 90 * DAY + 1 }, "InvalidDisputeWindow");
      await bad({ arbiterFeeBps: 1_001 }, "ArbiterFeeTooHigh");
      await bad({ arbiterTimeout: DAY - 1 }, "InvalidArbiterTimeout");
      await bad({ arbiterTimeout: 90 * DAY + 1 }, "InvalidArbiterTimeout");
      const noArbiter = { arbiter: zeroAddress, disputeWindow: 0, arbiterFeeBps: 0, arbiterTimeout: 0 };
      await bad({ ...noArbiter, disputeWindow: 1 }, "InvalidDisputeWindow");
      await bad({ ...noArbiter, arbiterFeeBps: 1 }, "ArbiterFeeTooHigh");
      await bad({ ...noArbiter, arbiterTimeout: DAY }, "InvalidArbiterTimeout");
      await bad({}, "NativeValueMismatch", 1n);
      await bad({ token: f.usdc.address, amount: 10n }, "NativeValueMismatch", 10n);
    });

    it("rejects fee-on-transfer tokens by the balance delta", async () => {
      const f = await loadFixture(deploy);
      const t = await terms(f, { token: f.taxed.address, amount: 10_000n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.escrow.write.fund([t as never]),
        f.escrow,
        "UnexpectedTokenReceipt",
        [10_000n, 9_900n],
      );
    });

    it("cannot be re-entered from a token hook", async () => {
      const f = await loadFixture(deploy);
      const ren = await viem.deployContract("MockReentrantERC20");
      await ren.write.mint([f.buyer.account.address, 1_000n]);
      await ren.write.approve([f.escrow.address, 1_000n]);
      const t = await terms(f, { token: ren.address, amount: 10n });
      const data = encodeFunctionData({ abi: f.escrow.abi, functionName: "fund", args: [t as never] });
      await ren.write.setReentry([f.escrow.address, data]);
      await viem.assertions.revertWithCustomError(f.escrow.write.fund([t as never]), f.escrow, "ReentrancyGuardReentrantCall");
    });
  });

  describe("release and seller refund", () => {
    it("the buyer releases the full amount to the seller", async () => {
      const f = await loadFixture(deploy);
      const { id, t } = await fundNative(f);
      await viem.assertions.emitWithArgs(f.escrow.write.release([id]), f.escrow, "EscrowReleased", [id, t.amount]);
      expect((await f.escrow.read.getEscrow([id])).state).to.equal(State.Released);
      expect(await f.escrow.read.owed([f.seller.account.address, zeroAddress])).to.equal(t.amount);
      expect(await f.escrow.read.owed([f.buyer.account.address, zeroAddress])).to.equal(0n);
    });

    it("the buyer may still release after the deadline", async () => {
      const f = await loadFixture(deploy);
      const { id } = await fundNative(f);
      await time.increase(30 * DAY);
      await f.escrow.write.release([id]);
      expect((await f.escrow.read.getEscrow([id])).state).to.equal(State.Released);
    });

    it("only the buyer releases", async () => {
      const f = await loadFixture(deploy);
      const { id } = await fundNative(f);
      for (const who of [f.seller, f.arbiter, f.other]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          f.escrow.write.release([id], { account: who.account }),
          f.escrow,
          "NotBuyer",
          [id],
        );
      }
    });

    it("the seller refunds the full amount to the buyer", async () => {
      const f = await loadFixture(deploy);
      const { id, t } = await fundToken(f);
      await viem.assertions.emitWithArgs(
        f.escrow.write.refund([id], { account: f.seller.account }),
        f.escrow,
        "EscrowRefunded",
        [id, Reason.SellerRefunded, t.amount as bigint],
      );
      expect(await f.escrow.read.owed([f.buyer.account.address, f.usdc.address])).to.equal(t.amount);
    });

    it("only the seller refunds", async () => {
      const f = await loadFixture(deploy);
      const { id } = await fundNative(f);
      for (const who of [f.buyer, f.arbiter, f.other]) {
        await viem.assertions.revertWithCustomError(f.escrow.write.refund([id], { account: who.account }), f.escrow, "NotSeller");
      }
    });

    it("reverts for unknown escrows", async () => {
      const f = await loadFixture(deploy);
      for (const call of [
        f.escrow.write.release([9n]),
        f.escrow.write.refund([9n]),
        f.escrow.write.dispute([9n]),
        f.escrow.write.rule([9n, 0n]),
        f.escrow.write.claimRefund([9n]),
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(call, f.escrow, "EscrowNotFound", [9n]);
      }
    });
  });

  describe("disputes", () => {
    it("either party disputes inside the window, up to deadline + window", async () => {
      const f = await loadFixture(deploy);
      const a = await fundNative(f);
      const b = await fundNative(f);
      await viem.assertions.emit(f.escrow.write.dispute([a.id]), f.escrow, "EscrowDisputed");
      // Last second of b's window (deadline + window - 1): the seller contests the default refund.
      await time.setNextBlockTimestamp(b.t.deadline + b.t.disputeWindow - 1);
      const hash = f.escrow.write.dispute([b.id], { account: f.seller.account });
      await viem.assertions.emitWithArgs(hash, f.escrow, "EscrowDisputed", [
        b.id,
        getAddress(f.seller.account.address),
        b.t.deadline + b.t.disputeWindow - 1 + b.t.arbiterTimeout,
      ]);
      const e = await f.escrow.read.getEscrow([b.id]);
      expect(e.state).to.equal(State.Disputed);
      expect(e.disputedAt).to.equal(b.t.deadline + b.t.disputeWindow - 1);
    });

    it("rejects disputes after the window, by outsiders, twice, or without an arbiter", async () => {
      const f = await loadFixture(deploy);
      const a = await fundNative(f);
      await viem.assertions.revertWithCustomError(f.escrow.write.dispute([a.id], { account: f.arbiter.account }), f.escrow, "NotParty");
      await viem.assertions.revertWithCustomError(f.escrow.write.dispute([a.id], { account: f.other.account }), f.escrow, "NotParty");
      const noArb = await fundNative(f, { arbiter: zeroAddress, disputeWindow: 0, arbiterFeeBps: 0, arbiterTimeout: 0 });
      await viem.assertions.revertWithCustomError(f.escrow.write.dispute([noArb.id]), f.escrow, "NoArbiter");
      await f.escrow.write.dispute([a.id]);
      await viem.assertions.revertWithCustomErrorWithArgs(f.escrow.write.dispute([a.id]), f.escrow, "InvalidState", [
        a.id,
        State.Disputed,
      ]);
      const b = await fundNative(f);
      await time.setNextBlockTimestamp(b.t.deadline + b.t.disputeWindow);
      await viem.assertions.revertWithCustomErrorWithArgs(f.escrow.write.dispute([b.id]), f.escrow, "DisputeWindowClosed", [
        b.id,
        BigInt(b.t.deadline + b.t.disputeWindow),
      ]);
    });

    it("the arbiter rules any split and takes the stated fee", async () => {
      const f = await loadFixture(deploy);
      const { id } = await fundToken(f, { amount: 1_000_001n, arbiterFeeBps: 250 });
      await f.escrow.write.dispute([id]);
      // fee = floor(1_000_001 * 250 / 10_000) = 25_000; available = 975_001.
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.escrow.write.rule([id, 975_002n], { account: f.arbiter.account }),
        f.escrow,
        "SplitExceedsAmount",
        [975_002n, 975_001n],
      );
      await viem.assertions.emitWithArgs(
        f.escrow.write.rule([id, 600_000n], { account: f.arbiter.account }),
        f.escrow,
        "EscrowResolved",
        [id, 375_001n, 600_000n, 25_000n],
      );
      const owed = (a: Address) => f.escrow.read.owed([a, f.usdc.address]);
      expect(await owed(f.seller.account.address)).to.equal(600_000n);
      expect(await owed(f.buyer.account.address)).to.equal(375_001n);
      expect(await owed(f.arbiter.account.address)).to.equal(25_000n);
      expect((await f.escrow.read.getEscrow([id])).state).to.equal(State.Resolved);
    });

    it("the arbiter can give everything to one side", async () => {
      const f = await loadFixture(deploy);
      const a = await fundNative(f, { arbiterFeeBps: 0 });
      await f.escrow.write.dispute([a.id]);
      await f.escrow.write.rule([a.id, 0n], { account: f.arbiter.account });
      expect(await f.escrow.read.owed([f.buyer.account.address, zeroAddress])).to.equal(a.t.amount);
      const b = await fundNative(f, { arbiterFeeBps: 0 });
      await f.escrow.write.dispute([b.id]);
      await f.escrow.write.rule([b.id, b.t.amount as bigint], { account: f.arbiter.account });
      expect(await f.escrow.read.owed([f.seller.account.address, zeroAddress])).to.equal(b.t.amount);
    });

    it("only the arbiter rules, only disputes, only in time", async () => {
      const f = await loadFixture(deploy);
      const { id, t } = await fundNative(f);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.escrow.write.rule([id, 0n], { account: f.arbiter.account }),
        f.escrow,
        "InvalidState",
        [id, State.Funded],
      );
      await f.escrow.write.dispute([id]);
      const disputedAt = await time.latest();
      for (const who of [f.buyer, f.seller, f.other]) {
        await viem.assertions.revertWithCustomError(f.escrow.write.rule([id, 0n], { account: who.account }), f.escrow, "NotArbiter");
      }
      await time.setNextBlockTimestamp(disputedAt + t.arbiterTimeout);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.escrow.write.rule([id, 0n], { account: f.arbiter.account }),
        f.escrow,
        "RulingPeriodOver",
        [id, BigInt(disputedAt + t.arbiterTimeout)],
      );
    });

    it("either party can concede a dispute without an arbiter fee", async () => {
      const f = await loadFixture(deploy);
      const a = await fundNative(f);
      await f.escrow.write.dispute([a.id], { account: f.seller.account });
      await f.escrow.write.release([a.id]);
      expect((await f.escrow.read.getEscrow([a.id])).state).to.equal(State.Released);
      const b = await fundNative(f);
      await f.escrow.write.dispute([b.id]);
      await f.escrow.write.refund([b.id], { account: f.seller.account });
      expect((await f.escrow.read.getEscrow([b.id])).state).to.equal(State.Refunded);
      expect(await f.escrow.read.owed([f.arbiter.account.address, zeroAddress])).to.equal(0n);
    });
  });

  describe("claimRefund (defaults)", () => {
    it("refunds 100% to the buyer once deadline + dispute window has passed", async () => {
      const f = await loadFixture(deploy);
      const { id, t } = await fundNative(f);
      const availableAt = BigInt(t.deadline + t.disputeWindow);
      await time.setNextBlockTimestamp(t.deadline);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.escrow.write.claimRefund([id], { account: f.other.account }),
        f.escrow,
        "RefundNotYetAvailable",
        [id, availableAt],
      );
      await time.setNextBlockTimestamp(availableAt);
      await viem.assertions.emitWithArgs(
        f.escrow.write.claimRefund([id], { account: f.other.account }),
        f.escrow,
        "EscrowRefunded",
        [id, Reason.DeadlinePassed, t.amount as bigint],
      );
      expect(await f.escrow.read.owed([f.buyer.account.address, zeroAddress])).to.equal(t.amount);
    });

    it("without an arbiter the refund is available at the deadline itself", async () => {
      const f = await loadFixture(deploy);
      const { id, t } = await fundNative(f, { arbiter: zeroAddress, disputeWindow: 0, arbiterFeeBps: 0, arbiterTimeout: 0 });
      await time.setNextBlockTimestamp(t.deadline);
      await f.escrow.write.claimRefund([id]);
      expect((await f.escrow.read.getEscrow([id])).state).to.equal(State.Refunded);
    });

    it("refunds 100% (no fee) when the arbiter does not rule in time", async () => {
      const f = await loadFixture(deploy);
      const { id, t } = await fundNative(f);
      await f.escrow.write.dispute([id], { account: f.seller.account });
      const disputedAt = await time.latest();
      await viem.assertions.revertWithCustomErrorWithArgs(f.escrow.write.claimRefund([id]), f.escrow, "RefundNotYetAvailable", [
        id,
        BigInt(disputedAt + t.arbiterTimeout),
      ]);
      await time.setNextBlockTimestamp(disputedAt + t.arbiterTimeout);
      await viem.assertions.emitWithArgs(f.escrow.write.claimRefund([id]), f.escrow, "EscrowRefunded", [
        id,
        Reason.ArbiterTimedOut,
        t.amount as bigint,
      ]);
      expect(await f.escrow.read.owed([f.arbiter.account.address, zeroAddress])).to.equal(0n);
      expect(await f.escrow.read.owed([f.buyer.account.address, zeroAddress])).to.equal(t.amount);
    });
  });

  describe("terminal states are final", () => {
    for (const [name, end, state] of [
      ["Released", async (f: Fixture, id: bigint) => f.escrow.write.release([id]), State.Released],
      ["Refunded", async (f: Fixture, id: bigint) => f.escrow.write.refund([id], { account: f.seller.account }), State.Refunded],
      [
        "Resolved",
        async (f: Fixture, id: bigint) => {
          await f.escrow.write.dispute([id]);
          return f.escrow.write.rule([id, 1n], { account: f.arbiter.account });
        },
        State.Resolved,
      ],
    ] as const) {
      it(`nothing leaves ${name}`, async () => {
        const f = await loadFixture(deploy);
        const { id } = await fundNative(f);
        await end(f, id);
        await time.increase(200 * DAY);
        for (const call of [
          f.escrow.write.release([id]),
          f.escrow.write.refund([id], { account: f.seller.account }),
          f.escrow.write.dispute([id]),
          f.escrow.write.rule([id, 0n], { account: f.arbiter.account }),
          f.escrow.write.claimRefund([id]),
        ]) {
          await viem.assertions.revertWithCustomErrorWithArgs(call, f.escrow, "InvalidState", [id, state]);
        }
      });
    }
  });

  describe("withdraw", () => {
    it("pays native and ERC-20 credits and clears them", async () => {
      const f = await loadFixture(deploy);
      const a = await fundNative(f);
      const b = await fundToken(f);
      await f.escrow.write.release([a.id]);
      await f.escrow.write.release([b.id]);
      await viem.assertions.balancesHaveChanged(f.escrow.write.withdraw([zeroAddress], { account: f.seller.account }), [
        { address: f.escrow.address, amount: -(a.t.amount as bigint) },
      ]);
      await viem.assertions.emitWithArgs(
        f.escrow.write.withdraw([f.usdc.address], { account: f.seller.account }),
        f.escrow,
        "Withdrawn",
        [getAddress(f.seller.account.address), getAddress(f.usdc.address), getAddress(f.seller.account.address), b.t.amount as bigint],
      );
      expect(await f.usdc.read.balanceOf([f.seller.account.address])).to.equal(b.t.amount);
      expect(await f.escrow.read.owed([f.seller.account.address, f.usdc.address])).to.equal(0n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.escrow.write.withdraw([f.usdc.address], { account: f.seller.account }),
        f.escrow,
        "NothingToWithdraw",
        [getAddress(f.usdc.address)],
      );
    });

    it("withdrawTo pays another address and rejects the zero address", async () => {
      const f = await loadFixture(deploy);
      const { id, t } = await fundToken(f);
      await f.escrow.write.release([id]);
      await viem.assertions.revertWithCustomError(
        f.escrow.write.withdrawTo([f.usdc.address, zeroAddress], { account: f.seller.account }),
        f.escrow,
        "InvalidRecipient",
      );
      await f.escrow.write.withdrawTo([f.usdc.address, f.other.account.address], { account: f.seller.account });
      expect(await f.usdc.read.balanceOf([f.other.account.address])).to.equal(t.amount);
    });

    it("a party that cannot receive blocks only itself", async () => {
      const f = await loadFixture(deploy);
      const rejecting = await viem.deployContract("RejectingReceiver");
      const { id, t } = await fundNative(f, { seller: rejecting.address, arbiterFeeBps: 0 });
      await f.escrow.write.dispute([id]);
      await f.escrow.write.rule([id, 400n], { account: f.arbiter.account });
      // The buyer collects its share although the seller is a contract that rejects native coin.
      await f.escrow.write.withdraw([zeroAddress]);
      expect(await f.escrow.read.owed([rejecting.address, zeroAddress])).to.equal(400n);
      expect(await f.publicClient.getBalance({ address: f.escrow.address })).to.equal(400n);
      expect((t.amount as bigint) > 400n).to.equal(true);
    });

    it("reports a failed native transfer", async () => {
      const f = await loadFixture(deploy);
      const rejecting = await viem.deployContract("RejectingReceiver");
      const { id } = await fundNative(f);
      await f.escrow.write.refund([id], { account: f.seller.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.escrow.write.withdrawTo([zeroAddress, rejecting.address]),
        f.escrow,
        "NativeTransferFailed",
        [getAddress(rejecting.address)],
      );
    });

    it("cannot be re-entered from a token hook", async () => {
      const f = await loadFixture(deploy);
      const ren = await viem.deployContract("MockReentrantERC20");
      await ren.write.mint([f.buyer.account.address, 1_000n]);
      await ren.write.approve([f.escrow.address, 1_000n]);
      const { id } = await fundNative(f, { token: ren.address, amount: 100n });
      await f.escrow.write.refund([id], { account: f.seller.account });
      const data = encodeFunctionData({ abi: f.escrow.abi, functionName: "withdraw", args: [ren.address] });
      await ren.write.setReentry([f.escrow.address, data]);
      await viem.assertions.revertWithCustomError(f.escrow.write.withdraw([ren.address]), f.escrow, "ReentrancyGuardReentrantCall");
    });
  });
});
