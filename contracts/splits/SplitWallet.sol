// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ISplitWallet} from "../interfaces/ISplitWallet.sol";

/// @title SplitWallet
/// @notice Implementation behind every split's receiving address (an OpenZeppelin minimal-proxy clone).
/// @dev Stateless: clones read `splitMain` from this implementation's bytecode, so no initialiser exists and
/// nothing but the registry can ever move a wallet's funds, and only into the registry.
contract SplitWallet is ISplitWallet {
    using SafeERC20 for IERC20;

    /// @inheritdoc ISplitWallet
    address public immutable splitMain;

    constructor() {
        splitMain = msg.sender;
    }

    /// @dev Native coin can be paid into a split like any ERC-20.
    receive() external payable {}

    /// @inheritdoc ISplitWallet
    function pull(address token) external returns (uint256 amount) {
        if (msg.sender != splitMain) revert UnauthorizedCaller(msg.sender);
        if (token == address(0)) {
            amount = address(this).balance;
            if (amount != 0) {
                (bool ok,) = splitMain.call{value: amount}("");
                if (!ok) revert NativeTransferFailed(splitMain);
            }
        } else {
            amount = IERC20(token).balanceOf(address(this));
            if (amount != 0) IERC20(token).safeTransfer(splitMain, amount);
        }
    }
}
