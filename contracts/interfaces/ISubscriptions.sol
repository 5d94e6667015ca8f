// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPlatformFees} from "./IPlatformFees.sol";

/// @title ISubscriptions
/// @notice Recurring ERC-20 payments: merchants publish plans, subscribers authorise a schedule (directly or by
/// an EIP-712 signature a relayer submits), and anyone (a keeper) charges each period at most once.
/// @dev Conventions:
/// - A plan is immutable once created (token, amount, period, trial); a merchant can only stop new sign-ups.
/// - Billing is anchored at `anchor = start + trial`; period `k` is `[anchor + k*period, anchor + (k+1)*period)`.
///   A charge always bills the current period `k`, and only if `k >= nextPeriod`; success sets
///   `nextPeriod = k + 1`, so no period is ever charged twice. Periods nobody charged in time are skipped, never
///   charged later (no back-billing), which the gateway sees as a gap in `periodIndex`.
/// - Charges pull `amount` from the subscriber with the ERC-20 allowance the subscriber gave this contract:
///   `amount - fee` to the merchant and `fee` to the platform (fee taken from the merchant's share, per the
///   current `feeConfig`). A failed pull (allowance, balance, blacklist, any token revert) does not revert:
///   the subscription becomes PastDue, `SubscriptionChargeFailed` is emitted and the period stays chargeable,
///   so a keeper can retry; the next successful charge makes it Active again.
/// - Either side can cancel at any time; Cancelled is final.
/// - Only accepted ERC-20s (see `IPlatformFees`) can be used; native coin cannot be pulled and is not supported.
interface ISubscriptions is IPlatformFees {
    /// @notice Status of a subscription. `None` means the id does not exist.
    enum Status {
        None,
        Active,
        PastDue,
        Cancelled
    }

    /// @notice Outcome of one item of `chargeBatch`.
    enum ChargeResult {
        Charged,
        Failed,
        Skipped
    }

    /// @notice A merchant's plan (two slots).
    struct Plan {
        address merchant;
        uint96 amount;
        address token;
        uint32 period;
        uint32 trial;
        bool active;
    }

    /// @notice A subscription (two slots).
    /// @param anchor When period 0 starts (`start + trial`).
    /// @param nextPeriod The first period index that may still be charged.
    struct Subscription {
        address subscriber;
        uint40 anchor;
        uint32 nextPeriod;
        Status status;
        uint256 planId;
    }

    /// @notice What a subscriber signs so a relayer can create the subscription (EIP-712).
    /// @param subscriber The signer, who will be charged.
    /// @param planId The plan subscribed to.
    /// @param maxAmount The most the subscriber accepts per period; must be at least the plan's amount.
    /// @param period The period the subscriber agreed to; must equal the plan's.
    /// @param start When the schedule starts (trial, then period 0); may be in the past or the future.
    /// @param nonce The subscriber's current nonce (`nonces(subscriber)`), consumed on use.
    /// @param deadline The signature is not valid after this time.
    struct SubscriptionTerms {
        address subscriber;
        uint256 planId;
        uint256 maxAmount;
        uint32 period;
        uint40 start;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice Emitted when a merchant creates a plan.
    event PlanCreated(
        uint256 indexed planId, address indexed merchant, address token, uint256 amount, uint32 period, uint32 trial
    );

    /// @notice Emitted when a merchant opens or closes a plan to new subscriptions.
    event PlanActiveUpdated(uint256 indexed planId, bool active);

    /// @notice Emitted when a subscription is created.
    /// @param anchor When the first period (after the trial) starts.
    event Subscribed(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber, uint40 anchor);

    /// @notice Emitted for every successful charge; `amount = merchantAmount + fee`.
    /// @param periodIndex The period billed (0 is the first period after the trial).
    event SubscriptionCharged(
        uint256 indexed subscriptionId,
        address indexed merchant,
        address indexed subscriber,
        uint256 planId,
        address token,
        uint256 amount,
        uint256 merchantAmount,
        uint256 fee,
        uint256 periodIndex
    );

    /// @notice Emitted when a charge's transfer failed; the subscription is now PastDue.
    /// @param reason The revert data of the failed transfer (empty for a `false` return or a call to no code).
    event SubscriptionChargeFailed(uint256 indexed subscriptionId, uint256 periodIndex, bytes reason);

    /// @notice Emitted when the subscriber or the merchant cancels.
    event SubscriptionCancelled(uint256 indexed subscriptionId, address indexed by);

    /// @notice Emitted when a subscriber burns a nonce to invalidate a signature it gave out.
    event NonceInvalidated(address indexed subscriber, uint256 nonce);

    /// @notice Amount must be greater than zero.
    error ZeroAmount();

    /// @notice Amount does not fit 96 bits.
    error AmountTooLarge(uint256 amount);

    /// @notice The period is outside `[MIN_PERIOD, MAX_PERIOD]`.
    error InvalidPeriod(uint32 period);

    /// @notice The trial is longer than `MAX_TRIAL`.
    error InvalidTrial(uint32 trial);

