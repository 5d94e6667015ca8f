import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, maxUint96, zeroAddress, type Address, type Hex } from "viem";
import { SUBSCRIPTION_TERMS_TYPES } from "../../sdk/src/subscription-terms.ts";

const { viem, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const HOUR = 3_600;
const DAY = 86_400;
const MONTH = 30 * DAY;
const PRICE = 10_000_000n; // 10 USDC
const FEE_BPS = 100; // 1%
const Status = { None: 0, Active: 1, PastDue: 2, Cancelled: 3 } as const;
const Result = { Charged: 0, Failed: 1, Skipped: 2 } as const;

async function deploy() {
  const [owner, merchant, subscriber, keeper, feeRecipient, other] = await viem.getWalletClients();
  const subs = await viem.deployContract("Subscriptions", [owner.account.address, feeRecipient.account.address, FEE_BPS]);
  const usdc = await viem.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  await subs.write.setTokenAccepted([usdc.address, true]);
  for (const who of [subscriber, other]) {
    await usdc.write.mint([who.account.address, 1_000_000_000n]);
    await usdc.write.approve([subs.address, 2n ** 256n - 1n], { account: who.account });
  }
  // Plan 1: monthly, no trial. Plan 2: monthly with a 7-day trial.
  await subs.write.createPlan([usdc.address, PRICE, MONTH, 0], { account: merchant.account });
  await subs.write.createPlan([usdc.address, PRICE, MONTH, 7 * DAY], { account: merchant.account });
  const chainId = await (await viem.getPublicClient()).getChainId();
  return { subs, usdc, owner, merchant, subscriber, keeper, feeRecipient, other, chainId };
}

type Fixture = Awaited<ReturnType<typeof deploy>>;

async function subscribe(f: Fixture, planId = 1n, who = f.subscriber) {
  await f.subs.write.subscribe([planId, PRICE], { account: who.account });
  return (await f.subs.read.nextSubscriptionId()) - 1n;
}

async function signedTerms(f: Fixture, overrides: Partial<Record<string, unknown>> = {}, signer = f.subscriber) {
  const now = await time.latest();
  const terms = {
    subscriber: f.subscriber.account.address as Address,
    planId: 1n,
    maxAmount: PRICE,
    period: MONTH,
    start: now,
    nonce: await f.subs.read.nonces([f.subscriber.account.address]),
    deadline: BigInt(now + HOUR),
    ...overrides,
  };
  const signature = await signer.signTypedData({
    account: signer.account,
    domain: { name: "CoinPays Subscriptions", version: "1", chainId: f.chainId, verifyingContract: f.subs.address },
    types: SUBSCRIPTION_TERMS_TYPES,
    primaryType: "SubscriptionTerms",
    message: terms as never,
  });
  return { terms, signature: signature as Hex };
}

describe("Subscriptions", () => {
  describe("plans", () => {
    it("creates a plan and emits PlanCreated", async () => {
      const f = await loadFixture(deploy);
      await viem.assertions.emitWithArgs(
        f.subs.write.createPlan([f.usdc.address, 5n, HOUR, 0], { account: f.merchant.account }),
        f.subs,
        "PlanCreated",
        [3n, getAddress(f.merchant.account.address), getAddress(f.usdc.address), 5n, HOUR, 0],
      );
      const plan = await f.subs.read.getPlan([3n]);
      expect(plan.merchant).to.equal(getAddress(f.merchant.account.address));
      expect(plan.amount).to.equal(5n);
      expect(plan.active).to.equal(true);
      expect(await f.subs.read.nextPlanId()).to.equal(4n);
    });

    it("rejects bad plans", async () => {
      const f = await loadFixture(deploy);
      const { subs, usdc } = f;
      const bad = (args: [Address, bigint, number, number], error: string) =>
        viem.assertions.revertWithCustomError(subs.write.createPlan(args), subs, error as never);
      await bad([zeroAddress, 1n, HOUR, 0], "TokenNotAccepted");
      await bad([f.other.account.address, 1n, HOUR, 0], "TokenNotAccepted");
      await bad([usdc.address, 0n, HOUR, 0], "ZeroAmount");
      await bad([usdc.address, maxUint96 + 1n, HOUR, 0], "AmountTooLarge");
      await bad([usdc.address, 1n, HOUR - 1, 0], "InvalidPeriod");
      await bad([usdc.address, 1n, 366 * DAY + 1, 0], "InvalidPeriod");
      await bad([usdc.address, 1n, HOUR, 366 * DAY + 1], "InvalidTrial");
    });

    it("the merchant closes and reopens a plan to new subscriptions", async () => {
      const f = await loadFixture(deploy);
      await viem.assertions.emitWithArgs(
        f.subs.write.setPlanActive([1n, false], { account: f.merchant.account }),
        f.subs,
        "PlanActiveUpdated",
        [1n, false],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.subs.write.subscribe([1n, PRICE], { account: f.subscriber.account }),
        f.subs,
        "PlanInactive",
        [1n],
      );
      await f.subs.write.setPlanActive([1n, true], { account: f.merchant.account });
      await subscribe(f);
      await viem.assertions.revertWithCustomErrorWithArgs(f.subs.write.setPlanActive([1n, false]), f.subs, "NotMerchant", [1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(f.subs.write.setPlanActive([9n, false]), f.subs, "PlanNotFound", [9n]);
    });
  });

  describe("subscribe", () => {
    it("subscribes now; the trial moves the anchor", async () => {
      const f = await loadFixture(deploy);
      const now = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(now);
      await viem.assertions.emitWithArgs(
        f.subs.write.subscribe([2n, PRICE + 1n], { account: f.subscriber.account }),
        f.subs,
        "Subscribed",
        [1n, 2n, getAddress(f.subscriber.account.address), now + 7 * DAY],
      );
      const sub = await f.subs.read.getSubscription([1n]);
      expect(sub.status).to.equal(Status.Active);
      expect(sub.anchor).to.equal(now + 7 * DAY);
      expect(sub.planId).to.equal(2n);
    });

    it("rejects unknown plans and a price above the authorised maximum", async () => {
      const f = await loadFixture(deploy);
      await viem.assertions.revertWithCustomError(f.subs.write.subscribe([9n, PRICE]), f.subs, "PlanNotFound");
      await viem.assertions.revertWithCustomErrorWithArgs(f.subs.write.subscribe([1n, PRICE - 1n]), f.subs, "AmountAboveMax", [
        PRICE,
        PRICE - 1n,
      ]);
    });
  });

  describe("subscribeWithSignature", () => {
    it("a relayer creates the subscription from signed terms and the nonce is consumed", async () => {
      const f = await loadFixture(deploy);
      const { terms, signature } = await signedTerms(f, { start: 1_700_000_000 });
      await viem.assertions.emitWithArgs(
        f.subs.write.subscribeWithSignature([terms, signature], { account: f.keeper.account }),
        f.subs,
        "Subscribed",
        [1n, 1n, getAddress(f.subscriber.account.address), 1_700_000_000],
      );
      expect(await f.subs.read.nonces([f.subscriber.account.address])).to.equal(1n);
      expect((await f.subs.read.getSubscription([1n])).subscriber).to.equal(getAddress(f.subscriber.account.address));
      await viem.assertions.revertWithCustomError(
        f.subs.write.subscribeWithSignature([terms, signature], { account: f.keeper.account }),
        f.subs,
        "InvalidAccountNonce",
      );
    });

    it("rejects wrong signers, expired, mismatched and invalidated terms", async () => {
      const f = await loadFixture(deploy);
      const forged = await signedTerms(f, {}, f.other);
      await viem.assertions.revertWithCustomError(
        f.subs.write.subscribeWithSignature([forged.terms, forged.signature]),
        f.subs,
        "InvalidSignature",
      );
      const tampered = await signedTerms(f);
      await viem.assertions.revertWithCustomError(
        f.subs.write.subscribeWithSignature([{ ...tampered.terms, maxAmount: PRICE * 2n }, tampered.signature]),
        f.subs,
        "InvalidSignature",
      );
      const expired = await signedTerms(f, { deadline: BigInt(await time.latest()) });
      await viem.assertions.revertWithCustomError(
        f.subs.write.subscribeWithSignature([expired.terms, expired.signature]),
        f.subs,
        "SignatureExpired",
      );
      const period = await signedTerms(f, { period: DAY });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.subs.write.subscribeWithSignature([period.terms, period.signature]),
        f.subs,
        "PeriodMismatch",
        [DAY, MONTH],
      );
      const cheap = await signedTerms(f, { maxAmount: PRICE - 1n });
      await viem.assertions.revertWithCustomError(
        f.subs.write.subscribeWithSignature([cheap.terms, cheap.signature]),
        f.subs,
        "AmountAboveMax",
      );
      const late = await signedTerms(f, { planId: 2n, start: 2 ** 40 - 1 });
      await viem.assertions.revertWithCustomError(f.subs.write.subscribeWithSignature([late.terms, late.signature]), f.subs, "InvalidStart");
      const burnt = await signedTerms(f);
      await viem.assertions.emitWithArgs(
        f.subs.write.invalidateNonce({ account: f.subscriber.account }),
        f.subs,
        "NonceInvalidated",
        [getAddress(f.subscriber.account.address), 0n],
      );
      await viem.assertions.revertWithCustomError(
        f.subs.write.subscribeWithSignature([burnt.terms, burnt.signature]),
        f.subs,
        "InvalidAccountNonce",
      );
    });
  });

  describe("charge", () => {
    it("charges the first period at once (no trial), splitting the platform fee", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f);
      const fee = (PRICE * BigInt(FEE_BPS)) / 10_000n;
      const hash = f.subs.write.charge([id], { account: f.keeper.account });
      await viem.assertions.emitWithArgs(hash, f.subs, "SubscriptionCharged", [
        id,
        getAddress(f.merchant.account.address),
        getAddress(f.subscriber.account.address),
        1n,
        getAddress(f.usdc.address),
        PRICE,
        PRICE - fee,
        fee,
        0n,
      ]);
      expect(await f.usdc.read.balanceOf([f.merchant.account.address])).to.equal(PRICE - fee);
      expect(await f.usdc.read.balanceOf([f.feeRecipient.account.address])).to.equal(fee);
      expect(await f.usdc.read.balanceOf([f.subs.address])).to.equal(0n);
      expect((await f.subs.read.getSubscription([id])).nextPeriod).to.equal(1);
    });

    it("never charges twice in a period; the next period is chargeable at its first second", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f);
      const anchor = Number((await f.subs.read.getSubscription([id])).anchor);
      await f.subs.write.charge([id]);
      await time.setNextBlockTimestamp(anchor + MONTH - 1);
      await viem.assertions.revertWithCustomErrorWithArgs(f.subs.write.charge([id]), f.subs, "AlreadyCharged", [id, 0n]);
      expect(await f.subs.read.currentPeriod([id])).to.deep.equal([0n, false]);
      await time.setNextBlockTimestamp(anchor + MONTH);
      await viem.assertions.emit(f.subs.write.charge([id]), f.subs, "SubscriptionCharged");
      await viem.assertions.revertWithCustomErrorWithArgs(f.subs.write.charge([id]), f.subs, "AlreadyCharged", [id, 1n]);
      expect(await f.usdc.read.balanceOf([f.subscriber.account.address])).to.equal(1_000_000_000n - 2n * PRICE);
    });

    it("does not charge during the trial", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f, 2n);
      const anchor = Number((await f.subs.read.getSubscription([id])).anchor);
      await viem.assertions.revertWithCustomErrorWithArgs(f.subs.write.charge([id]), f.subs, "NotDue", [id, BigInt(anchor)]);
      expect(await f.subs.read.currentPeriod([id])).to.deep.equal([0n, false]);
      await time.setNextBlockTimestamp(anchor);
      await f.subs.write.charge([id]);
    });

    it("skips periods nobody charged (no back-billing)", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f);
      await time.increase(3 * MONTH + DAY);
      expect(await f.subs.read.currentPeriod([id])).to.deep.equal([3n, true]);
      await viem.assertions.emit(f.subs.write.charge([id]), f.subs, "SubscriptionCharged");
      expect((await f.subs.read.getSubscription([id])).nextPeriod).to.equal(4);
      expect(await f.usdc.read.balanceOf([f.subscriber.account.address])).to.equal(1_000_000_000n - PRICE);
    });

    it("a failed transfer does not revert: the subscription becomes PastDue, and a retry recovers it", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f);
      await f.usdc.write.approve([f.subs.address, 0n], { account: f.subscriber.account });
      const { result } = await f.subs.simulate.charge([id], { account: f.keeper.account.address });
      expect(result).to.equal(false);
      await viem.assertions.emit(f.subs.write.charge([id], { account: f.keeper.account }), f.subs, "SubscriptionChargeFailed");
      let sub = await f.subs.read.getSubscription([id]);
      expect(sub.status).to.equal(Status.PastDue);
      expect(sub.nextPeriod).to.equal(0);
      expect(await f.subs.read.currentPeriod([id])).to.deep.equal([0n, true]);
      await f.usdc.write.approve([f.subs.address, PRICE], { account: f.subscriber.account });
      await viem.assertions.emit(f.subs.write.charge([id]), f.subs, "SubscriptionCharged");
      sub = await f.subs.read.getSubscription([id]);
      expect(sub.status).to.equal(Status.Active);
      expect(sub.nextPeriod).to.equal(1);
    });

    it("a failed fee leg rolls back the merchant leg too", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f);
      // Enough allowance for the merchant's 99% but not for the fee.
      await f.usdc.write.approve([f.subs.address, PRICE - 1n], { account: f.subscriber.account });
      await f.subs.write.charge([id]);
      expect(await f.usdc.read.balanceOf([f.merchant.account.address])).to.equal(0n);
      expect((await f.subs.read.getSubscription([id])).status).to.equal(Status.PastDue);
    });

    it("a keeper cannot force PastDue by sending too little gas", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f);
      const publicClient = await viem.getPublicClient();
      const needed = await publicClient.estimateContractGas({
        address: f.subs.address,
        abi: f.subs.abi,
        functionName: "charge",
        args: [id],
        account: f.keeper.account,
      });
      let guarded = 0;
      for (let gas = 40_000n; gas < needed; gas += 1_000n) {
        await f.subs.write.charge([id], { account: f.keeper.account, gas }).catch((error: Error) => {
          if (error.message.includes("InsufficientGasForCharge")) guarded++;
        });
        const sub = await f.subs.read.getSubscription([id]);
        expect(sub.status, `gas ${gas}`).to.not.equal(Status.PastDue);
        if (sub.nextPeriod === 1) break;
      }
      // Some gas limits ran the self-call out of gas and hit the guard rather than marking the subscription.
      expect(guarded).to.be.greaterThan(0);
    });

    it("uses the fee in force at charge time (and none at zero)", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f);
      await f.subs.write.setFee([zeroAddress, 0]);
      await f.subs.write.charge([id]);
      expect(await f.usdc.read.balanceOf([f.merchant.account.address])).to.equal(PRICE);
    });

    it("executeCharge is only callable by the contract itself", async () => {
      const f = await loadFixture(deploy);
      await viem.assertions.revertWithCustomError(
        f.subs.write.executeCharge([
          f.usdc.address,
          f.subscriber.account.address,
          f.other.account.address,
          1n,
          f.other.account.address,
          0n,
        ]),
        f.subs,
        "OnlySelf",
      );
    });

    it("reverts for unknown and cancelled subscriptions", async () => {
      const f = await loadFixture(deploy);
      await viem.assertions.revertWithCustomErrorWithArgs(f.subs.write.charge([9n]), f.subs, "SubscriptionNotFound", [9n]);
      const id = await subscribe(f);
      await f.subs.write.cancel([id], { account: f.subscriber.account });
      await viem.assertions.revertWithCustomErrorWithArgs(f.subs.write.charge([id]), f.subs, "SubscriptionIsCancelled", [id]);
      expect(await f.subs.read.currentPeriod([id])).to.deep.equal([0n, false]);
    });
  });

  describe("chargeBatch", () => {
    it("charges, fails and skips item by item without reverting", async () => {
      const f = await loadFixture(deploy);
      const ok = await subscribe(f);
      const broke = await subscribe(f, 1n, f.other);
      const trial = await subscribe(f, 2n);
      const cancelled = await subscribe(f);
      await f.subs.write.cancel([cancelled], { account: f.merchant.account });
      await f.usdc.write.approve([f.subs.address, 0n], { account: f.other.account });
      const ids = [ok, broke, trial, cancelled, 99n, ok];
      const { result } = await f.subs.simulate.chargeBatch([ids], { account: f.keeper.account.address });
      expect(result).to.deep.equal([Result.Charged, Result.Failed, Result.Skipped, Result.Skipped, Result.Skipped, Result.Skipped]);
      const hash = f.subs.write.chargeBatch([ids], { account: f.keeper.account });
      await viem.assertions.emit(hash, f.subs, "SubscriptionChargeFailed");
      expect((await f.subs.read.getSubscription([ok])).nextPeriod).to.equal(1);
      expect((await f.subs.read.getSubscription([broke])).status).to.equal(Status.PastDue);
      // The duplicated id was charged once only.
      expect(await f.usdc.read.balanceOf([f.subscriber.account.address])).to.equal(1_000_000_000n - PRICE);
    });
  });

  describe("cancel", () => {
    it("either the subscriber or the merchant cancels, once, at any time", async () => {
      const f = await loadFixture(deploy);
      const a = await subscribe(f);
      const b = await subscribe(f);
      await viem.assertions.emitWithArgs(
        f.subs.write.cancel([a], { account: f.subscriber.account }),
        f.subs,
        "SubscriptionCancelled",
        [a, getAddress(f.subscriber.account.address)],
      );
      await viem.assertions.emitWithArgs(
        f.subs.write.cancel([b], { account: f.merchant.account }),
        f.subs,
        "SubscriptionCancelled",
        [b, getAddress(f.merchant.account.address)],
      );
      expect((await f.subs.read.getSubscription([a])).status).to.equal(Status.Cancelled);
      await viem.assertions.revertWithCustomError(f.subs.write.cancel([a], { account: f.subscriber.account }), f.subs, "SubscriptionIsCancelled");
    });

    it("a past-due subscription can be cancelled", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f);
      await f.usdc.write.approve([f.subs.address, 0n], { account: f.subscriber.account });
      await f.subs.write.charge([id]);
      await f.subs.write.cancel([id], { account: f.merchant.account });
      expect((await f.subs.read.getSubscription([id])).status).to.equal(Status.Cancelled);
    });

    it("nobody else can cancel", async () => {
      const f = await loadFixture(deploy);
      const id = await subscribe(f);
      for (const who of [f.keeper, f.owner, f.other]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          f.subs.write.cancel([id], { account: who.account }),
          f.subs,
          "NotSubscriberOrMerchant",
          [id],
        );
      }
      await viem.assertions.revertWithCustomError(f.subs.write.cancel([9n]), f.subs, "SubscriptionNotFound");
    });
  });

  describe("platform settings", () => {
    it("fee and token list are owner-only, capped, and ownership moves in two steps", async () => {
      const f = await loadFixture(deploy);
      await viem.assertions.revertWithCustomError(
        f.subs.write.setFee([f.other.account.address, 1], { account: f.other.account }),
        f.subs,
        "OwnableUnauthorizedAccount",
      );
      await viem.assertions.revertWithCustomError(f.subs.write.setFee([f.other.account.address, 501]), f.subs, "FeeTooHigh");
      await f.subs.write.transferOwnership([f.other.account.address]);
      expect(await f.subs.read.owner()).to.equal(getAddress(f.owner.account.address));
      await f.subs.write.acceptOwnership({ account: f.other.account });
      expect(await f.subs.read.owner()).to.equal(getAddress(f.other.account.address));
    });
  });
});
