// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

/// @title ILoyaltyToken
/// @notice One merchant's loyalty points: an ERC-20 clone whose supply only the payment path changes.
/// @dev Points are denominated in base units of the program's `asset` (the payment token they are earned in and
/// redeemed against) and have its decimals: one point is a discount of one base unit at this merchant.
/// - Minted by the payment path when a payment in `asset` settles: `cash paid * rewardBps / 10_000`.
/// - Clawed back by the payment path when that payment is refunded.
/// - Redeemed (burned) by the payment path as a discount on a payment to this merchant, in the same transaction.
/// Invariant: `totalSupply == totalMinted - totalRedeemed - totalClawedBack`.
/// The payment path is fully trusted for this token (it can burn any holder's points); it is fixed for every
/// program when the factory is deployed and cannot change.
interface ILoyaltyToken is IERC20Metadata {
    /// @notice Emitted once, when the clone is initialised.
    event ProgramInitialized(
        address indexed merchant, address indexed asset, string name, string symbol, uint16 rewardBps, bool nonTransferable
    );

    /// @notice Emitted when the merchant changes the reward rate.
    event RewardRateUpdated(uint16 previousBps, uint16 newBps);

    /// @notice Emitted when points are minted for a settled payment.
    event PointsMinted(address indexed to, uint256 amount);

    /// @notice Emitted when points are burned as a discount.
    event PointsRedeemed(address indexed from, uint256 amount);

    /// @notice Emitted when points are burned because the payment that earned them was refunded.
    event PointsClawedBack(address indexed from, uint256 amount);

    /// @notice Only the factory that deployed the implementation initialises clones.
    error NotFactory(address caller);

    /// @notice The clone is already initialised.
    error AlreadyInitialized();

    /// @notice Only the program's merchant.
    error NotMerchant(address caller);

    /// @notice Only the payment path the factory authorised.
    error NotPaymentPath(address caller);

    /// @notice The reward rate exceeds `MAX_REWARD_BPS`.
    error RewardRateTooHigh(uint256 rewardBps, uint256 max);

    /// @notice The points of this program cannot be transferred between holders.
    error NonTransferable();

    /// @notice Largest reward rate: 100%.
    function MAX_REWARD_BPS() external view returns (uint16);

    /// @notice The factory that deployed the implementation.
    function factory() external view returns (address);

    /// @notice The only address that can mint, redeem and claw back.
    function paymentPath() external view returns (address);

    /// @notice The merchant the points are redeemable at.
    function merchant() external view returns (address);

    /// @notice The payment token whose base units the points are denominated in.
    function asset() external view returns (address);

    /// @notice Reward rate in basis points of the cash paid.
    function rewardBps() external view returns (uint16);

    /// @notice Whether holders can transfer points to one another.
    function nonTransferable() external view returns (bool);

    /// @notice `asset` and `rewardBps` in one call (one storage read) for the payment path.
    function terms() external view returns (address asset, uint16 rewardBps);

    /// @notice Points ever minted.
    function totalMinted() external view returns (uint256);

    /// @notice Points ever redeemed.
    function totalRedeemed() external view returns (uint256);

    /// @notice Points ever clawed back.
    function totalClawedBack() external view returns (uint256);

    /// @notice Sets up a fresh clone. Only the factory, once.
    function initialize(
        address merchant,
        address asset,
        string calldata name,
        string calldata symbol,
        uint8 decimals,
        uint16 rewardBps,
        bool nonTransferable
    ) external;

    /// @notice Changes the reward rate for future payments. Only the merchant.
    function setRewardRate(uint16 rewardBps) external;

    /// @notice Mints points for a settled payment. Only the payment path.
    function mint(address to, uint256 amount) external;

    /// @notice Burns points used as a discount. Only the payment path.
    function redeem(address from, uint256 amount) external;

    /// @notice Burns points whose payment was refunded. Only the payment path.
    function clawBack(address from, uint256 amount) external;
}
