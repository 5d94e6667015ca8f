// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IPaymentRouter} from "../interfaces/IPaymentRouter.sol";
import {PlatformFees} from "./PlatformFees.sol";

/// @title PaymentRouter
/// @notice Pays CoinPays orders from a connected wallet, splitting the platform fee off in the same
/// transaction, and lets merchants refund them.
/// @dev Holds no funds between transactions: every payment is forwarded straight from the payer to the
/// merchant and the fee recipient. The only state is one slot per settled order and one per refunded order.
contract PaymentRouter is IPaymentRouter, PlatformFees, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    mapping(address merchant => mapping(bytes32 orderRef => Settlement)) private _settlements;
    mapping(address merchant => mapping(bytes32 orderRef => uint256)) private _refunded;

    constructor(address initialOwner, address feeRecipient, uint16 feeBps)
        PlatformFees(initialOwner, feeRecipient, feeBps)
    {}

    /// @inheritdoc IPaymentRouter
    function pay(bytes32 orderRef, address merchant, address token, uint256 amount)
        external
        payable
        nonReentrant
    {
        _settle(orderRef, merchant, token, amount);
    }

    /// @inheritdoc IPaymentRouter
    function payWithPermit(
        bytes32 orderRef,
        address merchant,
        address token,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        // Permit is for ERC-20s only; checking here also keeps the `try` below from calling a non-contract.
        if (token == address(0) || !isTokenAccepted[token]) revert TokenNotAccepted(token);
        if (block.timestamp > deadline) revert PermitExpired(deadline);
        // A permit can be front-run from the mempool; the payment must then still succeed on the allowance
        // the front-runner's call granted, so a failed permit only matters if no allowance is in place.
        try IERC20Permit(token).permit(msg.sender, address(this), amount, deadline, v, r, s) {}
        catch {
            if (IERC20(token).allowance(msg.sender, address(this)) < amount) {
                revert InvalidPermit(token, msg.sender);
            }
        }
        _settle(orderRef, merchant, token, amount);
    }

    /// @inheritdoc IPaymentRouter
    function refund(bytes32 orderRef, address to, uint256 amount) external payable nonReentrant {
        Settlement memory settlement = _settlements[msg.sender][orderRef];
        if (settlement.amount == 0) revert PaymentNotFound(msg.sender, orderRef);
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert InvalidRefundRecipient();

        uint256 refundedBefore = _refunded[msg.sender][orderRef];
        uint256 refundable = settlement.amount - refundedBefore;
        if (amount > refundable) revert RefundExceedsPayment(amount, refundable);
        uint256 totalRefunded = refundedBefore + amount;
        _refunded[msg.sender][orderRef] = totalRefunded;

        if (settlement.token == address(0)) {
            if (msg.value != amount) revert NativeValueMismatch(amount, msg.value);
            _sendNative(to, amount);
        } else {
            if (msg.value != 0) revert NativeValueMismatch(0, msg.value);
            IERC20(settlement.token).safeTransferFrom(msg.sender, to, amount);
        }
        emit PaymentRefunded(orderRef, msg.sender, to, settlement.token, amount, totalRefunded);
    }

    /// @inheritdoc IPaymentRouter
    function settlementOf(address merchant, bytes32 orderRef) external view returns (Settlement memory) {
        return _settlements[merchant][orderRef];
    }

    /// @inheritdoc IPaymentRouter
    function refundedOf(address merchant, bytes32 orderRef) external view returns (uint256) {
        return _refunded[merchant][orderRef];
    }

    /// @dev Checks, records the settlement, then moves funds (checks-effects-interactions; the transient
    /// reentrancy guard covers tokens with hooks).
    function _settle(bytes32 orderRef, address merchant, address token, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint96).max) revert AmountTooLarge(amount);
        if (merchant == address(0)) revert InvalidMerchant();
        if (!isTokenAccepted[token]) revert TokenNotAccepted(token);
        Settlement storage settlement = _settlements[merchant][orderRef];
        if (settlement.amount != 0) revert OrderAlreadySettled(merchant, orderRef);
        // Safe cast: bounded by the AmountTooLarge check above.
        _settlements[merchant][orderRef] = Settlement({token: token, amount: uint96(amount)});

        (address feeRecipient, uint16 feeBps) = feeConfig();
        uint256 fee = _feeOf(amount, feeBps);
        uint256 merchantAmount;
        // Cannot underflow: fee <= amount because feeBps <= MAX_FEE_BPS < BPS_DENOMINATOR.
        unchecked {
            merchantAmount = amount - fee;
        }

        if (token == address(0)) {
            if (msg.value != amount) revert NativeValueMismatch(amount, msg.value);
            _sendNative(merchant, merchantAmount);
            if (fee != 0) _sendNative(feeRecipient, fee);
        } else {
            if (msg.value != 0) revert NativeValueMismatch(0, msg.value);
            IERC20(token).safeTransferFrom(msg.sender, merchant, merchantAmount);
            if (fee != 0) IERC20(token).safeTransferFrom(msg.sender, feeRecipient, fee);
        }
        emit PaymentSettled(orderRef, merchant, msg.sender, token, amount, merchantAmount, fee);
    }

    function _sendNative(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert NativeTransferFailed(to);
    }
}
