// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPlatformFees} from "./IPlatformFees.sol";
import {ILoyaltyProgramFactory} from "./ILoyaltyProgramFactory.sol";

/// @title ILoyaltyCheckout
/// @notice Pays merchants in ERC-20s with the platform fee split off (the same fee logic as `PaymentRouter`),
/// and runs the merchants' loyalty programs on the way: points are minted when a payment settles, burned as a
/// discount inside the paying transaction, and clawed back when the payment is refunded.
/// @dev Relation to `PaymentRouter`: this is the loyalty-aware twin of `PaymentRouter.pay` / `refund` for
/// ERC-20s (same `(merchant, orderRef)` once-only settlement, same gross-amount fee rounding, same owner
/// settings via `PlatformFees`), kept separate only while the router has another owner; it is the single
/// "payment path" its `LoyaltyProgramFactory` authorises. Folding it into the router later means the router
/// deploys (or is given) the factory with itself as payment path and takes over these three functions.
///
/// Money rules:
/// - `amount` is the order's gross price. With points, `discount` points (1 point = 1 base unit of the
///   program's asset) are burned and the payer pays `cash = amount - discount`. The merchant funds the
///   discount: it receives `cash - fee`, and the platform fee is `cash * feeBps / 10_000`, on cash only.
/// - Points minted: `cash * rewardBps / 10_000` (rounded down), only when the merchant has a program and the
///   payment is in the program's asset. Points are never earned on the discounted part.
/// - Refunds (cash only, from the merchant's funds, at most the cash paid in total) claw back the points the
///   order earned in proportion to the cash refunded so far. Points the payer no longer holds (spent or moved)
///   are deducted from the cash refund, one base unit per point: the payer never keeps both. Points redeemed
///   on an order are spent and are not restored by its refund.
/// - Native coin is not supported here (loyalty assets are ERC-20s); use `PaymentRouter` for native payments.
interface ILoyaltyCheckout is IPlatformFees {
    /// @notice What the checkout remembers about an order (four storage slots; a payment writes three).
    /// @param payer Who paid; points are clawed back from this account.
    /// @param amount Gross price.
    /// @param token The token paid.
    /// @param discount Points redeemed.
    /// @param refunded Cash refunded so far (never above `amount - discount`).
    /// @param pointsMinted Points the order earned.
    /// @param pointsReversed Points already reversed by refunds: clawed back or deducted from the refund.
    struct Order {
        address payer;
        uint96 amount;
        address token;
        uint96 discount;
        uint96 refunded;
        uint96 pointsMinted;
        uint96 pointsReversed;
    }

    /// @notice Emitted once per order when it is paid.
    /// @param amount Gross price.
    /// @param discount Points redeemed (burned) as discount.
    /// @param merchantAmount Cash forwarded to the merchant.
    /// @param fee Cash forwarded to the platform fee recipient.
    /// @param program The merchant's loyalty program, `address(0)` if none.
    /// @param pointsMinted Points minted to the payer.
    event PaymentSettled(
        bytes32 indexed orderRef,
        address indexed merchant,
        address indexed payer,
        address token,
        uint256 amount,
        uint256 discount,
        uint256 merchantAmount,
        uint256 fee,
        address program,
        uint256 pointsMinted
    );

    /// @notice Emitted for every refund, full or partial.
    /// @param amount Refund requested (counts towards the refundable cash).
    /// @param cashRefunded Cash actually sent: `amount - pointsShortfall`.
    /// @param totalRefunded Sum of `amount` over the order's refunds.
    /// @param pointsClawedBack Points burned from the payer.
    /// @param pointsShortfall Points owed back that the payer no longer held, deducted from the cash refund.
    event PaymentRefunded(
        bytes32 indexed orderRef,
        address indexed merchant,
        address indexed to,
        address token,
        uint256 amount,
        uint256 cashRefunded,
        uint256 totalRefunded,
        uint256 pointsClawedBack,
        uint256 pointsShortfall
    );

    /// @notice Amount must be greater than zero.
    error ZeroAmount();

    /// @notice Amount does not fit the 96-bit order record.
    error AmountTooLarge(uint256 amount);

    /// @notice The merchant must not be the zero address.
    error InvalidMerchant();

    /// @notice `(merchant, orderRef)` has already been paid.
    error OrderAlreadySettled(address merchant, bytes32 orderRef);

    /// @notice No payment was recorded for `(merchant, orderRef)`.
    error PaymentNotFound(address merchant, bytes32 orderRef);

    /// @notice The refund would take total refunds above the cash paid.
    error RefundExceedsPayment(uint256 requested, uint256 refundable);

    /// @notice A refund needs a recipient.
    error InvalidRefundRecipient();

    /// @notice The merchant has no loyalty program.
    error NoLoyaltyProgram(address merchant);

    /// @notice Points are only redeemable on payments in the program's asset.
    error TokenNotLoyaltyAsset(address token, address asset);

    /// @notice More points than the order's price.
    error DiscountExceedsAmount(uint256 discount, uint256 amount);

    /// @notice The factory of the programs this checkout mints for (deployed by the checkout's constructor).
    function loyaltyFactory() external view returns (ILoyaltyProgramFactory);

    /// @notice Pays an order in an accepted ERC-20 the payer has approved; mints the merchant's points if any.
    function pay(bytes32 orderRef, address merchant, address token, uint256 amount) external;

    /// @notice Pays an order partly (or wholly) with the merchant's loyalty points: `discount` points are burned
    /// from the payer and the payer pays `amount - discount` in the program's asset.
    function payWithRedemption(bytes32 orderRef, address merchant, address token, uint256 amount, uint256 discount)
        external;

    /// @notice Refunds cash of an order, fully or in parts, from the merchant's funds (approve the checkout
    /// first), clawing back the points it earned. Only the merchant the order was paid to.
    /// @return cashRefunded The cash sent to `to`.
    function refund(bytes32 orderRef, address to, uint256 amount) external returns (uint256 cashRefunded);

    /// @notice The record of `(merchant, orderRef)`, zero if unpaid.
    function orderOf(address merchant, bytes32 orderRef) external view returns (Order memory);
}
