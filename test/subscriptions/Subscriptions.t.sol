// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Subscriptions} from "../../contracts/payments/Subscriptions.sol";
import {ISubscriptions} from "../../contracts/interfaces/ISubscriptions.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {TestBase, vm} from "../utils/Vm.sol";

/// @title SubscriptionsHandler
/// @notice (In this .t.sol file because Hardhat only hands test-file contracts to the invariant runner.)
/// Charges, batch-charges, cancels, toggles allowances and moves time for a few subscriptions, and counts
/// every successful charge per (subscription, period) from the subscriber's balance change.
contract SubscriptionsHandler {

    Subscriptions public immutable subs;
    MockERC20 public immutable token;
    address public immutable feeRecipient;
    uint256[] public ids;
    mapping(uint256 id => mapping(uint256 period => uint256)) public timesCharged;
    bool public doubleCharged;
    uint256 public totalPulled;

    constructor(Subscriptions subs_, MockERC20 token_, address feeRecipient_, uint256[] memory ids_) {
        subs = subs_;
        token = token_;
        feeRecipient = feeRecipient_;
        ids = ids_;
    }

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function charge(uint256 seed) external {
        uint256 id = ids[seed % ids.length];
        (uint256 period, bool due) = subs.currentPeriod(id);
        address subscriber = subs.getSubscription(id).subscriber;
        uint256 before = token.balanceOf(subscriber);
        try subs.charge(id) {} catch {}
        _book(id, period, due, before - token.balanceOf(subscriber));
    }

    function chargeBatch(uint256 a, uint256 b, uint256 c) external {
        uint256[] memory batch = new uint256[](3);
        batch[0] = ids[a % ids.length];
        batch[1] = ids[b % ids.length];
        batch[2] = ids[c % ids.length];
        uint256[3] memory periods;
        bool[3] memory due;
        uint256[3] memory before;
        for (uint256 i; i < 3; ++i) {
            (periods[i], due[i]) = subs.currentPeriod(batch[i]);
            before[i] = token.balanceOf(subs.getSubscription(batch[i]).subscriber);
        }
        subs.chargeBatch(batch);
        for (uint256 i; i < 3; ++i) {
            // Each subscriber has one subscription, so a repeated id shows its whole batch delta once.
            bool repeated = (i > 0 && batch[i] == batch[0]) || (i > 1 && batch[i] == batch[1]);
            if (repeated) continue;
            _book(batch[i], periods[i], due[i], before[i] - token.balanceOf(subs.getSubscription(batch[i]).subscriber));
        }
    }

    function cancel(uint256 seed, bool byMerchant) external {
        uint256 id = ids[seed % ids.length];
        ISubscriptions.Subscription memory sub = subs.getSubscription(id);
        if (sub.status == ISubscriptions.Status.Cancelled) return;
        vm.prank(byMerchant ? subs.getPlan(sub.planId).merchant : sub.subscriber);
        subs.cancel(id);
    }

    function setAllowance(uint256 seed, bool allow) external {
        address subscriber = subs.getSubscription(ids[seed % ids.length]).subscriber;
        vm.prank(subscriber);
        token.approve(address(subs), allow ? type(uint256).max : 0);
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 20 days);
    }

    function _book(uint256 id, uint256 period, bool due, uint256 pulled) private {
        if (pulled == 0) return;
        require(due, "charged while not due");
        totalPulled += pulled;
        if (++timesCharged[id][period] > 1) doubleCharged = true;
    }
}

