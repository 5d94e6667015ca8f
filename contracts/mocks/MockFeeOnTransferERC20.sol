// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockFeeOnTransferERC20
/// @notice Test token that burns `taxBps` of every transfer (the recipient receives less than was sent).
/// @dev Test-only. Models fee-on-transfer tokens, which deposit addresses sweep by balance.
contract MockFeeOnTransferERC20 is ERC20 {
    uint256 public immutable taxBps;

    constructor(uint256 taxBps_) ERC20("Taxed Token", "TAX") {
        taxBps = taxBps_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 tax = value * taxBps / 10_000;
        super._update(from, to, value - tax);
        if (tax != 0) super._update(from, address(0), tax);
    }
}
