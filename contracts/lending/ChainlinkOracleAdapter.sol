// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IOracle, IChainlinkAggregatorV3, IChainlinkOracleAdapter} from "../interfaces/IOracle.sol";

/// @title ChainlinkOracleAdapter
/// @notice Turns a Chainlink-style feed (collateral priced in the loan token's unit, e.g. ETH / USD for a WETH /
/// USDC market) into an `IOracle` price scaled by 1e36, with decimals normalised.
/// @dev `price = answer * 10**(36 + loanDecimals - collateralDecimals - feedDecimals)` (a division when the exponent
/// is negative, rounded down). Failures are reported, never thrown, by `tryPrice`, checked in this order:
/// - with a sequencer-uptime feed (L2s): it reverts or returns fewer than five words; its round has
///   `startedAt == 0` (invalid); its answer is not 0 (the sequencer is down); or the sequencer came up less than
///   `gracePeriod` ago (`block.timestamp < startedAt + gracePeriod`, which also covers a future `startedAt`),
/// - the price feed reverts or returns fewer than five words,
/// - `answer <= 0`, or `answer` outside `[minAnswer, maxAnswer]`,
/// - `updatedAt == 0` or `updatedAt > block.timestamp`,
/// - `block.timestamp - updatedAt > maxStaleness`.
/// The constructor checks that every answer within the bounds scales to a non-zero price that fits 256 bits, so
/// an in-bounds answer always yields a usable price.
/// Assumptions: the feed's decimals never change (read once at construction); `answeredInRound` is not checked
/// (Chainlink deprecated it); the sequencer-uptime feed has no heartbeat (it updates on a status change only), so
/// its age is not checked; the bounds are chosen per feed, inside the aggregator's own `minAnswer`/`maxAnswer`
/// where it has them, so that an aggregator clamped at its limit during a crash reads as out of bounds.
contract ChainlinkOracleAdapter is IChainlinkOracleAdapter {
    /// @inheritdoc IChainlinkOracleAdapter
    IChainlinkAggregatorV3 public immutable feed;
    /// @inheritdoc IChainlinkOracleAdapter
    uint256 public immutable maxStaleness;
    /// @inheritdoc IChainlinkOracleAdapter
    int256 public immutable minAnswer;
    /// @inheritdoc IChainlinkOracleAdapter
    int256 public immutable maxAnswer;
    /// @inheritdoc IChainlinkOracleAdapter
    IChainlinkAggregatorV3 public immutable sequencerUptimeFeed;
    /// @inheritdoc IChainlinkOracleAdapter
    uint256 public immutable gracePeriod;

    /// @dev Multiplier applied to the answer (1 when the exponent is negative).
    uint256 private immutable _scaleUp;
    /// @dev Divisor applied after the multiplier (1 when the exponent is non-negative).
    uint256 private immutable _scaleDown;

    /// @param feed_ The Chainlink-style aggregator.
    /// @param maxStaleness_ Maximum accepted age of an answer in seconds (set it a little above the feed's
    /// heartbeat).
    /// @param collateralDecimals Decimals of the market's collateral token.
    /// @param loanDecimals Decimals of the market's loan token.
    /// @param minAnswer_ Smallest answer taken as a price, in the feed's decimals (> 0).
    /// @param maxAnswer_ Largest answer taken as a price, in the feed's decimals (> `minAnswer_`).
    /// @param sequencerUptimeFeed_ Chainlink's L2 sequencer-uptime feed, or `address(0)` on a chain without one.
    /// @param gracePeriod_ Seconds to wait after the sequencer comes back up (e.g. 3600); 0 without a feed.
    constructor(
        IChainlinkAggregatorV3 feed_,
        uint256 maxStaleness_,
        uint8 collateralDecimals,
        uint8 loanDecimals,
        int256 minAnswer_,
        int256 maxAnswer_,
        IChainlinkAggregatorV3 sequencerUptimeFeed_,
        uint256 gracePeriod_
    ) {
        if (maxStaleness_ == 0) revert InvalidStaleness();
        if ((address(sequencerUptimeFeed_) == address(0)) != (gracePeriod_ == 0)) {
            revert InvalidGracePeriod(address(sequencerUptimeFeed_), gracePeriod_);
        }
        uint8 feedDecimals = feed_.decimals();
        if (feedDecimals > 36 || collateralDecimals > 36 || loanDecimals > 36) revert InvalidDecimals();
        // Between 36 + 0 - 36 - 36 = -36 and 36 + 36 = 72: both powers of ten fit in 256 bits.
        int256 exponent = 36 + int256(uint256(loanDecimals)) - int256(uint256(collateralDecimals))
            - int256(uint256(feedDecimals));
        uint256 up = 1;
        uint256 down = 1;
        if (exponent >= 0) up = 10 ** uint256(exponent);
        else down = 10 ** uint256(-exponent);
        if (minAnswer_ <= 0 || minAnswer_ >= maxAnswer_) revert InvalidAnswerBounds(minAnswer_, maxAnswer_);
        (bool fits,) = Math.tryMul(uint256(maxAnswer_), up);
        // The price is monotonic in the answer: the checks at both ends hold for every answer in between.
        if (!fits || uint256(minAnswer_) * up / down == 0) {
            revert InvalidAnswerBounds(minAnswer_, maxAnswer_);
        }
        feed = feed_;
        maxStaleness = maxStaleness_;
        minAnswer = minAnswer_;
        maxAnswer = maxAnswer_;
        sequencerUptimeFeed = sequencerUptimeFeed_;
        gracePeriod = gracePeriod_;
        _scaleUp = up;
        _scaleDown = down;
    }

    /// @inheritdoc IOracle
    function price() external view returns (uint256) {
        (Failure failure, uint256 p, int256 answer, uint256 timestamp) = _read();
        if (failure == Failure.None) return p;
        if (failure == Failure.SequencerCallFailed) revert SequencerFeedCallFailed();
        if (failure == Failure.SequencerRoundInvalid) revert SequencerRoundInvalid();
        if (failure == Failure.SequencerDown) revert SequencerDown();
        if (failure == Failure.GracePeriodNotOver) revert GracePeriodNotOver(timestamp);
        if (failure == Failure.CallFailed) revert FeedCallFailed();
        if (failure == Failure.NonPositive) revert NonPositivePrice(answer);
        if (failure == Failure.OutOfBounds) revert PriceOutOfBounds(answer, minAnswer, maxAnswer);
        if (failure == Failure.FutureTimestamp) revert InvalidTimestamp(timestamp);
        revert StalePrice(timestamp, maxStaleness);
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

    /// @dev Returns the failure (or `None` and the price), the feed's answer, and a timestamp for the error:
    /// `readyAt` for `GracePeriodNotOver`, the feed's `updatedAt` otherwise.
    function _read() private view returns (Failure, uint256, int256 answer, uint256 timestamp) {
        if (address(sequencerUptimeFeed) != address(0)) {
            (Failure sequencer, uint256 readyAt) = _readSequencer();
            if (sequencer != Failure.None) return (sequencer, 0, 0, readyAt);
        }
        // A low-level call so that a reverting feed, or one returning malformed data, is a reported failure rather
        // than a revert of the caller (a `try` would still revert on undecodable return data). The round ids are
        // decoded as full words: decoding them as uint80 would revert on a word with higher bits set.
        (bool success, bytes memory data) =
            address(feed).staticcall(abi.encodeCall(IChainlinkAggregatorV3.latestRoundData, ()));
        if (!success || data.length < 160) return (Failure.CallFailed, 0, 0, 0);
        (, answer,, timestamp,) = abi.decode(data, (uint256, int256, uint256, uint256, uint256));

        if (answer <= 0) return (Failure.NonPositive, 0, answer, timestamp);
        if (answer < minAnswer || answer > maxAnswer) return (Failure.OutOfBounds, 0, answer, timestamp);
        if (timestamp == 0 || timestamp > block.timestamp) return (Failure.FutureTimestamp, 0, answer, timestamp);
        // Cannot underflow: updatedAt <= block.timestamp is checked just above.
        unchecked {
            if (block.timestamp - timestamp > maxStaleness) return (Failure.Stale, 0, answer, timestamp);
        }
        // Cannot overflow nor round to zero for an answer within the bounds (checked at construction).
        return (Failure.None, uint256(answer) * _scaleUp / _scaleDown, answer, timestamp);
    }

    /// @dev Chainlink's documented pattern: answer 0 means up and `startedAt` is when the status last changed;
    /// prices are used from `startedAt + gracePeriod` on (Chainlink refuses while less than the grace period has
    /// passed).
    function _readSequencer() private view returns (Failure, uint256 readyAt) {
        (bool success, bytes memory data) =
            address(sequencerUptimeFeed).staticcall(abi.encodeCall(IChainlinkAggregatorV3.latestRoundData, ()));
        if (!success || data.length < 160) return (Failure.SequencerCallFailed, 0);
        (, int256 status, uint256 startedAt,,) = abi.decode(data, (uint256, int256, uint256, uint256, uint256));
        // An invalid round says nothing about the status, so it is checked first.
        if (startedAt == 0) return (Failure.SequencerRoundInvalid, 0);
        if (status != 0) return (Failure.SequencerDown, 0);
        // Saturating: a garbage `startedAt` near 2**256 must be reported, not overflow (tryPrice never reverts).
        readyAt = Math.saturatingAdd(startedAt, gracePeriod);
        if (block.timestamp < readyAt) return (Failure.GracePeriodNotOver, readyAt);
        return (Failure.None, 0);
    }
}
