// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MarketParams, Market} from "./ILending.sol";

/// @title IRateModel
/// @notice Interest rate model of a lending market.
/// @dev Assumptions the lending core relies on (a model is only usable once the lending owner enabled it):
/// - `borrowRate` does not revert for any reachable market state.
/// - The rate is bounded so that `rate * elapsed` over any realistic gap between two interactions cannot make
///   the interest computation overflow (see `KinkedRateModel.MAX_RATE_PER_SECOND`).
interface IRateModel {
    /// @notice Borrow rate per second, scaled by 1e18 (WAD), for the market in the given state.
    /// @param marketParams The market's identifying parameters.
    /// @param market The market's totals before interest is accrued for the current period.
    function borrowRate(MarketParams calldata marketParams, Market calldata market) external view returns (uint256);
}

/// @title IKinkedRateModel
/// @notice A rate model linear in utilisation `u = totalBorrow / totalSupply` with a kink: below the kink the rate
/// climbs gently from `baseRate` by `slope1`; above it, steeply by `slope2`, pushing borrowers to repay and lenders
/// to supply before the market runs out of liquidity.
interface IKinkedRateModel is IRateModel {
    /// @notice The kink must be strictly between 0 and 100%.
    error InvalidKink(uint256 kink);

    /// @notice The rate at 100% utilisation exceeds `MAX_RATE_PER_YEAR`.
    error RateTooHigh(uint256 maxRatePerYear);

    /// @notice Upper bound of the rate at 100% utilisation, per year (1e18 = 100%).
    function MAX_RATE_PER_YEAR() external view returns (uint256);

    /// @notice Rate at zero utilisation, per second, WAD.
    function baseRate() external view returns (uint256);

    /// @notice Rate added between zero utilisation and the kink, per second, WAD.
    function slope1() external view returns (uint256);

    /// @notice Rate added between the kink and full utilisation, per second, WAD.
    function slope2() external view returns (uint256);

    /// @notice Utilisation at which the slope changes, WAD.
    function kink() external view returns (uint256);

    /// @notice Utilisation of the given totals, WAD, rounded down; zero for an empty market.
    function utilization(uint256 totalSupplyAssets, uint256 totalBorrowAssets) external pure returns (uint256);

    /// @notice Borrow rate per second at utilisation `u` (WAD, clamped to 100%).
    function rateAt(uint256 u) external view returns (uint256);
}
