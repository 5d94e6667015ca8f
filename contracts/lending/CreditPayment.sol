// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ICreditPayment} from "../interfaces/ICreditPayment.sol";
import {ILending, MarketParams} from "../interfaces/ILending.sol";
import {IPaymentRouter} from "../interfaces/IPaymentRouter.sol";
import {MarketParamsLib} from "./libraries/MarketParamsLib.sol";

/// @title CreditPayment
/// @notice Borrow-and-pay: the caller's lending position takes on the debt, the merchant is paid through the
/// PaymentRouter (platform fee included) in the same transaction.
/// @dev Stateless. Every failure of the borrow (no authorisation, oracle down, not enough collateral or
/// liquidity, below minimum borrow) or of the payment (token not accepted, order already paid) reverts the whole
/// transaction, so a payer is never left with debt for an unpaid order.
contract CreditPayment is ICreditPayment, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using MarketParamsLib for MarketParams;

    /// @inheritdoc ICreditPayment
    ILending public immutable lending;
    /// @inheritdoc ICreditPayment
    IPaymentRouter public immutable router;

    constructor(ILending lending_, IPaymentRouter router_) {
        if (address(lending_) == address(0) || address(router_) == address(0)) revert ZeroAddress();
        lending = lending_;
        router = router_;
    }

    /// @inheritdoc ICreditPayment
    function payWithCredit(
        MarketParams calldata marketParams,
        bytes32 orderRef,
        address merchant,
        uint256 amount,
        uint256 maxBorrowShares
    ) external nonReentrant returns (uint256 borrowShares) {
        // Borrowing on behalf of msg.sender only: lending checks that msg.sender authorised this contract.
        (, borrowShares) = lending.borrow(marketParams, amount, 0, msg.sender, address(this));
        if (borrowShares > maxBorrowShares) revert MaxBorrowSharesExceeded(borrowShares, maxBorrowShares);

        IERC20 token = IERC20(marketParams.loanToken);
        // Exact allowance: the router pulls exactly `amount`, so none is left behind.
        token.forceApprove(address(router), amount);
        router.pay(orderRef, merchant, address(token), amount);

        emit CreditPaid(orderRef, merchant, msg.sender, marketParams.id(), amount, borrowShares);
    }
}
