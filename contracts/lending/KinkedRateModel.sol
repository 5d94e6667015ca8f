// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRateModel, IKinkedRateModel} from "../interfaces/IRateModel.sol";
import {MarketParams, Market} from "../interfaces/ILending.sol";
import {MathLib, WAD} from "./libraries/MathLib.sol";

/// @title KinkedRateModel
/// @notice Stateless kinked utilisation rate model; one deployment per parameter set, shared by any markets.
/// @dev `rate(u) = base + slope1 * min(u, kink) / kink + slope2 * max(u - kink, 0) / (1 - kink)`, per second.
/// Rates are given per year at construction and divided by 365 days (rounded down, i.e. at most 1 wei per second
/// lower than the nominal rate, in the borrowers' favour by a negligible amount).
contract KinkedRateModel is IKinkedRateModel {
    using MathLib for uint256;

    /// @inheritdoc IKinkedRateModel
    uint256 public constant MAX_RATE_PER_YEAR = 10e18; // 1,000% APR

    uint256 private constant SECONDS_PER_YEAR = 365 days;

    /// @inheritdoc IKinkedRateModel
    uint256 public immutable baseRate;
    /// @inheritdoc IKinkedRateModel
    uint256 public immutable slope1;
    /// @inheritdoc IKinkedRateModel
    uint256 public immutable slope2;
    /// @inheritdoc IKinkedRateModel
    uint256 public immutable kink;

    /// @param baseRatePerYear Rate at zero utilisation (1e18 = 100% a year).
    /// @param slope1PerYear Rate added up to the kink.
    /// @param slope2PerYear Rate added from the kink to full utilisation.
    /// @param kink_ Utilisation of the kink, strictly between 0 and 1e18.
    constructor(uint256 baseRatePerYear, uint256 slope1PerYear, uint256 slope2PerYear, uint256 kink_) {
        if (kink_ == 0 || kink_ >= WAD) revert InvalidKink(kink_);
        uint256 maxRate = baseRatePerYear + slope1PerYear + slope2PerYear;
        if (maxRate > MAX_RATE_PER_YEAR) revert RateTooHigh(maxRate);
        baseRate = baseRatePerYear / SECONDS_PER_YEAR;
        slope1 = slope1PerYear / SECONDS_PER_YEAR;
        slope2 = slope2PerYear / SECONDS_PER_YEAR;
        kink = kink_;
    }

    /// @inheritdoc IRateModel
    function borrowRate(MarketParams calldata, Market calldata market) external view returns (uint256) {
        return rateAt(utilization(market.totalSupplyAssets, market.totalBorrowAssets));
    }

    /// @inheritdoc IKinkedRateModel
    function utilization(uint256 totalSupplyAssets, uint256 totalBorrowAssets) public pure returns (uint256) {
        if (totalSupplyAssets == 0) return 0;
        return MathLib.min(totalBorrowAssets.wDivDown(totalSupplyAssets), WAD);
    }

    /// @inheritdoc IKinkedRateModel
    function rateAt(uint256 u) public view returns (uint256) {
        u = MathLib.min(u, WAD);
        if (u <= kink) return baseRate + slope1.mulDivDown(u, kink);
        // Cannot underflow: u > kink here and kink < WAD by construction. Cannot overflow: each term is at most
        // MAX_RATE_PER_YEAR (checked in the constructor), so the sum stays far below 2**256.
        unchecked {
            return baseRate + slope1 + slope2.mulDivDown(u - kink, WAD - kink);
        }
    }
}
