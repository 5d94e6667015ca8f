// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SplitMain} from "../../contracts/splits/SplitMain.sol";
import {ISplitMain} from "../../contracts/interfaces/ISplitMain.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {MockFeeOnTransferERC20} from "../../contracts/mocks/MockFeeOnTransferERC20.sol";
import {TestBase, vm} from "../utils/Vm.sol";

/// @dev Builds rule sets for the tests: `n` ascending recipient addresses (offset by `base`) and allocations
/// derived from `seed`, summing to exactly PPM.
library Rules {
    uint32 internal constant PPM = 1_000_000;

    function accounts(uint256 n, uint160 base) internal pure returns (address[] memory r) {
        r = new address[](n);
        for (uint256 i; i < n; ++i) r[i] = address(base + uint160(i) * 0x10 + 1);
    }

    function allocations(uint256 n, uint256 seed) internal pure returns (uint32[] memory a) {
        a = new uint32[](n);
        uint256 left = PPM;
        for (uint256 i; i + 1 < n; ++i) {
            // Leave at least 1 ppm for each remaining recipient.
            uint256 maxHere = left - (n - 1 - i);
            uint256 share = 1 + uint256(keccak256(abi.encode(seed, i))) % (maxHere < 2 * PPM / n ? maxHere : 2 * PPM / n);
            if (share > maxHere) share = maxHere;
            a[i] = uint32(share);
            left -= share;
        }
        a[n - 1] = uint32(left);
    }
}

/// @notice Fuzz tests of one distribution: shares, dust and the ledger's backing.
contract SplitMainFuzzTest is TestBase {
    SplitMain internal splitMain;
    MockERC20 internal token;

    function setUp() public {
        splitMain = new SplitMain();
        token = new MockERC20("USD Coin", "USDC", 6);
    }

    function testFuzz_creditedPlusDustEqualsDistributed(uint256 amount, uint256 n, uint256 seed, uint24 fee)
        public
    {
        n = bound(n, 1, 50);
        amount = bound(amount, 1, 1e30);
        fee = uint24(bound(fee, 0, 100_000));
        address[] memory recipients = Rules.accounts(n, 0x1000);
        uint32[] memory allocations = Rules.allocations(n, seed);
        address split = splitMain.createSplit(recipients, allocations, fee, address(0));

        token.mint(split, amount);
        uint256 distributed = splitMain.distribute(split, address(token));
        assertEq(distributed, amount, "distributed");

        uint256 credited = splitMain.balanceOf(address(this), address(token)); // distributor fee
        assertEq(credited, amount * fee / 1_000_000, "distributor fee");
        uint256 net = amount - credited;
        for (uint256 i; i < n; ++i) {
            uint256 got = splitMain.balanceOf(recipients[i], address(token));
            assertEq(got, net * allocations[i] / 1_000_000, "share");
            credited += got;
        }
        uint256 dust = splitMain.splitBalanceOf(split, address(token));
        assertEq(credited + dust, amount, "credited + dust");
        assertLe(dust, n - 1 + (fee == 0 ? 0 : 1), "dust bound");
        assertEq(token.balanceOf(address(splitMain)), amount, "backing");
    }

    function testFuzz_dustIsCarriedNotLost(uint256 a1, uint256 a2, uint256 seed) public {
        a1 = bound(a1, 1, 1e24);
        a2 = bound(a2, 1, 1e24);
        address[] memory recipients = Rules.accounts(7, 0x2000);
        address split = splitMain.createSplit(recipients, Rules.allocations(7, seed), 0, address(0));
        token.mint(split, a1);
        splitMain.distribute(split, address(token));
        token.mint(split, a2);
        splitMain.distribute(split, address(token));
        uint256 total = splitMain.splitBalanceOf(split, address(token));
        for (uint256 i; i < 7; ++i) total += splitMain.balanceOf(recipients[i], address(token));
        assertEq(total, a1 + a2, "nothing lost over two distributions");
    }

    function testFuzz_withdrawPaysExactlyTheBalance(uint256 amount, uint256 seed) public {
        amount = bound(amount, 1, 1e30);
        address[] memory recipients = Rules.accounts(3, 0x3000);
        address split = splitMain.createSplit(recipients, Rules.allocations(3, seed), 0, address(0));
        token.mint(split, amount);
        splitMain.distribute(split, address(token));
        address[] memory tokens = new address[](1);
        tokens[0] = address(token);
        uint256 paid;
        for (uint256 i; i < 3; ++i) {
            uint256 owed = splitMain.balanceOf(recipients[i], address(token));
            uint256[] memory amounts = splitMain.withdraw(recipients[i], tokens);
            assertEq(amounts[0], owed, "withdrawn");
            assertEq(token.balanceOf(recipients[i]), owed, "received");
            assertEq(splitMain.balanceOf(recipients[i], address(token)), 0, "emptied");
            paid += owed;
        }
        assertEq(token.balanceOf(address(splitMain)), amount - paid, "left = dust");
        assertEq(token.balanceOf(address(splitMain)), splitMain.splitBalanceOf(split, address(token)), "dust backed");
    }
}

