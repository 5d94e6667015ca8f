// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPlatformFees} from "./IPlatformFees.sol";

/// @title IDepositAddressFactory
/// @notice Per-order deposit addresses: any wallet pays an order by a plain transfer to an address that
/// exists before any contract is deployed there. The address commits to the merchant's destination and
/// the order reference through CREATE2, so its funds can only ever reach that destination.
/// @dev `sweep` deploys the deposit address on first use (an OpenZeppelin clone with the destination as
/// immutable argument) and forwards its whole balance. Accounting is by balance, so a fee-on-transfer token
/// simply forwards what arrived; the gateway compares that with the order's amount.
interface IDepositAddressFactory is IPlatformFees {
    /// @notice One order to sweep in a batch.
    struct SweepRequest {
        address destination;
        bytes32 orderRef;
        address token;
    }

    /// @notice Emitted when a deposit address contract is deployed.
    event DepositAddressDeployed(bytes32 indexed orderRef, address indexed destination, address depositAddress);

    /// @notice Emitted when a deposit address's balance of an accepted token is forwarded.
    /// @param orderRef The order the deposit address belongs to.
    /// @param destination Where the merchant's share went.
    /// @param depositAddress The swept address.
    /// @param token The token swept, `address(0)` for native coin.
    /// @param amount The whole balance swept (gross).
    /// @param merchantAmount Amount forwarded to `destination`.
    /// @param fee Amount forwarded to the platform fee recipient.
    event DepositSwept(
        bytes32 indexed orderRef,
        address indexed destination,
        address indexed depositAddress,
        address token,
        uint256 amount,
        uint256 merchantAmount,
        uint256 fee
    );

    /// @notice Emitted when a token that is not accepted (sent by mistake) is returned to the destination in full.
    event DepositRescued(
        bytes32 indexed orderRef,
        address indexed destination,
        address indexed depositAddress,
        address token,
        uint256 amount
    );

    /// @notice The destination must not be the zero address.
    error InvalidDestination();

    /// @notice The deposit address holds none of `token`.
    error EmptyDeposit(address depositAddress, address token);

    /// @notice `rescue` is for tokens that are not accepted; accepted tokens are swept with the fee.
    error TokenIsAccepted(address token);

    /// @notice The implementation every deposit address clones.
    function implementation() external view returns (address);

    /// @notice The deposit address of `(destination, orderRef)`, deployed or not.
    function predict(address destination, bytes32 orderRef) external view returns (address);

    /// @notice Forwards the deposit address's whole balance of an accepted `token` to `destination` minus
    /// the platform fee, deploying the address first if needed. Anyone may call it: funds can only go to
    /// the committed destination and the fee recipient.
    /// @return amount The gross amount swept.
    function sweep(address destination, bytes32 orderRef, address token) external returns (uint256 amount);

    /// @notice `sweep` for many orders in one transaction. An order whose address is empty is skipped with an
    /// amount of 0 instead of reverting: anyone may sweep, so a single front-run sweep must not be able to
    /// make a relayer's whole batch fail.
    function sweepBatch(SweepRequest[] calldata requests) external returns (uint256[] memory amounts);

    /// @notice Returns a token that is not accepted (sent by mistake) to the destination, in full and fee-free.
    function rescue(address destination, bytes32 orderRef, address token) external returns (uint256 amount);
}
