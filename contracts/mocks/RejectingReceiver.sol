// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RejectingReceiver
/// @notice Test-only account that refuses native coin (no receive or fallback function).
contract RejectingReceiver {}
