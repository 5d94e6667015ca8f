// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISplitWallet
/// @notice The receiving address of one revenue split. Anyone pays a split by a plain transfer (ERC-20 or
/// native coin) to its wallet; only the split registry (`SplitMain`) can move the wallet's balance, and only
/// into itself, where `distribute` turns it into ledger credits for the split's recipients.
interface ISplitWallet {
    /// @notice Only the split registry may pull a wallet's balance.
    error UnauthorizedCaller(address caller);

    /// @notice Sending native coin to the split registry failed.
    error NativeTransferFailed(address to);

    /// @notice The split registry that deployed the implementation and owns every wallet's balance.
    function splitMain() external view returns (address);

    /// @notice Moves the wallet's whole balance of `token` (`address(0)` for native coin) to the registry.
    /// @return amount The amount sent, zero if the wallet held none.
    function pull(address token) external returns (uint256 amount);
}
