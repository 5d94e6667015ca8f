// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IChainlinkAggregatorV3} from "../interfaces/IOracle.sol";

/// @title MockSequencerUptimeFeed
/// @notice Development and test stand-in for Chainlink's L2 sequencer-uptime feed: answer 0 = up, 1 = down,
/// `startedAt` = when the status last changed. Anyone can set the status, an arbitrary round, or make it revert.
/// @dev Never deploy it to a network that holds real value.
contract MockSequencerUptimeFeed is IChainlinkAggregatorV3 {
    /// @notice Reverted by `latestRoundData` while `broken` is set.
    error FeedBroken();

    /// @notice Chainlink's uptime feeds have no decimals.
    uint8 public constant decimals = 0;
    int256 public answer;
    uint256 public startedAt;
    uint80 public roundId;
    bool public broken;

    /// @notice Starts up, with the status changed now.
    constructor() {
        setStatus(false);
    }

    /// @notice Sets the sequencer down (answer 1) or up (answer 0), changed now.
    function setStatus(bool down) public {
        setRound(down ? int256(1) : int256(0), block.timestamp);
    }

    /// @notice Sets an arbitrary answer and `startedAt` (to simulate an invalid round, with `startedAt == 0`).
    function setRound(int256 newAnswer, uint256 newStartedAt) public {
        answer = newAnswer;
        startedAt = newStartedAt;
        ++roundId;
    }

    /// @notice Makes `latestRoundData` revert (or work again).
    function setBroken(bool newBroken) external {
        broken = newBroken;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (broken) revert FeedBroken();
        return (roundId, answer, startedAt, startedAt, roundId);
    }
}
