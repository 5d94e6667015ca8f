// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LoyaltyCheckout} from "../../contracts/loyalty/LoyaltyCheckout.sol";
import {LoyaltyToken} from "../../contracts/loyalty/LoyaltyToken.sol";
import {ILoyaltyCheckout} from "../../contracts/interfaces/ILoyaltyCheckout.sol";
import {ILoyaltyProgramFactory} from "../../contracts/interfaces/ILoyaltyProgramFactory.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {TestBase, vm} from "../utils/Vm.sol";

/// @notice A payer account the handler acts through (so the payer is a real, distinct msg.sender).
contract Payer {
    function pay(LoyaltyCheckout c, bytes32 orderRef, address merchant, address token, uint256 amount) external {
        c.pay(orderRef, merchant, token, amount);
    }

    function payWithRedemption(
        LoyaltyCheckout c,
        bytes32 orderRef,
        address merchant,
        address token,
        uint256 amount,
        uint256 discount
    ) external {
        c.payWithRedemption(orderRef, merchant, token, amount, discount);
    }

    function approve(MockERC20 token, address spender) external {
        token.approve(spender, type(uint256).max);
    }

    function give(LoyaltyToken points, address to, uint256 amount) external {
        points.transfer(to, amount);
    }
}

/// @notice Drives the checkout with random payments, redemptions, refunds and point transfers.
contract LoyaltyHandler is TestBase {
    LoyaltyCheckout public immutable checkout;
    MockERC20 public immutable usdc;
    LoyaltyToken public immutable points;
    address public immutable merchant;
    Payer[3] public payers;
    bytes32[] public orders;
    /// @dev Set if the merchant ever received more than the cash paid or a refund sent more than requested.
    bool public moneyBroken;
    uint256 public cashPaid;

    constructor(LoyaltyCheckout checkout_, MockERC20 usdc_, LoyaltyToken points_, address merchant_) {
        checkout = checkout_;
        usdc = usdc_;
        points = points_;
        merchant = merchant_;
        for (uint256 i; i < 3; ++i) {
            payers[i] = new Payer();
            usdc.mint(address(payers[i]), 1e30);
            payers[i].approve(usdc, address(checkout));
        }
    }

    function pay(uint256 payerIndex, uint256 amount) external {
        amount = bound(amount, 1, 1e24);
        bytes32 orderRef = keccak256(abi.encode(orders.length));
        uint256 before = usdc.balanceOf(merchant);
        payers[payerIndex % 3].pay(checkout, orderRef, merchant, address(usdc), amount);
        if (usdc.balanceOf(merchant) - before > amount) moneyBroken = true;
        cashPaid += amount;
        orders.push(orderRef);
    }

    function payWithPoints(uint256 payerIndex, uint256 amount, uint256 discount) external {
        Payer payer = payers[payerIndex % 3];
        uint256 held = points.balanceOf(address(payer));
        if (held == 0) return;
        discount = bound(discount, 1, held);
        amount = bound(amount, discount, discount + 1e24);
        bytes32 orderRef = keccak256(abi.encode(orders.length));
        uint256 before = usdc.balanceOf(merchant);
        payer.payWithRedemption(checkout, orderRef, merchant, address(usdc), amount, discount);
        if (usdc.balanceOf(merchant) - before > amount - discount) moneyBroken = true;
        cashPaid += amount - discount;
        orders.push(orderRef);
    }

    function refund(uint256 orderIndex, uint256 amount) external {
        if (orders.length == 0) return;
        bytes32 orderRef = orders[orderIndex % orders.length];
        ILoyaltyCheckout.Order memory order = checkout.orderOf(merchant, orderRef);
        uint256 refundable = order.amount - order.discount - order.refunded;
        if (refundable == 0) return;
        amount = bound(amount, 1, refundable);
        vm.prank(merchant);
        uint256 cash = checkout.refund(orderRef, address(0xBEEF), amount);
        if (cash > amount) moneyBroken = true;
    }

    function movePoints(uint256 from, uint256 to, uint256 amount) external {
        Payer a = payers[from % 3];
        uint256 held = points.balanceOf(address(a));
        if (held == 0) return;
        a.give(points, address(payers[to % 3]), bound(amount, 1, held));
    }

    function setRate(uint16 bps) external {
        vm.prank(merchant);
        points.setRewardRate(uint16(bound(bps, 0, 10_000)));
    }

    function sumOfHolders() external view returns (uint256 sum) {
        for (uint256 i; i < 3; ++i) sum += points.balanceOf(address(payers[i]));
    }
}