    /// @notice No plan has this id.
    error PlanNotFound(uint256 planId);

    /// @notice The plan takes no new subscriptions.
    error PlanInactive(uint256 planId);

    /// @notice Only the plan's merchant may do this.
    error NotMerchant(uint256 planId);

    /// @notice The plan costs more than the subscriber authorised.
    error AmountAboveMax(uint256 amount, uint256 maxAmount);

    /// @notice The signed period differs from the plan's.
    error PeriodMismatch(uint32 signed, uint32 plan);

    /// @notice The signature's deadline has passed.
    error SignatureExpired(uint256 deadline);

    /// @notice The signature is not the subscriber's.
    error InvalidSignature();

    /// @notice The start time does not fit 40 bits once the trial is added.
    error InvalidStart(uint40 start);

    /// @notice No subscription has this id.
    error SubscriptionNotFound(uint256 subscriptionId);

    /// @notice The subscription is cancelled.
    error SubscriptionIsCancelled(uint256 subscriptionId);

    /// @notice Only the subscriber or the plan's merchant may cancel.
    error NotSubscriberOrMerchant(uint256 subscriptionId);

    /// @notice No period is due yet (trial or start still ahead); the first one starts at `anchor`.
    error NotDue(uint256 subscriptionId, uint256 anchor);

    /// @notice The current period was already charged.
    error AlreadyCharged(uint256 subscriptionId, uint256 periodIndex);

    /// @notice The charge's transfer ran out of gas: the keeper sent too little gas, which must not be able to
    /// put a subscription past due.
    error InsufficientGasForCharge();

    /// @notice `executeCharge` is only callable by this contract.
    error OnlySelf();

    /// @notice The shortest plan period: 1 hour.
    function MIN_PERIOD() external view returns (uint32);

    /// @notice The longest plan period: 366 days.
    function MAX_PERIOD() external view returns (uint32);

    /// @notice The longest trial: 366 days.
    function MAX_TRIAL() external view returns (uint32);

    /// @notice The EIP-712 typehash of `SubscriptionTerms`.
    function SUBSCRIPTION_TERMS_TYPEHASH() external view returns (bytes32);

    /// @notice Creates a plan paid to `msg.sender` in an accepted ERC-20.
    /// @return planId The new plan's id (sequential from 1).
    function createPlan(address token, uint256 amount, uint32 period, uint32 trial) external returns (uint256 planId);

    /// @notice Opens or closes a plan to new subscriptions (existing ones are unaffected). Only its merchant.
    function setPlanActive(uint256 planId, bool active) external;

    /// @notice Subscribes `msg.sender` to an active plan starting now. `maxAmount` guards against a plan id
    /// mix-up: it must be at least the plan's amount. Approve this contract for the charges separately.
    /// @return subscriptionId The new subscription's id (sequential from 1).
    function subscribe(uint256 planId, uint256 maxAmount) external returns (uint256 subscriptionId);

    /// @notice Creates a subscription from terms the subscriber signed (EIP-712; ERC-1271 contract wallets are
    /// supported). Anyone may submit it. Consumes the subscriber's nonce.
    function subscribeWithSignature(SubscriptionTerms calldata terms, bytes calldata signature)
        external
        returns (uint256 subscriptionId);

    /// @notice Burns the caller's current nonce, invalidating any signature made with it.
    function invalidateNonce() external;

    /// @notice Charges the current period. Reverts if nothing is due (trial, already charged, cancelled); does
    /// not revert if the transfer fails: returns false and leaves the subscription PastDue.
    function charge(uint256 subscriptionId) external returns (bool charged);

    /// @notice Charges many subscriptions; an item that is not due is skipped and a failed transfer marks only
    /// that item PastDue, so one bad subscription never stops the batch.
    function chargeBatch(uint256[] calldata subscriptionIds) external returns (ChargeResult[] memory results);

    /// @notice Cancels a subscription. The subscriber or the plan's merchant, at any time.
    function cancel(uint256 subscriptionId) external;

    /// @notice Moves one charge's tokens; only callable by this contract, so a failed transfer can be caught
    /// as a whole (both legs or neither) without reverting the keeper's transaction.
    function executeCharge(
        address token,
        address from,
        address merchant,
        uint256 merchantAmount,
        address feeRecipient,
        uint256 fee
    ) external;

    /// @notice The period index that is current for `subscriptionId`, and whether it can be charged now.
    function currentPeriod(uint256 subscriptionId) external view returns (uint256 periodIndex, bool due);

    /// @notice The plan `planId` (all zero if it does not exist).
    function getPlan(uint256 planId) external view returns (Plan memory);

    /// @notice The subscription `subscriptionId` (all zero if it does not exist).
    function getSubscription(uint256 subscriptionId) external view returns (Subscription memory);

    /// @notice The subscriber's next EIP-712 nonce.
    function nonces(address subscriber) external view returns (uint256);

    /// @notice The id the next plan will get.
    function nextPlanId() external view returns (uint256);

    /// @notice The id the next subscription will get.
    function nextSubscriptionId() external view returns (uint256);
}
