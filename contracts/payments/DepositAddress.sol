// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IDepositAddress} from "../interfaces/IDepositAddress.sol";

/// @title DepositAddress
/// @notice Implementation behind every per-order deposit address (an OpenZeppelin clone whose immutable
/// argument is the 20-byte destination).
/// @dev The destination is read from the clone's own bytecode, not passed in, so even the factory cannot
/// send a deposit anywhere but the committed destination and the fee recipient.
contract DepositAddress is IDepositAddress {
    using SafeERC20 for IERC20;

    /// @inheritdoc IDepositAddress
    address public immutable factory;

    constructor() {
        factory = msg.sender;
    }

    /// @dev Native coin can be paid to the address after it is deployed as well as before.
    receive() external payable {}

    /// @inheritdoc IDepositAddress
    function destination() public view returns (address) {
        return address(bytes20(Clones.fetchCloneArgs(address(this))));
    }

    /// @inheritdoc IDepositAddress
    function forward(address token, address feeRecipient, uint16 feeBps)
        external
        returns (uint256 amount, uint256 fee)
    {
        if (msg.sender != factory) revert UnauthorizedCaller(msg.sender);
        address to = destination();
        amount = token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
        if (amount == 0) return (0, 0);
        // The factory bounds feeBps by its MAX_FEE_BPS, so fee < amount.
        fee = amount * feeBps / 10_000;
        unchecked {
            _send(token, to, amount - fee);
        }
        if (fee != 0) _send(token, feeRecipient, fee);
    }

    function _send(address token, address to, uint256 value) private {
        if (token == address(0)) {
            (bool ok,) = to.call{value: value}("");
            if (!ok) revert NativeTransferFailed(to);
        } else {
            IERC20(token).safeTransfer(to, value);
        }
    }
}
