// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IChainlinkAggregatorV3} from "../interfaces/IOracle.sol";

/// @title MockAggregatorV3
/// @notice Development and test Chainlink-style feed: anyone can set the answer, its timestamp, or make it revert.
/// @dev Never deploy it to a network that holds real value.
contract MockAggregatorV3 is IChainlinkAggregatorV3 {
    /// @notice Reverted by `latestRoundData` while `broken` is set.
    error FeedBroken();

    uint8 public immutable decimals;
    int256 public answer;
    uint256 public updatedAt;
    uint80 public roundId;
    bool public broken;

    constructor(uint8 decimals_, int256 initialAnswer) {
        decimals = decimals_;
        setAnswer(initialAnswer);
    }

    /// @notice Sets a new answer updated now.
    function setAnswer(int256 newAnswer) public {
        setAnswerAt(newAnswer, block.timestamp);
    }

    /// @notice Sets a new answer with an arbitrary `updatedAt` (to simulate stale or future data).
    function setAnswerAt(int256 newAnswer, uint256 newUpdatedAt) public {
        answer = newAnswer;
        updatedAt = newUpdatedAt;
        ++roundId;
    }

    /// @notice Makes `latestRoundData` revert (or work again).
    function setBroken(bool newBroken) external {
        broken = newBroken;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (broken) revert FeedBroken();
        return (roundId, answer, updatedAt, updatedAt, roundId);
    }
}
