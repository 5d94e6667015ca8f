// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IPlatformFees} from "../interfaces/IPlatformFees.sol";

/// @title PlatformFees
/// @notice Owner-managed fee rate, fee recipient and accepted-token list for a payment contract.
/// @dev The recipient and the rate share one storage slot so a payment reads both with a single SLOAD.
abstract contract PlatformFees is IPlatformFees, Ownable2Step {
    /// @inheritdoc IPlatformFees
    uint16 public constant MAX_FEE_BPS = 500;

    /// @dev Basis points in 100%.
    uint256 internal constant BPS_DENOMINATOR = 10_000;

    address private _feeRecipient;
    uint16 private _feeBps;

    /// @inheritdoc IPlatformFees
    mapping(address token => bool) public isTokenAccepted;

    constructor(address initialOwner, address feeRecipient, uint16 feeBps) Ownable(initialOwner) {
        _setFee(feeRecipient, feeBps);
    }

    /// @inheritdoc IPlatformFees
    function feeConfig() public view returns (address recipient, uint16 feeBps) {
        return (_feeRecipient, _feeBps);
    }

    /// @inheritdoc IPlatformFees
    function setFee(address recipient, uint16 feeBps) external onlyOwner {
        _setFee(recipient, feeBps);
    }

    /// @inheritdoc IPlatformFees
    function setTokenAccepted(address token, bool accepted) external onlyOwner {
        isTokenAccepted[token] = accepted;
        emit TokenAcceptanceUpdated(token, accepted);
    }

    /// @dev Fee of a gross `amount`, rounded down so the merchant is never short-changed by rounding.
    function _feeOf(uint256 amount, uint16 feeBps) internal pure returns (uint256) {
        return amount * feeBps / BPS_DENOMINATOR;
    }

    function _setFee(address recipient, uint16 feeBps) private {
        if (feeBps > MAX_FEE_BPS) revert FeeTooHigh(feeBps, MAX_FEE_BPS);
        if (feeBps != 0 && recipient == address(0)) revert InvalidFeeRecipient();
        _feeRecipient = recipient;
        _feeBps = feeBps;
        emit FeeUpdated(recipient, feeBps);
    }
}
