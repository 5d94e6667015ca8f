// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ILoyaltyProgramFactory
/// @notice Lets a merchant create its own loyalty token: an OpenZeppelin minimal-proxy clone of one
/// `LoyaltyToken` implementation, at most one program per merchant.
/// @dev The payment path allowed to mint, redeem and claw back is set when the factory is deployed and is
/// immutable; it lives in the implementation's bytecode, so every clone reads it for free and nobody can
/// change it afterwards.
interface ILoyaltyProgramFactory {
    /// @notice Emitted when a merchant creates its program.
    event ProgramCreated(address indexed merchant, address indexed program, address indexed asset);

    /// @notice The merchant already has a program.
    error ProgramExists(address merchant, address program);

    /// @notice The asset must be a contract (an ERC-20).
    error InvalidAsset(address asset);

    /// @notice The payment path must not be the zero address.
    error InvalidPaymentPath();

    /// @notice The only address that can mint, redeem and claw back points of any program.
    function paymentPath() external view returns (address);

    /// @notice The implementation every program clones.
    function implementation() external view returns (address);

    /// @notice `merchant`'s program, `address(0)` if none.
    function programOf(address merchant) external view returns (address);

    /// @notice Whether `program` was created by this factory.
    function isProgram(address program) external view returns (bool);

    /// @notice Creates the caller's loyalty program. Its points take `asset`'s decimals.
    /// @param asset The payment token the points are earned in and redeemed against.
    /// @param rewardBps Points minted per 10_000 base units of cash paid.
    /// @param nonTransferable Whether points are bound to the payer.
    function createProgram(
        string calldata name,
        string calldata symbol,
        address asset,
        uint16 rewardBps,
        bool nonTransferable
    ) external returns (address program);
}
