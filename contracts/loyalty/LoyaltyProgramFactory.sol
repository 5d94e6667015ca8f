// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ILoyaltyProgramFactory} from "../interfaces/ILoyaltyProgramFactory.sol";
import {ILoyaltyToken} from "../interfaces/ILoyaltyToken.sol";
import {LoyaltyToken} from "./LoyaltyToken.sol";

/// @title LoyaltyProgramFactory
/// @notice Creates merchants' loyalty tokens as clones of one implementation; see `ILoyaltyProgramFactory`.
/// @dev No owner and no settings: the payment path is fixed at construction and the factory cannot touch
/// any program after creating it.
contract LoyaltyProgramFactory is ILoyaltyProgramFactory {
    /// @inheritdoc ILoyaltyProgramFactory
    address public immutable paymentPath;
    /// @inheritdoc ILoyaltyProgramFactory
    address public immutable implementation;

    /// @inheritdoc ILoyaltyProgramFactory
    mapping(address merchant => address) public programOf;
    /// @inheritdoc ILoyaltyProgramFactory
    mapping(address program => bool) public isProgram;

    constructor(address paymentPath_) {
        if (paymentPath_ == address(0)) revert InvalidPaymentPath();
        paymentPath = paymentPath_;
        implementation = address(new LoyaltyToken(paymentPath_));
    }

    /// @inheritdoc ILoyaltyProgramFactory
    function createProgram(
        string calldata name,
        string calldata symbol,
        address asset,
        uint16 rewardBps,
        bool nonTransferable
    ) external returns (address program) {
        address existing = programOf[msg.sender];
        if (existing != address(0)) revert ProgramExists(msg.sender, existing);
        if (asset.code.length == 0) revert InvalidAsset(asset);
        uint8 decimals = 18;
        try IERC20Metadata(asset).decimals() returns (uint8 assetDecimals) {
            decimals = assetDecimals;
        } catch {}
        program = Clones.clone(implementation);
        programOf[msg.sender] = program;
        isProgram[program] = true;
        ILoyaltyToken(program).initialize(msg.sender, asset, name, symbol, decimals, rewardBps, nonTransferable);
        emit ProgramCreated(msg.sender, program, asset);
    }
}
