// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title PullSplitBaseline
/// @notice Benchmark baseline only (never deployed): a minimal re-implementation of the 0xSplits v1 pattern
/// (SplitMain + per-split clone wallets), written from its public description, to measure SplitMain against in
/// the same run. Rules live off-chain: the split stores only a hash, every distribution passes the recipients
/// and allocations in calldata, wallets forward their balance to the main contract, recipients are credited in
/// an internal ledger and pull with `withdraw`. Like 0xSplits it leaves one base unit behind in the wallet and
/// in the ledger to keep those slots warm. No hierarchy, no cycle checks, no versioning.
contract PullSplitBaseline {
    using SafeERC20 for IERC20;

    error InvalidSplit();

    address public immutable walletImplementation;
    mapping(address split => bytes32) public splitHash;
    mapping(address token => mapping(address account => uint256)) public balances;

    constructor() {
        walletImplementation = address(new PullSplitBaselineWallet());
    }

    function createSplit(address[] calldata recipients, uint32[] calldata allocations, uint32 fee)
        external
        returns (address split)
    {
        uint256 sum;
        for (uint256 i; i < allocations.length; ++i) sum += allocations[i];
        if (sum != 1e6) revert InvalidSplit();
        split = Clones.clone(walletImplementation);
        splitHash[split] = keccak256(abi.encodePacked(recipients, allocations, fee));
    }

    function distributeERC20(
        address split,
        IERC20 token,
        address[] calldata recipients,
        uint32[] calldata allocations,
        uint32 fee,
        address distributor
    ) external {
        if (splitHash[split] != keccak256(abi.encodePacked(recipients, allocations, fee))) revert InvalidSplit();
        uint256 held = token.balanceOf(split);
        if (held <= 1) return;
        uint256 amount;
        // Cannot underflow: held > 1. One unit stays in the wallet.
        unchecked {
            amount = held - 1;
        }
        PullSplitBaselineWallet(split).sendERC20ToMain(token, amount);
        uint256 fee_ = amount * fee / 1e6;
        if (fee_ != 0) balances[address(token)][distributor] += fee_;
        amount -= fee_;
        for (uint256 i; i < recipients.length; ++i) {
            balances[address(token)][recipients[i]] += amount * allocations[i] / 1e6;
        }
    }

    function withdraw(address account, IERC20 token) external {
        uint256 stored = balances[address(token)][account];
        if (stored <= 1) return;
        balances[address(token)][account] = 1;
        // Cannot underflow: stored > 1.
        unchecked {
            token.safeTransfer(account, stored - 1);
        }
    }
}

/// @notice The baseline's per-split wallet.
contract PullSplitBaselineWallet {
    using SafeERC20 for IERC20;

    address public immutable main;

    constructor() {
        main = msg.sender;
    }

    function sendERC20ToMain(IERC20 token, uint256 amount) external {
        require(msg.sender == main);
        token.safeTransfer(main, amount);
    }
}