/// @notice Drives a small split tree with random payments, distributions, withdrawals and rule updates.
contract SplitsHandler is TestBase {
    SplitMain public immutable splitMain;
    address[2] public tokens;
    address[] public splits;
    address[] public accounts;
    /// @dev Set when a distribution's `credited + dust != amount` or its credits do not match the ledger.
    bool public accountingBroken;
    uint256 public distributions;

    constructor(SplitMain splitMain_, address plain, address taxed) {
        splitMain = splitMain_;
        tokens = [plain, taxed];
        for (uint256 i; i < 6; ++i) accounts.push(address(uint160(0xA000 + i)));
        // Tree: leafA(accounts 0,1,2) <- mid(leafA, account 3) <- top(mid, leafB, account 4); leafB mutable.
        address[] memory r = new address[](3);
        (r[0], r[1], r[2]) = (accounts[0], accounts[1], accounts[2]);
        uint32[] memory a = new uint32[](3);
        (a[0], a[1], a[2]) = (333_333, 333_333, 333_334);
        address leafA = splitMain.createSplit(r, a, 0, address(0));
        address leafB = splitMain.createSplit(_one(accounts[5]), _full(), 0, address(this));
        address mid = splitMain.createSplit(_pair(leafA, accounts[3]), _halves(), 1_000, address(0));
        address[] memory t = new address[](3);
        (t[0], t[1], t[2]) = (mid, leafB, accounts[4]);
        _sort(t);
        uint32[] memory ta = new uint32[](3);
        (ta[0], ta[1], ta[2]) = (500_001, 299_999, 200_000);
        address top = splitMain.createSplit(t, ta, 5_000, address(0));
        splits.push(leafA);
        splits.push(leafB);
        splits.push(mid);
        splits.push(top);
        accounts.push(address(this)); // distributor fees
    }

    function pay(uint256 splitIndex, uint256 tokenIndex, uint256 amount) external {
        address split = splits[splitIndex % splits.length];
        amount = bound(amount, 1, 1e27);
        MockERC20(tokens[tokenIndex % 2]).mint(split, amount);
    }

    function distribute(uint256 splitIndex, uint256 tokenIndex) external {
        address split = splits[splitIndex % splits.length];
        address token = tokens[tokenIndex % 2];
        uint256 before = ledgerSum(token);
        uint256 ownBefore = splitMain.splitBalanceOf(split, token);
        try splitMain.distribute(split, token) returns (uint256 amount) {
            ++distributions;
            uint256 own = splitMain.splitBalanceOf(split, token);
            // Everything distributed is in the ledger again: credits to others plus the split's dust.
            uint256 pulled = amount - ownBefore;
            if (ledgerSum(token) != before + pulled) accountingBroken = true;
            // credited + dust == amount, with credited = what the other ledger entries gained.
            uint256 credited = ledgerSum(token) - (before - ownBefore) - own;
            if (credited + own != amount) accountingBroken = true;
        } catch (bytes memory reason) {
            // Only "nothing to distribute" is an acceptable failure.
            if (bytes4(reason) != ISplitMain.NothingToDistribute.selector) accountingBroken = true;
        }
    }

    function withdraw(uint256 accountIndex, uint256 tokenIndex) external {
        address[] memory list = new address[](1);
        list[0] = tokens[tokenIndex % 2];
        splitMain.withdraw(accounts[accountIndex % accounts.length], list);
    }

    /// @dev Re-points the mutable leaf at one or two accounts (never a split: it is referenced by `top`).
    function updateLeafB(uint256 seed) external {
        address a = accounts[seed % 6];
        address b = accounts[(seed / 7) % 6];
        if (a == b) {
            splitMain.updateSplit(splits[1], _one(a), _full(), uint24(seed % 100_001));
        } else {
            splitMain.updateSplit(splits[1], _pair(a, b), _halves(), uint24(seed % 100_001));
        }
    }

    /// @notice Sum of every ledger entry (accounts and splits) for `token`.
    function ledgerSum(address token) public view returns (uint256 sum) {
        for (uint256 i; i < accounts.length; ++i) sum += splitMain.balanceOf(accounts[i], token);
        for (uint256 i; i < splits.length; ++i) sum += splitMain.splitBalanceOf(splits[i], token);
    }

    function _one(address x) private pure returns (address[] memory r) {
        r = new address[](1);
        r[0] = x;
    }

    function _full() private pure returns (uint32[] memory a) {
        a = new uint32[](1);
        a[0] = 1_000_000;
    }

    function _pair(address x, address y) private pure returns (address[] memory r) {
        r = new address[](2);
        (r[0], r[1]) = x < y ? (x, y) : (y, x);
    }

    function _halves() private pure returns (uint32[] memory a) {
        a = new uint32[](2);
        (a[0], a[1]) = (700_000, 300_000);
    }

    function _sort(address[] memory r) private pure {
        for (uint256 i = 1; i < r.length; ++i) {
            for (uint256 j = i; j > 0 && r[j - 1] > r[j]; --j) (r[j - 1], r[j]) = (r[j], r[j - 1]);
        }
    }
}

