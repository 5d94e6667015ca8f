// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IDepositAddress} from "../interfaces/IDepositAddress.sol";
import {IDepositAddressFactory} from "../interfaces/IDepositAddressFactory.sol";
import {DepositAddress} from "./DepositAddress.sol";
import {PlatformFees} from "./PlatformFees.sol";

/// @title DepositAddressFactory
/// @notice Predicts, deploys and sweeps per-order deposit addresses.
/// @dev Address = CREATE2(factory, salt = keccak256(destination, orderRef), clone of `implementation` with
/// `destination` as immutable argument). Changing either the destination or the order reference changes
/// the address, which is what makes a deposit impossible to redirect. The factory never holds funds: a
/// deposit moves from the deposit address straight to the destination and the fee recipient.
contract DepositAddressFactory is IDepositAddressFactory, PlatformFees, ReentrancyGuardTransient {
    /// @inheritdoc IDepositAddressFactory
    address public immutable implementation;

    constructor(address initialOwner, address feeRecipient, uint16 feeBps)
        PlatformFees(initialOwner, feeRecipient, feeBps)
    {
        implementation = address(new DepositAddress());
    }

    /// @inheritdoc IDepositAddressFactory
    function predict(address destination, bytes32 orderRef) public view returns (address) {
        return Clones.predictDeterministicAddressWithImmutableArgs(
            implementation, abi.encodePacked(destination), _salt(destination, orderRef)
        );
    }

    /// @inheritdoc IDepositAddressFactory
    function sweep(address destination, bytes32 orderRef, address token)
        external
        nonReentrant
        returns (uint256 amount)
    {
        if (!isTokenAccepted[token]) revert TokenNotAccepted(token);
        (address feeRecipient, uint16 feeBps) = feeConfig();
        address depositAddress;
        (depositAddress, amount) = _sweep(destination, orderRef, token, feeRecipient, feeBps);
        if (amount == 0) revert EmptyDeposit(depositAddress, token);
    }

    /// @inheritdoc IDepositAddressFactory
    function sweepBatch(SweepRequest[] calldata requests) external nonReentrant returns (uint256[] memory amounts) {
        (address feeRecipient, uint16 feeBps) = feeConfig();
        amounts = new uint256[](requests.length);
        for (uint256 i; i < requests.length; ++i) {
            SweepRequest calldata request = requests[i];
            if (!isTokenAccepted[request.token]) revert TokenNotAccepted(request.token);
            (, amounts[i]) = _sweep(request.destination, request.orderRef, request.token, feeRecipient, feeBps);
        }
    }

    /// @inheritdoc IDepositAddressFactory
    function rescue(address destination, bytes32 orderRef, address token)
        external
        nonReentrant
        returns (uint256 amount)
    {
        if (isTokenAccepted[token]) revert TokenIsAccepted(token);
        address depositAddress = _deployIfNeeded(destination, orderRef);
        (amount,) = IDepositAddress(depositAddress).forward(token, address(0), 0);
        if (amount == 0) revert EmptyDeposit(depositAddress, token);
        emit DepositRescued(orderRef, destination, depositAddress, token, amount);
    }

    /// @dev Deploys if needed and forwards. Returns a zero amount, without an event, for an empty address.
    function _sweep(address destination, bytes32 orderRef, address token, address feeRecipient, uint16 feeBps)
        private
        returns (address depositAddress, uint256 amount)
    {
        depositAddress = _deployIfNeeded(destination, orderRef);
        uint256 fee;
        (amount, fee) = IDepositAddress(depositAddress).forward(token, feeRecipient, feeBps);
        if (amount != 0) {
            // Cannot underflow: the deposit address computes fee <= amount.
            unchecked {
                emit DepositSwept(orderRef, destination, depositAddress, token, amount, amount - fee, fee);
            }
        }
    }

    function _deployIfNeeded(address destination, bytes32 orderRef) private returns (address depositAddress) {
        if (destination == address(0)) revert InvalidDestination();
        bytes memory args = abi.encodePacked(destination);
        bytes32 salt = _salt(destination, orderRef);
        depositAddress = Clones.predictDeterministicAddressWithImmutableArgs(implementation, args, salt);
        if (depositAddress.code.length == 0) {
            Clones.cloneDeterministicWithImmutableArgs(implementation, args, salt);
            emit DepositAddressDeployed(orderRef, destination, depositAddress);
        }
    }

    function _salt(address destination, bytes32 orderRef) private pure returns (bytes32) {
        return keccak256(abi.encode(destination, orderRef));
    }
}
