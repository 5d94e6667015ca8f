// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MathLib} from "./MathLib.sol";

/// @title SharesMath
/// @notice Conversions between assets and shares with virtual shares and assets, the OpenZeppelin ERC-4626
/// defence against share-price inflation ("donation") attacks.
/// @dev Every conversion is `assets * (totalShares + VIRTUAL_SHARES) / (totalAssets + VIRTUAL_ASSETS)` or its
/// inverse, with the rounding direction in the function's name. Because the virtual position holds
/// `VIRTUAL_SHARES` shares, an attacker who donates `d` assets to an empty market gives almost all of `d` to the
/// virtual position: to move the share price by a factor `k` costs about `k * VIRTUAL_ASSETS` and the victim loses
/// at most `1 / VIRTUAL_SHARES` of a share's worth.
/// Assumptions: the assets owed to virtual supply shares can never be withdrawn and the assets owed by virtual
/// borrow shares are never repaid; both stay negligible as long as the share price stays low (one share starts at
/// 1e-6 asset), which is why they are not tracked.
library SharesMath {
    using MathLib for uint256;

    /// @dev Virtual shares: high enough for precision, low enough that totals stay far from 2**128.
    uint256 internal constant VIRTUAL_SHARES = 1e6;

    /// @dev Virtual assets: fix the initial exchange rate of an empty market at 1e6 shares per asset.
    uint256 internal constant VIRTUAL_ASSETS = 1;

    /// @dev `assets` in shares, rounded down.
    function toSharesDown(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return assets.mulDivDown(totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
    }

    /// @dev `assets` in shares, rounded up.
    function toSharesUp(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return assets.mulDivUp(totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
    }

    /// @dev `shares` in assets, rounded down.
    function toAssetsDown(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return shares.mulDivDown(totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
    }

    /// @dev `shares` in assets, rounded up.
    function toAssetsUp(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return shares.mulDivUp(totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
    }
}