/// @notice Invariants of the ledger under random use of a split tree.
/// forge-config: default.invariant.runs = 128
/// forge-config: default.invariant.depth = 32
contract SplitMainInvariantTest is TestBase {
    SplitMain internal splitMain;
    SplitsHandler internal handler;
    MockERC20 internal plain;
    MockFeeOnTransferERC20 internal taxed;

    function setUp() public {
        splitMain = new SplitMain();
        plain = new MockERC20("USD Coin", "USDC", 6);
        taxed = new MockFeeOnTransferERC20(100);
        handler = new SplitsHandler(splitMain, address(plain), address(taxed));
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice Per token, the ledger never promises more than the contract holds (exactly equal for a plain
    /// token, since nothing else sends it tokens; at most for a fee-on-transfer token).
    function invariant_ledgerBackedByBalance() public view {
        assertEq(handler.ledgerSum(address(plain)), plain.balanceOf(address(splitMain)), "plain backing");
        assertLe(handler.ledgerSum(address(taxed)), taxed.balanceOf(address(splitMain)), "taxed backing");
    }

    /// @notice Every distribution satisfied credited + dust == distributed and conserved the ledger.
    function invariant_distributionsConserve() public view {
        if (handler.accountingBroken()) revert("distribution accounting broken");
    }

    /// @notice Heights still decrease along every edge (no cycle, depth within bounds).
    function invariant_heightsDecreaseAlongEdges() public view {
        for (uint256 i; i < 4; ++i) {
            address split = handler.splits(i);
            uint8 h = splitMain.configOf(split).height;
            if (h == 0 || h > 8) revert("height out of range");
            (address[] memory r,, bool[] memory isSplit) = splitMain.rulesOf(split);
            for (uint256 j; j < r.length; ++j) {
                if (isSplit[j] && splitMain.configOf(r[j]).height >= h) revert("edge does not descend");
            }
        }
    }
}
