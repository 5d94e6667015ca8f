// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILending, MarketParams} from "./ILending.sol";
import {IPaymentRouter} from "./IPaymentRouter.sol";

/// @title ICreditPayment
/// @notice Pay a merchant's order on credit: borrow the order's amount against collateral in a lending market and
/// pay it through the PaymentRouter, in one transaction.
/// @dev The payer first authorises this contract in the lending contract (`ILending.setAuthorization`). The
/// contract only ever borrows on behalf of `msg.sender`, so that authorisation cannot be used by anybody else.
/// The router sees this contract as the payer (`PaymentSettled.payer`); the real payer is in `CreditPaid`.
/// Holds no funds between transactions: the borrowed amount is approved to the router exactly and pulled by it.
interface ICreditPayment {
    /// @notice Emitted when an order is paid on credit.
    /// @param orderRef The gateway's order reference.
    /// @param merchant The merchant paid.
    /// @param payer The borrower, who called.
    /// @param marketId The lending market borrowed from.
    /// @param amount Gross amount paid (and borrowed).
    /// @param borrowShares Debt shares added to the payer's position.
    event CreditPaid(
        bytes32 indexed orderRef,
        address indexed merchant,
        address indexed payer,
        bytes32 marketId,
        uint256 amount,
        uint256 borrowShares
    );

    /// @notice A constructor argument was the zero address.
    error ZeroAddress();

    /// @notice More debt shares would be minted than the payer accepted (interest accrued since quoting).
    error MaxBorrowSharesExceeded(uint256 shares, uint256 maxShares);

    /// @notice The lending contract borrowed from.
    function lending() external view returns (ILending);

    /// @notice The router orders are paid through.
    function router() external view returns (IPaymentRouter);

    /// @notice Borrows `amount` of the market's loan token for the caller and pays `(merchant, orderRef)` with it.
    /// @param marketParams The market to borrow from; its loan token must be accepted by the router.
    /// @param orderRef The order's reference.
    /// @param merchant The merchant to pay.
    /// @param amount The order's gross amount.
    /// @param maxBorrowShares Slippage bound on the debt shares minted (`type(uint256).max` for none).
    /// @return borrowShares Debt shares added to the caller's position.
    function payWithCredit(
        MarketParams calldata marketParams,
        bytes32 orderRef,
        address merchant,
        uint256 amount,
        uint256 maxBorrowShares
    ) external returns (uint256 borrowShares);
}
