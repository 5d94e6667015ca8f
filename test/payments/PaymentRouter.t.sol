// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase, vm} from "../utils/Vm.sol";
import {PaymentRouter} from "../../contracts/payments/PaymentRouter.sol";
import {IPaymentRouter} from "../../contracts/interfaces/IPaymentRouter.sol";
import {IPlatformFees} from "../../contracts/interfaces/IPlatformFees.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";

/// @notice Fuzz tests of the router's fee math and conservation of funds (paid = fee + merchant share).
contract PaymentRouterFuzzTest is TestBase {
    PaymentRouter internal router;
    MockERC20 internal usdc;
    MockERC20 internal dai;
    address internal constant FEE_RECIPIENT = address(0xFEE0);
    address internal constant PAYER = address(0xBEEF0);

    function setUp() public {
        router = new PaymentRouter(address(this), FEE_RECIPIENT, 100);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        dai = new MockERC20("Dai", "DAI", 18);
        router.setTokenAccepted(address(0), true);
        router.setTokenAccepted(address(usdc), true);
        router.setTokenAccepted(address(dai), true);
    }

    function _merchant(uint256 seed) internal pure returns (address) {
        // A hashed address: never a precompile, never a contract, so it accepts native coin.
        return address(uint160(uint256(keccak256(abi.encode("merchant", seed)))));
    }

    function testFuzz_feeIsAmountTimesBpsRoundedDown(uint256 amount, uint16 bps) public pure {
        amount = bound(amount, 0, type(uint96).max);
        bps = uint16(bound(bps, 0, 500));
        uint256 fee = amount * bps / 10_000;
        // Rounded down: fee * 10_000 <= amount * bps < (fee + 1) * 10_000.
        assertLe(fee * 10_000, amount * bps, "fee rounds up");
        assertTrue(amount * bps < (fee + 1) * 10_000, "fee rounds down by more than one unit");
        assertLe(fee, amount / 20, "fee above 5%");
    }

    function testFuzz_setFeeAboveCapReverts(uint16 bps) public {
        bps = uint16(bound(bps, 501, type(uint16).max));
        vm.expectRevert(abi.encodeWithSelector(IPlatformFees.FeeTooHigh.selector, uint256(bps), uint256(500)));
        router.setFee(FEE_RECIPIENT, bps);
    }

    function testFuzz_erc20PayConservesFunds(uint256 amount, uint16 bps, uint256 merchantSeed, bytes32 orderRef, bool eighteen)
        public
    {
        amount = bound(amount, 1, type(uint96).max);
        bps = uint16(bound(bps, 0, 500));
        router.setFee(FEE_RECIPIENT, bps);
        MockERC20 token = eighteen ? dai : usdc;
        address merchant = _merchant(merchantSeed);

        token.mint(PAYER, amount);
        vm.startPrank(PAYER);
        token.approve(address(router), type(uint256).max);
        router.pay(orderRef, merchant, address(token), amount);
        vm.stopPrank();

        uint256 fee = amount * bps / 10_000;
        assertEq(token.balanceOf(FEE_RECIPIENT), fee, "fee");
        assertEq(token.balanceOf(merchant), amount - fee, "merchant share");
        assertEq(token.balanceOf(merchant) + token.balanceOf(FEE_RECIPIENT), amount, "paid = fee + merchant");
        assertEq(token.balanceOf(PAYER), 0, "payer paid exactly amount");
        assertEq(token.balanceOf(address(router)), 0, "router holds tokens");
        IPaymentRouter.Settlement memory s = router.settlementOf(merchant, orderRef);
        assertEq(s.amount, amount, "recorded amount");
        assertEq(s.token, address(token), "recorded token");
    }

    function testFuzz_nativePayConservesFunds(uint256 amount, uint16 bps, uint256 merchantSeed, bytes32 orderRef) public {
        amount = bound(amount, 1, type(uint96).max);
        bps = uint16(bound(bps, 0, 500));
        router.setFee(FEE_RECIPIENT, bps);
        address merchant = _merchant(merchantSeed);
        uint256 feeBefore = FEE_RECIPIENT.balance;

        vm.deal(PAYER, amount);
        vm.prank(PAYER);
        router.pay{value: amount}(orderRef, merchant, address(0), amount);

        uint256 fee = amount * bps / 10_000;
        assertEq(FEE_RECIPIENT.balance - feeBefore, fee, "fee");
        assertEq(merchant.balance, amount - fee, "merchant share");
        assertEq(PAYER.balance, 0, "payer paid exactly amount");
        assertEq(address(router).balance, 0, "router holds native coin");
    }

    function testFuzz_amountAbove96BitsReverts(uint256 amount) public {
        amount = bound(amount, uint256(type(uint96).max) + 1, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IPaymentRouter.AmountTooLarge.selector, amount));
        router.pay(bytes32(uint256(1)), _merchant(1), address(usdc), amount);
    }

    function testFuzz_refundsNeverExceedPayment(uint256 amount, uint256 first, uint256 second) public {
        amount = bound(amount, 1, type(uint96).max);
        address merchant = _merchant(amount);
        bytes32 orderRef = keccak256(abi.encode(amount));
        usdc.mint(PAYER, amount);
        vm.startPrank(PAYER);
        usdc.approve(address(router), amount);
        router.pay(orderRef, merchant, address(usdc), amount);
        vm.stopPrank();

        usdc.mint(merchant, amount * 2);
        vm.prank(merchant);
        usdc.approve(address(router), type(uint256).max);

        first = bound(first, 1, amount);
        vm.prank(merchant);
        router.refund(orderRef, PAYER, first);
        second = bound(second, 1, type(uint96).max);
        uint256 refundable = amount - first;
        if (second > refundable) {
            vm.expectRevert(abi.encodeWithSelector(IPaymentRouter.RefundExceedsPayment.selector, second, refundable));
            vm.prank(merchant);
            router.refund(orderRef, PAYER, second);
            assertEq(router.refundedOf(merchant, orderRef), first, "refunded after rejected refund");
        } else {
            vm.prank(merchant);
            router.refund(orderRef, PAYER, second);
            assertEq(router.refundedOf(merchant, orderRef), first + second, "refunded total");
        }
        assertLe(router.refundedOf(merchant, orderRef), amount, "refunded above paid");
        assertEq(usdc.balanceOf(PAYER), router.refundedOf(merchant, orderRef), "payer got the refunds");
    }
}
