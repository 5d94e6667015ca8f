// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The cheatcodes the Solidity tests use. forge-std cannot be fetched offline, and the npm copy is
/// an old one that imports ds-test, so the suites share this interface to Hardhat's EDR cheatcodes.
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function deal(address account, uint256 newBalance) external;
    function warp(uint256 newTimestamp) external;
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function assume(bool condition) external pure;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function label(address account, string calldata newLabel) external;
    function getCode(string calldata artifactPath) external view returns (bytes memory);
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);
}

/// @dev The cheatcode address: `address(uint160(uint256(keccak256("hevm cheat code"))))`.
Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

/// @notice Assertions and fuzz-input bounding shared by the Solidity tests.
abstract contract TestBase {
    error AssertionFailed(string message, uint256 left, uint256 right);
    error AssertionFailedAddress(string message, address left, address right);

    function assertEq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) revert AssertionFailed(message, a, b);
    }

    function assertEq(address a, address b, string memory message) internal pure {
        if (a != b) revert AssertionFailedAddress(message, a, b);
    }

    function assertNotEq(address a, address b, string memory message) internal pure {
        if (a == b) revert AssertionFailedAddress(message, a, b);
    }

    function assertLe(uint256 a, uint256 b, string memory message) internal pure {
        if (a > b) revert AssertionFailed(message, a, b);
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) revert AssertionFailed(message, 0, 1);
    }

    /// @dev Maps `x` into `[min, max]` without rejecting runs (forge-std's `bound` without the logs).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        if (size == 0) return x; // [0, type(uint256).max]: every x is in range
        // Cannot overflow: x % size < size, so min + (x % size) <= max.
        unchecked {
            return min + (x % size);
        }
    }
}
