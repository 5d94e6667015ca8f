// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IDepositAddress
/// @notice The contract deployed at a per-order deposit address. It can only be told to move funds by its
/// factory, and only to the destination committed in its own bytecode (plus the platform fee).
interface IDepositAddress {
    /// @notice The caller is not the factory that deployed this deposit address.
    error UnauthorizedCaller(address caller);

    /// @notice A native coin transfer failed.
    error NativeTransferFailed(address to);

    /// @notice The factory that deploys and controls deposit addresses of this implementation.
    function factory() external view returns (address);

    /// @notice The committed destination, read from the clone's immutable arguments.
    function destination() external view returns (address);

    /// @notice Sends `fee` of the whole balance of `token` to `feeRecipient` and the rest to the destination.
    /// @return amount The gross balance forwarded.
    /// @return fee The part sent to `feeRecipient`.
    function forward(address token, address feeRecipient, uint16 feeBps)
        external
        returns (uint256 amount, uint256 fee);
}
