// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPlatformFees} from "./IPlatformFees.sol";

/// @title IPaymentRouter
/// @notice Direct payments from a connected wallet: the payer pays an order's exact amount, the platform fee
/// is split off in the same transaction, and the order reference is settled at most once per merchant.
/// @dev Conventions:
/// - `token == address(0)` is the chain's native coin; anything else must be an accepted ERC-20.
/// - An order is identified by `(merchant, orderRef)`: keying by merchant means nobody can block a merchant's
///   order by settling its reference towards somebody else.
/// - Amounts are gross: `amount = merchantAmount + fee`, `fee = amount * feeBps / 10_000` rounded down.
/// - Fee-on-transfer and rebasing tokens are rejected: they are never put on the accepted list, because the
///   router forwards exact amounts and does not account by balance delta.
interface IPaymentRouter is IPlatformFees {
    /// @notice What the router remembers about a settled order (one storage slot).
    /// @param token The token paid, `address(0)` for native coin.
    /// @param amount The gross amount paid.
    struct Settlement {
        address token;
        uint96 amount;
    }

    /// @notice Emitted once per order when it is paid.
    /// @param orderRef The gateway's reference for the order.
    /// @param merchant Where the merchant's share went (an account or a split).
    /// @param payer Who paid (`msg.sender`).
    /// @param token The token paid, `address(0)` for native coin.
    /// @param amount Gross amount paid.
    /// @param merchantAmount Amount forwarded to `merchant`.
    /// @param fee Amount forwarded to the platform fee recipient.
    event PaymentSettled(
        bytes32 indexed orderRef,
        address indexed merchant,
        address indexed payer,
        address token,
        uint256 amount,
        uint256 merchantAmount,
        uint256 fee
    );

    /// @notice Emitted for every refund, full or partial.
    /// @param orderRef The refunded order.
    /// @param merchant The merchant that refunded (and paid the refund).
    /// @param to The refund's recipient.
    /// @param token The token refunded, the same as the payment's.
    /// @param amount This refund's amount.
    /// @param totalRefunded Sum of all refunds of the order so far, never above the amount paid.
    event PaymentRefunded(
        bytes32 indexed orderRef,
        address indexed merchant,
        address indexed to,
        address token,
        uint256 amount,
        uint256 totalRefunded
    );

    /// @notice Amount must be greater than zero.
    error ZeroAmount();

    /// @notice Amount does not fit the 96-bit settlement record.
    error AmountTooLarge(uint256 amount);

    /// @notice The merchant (destination) must not be the zero address.
    error InvalidMerchant();

    /// @notice `(merchant, orderRef)` has already been paid.
    error OrderAlreadySettled(address merchant, bytes32 orderRef);

    /// @notice No payment was recorded for `(merchant, orderRef)`.
    error PaymentNotFound(address merchant, bytes32 orderRef);

    /// @notice `msg.value` does not equal the native amount due (or is non-zero for an ERC-20 call).
    error NativeValueMismatch(uint256 expected, uint256 actual);

    /// @notice The refund would take total refunds above the amount paid.
    error RefundExceedsPayment(uint256 requested, uint256 refundable);

    /// @notice The permit's deadline has passed.
    error PermitExpired(uint256 deadline);

    /// @notice The permit was rejected by the token and no sufficient allowance exists.
    error InvalidPermit(address token, address owner);

    /// @notice A refund needs a recipient.
    error InvalidRefundRecipient();

    /// @notice A native coin transfer to `to` failed.
    error NativeTransferFailed(address to);

    /// @notice Pays an order with native coin (`token == address(0)`, `msg.value == amount`) or an accepted
    /// ERC-20 the payer has approved.
    function pay(bytes32 orderRef, address merchant, address token, uint256 amount) external payable;

    /// @notice Pays an order with an EIP-2612 token: the permit signature replaces the `approve` transaction.
    /// @dev If the permit was already used (for example front-run from the mempool) the payment still goes
    /// through as long as the allowance it granted is in place.
    function payWithPermit(
        bytes32 orderRef,
        address merchant,
        address token,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Refunds a paid order, fully or in parts, from the merchant's own funds. Only the merchant the
    /// order was paid to can refund it; the sum of refunds never exceeds the gross amount paid.
    /// @dev ERC-20 refunds pull `amount` from the merchant (approve the router first); native refunds send
    /// `msg.value`, which must equal `amount`.
    function refund(bytes32 orderRef, address to, uint256 amount) external payable;

    /// @notice The recorded settlement of `(merchant, orderRef)`, zero if unpaid.
    function settlementOf(address merchant, bytes32 orderRef) external view returns (Settlement memory);

    /// @notice Sum of refunds made for `(merchant, orderRef)`.
    function refundedOf(address merchant, bytes32 orderRef) external view returns (uint256);
}
