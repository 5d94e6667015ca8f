// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev 1e18, the fixed-point unit of rates, LLTVs and fees.
uint256 constant WAD = 1e18;

/// @title MathLib
/// @notice Fixed-point helpers with an explicit rounding direction in every name.
/// @dev All functions revert on overflow (checked arithmetic); none use `unchecked`.
library MathLib {
    /// @dev `x * y / d` rounded down.
    function mulDivDown(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        return (x * y) / d;
    }

    /// @dev `x * y / d` rounded up.
    function mulDivUp(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        return (x * y + (d - 1)) / d;
    }

    /// @dev `x * y / WAD` rounded down.
    function wMulDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivDown(x, y, WAD);
    }

    /// @dev `x * WAD / y` rounded down.
    function wDivDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivDown(x, WAD, y);
    }

    /// @dev `x * WAD / y` rounded up.
    function wDivUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return mulDivUp(x, WAD, y);
    }

    /// @dev `e^(rate * elapsed) - 1` approximated by the first three terms of its Taylor series, WAD-scaled and
    /// rounded down. It under-estimates continuous compounding slightly (about 0.3% of the interest at 100% APR
    /// over a year without interaction); any interaction resets the period, so real drift is negligible.
    function wTaylorCompounded(uint256 rate, uint256 elapsed) internal pure returns (uint256) {
        uint256 first = rate * elapsed;
        uint256 second = mulDivDown(first, first, 2 * WAD);
        uint256 third = mulDivDown(second, first, 3 * WAD);
        return first + second + third;
    }

    /// @dev `max(x - y, 0)`.
    function zeroFloorSub(uint256 x, uint256 y) internal pure returns (uint256) {
        return x > y ? x - y : 0;
    }

    /// @dev The smaller of `x` and `y`.
    function min(uint256 x, uint256 y) internal pure returns (uint256) {
        return x < y ? x : y;
    }
}
