// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {MockAggregatorV3} from "../../contracts/mocks/MockAggregatorV3.sol";
import {MockSequencerUptimeFeed} from "../../contracts/mocks/MockSequencerUptimeFeed.sol";
import {ChainlinkOracleAdapter} from "../../contracts/lending/ChainlinkOracleAdapter.sol";
import {KinkedRateModel} from "../../contracts/lending/KinkedRateModel.sol";
import {CoinPaysLending} from "../../contracts/lending/CoinPaysLending.sol";
import {MarketParams, Market, Position} from "../../contracts/interfaces/ILending.sol";
import {IChainlinkAggregatorV3} from "../../contracts/interfaces/IOracle.sol";

/// @notice Drives the lending contract for the invariant campaign: lenders/borrowers, a liquidator, a donor, the
/// price, the clock and oracle failures (the feed stale, non-positive, out of bounds or reverting; the L2 sequencer
/// down, in its grace period, with an invalid round or reverting). Every user action checks, around itself, the properties that must hold
/// for a single action (other positions untouched, no healthy position turned unhealthy, share prices move only
/// in the protocol's favour) and records any breach in `violation`, which the invariant asserts is empty
/// (a revert inside a handler would just be discarded by the fuzzer).
contract LendingHandler {
    uint256 internal constant N_USERS = 3;
    uint256 internal constant N_MARKETS = 2;
    uint256 internal constant STALENESS = 1 hours;
    uint256 internal constant GRACE_PERIOD = 1 hours;
    // setPrice keeps the answer within these, so only breakOracle takes it out of bounds.
    int256 internal constant MIN_ANSWER = 1e6;
    int256 internal constant MAX_ANSWER = 1e15;
    uint256 internal constant MAX_AMOUNT = 1e15; // 1e9 loan tokens of 6 decimals
    uint256 internal constant MAX_COLLATERAL = 1e24; // 1e6 collateral tokens of 18 decimals

    CoinPaysLending public immutable lending;
    MockERC20 public immutable loan;
    MockERC20 public immutable coll;
    MockAggregatorV3 public immutable feed;
    MockSequencerUptimeFeed public immutable sequencer;
    ChainlinkOracleAdapter public immutable oracle;
    address public immutable feeTo = address(0xFEE);
    address public immutable liquidator = address(0x11D);

    address[N_USERS] public users = [address(0xA11CE), address(0xB0B), address(0xCA401)];
    MarketParams[N_MARKETS] internal _params;
    bytes32[N_MARKETS] public ids;

    int256 public lastAnswer = 3000e8;
    string public violation;
    mapping(bytes32 => uint256) public calls;

    struct Snap {
        Position[N_USERS][N_MARKETS] pos;
        bool[N_USERS][N_MARKETS] healthy;
        bool priceKnown;
        Market[N_MARKETS] m;
    }

    constructor() {
        lending = new CoinPaysLending(address(this));
        loan = new MockERC20("Loan", "LOAN", 6);
        coll = new MockERC20("Collateral", "COLL", 18);
        // The sequencer has been up for longer than the grace period when the campaign starts.
        vm.warp(block.timestamp + GRACE_PERIOD + 1);
        sequencer = new MockSequencerUptimeFeed();
        sequencer.setRound(0, block.timestamp - GRACE_PERIOD - 1);
        feed = new MockAggregatorV3(8, lastAnswer);
        oracle = new ChainlinkOracleAdapter(
            IChainlinkAggregatorV3(address(feed)),
            STALENESS,
            18,
            6,
            MIN_ANSWER,
            MAX_ANSWER,
            IChainlinkAggregatorV3(address(sequencer)),
            GRACE_PERIOD
        );
        KinkedRateModel model = new KinkedRateModel(0.01e18, 0.2e18, 3e18, 0.8e18);
        lending.enableRateModel(address(model));
        lending.setFeeRecipient(feeTo);
        lending.setMinBorrow(address(loan), 1e6);
        uint64[N_MARKETS] memory lltvs = [uint64(0.86e18), uint64(0.5e18)];
        for (uint256 i; i < N_MARKETS; ++i) {
            lending.enableLltv(lltvs[i]);
            _params[i] = MarketParams(address(loan), address(coll), address(oracle), address(model), lltvs[i]);
            lending.createMarket(_params[i]);
            ids[i] = keccak256(abi.encode(_params[i]));
        }
        lending.setFee(_params[0], 0.1e18);
        for (uint256 i; i < N_USERS; ++i) _approve(users[i]);
        _approve(liquidator);
    }

    // ------------------------------------------------------------ views for the invariant contract

    function params(uint256 i) external view returns (MarketParams memory) {
        return _params[i];
    }

    function nUsers() external pure returns (uint256) {
        return N_USERS;
    }

    function nMarkets() external pure returns (uint256) {
        return N_MARKETS;
    }

    // ------------------------------------------------------------ lenders and borrowers

    function supply(uint256 u, uint256 mi, uint256 amount, bool byShares) external {
        (address user, MarketParams memory p, bytes32 id) = _pick(u, mi);
        Snap memory before = _snap();
        amount = _bound(amount, 1, byShares ? MAX_AMOUNT * 1e6 : MAX_AMOUNT);
        loan.mint(user, byShares ? amount + 1e6 : amount);
        vm.prank(user);
        try lending.supply(p, byShares ? 0 : amount, byShares ? amount : 0, user) {
            calls["supply"]++;
        } catch {}
        _afterUserAction(before, user, id, false);
    }

    function withdraw(uint256 u, uint256 mi, uint256 amount, bool byShares) external {
        (address user, MarketParams memory p, bytes32 id) = _pick(u, mi);
        Snap memory before = _snap();
        uint256 shares = lending.position(id, user).supplyShares;
        if (shares == 0) return;
        amount = _bound(amount, 1, byShares ? shares : MAX_AMOUNT);
        vm.prank(user);
        try lending.withdraw(p, byShares ? 0 : amount, byShares ? amount : 0, user, user) {
            calls["withdraw"]++;
        } catch {}
        _afterUserAction(before, user, id, false);
    }

    function supplyCollateral(uint256 u, uint256 mi, uint256 amount) external {
        (address user, MarketParams memory p, bytes32 id) = _pick(u, mi);
        Snap memory before = _snap();
        amount = _bound(amount, 1, MAX_COLLATERAL);
        coll.mint(user, amount);
        vm.prank(user);
        try lending.supplyCollateral(p, amount, user) {
            calls["supplyCollateral"]++;
        } catch {}
        _afterUserAction(before, user, id, false);
    }

    function withdrawCollateral(uint256 u, uint256 mi, uint256 amount) external {
        (address user, MarketParams memory p, bytes32 id) = _pick(u, mi);
        Snap memory before = _snap();
        uint256 c = lending.position(id, user).collateral;
        if (c == 0) return;
        amount = _bound(amount, 1, c);
        vm.prank(user);
        try lending.withdrawCollateral(p, amount, user, user) {
            calls["withdrawCollateral"]++;
            if (!before.priceKnown && before.pos[_mi(mi)][u % N_USERS].borrowShares != 0) {
                _flag("an indebted position withdrew collateral without a price");
            }
        } catch {}
        _afterUserAction(before, user, id, true);
    }

    function borrow(uint256 u, uint256 mi, uint256 amount, bool byShares) external {
        (address user, MarketParams memory p, bytes32 id) = _pick(u, mi);
        _ensureBorrowable(user, p, id, amount);
        Snap memory before = _snap();
        // Aim around what the position can borrow (10% above it, so that refusals are exercised too).
        uint256 cap = _borrowCapacity(p, id, user);
        amount = _bound(amount, 1, cap + cap / 10 + 2e6);
        Market memory m = lending.market(id);
        uint256 shares = amount * (uint256(m.totalBorrowShares) + 1e6) / (uint256(m.totalBorrowAssets) + 1);
        vm.prank(user);
        try lending.borrow(p, byShares ? 0 : amount, byShares ? shares : 0, user, user) {
            calls["borrow"]++;
            if (!before.priceKnown) _flag("borrowed without a price");
        } catch {}
        _afterUserAction(before, user, id, true);
    }

    /// @dev Before the snapshot (so not part of the checked action): give the borrower collateral and the market
    /// liquidity if it has none, from the borrower itself and the next user.
    function _ensureBorrowable(address user, MarketParams memory p, bytes32 id, uint256 seed) private {
        if (lending.position(id, user).collateral == 0) {
            uint256 c = _bound(seed >> 128, 1e18, MAX_COLLATERAL / 100);
            coll.mint(user, c);
            vm.prank(user);
            lending.supplyCollateral(p, c, user);
        }
        Market memory m = lending.market(id);
        if (m.totalSupplyAssets - m.totalBorrowAssets < 1e9) {
            address lender = users[(uint256(uint160(user)) + 1) % N_USERS];
            uint256 a = _bound(seed >> 64, 1e9, MAX_AMOUNT);
            loan.mint(lender, a);
            vm.prank(lender);
            lending.supply(p, a, 0, lender);
        }
    }

    function _borrowCapacity(MarketParams memory p, bytes32 id, address user) private view returns (uint256) {
        (bool ok, uint256 price) = oracle.tryPrice();
        if (!ok) price = uint256(lastAnswer) * 1e16;
        Position memory pos = lending.position(id, user);
        Market memory m = lending.market(id);
        uint256 maxDebt = uint256(pos.collateral) * price / 1e36 * p.lltv / 1e18;
        uint256 debt = uint256(pos.borrowShares) * (uint256(m.totalBorrowAssets) + 1) / (uint256(m.totalBorrowShares) + 1e6);
        uint256 room = maxDebt > debt ? maxDebt - debt : 0;
        uint256 liquidity = m.totalSupplyAssets - m.totalBorrowAssets;
        return room < liquidity ? room : liquidity;
    }

    function repay(uint256 u, uint256 mi, uint256 amount, bool byShares, bool all) external {
        (address user, MarketParams memory p, bytes32 id) = _pick(u, mi);
        Snap memory before = _snap();
        uint256 shares = lending.position(id, user).borrowShares;
        if (shares == 0) return;
        loan.mint(user, MAX_AMOUNT);
        uint256 a;
        uint256 s;
        if (all) s = shares;
        else if (byShares) s = _bound(amount, 1, shares);
        else a = _bound(amount, 1, MAX_AMOUNT);
        vm.prank(user);
        try lending.repay(p, a, s, user) {
            calls["repay"]++;
        } catch {}
        _afterUserAction(before, user, id, false);
    }

    // ------------------------------------------------------------ liquidator and donor

    function liquidate(uint256 u, uint256 mi, uint256 amount, bool bySeized) external {
        (address user, MarketParams memory p, bytes32 id) = _pick(u, mi);
        Snap memory before = _snap();
        Position memory pos = lending.position(id, user);
        if (pos.borrowShares == 0) return;
        loan.mint(liquidator, MAX_AMOUNT * 10);
        uint256 seized = bySeized ? _bound(amount, 1, pos.collateral == 0 ? 1 : pos.collateral) : 0;
        uint256 repaid = bySeized ? 0 : _bound(amount, 1, pos.borrowShares);
        vm.prank(liquidator);
        try lending.liquidate(p, user, seized, repaid) {
            calls["liquidate"]++;
            if (!before.priceKnown) _flag("liquidated without a price");
            if (before.priceKnown && before.healthy[_mi(mi)][u % N_USERS]) _flag("liquidated a healthy position");
        } catch {}
        // The borrower is the "actor" whose position may change; nobody else's may. Bad debt may lower the
        // supply share price, so that check is off for liquidations.
        _afterAction(before, user, id, false, false, false);
    }

    /// @dev Tokens sent straight to the contract must change no accounting.
    function donate(bool toLoan, uint256 amount) external {
        Snap memory before = _snap();
        amount = _bound(amount, 1, MAX_AMOUNT);
        (toLoan ? loan : coll).mint(address(lending), amount);
        calls["donate"]++;
        _afterAction(before, address(0), bytes32(0), false, true, true);
    }

    // ------------------------------------------------------------ environment

    function setPrice(uint256 pct) external {
        pct = _bound(pct, 50, 150);
        int256 next = lastAnswer * int256(pct) / 100;
        if (next < 1e6) next = 1e6;
        if (next > 1e15) next = 1e15;
        lastAnswer = next;
        feed.setBroken(false);
        feed.setAnswer(next);
        calls["setPrice"]++;
    }

    /// @dev Time passes and the feed's heartbeat refreshes the same price.
    function warp(uint256 secs) external {
        vm.warp(block.timestamp + _bound(secs, 1, 2 days));
        feed.setAnswer(lastAnswer);
        calls["warp"]++;
    }

    function breakOracle(uint8 kind, int256 answer, uint256 age) external {
        kind %= 9;
        if (kind == 0) {
            if (block.timestamp <= STALENESS + 1) vm.warp(STALENESS + 2);
            feed.setAnswerAt(lastAnswer, block.timestamp - _bound(age, STALENESS + 1, block.timestamp - 1));
        } else if (kind == 1) {
            feed.setAnswer(0);
        } else if (kind == 2) {
            feed.setAnswer(answer < 0 ? answer : -(answer % type(int128).max) - 1);
        } else if (kind == 3) {
            feed.setBroken(true);
        } else if (kind == 4) {
            // Below the bounds (an aggregator clamped at its floor in a crash) or above them.
            uint256 a = uint256(answer < 0 ? -(answer + 1) : answer);
            feed.setAnswer(a % 2 == 0 ? int256(1 + a % uint256(MIN_ANSWER - 1)) : MAX_ANSWER + 1 + int256(a % 1e30));
        } else if (kind == 5) {
            sequencer.setStatus(true);
        } else if (kind == 6) {
            // Back up just now: the grace period runs from here (warp lets it pass).
            sequencer.setStatus(false);
        } else if (kind == 7) {
            sequencer.setRound(answer % 2, 0);
        } else {
            sequencer.setBroken(true);
        }
        calls["breakOracle"]++;
    }

    function fixOracle() external {
        feed.setBroken(false);
        feed.setAnswer(lastAnswer);
        sequencer.setBroken(false);
        sequencer.setRound(0, block.timestamp - GRACE_PERIOD);
        calls["fixOracle"]++;
    }

    // ------------------------------------------------------------ checks

    function _afterUserAction(Snap memory before, address actor, bytes32 id, bool mayWorsenOwn) private {
        _afterAction(before, actor, id, mayWorsenOwn, true, false);
    }

    function _afterAction(
        Snap memory before,
        address actor,
        bytes32 actorMarket,
        bool mayWorsenOwn,
        bool supplyPriceMonotone,
        bool isDonation
    ) private {
        Snap memory afterS = _snapNoAccrue();
        for (uint256 mi; mi < N_MARKETS; ++mi) {
            for (uint256 ui; ui < N_USERS; ++ui) {
                address user = users[ui];
                bool isActor = user == actor && ids[mi] == actorMarket;
                if (!isActor) {
                    Position memory a = before.pos[mi][ui];
                    Position memory b = afterS.pos[mi][ui];
                    if (a.supplyShares != b.supplyShares || a.borrowShares != b.borrowShares || a.collateral != b.collateral)
                    {
                        _flag("an action changed another account's position");
                    }
                }
                if (before.priceKnown && afterS.priceKnown && before.healthy[mi][ui] && !afterS.healthy[mi][ui]) {
                    // Borrowing or withdrawing collateral is checked by the contract itself, so the actor's
                    // position can only end unhealthy if the contract let it: that is a violation too.
                    if (!isActor || !mayWorsenOwn) _flag("a healthy position became unhealthy without price/interest");
                    else _flag("the contract let an action leave its actor unhealthy");
                }
            }
            Market memory m0 = before.m[mi];
            Market memory m1 = afterS.m[mi];
            // Borrow share price (assets per share) never rises except by interest (accrued before the snapshot).
            // Exception: when a repay or liquidation pays the last wei, the total is floored at zero (the 1 wei of
            // the virtual asset is not owed by anyone) and the price returns to the empty market's 1 / 1e6; every
            // remaining borrower then owes at most 1 wei, which the health check around the action still covers.
            if (
                m1.totalBorrowAssets != 0
                    && uint256(m1.totalBorrowAssets + 1) * (uint256(m0.totalBorrowShares) + 1e6)
                    > uint256(m0.totalBorrowAssets + 1) * (uint256(m1.totalBorrowShares) + 1e6)
            ) _flag("borrow share price rose without interest");
            if (supplyPriceMonotone) {
                // Supply share price never falls except by bad debt.
                if (
                    uint256(m1.totalSupplyAssets + 1) * (uint256(m0.totalSupplyShares) + 1e6)
                        < uint256(m0.totalSupplyAssets + 1) * (uint256(m1.totalSupplyShares) + 1e6)
                ) _flag("supply share price fell without bad debt");
            }
            if (isDonation) {
                // Donations: totals must be untouched.
                if (keccak256(abi.encode(m0)) != keccak256(abi.encode(m1))) _flag("a donation changed accounting");
            }
        }
    }

    function _snap() private returns (Snap memory s) {
        for (uint256 mi; mi < N_MARKETS; ++mi) lending.accrueInterest(_params[mi]);
        return _snapNoAccrue();
    }

    function _snapNoAccrue() private view returns (Snap memory s) {
        (s.priceKnown,) = oracle.tryPrice();
        for (uint256 mi; mi < N_MARKETS; ++mi) {
            s.m[mi] = lending.market(ids[mi]);
            for (uint256 ui; ui < N_USERS; ++ui) {
                s.pos[mi][ui] = lending.position(ids[mi], users[ui]);
                if (s.priceKnown) (, s.healthy[mi][ui]) = lending.isHealthy(_params[mi], users[ui]);
            }
        }
    }

    function _flag(string memory what) private {
        if (bytes(violation).length == 0) violation = what;
    }

    function _pick(uint256 u, uint256 mi) private view returns (address, MarketParams memory, bytes32) {
        mi = _mi(mi);
        return (users[u % N_USERS], _params[mi], ids[mi]);
    }

    function _mi(uint256 mi) private pure returns (uint256) {
        return mi % N_MARKETS;
    }

    function _approve(address who) private {
        vm.startPrank(who);
        loan.approve(address(lending), type(uint256).max);
        coll.approve(address(lending), type(uint256).max);
        vm.stopPrank();
    }

    function _bound(uint256 x, uint256 lo, uint256 hi) private pure returns (uint256) {
        if (hi <= lo) return lo;
        return lo + x % (hi - lo + 1);
    }
}

