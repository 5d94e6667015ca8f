// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MarketParams} from "../../interfaces/ILending.sol";

/// @title MarketParamsLib
/// @notice Market ids.
library MarketParamsLib {
    /// @dev The id of a market: `keccak256(abi.encode(marketParams))`. Computed off-chain the same way
    /// (viem: `keccak256(encodeAbiParameters([...5 fields], [...]))`).
    function id(MarketParams memory marketParams) internal pure returns (bytes32) {
        return keccak256(abi.encode(marketParams));
    }
}
