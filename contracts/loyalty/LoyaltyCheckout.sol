// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ILoyaltyCheckout} from "../interfaces/ILoyaltyCheckout.sol";
import {ILoyaltyProgramFactory} from "../interfaces/ILoyaltyProgramFactory.sol";
import {ILoyaltyToken} from "../interfaces/ILoyaltyToken.sol";
import {PlatformFees} from "../payments/PlatformFees.sol";
import {LoyaltyProgramFactory} from "./LoyaltyProgramFactory.sol";

/// @title LoyaltyCheckout
/// @notice ERC-20 payment entry point with merchant loyalty programs; see `ILoyaltyCheckout` for the money rules
/// and how it relates to `PaymentRouter`.
/// @dev Deploys its own `LoyaltyProgramFactory` with itself as the payment path, so the authorisation is
/// wired at construction and can never point anywhere else. Holds no funds between transactions: cash moves
/// straight from the payer to the merchant and the fee recipient, refunds straight from the merchant.
contract LoyaltyCheckout is ILoyaltyCheckout, PlatformFees, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc ILoyaltyCheckout
    ILoyaltyProgramFactory public immutable loyaltyFactory;

    mapping(address merchant => mapping(bytes32 orderRef => Order)) private _orders;

    constructor(address initialOwner, address feeRecipient, uint16 feeBps)
        PlatformFees(initialOwner, feeRecipient, feeBps)
    {
        loyaltyFactory = new LoyaltyProgramFactory(address(this));
    }

    /// @inheritdoc ILoyaltyCheckout
    function pay(bytes32 orderRef, address merchant, address token, uint256 amount) external nonReentrant {
        _settle(orderRef, merchant, token, amount, 0);
    }

    /// @inheritdoc ILoyaltyCheckout
    function payWithRedemption(bytes32 orderRef, address merchant, address token, uint256 amount, uint256 discount)
        external
        nonReentrant
    {
        if (discount == 0) revert ZeroAmount();
        if (discount > amount) revert DiscountExceedsAmount(discount, amount);
        _settle(orderRef, merchant, token, amount, discount);
    }

    /// @inheritdoc ILoyaltyCheckout
    function refund(bytes32 orderRef, address to, uint256 amount)
        external
        nonReentrant
        returns (uint256 cashRefunded)
    {
        Order storage order = _orders[msg.sender][orderRef];
        uint256 gross = order.amount;
        if (gross == 0) revert PaymentNotFound(msg.sender, orderRef);
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert InvalidRefundRecipient();

        uint256 cashPaid = gross - order.discount;
        uint256 refundedBefore = order.refunded;
        uint256 refundable = cashPaid - refundedBefore;
        if (amount > refundable) revert RefundExceedsPayment(amount, refundable);
        uint256 totalRefunded = refundedBefore + amount;
        // Safe cast: totalRefunded <= cashPaid <= gross, which fits 96 bits.
        order.refunded = uint96(totalRefunded);

        (uint256 clawedBack, uint256 shortfall) = _reversePoints(order, totalRefunded, cashPaid);
        // Cannot underflow: owed <= amount, because pointsMinted <= cashPaid (reward rate <= 100%), so the
        // cumulative reverse target grows by at most the cash refunded; shortfall <= owed.
        unchecked {
            cashRefunded = amount - shortfall;
        }
        address token = order.token;
        if (cashRefunded != 0) IERC20(token).safeTransferFrom(msg.sender, to, cashRefunded);
        emit PaymentRefunded(orderRef, msg.sender, to, token, amount, cashRefunded, totalRefunded, clawedBack, shortfall);
    }

    /// @inheritdoc ILoyaltyCheckout
    function orderOf(address merchant, bytes32 orderRef) external view returns (Order memory) {
        return _orders[merchant][orderRef];
    }

    /// @dev Reverses the points an order earned in proportion to the cash refunded so far (`cashPaid > 0` here,
    /// because something was refundable). Cumulative, so partial refunds add up to exactly `pointsMinted` on a
    /// full refund. Claws back what the payer holds; the rest is the shortfall deducted from the cash refund.
    function _reversePoints(Order storage order, uint256 totalRefunded, uint256 cashPaid)
        private
        returns (uint256 clawedBack, uint256 shortfall)
    {
        uint256 pointsMinted = order.pointsMinted;
        if (pointsMinted == 0) return (0, 0);
        uint256 reverseTarget = pointsMinted * totalRefunded / cashPaid;
        uint256 owed = reverseTarget - order.pointsReversed;
        if (owed == 0) return (0, 0);
        // Safe cast: reverseTarget <= pointsMinted, which fits 96 bits.
        order.pointsReversed = uint96(reverseTarget);
        ILoyaltyToken program = ILoyaltyToken(loyaltyFactory.programOf(msg.sender));
        address payer = order.payer;
        uint256 held = program.balanceOf(payer);
        clawedBack = owed < held ? owed : held;
        if (clawedBack != 0) program.clawBack(payer, clawedBack);
        // Cannot underflow: clawedBack <= owed.
        unchecked {
            shortfall = owed - clawedBack;
        }
    }

    /// @dev Checks, records the order, burns redeemed points, moves cash, then mints earned points
    /// (checks-effects-interactions; the transient reentrancy guard covers tokens with hooks).
    function _settle(bytes32 orderRef, address merchant, address token, uint256 amount, uint256 discount) private {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint96).max) revert AmountTooLarge(amount);
        if (merchant == address(0)) revert InvalidMerchant();
        if (token == address(0) || !isTokenAccepted[token]) revert TokenNotAccepted(token);
        (address program, uint256 pointsMinted) = _record(orderRef, merchant, token, amount, discount);

        if (discount != 0) ILoyaltyToken(program).redeem(msg.sender, discount);
        // Cannot underflow: the callers ensure discount <= amount.
        unchecked {
            amount -= discount;
        }
        (uint256 merchantAmount, uint256 fee) = _collect(merchant, token, amount);
        if (pointsMinted != 0) ILoyaltyToken(program).mint(msg.sender, pointsMinted);
        emit PaymentSettled(
            orderRef, merchant, msg.sender, token, amount + discount, discount, merchantAmount, fee, program, pointsMinted
        );
    }

    /// @dev Looks up the merchant's program, computes the points earned on the cash part and stores the order.
    function _record(bytes32 orderRef, address merchant, address token, uint256 amount, uint256 discount)
        private
        returns (address program, uint256 pointsMinted)
    {
        Order storage order = _orders[merchant][orderRef];
        if (order.amount != 0) revert OrderAlreadySettled(merchant, orderRef);
        program = loyaltyFactory.programOf(merchant);
        uint256 rewardBps;
        if (program != address(0)) {
            (address asset, uint16 bps) = ILoyaltyToken(program).terms();
            if (asset == token) {
                rewardBps = bps;
            } else if (discount != 0) {
                revert TokenNotLoyaltyAsset(token, asset);
            }
        } else if (discount != 0) {
            revert NoLoyaltyProgram(merchant);
        }
        // Cannot underflow: the callers ensure discount <= amount. rewardBps <= MAX_REWARD_BPS (100%), so
        // pointsMinted <= cash < 2^96.
        unchecked {
            pointsMinted = (amount - discount) * rewardBps / BPS_DENOMINATOR;
        }
        // Safe casts: amount < 2^96 (checked by the caller), discount <= amount, pointsMinted <= amount.
        order.payer = msg.sender;
        order.amount = uint96(amount);
        order.token = token;
        order.discount = uint96(discount);
        order.pointsMinted = uint96(pointsMinted);
    }

    /// @dev Moves `cash` from the payer: the fee to the fee recipient, the rest to the merchant.
    function _collect(address merchant, address token, uint256 cash)
        private
        returns (uint256 merchantAmount, uint256 fee)
    {
        (address feeRecipient, uint16 feeBps) = feeConfig();
        fee = _feeOf(cash, feeBps);
        // Cannot underflow: fee <= cash because feeBps <= MAX_FEE_BPS < BPS_DENOMINATOR.
        unchecked {
            merchantAmount = cash - fee;
        }
        if (merchantAmount != 0) IERC20(token).safeTransferFrom(msg.sender, merchant, merchantAmount);
        if (fee != 0) IERC20(token).safeTransferFrom(msg.sender, feeRecipient, fee);
    }
}