/// @title SubscriptionsTest
/// @notice Fuzz tests (1,000 runs) and an invariant campaign (1,000 runs, depth 25) for Subscriptions.
contract SubscriptionsTest is TestBase {
    address internal constant OWNER = address(0x0A11);
    address internal constant FEES = address(0xFEE5);
    address internal constant MERCHANT = address(0x3E3C);
    uint256 internal constant SUBSCRIBER_KEY = 0x5AB5;

    Subscriptions internal subs;
    MockERC20 internal token;
    SubscriptionsHandler internal handler;

    function setUp() public {
        subs = new Subscriptions(OWNER, FEES, 100);
        token = new MockERC20("USD Coin", "USDC", 6);
        vm.prank(OWNER);
        subs.setTokenAccepted(address(token), true);
        vm.startPrank(MERCHANT);
        uint256 weekly = subs.createPlan(address(token), 7_000_000, 7 days, 0);
        uint256 monthlyTrial = subs.createPlan(address(token), 30_000_000, 30 days, 3 days);
        uint256 hourly = subs.createPlan(address(token), 1_000, 1 hours, 0);
        vm.stopPrank();
        uint256[] memory planIds = new uint256[](3);
        planIds[0] = weekly;
        planIds[1] = monthlyTrial;
        planIds[2] = hourly;
        uint256[] memory ids = new uint256[](5);
        for (uint256 i; i < 5; ++i) {
            address subscriber = address(uint160(0x5B00 + i));
            // Subscriber 4 holds too little for more than a few charges.
            token.mint(subscriber, i == 4 ? 20_000_000 : 1e15);
            vm.startPrank(subscriber);
            token.approve(address(subs), type(uint256).max);
            ids[i] = subs.subscribe(planIds[i % 3], type(uint256).max);
            vm.stopPrank();
        }
        handler = new SubscriptionsHandler(subs, token, FEES, ids);
    }

    /// @dev Read by the invariant runner: only the handler is called during a campaign.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev No (subscription, period) is ever charged twice, and nothing is charged when not due.
    /// forge-config: default.invariant.runs = 1000
    /// forge-config: default.invariant.depth = 25
    function invariant_neverChargesTwiceInAPeriod() public view {
        assertTrue(!handler.doubleCharged(), "double charge");
    }

    /// @dev The contract never holds funds: whatever left subscribers reached the merchant and the fee
    /// recipient, and nextPeriod is past every charged period.
    /// forge-config: default.invariant.runs = 1000
    /// forge-config: default.invariant.depth = 25
    function invariant_chargesReachMerchantAndFees() public view {
        assertEq(token.balanceOf(address(subs)), 0, "contract holds tokens");
        assertEq(token.balanceOf(MERCHANT) + token.balanceOf(FEES), handler.totalPulled(), "pulled != paid out");
    }

    /// @dev Charging at any time bills the current period index, once; a second charge in the same period
    /// reverts; the fee split always adds up.
    function testFuzz_chargeOncePerPeriod(uint256 amount, uint32 period, uint32 trial, uint256 elapsed, uint16 feeBps)
        public
    {
        amount = bound(amount, 1, type(uint96).max);
        period = uint32(bound(period, subs.MIN_PERIOD(), subs.MAX_PERIOD()));
        trial = uint32(bound(trial, 0, subs.MAX_TRIAL()));
        feeBps = uint16(bound(feeBps, 0, subs.MAX_FEE_BPS()));
        vm.prank(OWNER);
        subs.setFee(FEES, feeBps);
        uint256 id = _subscribeTo(amount, period, trial);
        uint256 anchor = block.timestamp + trial;
        vm.warp(anchor + bound(elapsed, 0, 50 * uint256(period)));
        uint256 expectedPeriod = (block.timestamp - anchor) / period;
        (uint256 current, bool due) = subs.currentPeriod(id);
        assertEq(current, expectedPeriod, "period index");
        assertTrue(due, "due");
        _chargeAndCheckSplit(id, amount, feeBps);
        assertEq(subs.getSubscription(id).nextPeriod, expectedPeriod + 1, "next period");

        vm.expectRevert(abi.encodeWithSelector(ISubscriptions.AlreadyCharged.selector, id, expectedPeriod));
        subs.charge(id);
    }

    function _subscribeTo(uint256 amount, uint32 period, uint32 trial) internal returns (uint256 id) {
        vm.prank(MERCHANT);
        uint256 planId = subs.createPlan(address(token), amount, period, trial);
        address subscriber = address(0xCAFE);
        token.mint(subscriber, amount);
        vm.startPrank(subscriber);
        token.approve(address(subs), type(uint256).max);
        id = subs.subscribe(planId, amount);
        vm.stopPrank();
    }

    function _chargeAndCheckSplit(uint256 id, uint256 amount, uint16 feeBps) internal {
        uint256 merchantBefore = token.balanceOf(MERCHANT);
        uint256 feesBefore = token.balanceOf(FEES);
        assertTrue(subs.charge(id), "charged");
        uint256 fee = amount * feeBps / 10_000;
        assertEq(token.balanceOf(FEES) - feesBefore, fee, "fee");
        assertEq(token.balanceOf(MERCHANT) - merchantBefore, amount - fee, "merchant share");
    }

    /// @dev Signed terms create exactly the subscription signed for, once.
    function testFuzz_subscribeWithSignature(uint40 start, uint256 maxAmount, address relayer) public {
        vm.assume(relayer != address(0));
        start = uint40(bound(start, 0, type(uint40).max - 30 days));
        maxAmount = bound(maxAmount, 7_000_000, type(uint256).max);
        address subscriber = vm.addr(SUBSCRIBER_KEY);
        ISubscriptions.SubscriptionTerms memory terms = ISubscriptions.SubscriptionTerms({
            subscriber: subscriber,
            planId: 1,
            maxAmount: maxAmount,
            period: 7 days,
            start: start,
            nonce: subs.nonces(subscriber),
            deadline: block.timestamp
        });
        bytes memory signature = _sign(terms);
        vm.prank(relayer);
        uint256 id = subs.subscribeWithSignature(terms, signature);
        ISubscriptions.Subscription memory sub = subs.getSubscription(id);
        assertTrue(sub.subscriber == subscriber, "subscriber");
        assertEq(sub.anchor, start, "anchor");
        assertEq(subs.nonces(subscriber), 1, "nonce used");
        vm.expectRevert(abi.encodeWithSignature("InvalidAccountNonce(address,uint256)", subscriber, 1));
        subs.subscribeWithSignature(terms, signature);
    }

    function _sign(ISubscriptions.SubscriptionTerms memory terms) internal view returns (bytes memory) {
        bytes32 structHash = keccak256(
            abi.encode(
                subs.SUBSCRIPTION_TERMS_TYPEHASH(),
                terms.subscriber,
                terms.planId,
                terms.maxAmount,
                terms.period,
                terms.start,
                terms.nonce,
                terms.deadline
            )
        );
        bytes32 domainSeparator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("CoinPays Subscriptions"),
                keccak256("1"),
                block.chainid,
                address(subs)
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(SUBSCRIBER_KEY, keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash)));
        return abi.encodePacked(r, s, v);
    }
}
