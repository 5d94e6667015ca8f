// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {MockAggregatorV3} from "../../contracts/mocks/MockAggregatorV3.sol";
import {MockSequencerUptimeFeed} from "../../contracts/mocks/MockSequencerUptimeFeed.sol";
import {ChainlinkOracleAdapter} from "../../contracts/lending/ChainlinkOracleAdapter.sol";
import {KinkedRateModel} from "../../contracts/lending/KinkedRateModel.sol";
import {CoinPaysLending} from "../../contracts/lending/CoinPaysLending.sol";
import {SharesMath} from "../../contracts/lending/libraries/SharesMath.sol";
import {MarketParams} from "../../contracts/interfaces/ILending.sol";
import {ILending} from "../../contracts/interfaces/ILending.sol";
import {IChainlinkAggregatorV3, IChainlinkOracleAdapter} from "../../contracts/interfaces/IOracle.sol";

/// @notice Fuzzed oracle failures and rounding properties.
contract LendingFuzzTest {
    CoinPaysLending internal lending;
    MockERC20 internal loan;
    MockERC20 internal coll;
    MockAggregatorV3 internal feed;
    ChainlinkOracleAdapter internal oracle;
    MarketParams internal p;
    address internal constant USER = address(0xA11CE);
    int256 internal constant MIN_ANSWER = 1e6; // $0.01 in the feed's 8 decimals
    int256 internal constant MAX_ANSWER = 1e15; // $10,000,000
    uint256 internal constant GRACE_PERIOD = 1 hours;

    function setUp() public {
        vm.warp(1_000_000);
        lending = new CoinPaysLending(address(this));
        loan = new MockERC20("Loan", "LOAN", 6);
        coll = new MockERC20("Collateral", "COLL", 18);
        feed = new MockAggregatorV3(8, 3000e8);
        oracle = new ChainlinkOracleAdapter(
            IChainlinkAggregatorV3(address(feed)), 1 hours, 18, 6, MIN_ANSWER, MAX_ANSWER, IChainlinkAggregatorV3(address(0)), 0
        );
        KinkedRateModel model = new KinkedRateModel(0.01e18, 0.2e18, 3e18, 0.8e18);
        lending.enableRateModel(address(model));
        lending.enableLltv(0.86e18);
        p = MarketParams(address(loan), address(coll), address(oracle), address(model), 0.86e18);
        lending.createMarket(p);
        loan.mint(USER, 1e30);
        coll.mint(USER, 1e30);
        vm.startPrank(USER);
        loan.approve(address(lending), type(uint256).max);
        coll.approve(address(lending), type(uint256).max);
        lending.supply(p, 1e12, 0, USER);
        lending.supplyCollateral(p, 10e18, USER);
        lending.borrow(p, 1e9, 0, USER, USER);
        vm.stopPrank();
    }

    /// @dev Stale, zero, negative, out-of-bounds or reverting feed: borrow reverts with OracleUnavailable, the
    /// adapter's tryPrice never reverts, and supply, withdraw, repay, collateral top-up and interest keep working.
    function testFuzz_oracleFailurePausesOnlyBorrow(uint8 kind, int256 answer, uint256 age) public {
        kind %= 5;
        if (kind == 0) {
            age = 1 hours + 1 + age % (block.timestamp - 1 hours - 1);
            feed.setAnswerAt(3000e8, block.timestamp - age);
        } else if (kind == 1) {
            feed.setAnswer(0);
        } else if (kind == 2) {
            feed.setAnswer(answer < 0 ? answer : -(answer % type(int128).max) - 1);
        } else if (kind == 3) {
            feed.setBroken(true);
        } else {
            uint256 a = uint256(answer < 0 ? -(answer + 1) : answer);
            feed.setAnswer(a % 2 == 0 ? int256(1 + a % uint256(MIN_ANSWER - 1)) : MAX_ANSWER + 1 + int256(a % 1e40));
        }
        (bool ok, uint256 price) = oracle.tryPrice();
        require(!ok && price == 0, "failure not reported");

        vm.prank(USER);
        vm.expectRevert(abi.encodeWithSelector(ILending.OracleUnavailable.selector, address(oracle)));
        lending.borrow(p, 1e6, 0, USER, USER);

        vm.warp(block.timestamp + 1 days);
        vm.startPrank(USER);
        lending.supply(p, 1e6, 0, USER);
        lending.withdraw(p, 1e6, 0, USER, USER);
        lending.repay(p, 1e6, 0, USER);
        lending.supplyCollateral(p, 1, USER);
        lending.accrueInterest(p);
        // Repay everything, then all collateral comes back without a price.
        lending.repay(p, 0, lending.position(keccak256(abi.encode(p)), USER).borrowShares, USER);
        lending.withdrawCollateral(p, lending.position(keccak256(abi.encode(p)), USER).collateral, USER, USER);
        vm.stopPrank();
    }

    /// @dev Round trips never create value: assets -> shares -> assets comes back no larger (down/down) and
    /// what the protocol asks for (up/up) is never less.
    function testFuzz_sharesRoundInProtocolsFavour(uint256 assets, uint256 totalAssets, uint256 totalShares) public pure {
        totalAssets = totalAssets % 1e30;
        totalShares = totalShares % 1e36;
        assets = assets % 1e30;
        uint256 sDown = SharesMath.toSharesDown(assets, totalAssets, totalShares);
        require(SharesMath.toAssetsDown(sDown, totalAssets, totalShares) <= assets, "down/down created assets");
        uint256 sUp = SharesMath.toSharesUp(assets, totalAssets, totalShares);
        require(SharesMath.toAssetsUp(sUp, totalAssets, totalShares) >= assets, "up/up lost assets");
        require(sUp >= sDown && sUp - sDown <= 1, "up and down differ by more than one");
    }

    /// @dev Inflation attack: donations do not move the exchange rate (accounting is by stored totals), and a
    /// first depositor cannot make a later one's deposit round to zero shares.
    function testFuzz_donationDoesNotInflateShares(uint256 donation, uint256 deposit) public {
        // Below what USER holds after setUp (1e30 minted, 1e12 supplied), or the transfer itself would revert.
        donation = donation % 1e29;
        deposit = 1 + deposit % 1e24;
        MarketParams memory q = p;
        q.lltv = 0.5e18;
        lending.enableLltv(0.5e18);
        lending.createMarket(q);
        vm.startPrank(USER);
        lending.supply(q, 1, 0, USER);
        loan.transfer(address(lending), donation);
        (, uint256 shares) = lending.supply(q, deposit, 0, USER);
        vm.stopPrank();
        require(shares == deposit * (1e6 + 1e6) / 2, "exchange rate moved");
    }

    /// @dev Bounds: an answer is a price exactly when it lies in [minAnswer, maxAnswer], and then the price is
    /// the answer scaled; outside, `price()` names the bounds.
    function testFuzz_answerBounds(int256 answer) public {
        // A quarter of the runs on the edges (min-1, min, max, max+1), which random words would almost never hit.
        if (answer % 4 == 0) {
            int256 edge = (answer / 4) % 4;
            if (edge < 0) edge = -edge;
            answer = edge < 2 ? MIN_ANSWER - 1 + edge : MAX_ANSWER - 2 + edge;
        }
        feed.setAnswer(answer);
        (IChainlinkOracleAdapter.Failure failure, uint256 price) = oracle.priceStatus();
        if (answer >= MIN_ANSWER && answer <= MAX_ANSWER) {
            require(failure == IChainlinkOracleAdapter.Failure.None, "in-bounds answer refused");
            require(price == uint256(answer) * 1e16, "wrong scaling"); // 10**(36 + 6 - 18 - 8)
        } else {
            require(price == 0, "out-of-bounds price reported");
            if (answer <= 0) {
                require(failure == IChainlinkOracleAdapter.Failure.NonPositive, "expected NonPositive");
            } else {
                require(failure == IChainlinkOracleAdapter.Failure.OutOfBounds, "expected OutOfBounds");
                vm.expectRevert(
                    abi.encodeWithSelector(IChainlinkOracleAdapter.PriceOutOfBounds.selector, answer, MIN_ANSWER, MAX_ANSWER)
                );
                oracle.price();
            }
        }
    }

    /// @dev Sequencer-uptime pattern: down, then up at `upAt`; from then on the price is used exactly when
    /// `block.timestamp >= upAt + gracePeriod`, and before that `price()` names the moment it will be.
    function testFuzz_sequencerGracePeriod(uint256 downFor, uint256 sinceUp) public {
        MockSequencerUptimeFeed sequencer = new MockSequencerUptimeFeed();
        ChainlinkOracleAdapter l2 = new ChainlinkOracleAdapter(
            IChainlinkAggregatorV3(address(feed)),
            10 days,
            18,
            6,
            MIN_ANSWER,
            MAX_ANSWER,
            IChainlinkAggregatorV3(address(sequencer)),
            GRACE_PERIOD
        );
        sequencer.setStatus(true);
        vm.warp(block.timestamp + downFor % 3 days);
        (bool ok,) = l2.tryPrice();
        require(!ok, "price used while the sequencer is down");
        vm.expectRevert(IChainlinkOracleAdapter.SequencerDown.selector);
        l2.price();

        sequencer.setStatus(false);
        uint256 upAt = block.timestamp;
        // Half the runs on the edge (readyAt - 1, readyAt, readyAt + 1), which random words would almost never hit.
        sinceUp = sinceUp % 2 == 0 ? GRACE_PERIOD - 1 + (sinceUp / 2) % 3 : sinceUp % (2 * GRACE_PERIOD);
        vm.warp(upAt + sinceUp);
        feed.setAnswer(3000e8);
        (ok,) = l2.tryPrice();
        require(ok == (sinceUp >= GRACE_PERIOD), "grace period boundary");
        if (!ok) {
            vm.expectRevert(
                abi.encodeWithSelector(IChainlinkOracleAdapter.GracePeriodNotOver.selector, upAt + GRACE_PERIOD)
            );
            l2.price();
        }
    }
}
