// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IOracle
/// @notice Price of one base unit of a market's collateral token, quoted in base units of its loan token and
/// scaled by 1e36 (`ORACLE_PRICE_SCALE`).
/// @dev Example: collateral WETH (18 decimals) at 3,000 USDC (6 decimals) gives
/// `price = 3000 * 1e6 * 1e36 / 1e18 = 3e21`. The scale absorbs any difference in token decimals, so the lending
/// core never needs to know them.
/// Assumptions the lending core relies on:
/// - `tryPrice` never reverts and never runs out of gas on a well-behaved chain; a failure is reported as
///   `ok == false`, which pauses new borrows, collateral withdrawals of indebted positions and liquidations of
///   the market, and nothing else.
/// - `ok == true` implies `price > 0` and that the price is fresh by the oracle's own standard.
interface IOracle {
    /// @notice The price, reverting with a descriptive error if it is unavailable.
    function price() external view returns (uint256);

    /// @notice The price without reverting: `ok` is false (and `price` zero) when the source is stale, non-positive,
    /// outside its bounds or unreachable, or (on an L2) the sequencer is down or only recently back up.
    function tryPrice() external view returns (bool ok, uint256 price);
}

/// @title IChainlinkAggregatorV3
/// @notice The part of Chainlink's `AggregatorV3Interface` the adapter reads.
interface IChainlinkAggregatorV3 {
    function decimals() external view returns (uint8);

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}

/// @title IChainlinkOracleAdapter
/// @notice An `IOracle` over one Chainlink-style feed quoting the collateral in the loan token's unit, with fixed
/// answer bounds and, on L2s, a sequencer-uptime check.
/// @dev Every failure below makes `tryPrice` report `ok == false` (so the lending contract pauses only its
/// price-dependent actions) and `price` revert with the error named for it.
interface IChainlinkOracleAdapter is IOracle {
    /// @notice Why a price is unavailable.
    enum Failure {
        None,
        CallFailed,
        NonPositive,
        Stale,
        FutureTimestamp,
        OutOfBounds,
        SequencerCallFailed,
        SequencerDown,
        SequencerRoundInvalid,
        GracePeriodNotOver
    }

    /// @notice The feed's last update is older than `maxStaleness`.
    error StalePrice(uint256 updatedAt, uint256 maxStaleness);

    /// @notice The feed answered zero or a negative number.
    error NonPositivePrice(int256 answer);

    /// @notice The feed's `updatedAt` is zero or in the future.
    error InvalidTimestamp(uint256 updatedAt);

    /// @notice The feed reverted or returned malformed data.
    error FeedCallFailed();

    /// @notice The answer is outside the adapter's `[minAnswer, maxAnswer]`: the feed may be clamped at its own
    /// circuit-breaker limit (an aggregator keeps reporting its `minAnswer` while the market trades lower), so the
    /// answer is not taken as the price.
    error PriceOutOfBounds(int256 answer, int256 min, int256 max);

    /// @notice The L2 sequencer-uptime feed reverted or returned malformed data.
    error SequencerFeedCallFailed();

    /// @notice The L2 sequencer-uptime feed reports the sequencer down (any answer other than 0): while it is, few
    /// users can reach the chain and prices cannot be trusted to be current.
    error SequencerDown();

    /// @notice The sequencer-uptime feed's round has `startedAt == 0`, which Chainlink documents as an invalid
    /// round on some networks.
    error SequencerRoundInvalid();

    /// @notice The sequencer is up again, but less than `gracePeriod` ago: prices are used from `readyAt` on, so
    /// that borrowers get time to react before liquidations resume.
    error GracePeriodNotOver(uint256 readyAt);

    /// @notice `maxStaleness` must be greater than zero.
    error InvalidStaleness();

    /// @notice Token or feed decimals above 36 are not supported.
    error InvalidDecimals();

    /// @notice The bounds must satisfy `0 < minAnswer < maxAnswer`, `minAnswer` must scale to a non-zero price and
    /// `maxAnswer` to a price that fits 256 bits.
    error InvalidAnswerBounds(int256 minAnswer, int256 maxAnswer);

    /// @notice A sequencer-uptime feed needs a grace period greater than zero, and without one the grace period
    /// must be zero (a grace period with no feed is taken as a forgotten feed address).
    error InvalidGracePeriod(address sequencerUptimeFeed, uint256 gracePeriod);

    /// @notice The feed read.
    function feed() external view returns (IChainlinkAggregatorV3);

    /// @notice Maximum age, in seconds, of an answer still considered fresh.
    function maxStaleness() external view returns (uint256);

    /// @notice The smallest feed answer taken as a price (in the feed's decimals).
    function minAnswer() external view returns (int256);

    /// @notice The largest feed answer taken as a price (in the feed's decimals).
    function maxAnswer() external view returns (int256);

    /// @notice The L2 sequencer-uptime feed (answer 0 = up, 1 = down; `startedAt` = when the status last
    /// changed), or `address(0)` on chains without a sequencer (L1, the local chain).
    function sequencerUptimeFeed() external view returns (IChainlinkAggregatorV3);

    /// @notice Seconds after the sequencer comes back up (its round's `startedAt`) before prices are used again;
    /// zero when there is no sequencer-uptime feed.
    function gracePeriod() external view returns (uint256);

    /// @notice The price with the reason it is unavailable, if it is.
    function priceStatus() external view returns (Failure failure, uint256 price);
}
