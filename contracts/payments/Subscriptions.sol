// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ISubscriptions} from "../interfaces/ISubscriptions.sol";
import {PlatformFees} from "./PlatformFees.sol";

/// @title Subscriptions
/// @notice Merchant plans, subscriber-authorised schedules and keeper-driven charges, at most one per period.
/// @dev Holds no funds: each charge moves tokens straight from the subscriber to the merchant and the fee
/// recipient. Both legs run inside one self-call (`executeCharge`) wrapped in try/catch, so a failing token
/// transfer rolls back both legs and only marks the subscription PastDue instead of reverting the keeper's
/// transaction. A keeper that forwards too little gas cannot abuse this: a self-call that ran out of gas makes
/// the whole charge revert (`InsufficientGasForCharge`) rather than count as the subscriber's failure.
contract Subscriptions is ISubscriptions, PlatformFees, EIP712, Nonces, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc ISubscriptions
    uint32 public constant MIN_PERIOD = 1 hours;

    /// @inheritdoc ISubscriptions
    uint32 public constant MAX_PERIOD = 366 days;

    /// @inheritdoc ISubscriptions
    uint32 public constant MAX_TRIAL = 366 days;

    /// @inheritdoc ISubscriptions
    bytes32 public constant SUBSCRIPTION_TERMS_TYPEHASH = keccak256(
        "SubscriptionTerms(address subscriber,uint256 planId,uint256 maxAmount,uint32 period,uint40 start,uint256 nonce,uint256 deadline)"
    );

    /// @inheritdoc ISubscriptions
    uint256 public nextPlanId = 1;

    /// @inheritdoc ISubscriptions
    uint256 public nextSubscriptionId = 1;

    mapping(uint256 planId => Plan) private _plans;
    mapping(uint256 subscriptionId => Subscription) private _subscriptions;

    constructor(address initialOwner, address feeRecipient, uint16 feeBps)
        PlatformFees(initialOwner, feeRecipient, feeBps)
        EIP712("CoinPays Subscriptions", "1")
    {}

    /// @inheritdoc ISubscriptions
    function createPlan(address token, uint256 amount, uint32 period, uint32 trial)
        external
        returns (uint256 planId)
    {
        if (token == address(0) || !isTokenAccepted[token]) revert TokenNotAccepted(token);
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint96).max) revert AmountTooLarge(amount);
        if (period < MIN_PERIOD || period > MAX_PERIOD) revert InvalidPeriod(period);
        if (trial > MAX_TRIAL) revert InvalidTrial(trial);

        planId = nextPlanId;
        // Cannot overflow: one increment per call starting from 1.
        unchecked {
            nextPlanId = planId + 1;
        }
        // Safe cast: bounded by the AmountTooLarge check above.
        _plans[planId] = Plan({
            merchant: msg.sender, amount: uint96(amount), token: token, period: period, trial: trial, active: true
        });
        emit PlanCreated(planId, msg.sender, token, amount, period, trial);
    }

    /// @inheritdoc ISubscriptions
    function setPlanActive(uint256 planId, bool active) external {
        Plan storage plan = _plans[planId];
        address merchant = plan.merchant;
        if (merchant == address(0)) revert PlanNotFound(planId);
        if (msg.sender != merchant) revert NotMerchant(planId);
        plan.active = active;
        emit PlanActiveUpdated(planId, active);
    }

    /// @inheritdoc ISubscriptions
    function subscribe(uint256 planId, uint256 maxAmount) external returns (uint256) {
        Plan storage plan = _plans[planId];
        _checkPlan(planId, plan, maxAmount);
        // Safe cast: block timestamps fit 40 bits for the next 30,000 years.
        return _subscribe(msg.sender, planId, uint40(block.timestamp), plan.trial);
    }

    /// @inheritdoc ISubscriptions
    function subscribeWithSignature(SubscriptionTerms calldata terms, bytes calldata signature)
        external
        returns (uint256)
    {
        if (block.timestamp > terms.deadline) revert SignatureExpired(terms.deadline);
        Plan storage plan = _plans[terms.planId];
        _checkPlan(terms.planId, plan, terms.maxAmount);
        if (terms.period != plan.period) revert PeriodMismatch(terms.period, plan.period);

        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    SUBSCRIPTION_TERMS_TYPEHASH,
                    terms.subscriber,
                    terms.planId,
                    terms.maxAmount,
                    terms.period,
                    terms.start,
                    terms.nonce,
                    terms.deadline
                )
            )
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(terms.subscriber, digest, signature)) {
            revert InvalidSignature();
        }
        _useCheckedNonce(terms.subscriber, terms.nonce);
        return _subscribe(terms.subscriber, terms.planId, terms.start, plan.trial);
    }

    /// @inheritdoc ISubscriptions
    function invalidateNonce() external {
        emit NonceInvalidated(msg.sender, _useNonce(msg.sender));
    }

    /// @inheritdoc ISubscriptions
    function charge(uint256 subscriptionId) external nonReentrant returns (bool) {
        Subscription storage sub = _subscriptions[subscriptionId];
        Status status = sub.status;
        if (status == Status.None) revert SubscriptionNotFound(subscriptionId);
        if (status == Status.Cancelled) revert SubscriptionIsCancelled(subscriptionId);
        Plan storage plan = _plans[sub.planId];
        uint256 anchor = sub.anchor;
        if (block.timestamp < anchor) revert NotDue(subscriptionId, anchor);
        uint256 periodIndex = _periodIndex(anchor, plan.period);
        if (periodIndex < sub.nextPeriod) revert AlreadyCharged(subscriptionId, periodIndex);
        return _charge(subscriptionId, sub, plan, periodIndex);
    }

    /// @inheritdoc ISubscriptions
    function chargeBatch(uint256[] calldata subscriptionIds)
        external
        nonReentrant
        returns (ChargeResult[] memory results)
    {
        uint256 length = subscriptionIds.length;
        results = new ChargeResult[](length);
        for (uint256 i; i < length; ++i) {
            uint256 subscriptionId = subscriptionIds[i];
            Subscription storage sub = _subscriptions[subscriptionId];
            Status status = sub.status;
            uint256 anchor = sub.anchor;
            if (status == Status.None || status == Status.Cancelled || block.timestamp < anchor) {
                results[i] = ChargeResult.Skipped;
                continue;
            }
            Plan storage plan = _plans[sub.planId];
            uint256 periodIndex = _periodIndex(anchor, plan.period);
            if (periodIndex < sub.nextPeriod) {
                results[i] = ChargeResult.Skipped;
                continue;
            }
            results[i] = _charge(subscriptionId, sub, plan, periodIndex) ? ChargeResult.Charged : ChargeResult.Failed;
        }
    }

    /// @inheritdoc ISubscriptions
    function cancel(uint256 subscriptionId) external {
        Subscription storage sub = _subscriptions[subscriptionId];
        Status status = sub.status;
        if (status == Status.None) revert SubscriptionNotFound(subscriptionId);
        if (status == Status.Cancelled) revert SubscriptionIsCancelled(subscriptionId);
        if (msg.sender != sub.subscriber && msg.sender != _plans[sub.planId].merchant) {
            revert NotSubscriberOrMerchant(subscriptionId);
        }
        sub.status = Status.Cancelled;
        emit SubscriptionCancelled(subscriptionId, msg.sender);
    }

    /// @inheritdoc ISubscriptions
    function executeCharge(
        address token,
        address from,
        address merchant,
        uint256 merchantAmount,
        address feeRecipient,
        uint256 fee
    ) external {
        if (msg.sender != address(this)) revert OnlySelf();
        IERC20(token).safeTransferFrom(from, merchant, merchantAmount);
        if (fee != 0) IERC20(token).safeTransferFrom(from, feeRecipient, fee);
    }

    /// @inheritdoc ISubscriptions
    function currentPeriod(uint256 subscriptionId) external view returns (uint256 periodIndex, bool due) {
        Subscription storage sub = _subscriptions[subscriptionId];
        uint256 anchor = sub.anchor;
        if (block.timestamp < anchor) return (0, false);
        periodIndex = _periodIndex(anchor, _plans[sub.planId].period);
        Status status = sub.status;
        due = (status == Status.Active || status == Status.PastDue) && periodIndex >= sub.nextPeriod;
    }

    /// @inheritdoc ISubscriptions
    function getPlan(uint256 planId) external view returns (Plan memory) {
        return _plans[planId];
    }

    /// @inheritdoc ISubscriptions
    function getSubscription(uint256 subscriptionId) external view returns (Subscription memory) {
        return _subscriptions[subscriptionId];
    }

    /// @inheritdoc ISubscriptions
    function nonces(address subscriber) public view override(ISubscriptions, Nonces) returns (uint256) {
        return super.nonces(subscriber);
    }

    /// @dev Checks that a plan exists, takes sign-ups and costs at most `maxAmount`.
    function _checkPlan(uint256 planId, Plan storage plan, uint256 maxAmount) private view {
        if (plan.merchant == address(0)) revert PlanNotFound(planId);
        if (!plan.active) revert PlanInactive(planId);
        if (plan.amount > maxAmount) revert AmountAboveMax(plan.amount, maxAmount);
    }

    function _subscribe(address subscriber, uint256 planId, uint40 start, uint32 trial)
        private
        returns (uint256 subscriptionId)
    {
        uint256 anchor = uint256(start) + trial;
        if (anchor > type(uint40).max) revert InvalidStart(start);
        subscriptionId = nextSubscriptionId;
        // Cannot overflow: one increment per call starting from 1.
        unchecked {
            nextSubscriptionId = subscriptionId + 1;
        }
        // Safe cast: bounded by the InvalidStart check above.
        _subscriptions[subscriptionId] = Subscription({
            subscriber: subscriber, anchor: uint40(anchor), nextPeriod: 0, status: Status.Active, planId: planId
        });
        emit Subscribed(subscriptionId, planId, subscriber, uint40(anchor));
    }

    /// @dev Charges period `periodIndex`, already checked to be due. Effects first: the period is recorded as
    /// paid before the transfer and restored if the transfer fails (the reentrancy guard covers token hooks).
    function _charge(uint256 subscriptionId, Subscription storage sub, Plan storage plan, uint256 periodIndex)
        private
        returns (bool)
    {
        uint32 previousNextPeriod = sub.nextPeriod;
        // Safe cast: with MIN_PERIOD = 1 hour, 2^32 periods take 490,000 years.
        sub.nextPeriod = uint32(periodIndex + 1);
        sub.status = Status.Active;

        uint256 amount = plan.amount;
        (address feeRecipient, uint16 feeBps) = feeConfig();
        uint256 fee = _feeOf(amount, feeBps);
        uint256 merchantAmount;
        // Cannot underflow: fee <= amount because feeBps <= MAX_FEE_BPS < BPS_DENOMINATOR.
        unchecked {
            merchantAmount = amount - fee;
        }

        (bool ok, bytes memory reason) = _tryTransfer(sub.subscriber, plan, merchantAmount, feeRecipient, fee);
        if (ok) {
            _emitCharged(subscriptionId, sub, plan, merchantAmount, fee, periodIndex);
        } else {
            sub.nextPeriod = previousNextPeriod;
            sub.status = Status.PastDue;
            emit SubscriptionChargeFailed(subscriptionId, periodIndex, reason);
        }
        return ok;
    }

    /// @dev Emits `SubscriptionCharged` (its own frame: the event has more fields than the stack has room for).
    function _emitCharged(
        uint256 subscriptionId,
        Subscription storage sub,
        Plan storage plan,
        uint256 merchantAmount,
        uint256 fee,
        uint256 periodIndex
    ) private {
        emit SubscriptionCharged(
            subscriptionId,
            plan.merchant,
            sub.subscriber,
            sub.planId,
            plan.token,
            merchantAmount + fee,
            merchantAmount,
            fee,
            periodIndex
        );
    }

    /// @dev Runs both legs of a charge in one self-call and reports whether it succeeded.
    function _tryTransfer(
        address subscriber,
        Plan storage plan,
        uint256 merchantAmount,
        address feeRecipient,
        uint256 fee
    ) private returns (bool ok, bytes memory reason) {
        uint256 gasBefore = gasleft();
        try this.executeCharge(plan.token, subscriber, plan.merchant, merchantAmount, feeRecipient, fee) {
            return (true, "");
        } catch (bytes memory data) {
            // An out-of-gas self-call leaves at most 1/64 of the gas behind; that failure is the keeper's, not
            // the subscriber's, so it must not mark the subscription past due.
            if (gasleft() <= gasBefore / 64) revert InsufficientGasForCharge();
            return (false, data);
        }
    }

    /// @dev Index of the period containing `block.timestamp`; the caller ensures `block.timestamp >= anchor`.
    function _periodIndex(uint256 anchor, uint256 period) private view returns (uint256) {
        return (block.timestamp - anchor) / period;
    }
}
