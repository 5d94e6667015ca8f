// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPlatformFees
/// @notice Fee and token-acceptance settings shared by the CoinPays payment contracts.
/// @dev The fee is charged in basis points of the gross amount and is capped by `MAX_FEE_BPS`, so even a
/// compromised owner can never take more than that share of any payment. Settings are owned through a
/// two-step transfer (OpenZeppelin `Ownable2Step`); there is no upgrade path and no way to move user funds.
interface IPlatformFees {
    /// @notice Emitted when the platform fee recipient or rate changes.
    event FeeUpdated(address indexed recipient, uint16 feeBps);

    /// @notice Emitted when a token is added to or removed from the accepted list.
    event TokenAcceptanceUpdated(address indexed token, bool accepted);

    /// @notice The requested fee exceeds `MAX_FEE_BPS`.
    error FeeTooHigh(uint256 feeBps, uint256 maxFeeBps);

    /// @notice A non-zero fee needs a recipient.
    error InvalidFeeRecipient();

    /// @notice The token is not on the accepted list (fee-on-transfer and rebasing tokens are never listed).
    error TokenNotAccepted(address token);

    /// @notice The largest fee the owner can ever set: 5%.
    function MAX_FEE_BPS() external view returns (uint16);

    /// @notice Current fee recipient and rate.
    function feeConfig() external view returns (address recipient, uint16 feeBps);

    /// @notice Whether payments in `token` are accepted. `address(0)` is the chain's native coin.
    function isTokenAccepted(address token) external view returns (bool);

    /// @notice Sets the fee recipient and rate. Only the owner.
    function setFee(address recipient, uint16 feeBps) external;

    /// @notice Adds or removes a token from the accepted list. Only the owner.
    function setTokenAccepted(address token, bool accepted) external;
}
