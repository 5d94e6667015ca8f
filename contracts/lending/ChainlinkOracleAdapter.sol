// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IOracle, IChainlinkAggregatorV3, IChainlinkOracleAdapter} from "../interfaces/IOracle.sol";

/// @title ChainlinkOracleAdapter
/// @notice Turns a Chainlink-style feed (collateral priced in the loan token's unit, e.g. ETH / USD for a WETH /
/// USDC market) into an `IOracle` price scaled by 1e36, with decimals normalised.
/// @dev `price = answer * 10**(36 + loanDecimals - collateralDecimals - feedDecimals)` (a division when the exponent
/// is negative, rounded down). Failures are reported, never thrown, by `tryPrice`:
/// - the feed reverts or returns fewer than five words,
/// - `answer <= 0`,
/// - `updatedAt == 0` or `updatedAt > block.timestamp`,
/// - `block.timestamp - updatedAt > maxStaleness`,
/// - the scaled price overflows 256 bits.
/// Assumptions: the feed's decimals never change (read once at construction); `answeredInRound` is not checked
/// (Chainlink deprecated it); on L2s an L2-sequencer uptime check must be added in a dedicated adapter.
contract ChainlinkOracleAdapter is IChainlinkOracleAdapter {
    /// @inheritdoc IChainlinkOracleAdapter
    IChainlinkAggregatorV3 public immutable feed;
    /// @inheritdoc IChainlinkOracleAdapter
    uint256 public immutable maxStaleness;

    /// @dev Multiplier applied to the answer (1 when the exponent is negative).
    uint256 private immutable _scaleUp;
    /// @dev Divisor applied after the multiplier (1 when the exponent is non-negative).
    uint256 private immutable _scaleDown;

    /// @param feed_ The Chainlink-style aggregator.
    /// @param maxStaleness_ Maximum accepted age of an answer in seconds (set it a little above the feed's
    /// heartbeat).
    /// @param collateralDecimals Decimals of the market's collateral token.
    /// @param loanDecimals Decimals of the market's loan token.
    constructor(IChainlinkAggregatorV3 feed_, uint256 maxStaleness_, uint8 collateralDecimals, uint8 loanDecimals) {
        if (maxStaleness_ == 0) revert InvalidStaleness();
        uint8 feedDecimals = feed_.decimals();
        if (feedDecimals > 36 || collateralDecimals > 36 || loanDecimals > 36) revert InvalidDecimals();
        feed = feed_;
        maxStaleness = maxStaleness_;
        // Between 36 + 0 - 36 - 36 = -36 and 36 + 36 = 72: both powers of ten fit in 256 bits.
        int256 exponent = 36 + int256(uint256(loanDecimals)) - int256(uint256(collateralDecimals))
            - int256(uint256(feedDecimals));
        if (exponent >= 0) {
            _scaleUp = 10 ** uint256(exponent);
            _scaleDown = 1;
        } else {
            _scaleUp = 1;
            _scaleDown = 10 ** uint256(-exponent);
        }
    }

    /// @inheritdoc IOracle
    function price() external view returns (uint256) {
        (Failure failure, uint256 p, int256 answer, uint256 updatedAt) = _read();
        if (failure == Failure.None) return p;
        if (failure == Failure.CallFailed) revert FeedCallFailed();
        if (failure == Failure.NonPositive) revert NonPositivePrice(answer);
        if (failure == Failure.FutureTimestamp) revert InvalidTimestamp(updatedAt);
        if (failure == Failure.Stale) revert StalePrice(updatedAt, maxStaleness);
        revert PriceOverflow(answer);
    }

    /// @inheritdoc IOracle
    function tryPrice() external view returns (bool ok, uint256 p) {
        Failure failure;
        (failure, p,,) = _read();
        ok = failure == Failure.None;
    }

    /// @inheritdoc IChainlinkOracleAdapter
    function priceStatus() external view returns (Failure failure, uint256 p) {
        (failure, p,,) = _read();
    }

    function _read() private view returns (Failure, uint256, int256 answer, uint256 updatedAt) {
        // A low-level call so that a reverting feed, or one returning malformed data, is a reported failure rather
        // than a revert of the caller (a `try` would still revert on undecodable return data).
        (bool success, bytes memory data) =
            address(feed).staticcall(abi.encodeCall(IChainlinkAggregatorV3.latestRoundData, ()));
        if (!success || data.length < 160) return (Failure.CallFailed, 0, 0, 0);
        (, answer,, updatedAt,) = abi.decode(data, (uint80, int256, uint256, uint256, uint80));

        if (answer <= 0) return (Failure.NonPositive, 0, answer, updatedAt);
        if (updatedAt == 0 || updatedAt > block.timestamp) return (Failure.FutureTimestamp, 0, answer, updatedAt);
        // Cannot underflow: updatedAt <= block.timestamp is checked just above.
        unchecked {
            if (block.timestamp - updatedAt > maxStaleness) return (Failure.Stale, 0, answer, updatedAt);
        }
        (bool fits, uint256 scaled) = Math.tryMul(uint256(answer), _scaleUp);
        if (!fits) return (Failure.Overflow, 0, answer, updatedAt);
        scaled /= _scaleDown;
        // Scaling down can round a tiny answer to zero; zero is never a valid price.
        if (scaled == 0) return (Failure.NonPositive, 0, answer, updatedAt);
        return (Failure.None, scaled, answer, updatedAt);
    }
}
