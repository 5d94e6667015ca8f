// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockReentrantERC20
/// @notice Test token whose transfers call back into `target` with `data` (once per transfer), bubbling any
/// revert. Used to prove the payment contracts cannot be re-entered from a token hook.
/// @dev Test-only.
contract MockReentrantERC20 is ERC20 {
    address public target;
    bytes public data;
    bool private _entered;

    constructor() ERC20("Reentrant Token", "REN") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: every later transfer calls `target_` with `data_`. `target_ == 0` disarms it.
    function setReentry(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (target != address(0) && from != address(0) && !_entered) {
            _entered = true;
            (bool ok, bytes memory ret) = target.call(data);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
            _entered = false;
        }
    }
}