/// @notice Loyalty supply invariants under random use.
/// forge-config: default.invariant.runs = 128
/// forge-config: default.invariant.depth = 32
contract LoyaltyInvariantTest is TestBase {
    LoyaltyCheckout internal checkout;
    MockERC20 internal usdc;
    LoyaltyToken internal points;
    LoyaltyHandler internal handler;
    address internal constant MERCHANT = address(0x3E7C);

    function setUp() public {
        checkout = new LoyaltyCheckout(address(this), address(0xFEE), 100);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        checkout.setTokenAccepted(address(usdc), true);
        ILoyaltyProgramFactory factory = checkout.loyaltyFactory();
        vm.prank(MERCHANT);
        points = LoyaltyToken(factory.createProgram("Points", "PTS", address(usdc), 500, false));
        require(factory.programOf(MERCHANT) == address(points), "program");
        usdc.mint(MERCHANT, 1e30);
        vm.prank(MERCHANT);
        usdc.approve(address(checkout), type(uint256).max);
        handler = new LoyaltyHandler(checkout, usdc, points, MERCHANT);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice supply = minted - redeemed - clawed back, and only the payers hold points.
    function invariant_supplyIsMintedMinusRedeemedMinusClawedBack() public view {
        assertEq(
            points.totalSupply(),
            points.totalMinted() - points.totalRedeemed() - points.totalClawedBack(),
            "supply"
        );
        assertEq(handler.sumOfHolders(), points.totalSupply(), "holders");
    }

    /// @notice Points only exist for payments that earned them: never more than 100% of the cash ever paid.
    function invariant_mintedBoundedByCash() public view {
        assertLe(points.totalMinted(), handler.cashPaid(), "minted <= cash paid");
    }

    /// @notice The checkout never keeps cash, and merchants never receive more than the cash paid.
    function invariant_noFundsStuckOrCreated() public view {
        assertEq(usdc.balanceOf(address(checkout)), 0, "checkout holds nothing");
        if (handler.moneyBroken()) revert("money accounting broken");
    }
}

/// @notice Fuzz tests of one payment and its refunds.
contract LoyaltyFuzzTest is TestBase {
    LoyaltyCheckout internal checkout;
    MockERC20 internal usdc;
    LoyaltyToken internal points;
    address internal constant MERCHANT = address(0x3E7C);

    function setUp() public {
        checkout = new LoyaltyCheckout(address(this), address(0xFEE), 100);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        checkout.setTokenAccepted(address(usdc), true);
        ILoyaltyProgramFactory factory = checkout.loyaltyFactory();
        vm.prank(MERCHANT);
        points = LoyaltyToken(factory.createProgram("Points", "PTS", address(usdc), 500, true));
        require(factory.programOf(MERCHANT) == address(points), "program");
        usdc.mint(MERCHANT, 1e30);
        vm.prank(MERCHANT);
        usdc.approve(address(checkout), type(uint256).max);
        usdc.mint(address(this), 1e30);
        usdc.approve(address(checkout), type(uint256).max);
    }

    function testFuzz_payMintsAtRateAndSplitsFee(uint256 amount, uint16 bps) public {
        amount = bound(amount, 1, type(uint96).max);
        bps = uint16(bound(bps, 0, 10_000));
        vm.prank(MERCHANT);
        points.setRewardRate(bps);
        checkout.pay(bytes32("o"), MERCHANT, address(usdc), amount);
        uint256 fee = amount * 100 / 10_000;
        assertEq(usdc.balanceOf(address(0xFEE)), fee, "fee");
        assertEq(usdc.balanceOf(MERCHANT), 1e30 + amount - fee, "merchant");
        assertEq(points.balanceOf(address(this)), amount * bps / 10_000, "points");
    }

    function testFuzz_partialRefundsClawBackExactlyAll(uint256 amount, uint256 cut1, uint256 cut2) public {
        amount = bound(amount, 3, 1e24);
        checkout.pay(bytes32("o"), MERCHANT, address(usdc), amount);
        uint256 minted = points.balanceOf(address(this));
        cut1 = bound(cut1, 1, amount - 2);
        cut2 = bound(cut2, 1, amount - cut1 - 1);
        vm.startPrank(MERCHANT);
        checkout.refund(bytes32("o"), address(this), cut1);
        checkout.refund(bytes32("o"), address(this), cut2);
        assertLe(points.totalClawedBack(), minted, "never more than minted");
        checkout.refund(bytes32("o"), address(this), amount - cut1 - cut2);
        vm.stopPrank();
        assertEq(points.totalClawedBack(), minted, "all clawed back");
        assertEq(points.totalSupply(), 0, "supply");
    }

    function testFuzz_redemptionDiscountFundedByMerchant(uint256 amount, uint256 discount) public {
        checkout.pay(bytes32("earn"), MERCHANT, address(usdc), 1e24); // 5e22 points
        uint256 held = points.balanceOf(address(this));
        discount = bound(discount, 1, held);
        amount = bound(amount, discount, discount + 1e24);
        uint256 merchantBefore = usdc.balanceOf(MERCHANT);
        uint256 payerBefore = usdc.balanceOf(address(this));
        checkout.payWithRedemption(bytes32("r"), MERCHANT, address(usdc), amount, discount);
        uint256 cash = amount - discount;
        assertEq(payerBefore - usdc.balanceOf(address(this)), cash, "payer pays the remainder");
        assertEq(usdc.balanceOf(MERCHANT) - merchantBefore, cash - cash * 100 / 10_000, "merchant gets cash - fee");
        assertEq(points.balanceOf(address(this)), held - discount + cash * 500 / 10_000, "points");
    }
}