/// @notice Invariant campaign over `LendingHandler` (all actors, donations, price, time, oracle failures).
/// @dev CI default is a shorter campaign; `scripts/bench/lending-invariants-full.sh` runs the owner's 1,000 x 50.
contract LendingInvariantsTest {
    LendingHandler internal handler;
    CoinPaysLending internal lending;
    MockERC20 internal loan;
    MockERC20 internal coll;

    function setUp() public {
        handler = new LendingHandler();
        lending = handler.lending();
        loan = handler.loan();
        coll = handler.coll();
    }

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Only the actions: the handler's getters would dilute the campaign.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory s = new bytes4[](13);
        s[0] = LendingHandler.supply.selector;
        s[1] = LendingHandler.withdraw.selector;
        s[2] = LendingHandler.supplyCollateral.selector;
        s[3] = LendingHandler.withdrawCollateral.selector;
        s[4] = LendingHandler.borrow.selector;
        s[5] = LendingHandler.borrow.selector; // borrowing twice as often gives liquidations something to do
        s[6] = LendingHandler.repay.selector;
        s[7] = LendingHandler.liquidate.selector;
        s[8] = LendingHandler.donate.selector;
        s[9] = LendingHandler.setPrice.selector;
        s[10] = LendingHandler.warp.selector;
        s[11] = LendingHandler.breakOracle.selector;
        s[12] = LendingHandler.fixOracle.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), s);
    }

    /// forge-config: default.invariant.runs = 1000
    /// forge-config: default.invariant.depth = 50
    function invariant_lending() public {
        // Properties checked around each single action by the handler.
        require(bytes(handler.violation()).length == 0, handler.violation());

        uint256 owedLoan;
        uint256 heldCollateral;
        for (uint256 mi; mi < handler.nMarkets(); ++mi) {
            bytes32 id = handler.ids(mi);
            Market memory m = lending.market(id);
            // Total supply >= total borrow.
            require(m.totalSupplyAssets >= m.totalBorrowAssets, "borrow exceeds supply");
            owedLoan += m.totalSupplyAssets - m.totalBorrowAssets;

            uint256 supplyShares = lending.position(id, handler.feeTo()).supplyShares;
            uint256 withdrawable = _assetsDown(supplyShares, m);
            uint256 borrowShares;
            for (uint256 ui; ui < handler.nUsers(); ++ui) {
                Position memory p = lending.position(id, handler.users(ui));
                supplyShares += p.supplyShares;
                withdrawable += _assetsDown(p.supplyShares, m);
                borrowShares += p.borrowShares;
                heldCollateral += p.collateral;
            }
            require(supplyShares == m.totalSupplyShares, "supply shares do not add up");
            require(borrowShares == m.totalBorrowShares, "borrow shares do not add up");
            // Rounding favours the protocol: all lenders together can never withdraw more than the market holds.
            require(withdrawable <= m.totalSupplyAssets, "lenders could withdraw more than supplied");
        }
        // Contract balances cover supply - borrow (loan token) and all collateral; donations only add.
        require(loan.balanceOf(address(lending)) >= owedLoan, "loan balance short");
        require(coll.balanceOf(address(lending)) >= heldCollateral, "collateral balance short");

        _checkExits();
    }

    /// @dev Repay-all and withdraw-all are always possible, whatever the oracle does: every borrower can repay by
    /// shares and take all its collateral back; every lender can take all its supply when liquidity allows.
    function _checkExits() private {
        for (uint256 mi; mi < handler.nMarkets(); ++mi) {
            MarketParams memory p = handler.params(mi);
            bytes32 id = handler.ids(mi);
            for (uint256 ui; ui < handler.nUsers(); ++ui) {
                address user = handler.users(ui);
                Position memory pos = lending.position(id, user);
                uint256 snap = vm.snapshotState();
                if (pos.borrowShares != 0) {
                    loan.mint(user, type(uint128).max);
                    vm.prank(user);
                    lending.repay(p, 0, pos.borrowShares, user);
                }
                if (pos.collateral != 0) {
                    vm.prank(user);
                    lending.withdrawCollateral(p, pos.collateral, user, user);
                }
                Market memory m = lending.market(id);
                if (pos.supplyShares != 0 && m.totalSupplyAssets - m.totalBorrowAssets >= _assetsDown(pos.supplyShares, m)) {
                    vm.prank(user);
                    lending.withdraw(p, 0, pos.supplyShares, user, user);
                }
                vm.revertToState(snap);
            }
        }
    }

    function _assetsDown(uint256 shares, Market memory m) private pure returns (uint256) {
        return shares * (uint256(m.totalSupplyAssets) + 1) / (uint256(m.totalSupplyShares) + 1e6);
    }
}
