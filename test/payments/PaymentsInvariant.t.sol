// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase, vm} from "../utils/Vm.sol";
import {PaymentRouter} from "../../contracts/payments/PaymentRouter.sol";
import {IPaymentRouter} from "../../contracts/interfaces/IPaymentRouter.sol";
import {DepositAddressFactory} from "../../contracts/payments/DepositAddressFactory.sol";
import {IDepositAddressFactory} from "../../contracts/interfaces/IDepositAddressFactory.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";

/// @notice Drives the router and the factory with random pays, refunds, deposits, single and batch sweeps
/// and fee changes by random actors, keeping ghost totals for the invariants.
contract PaymentsHandler is TestBase {
    PaymentRouter public immutable router;
    DepositAddressFactory public immutable factory;
    MockERC20 public immutable usdc;
    MockERC20 public immutable dai;
    address public constant FEE_RECIPIENT = address(0xFEE0);

    struct OrderKey {
        address merchant;
        bytes32 orderRef;
    }

    OrderKey[] internal _paidOrders;
    /// @dev Ghost: every amount that entered the system and every fee that should have left it, per token.
    mapping(address token => uint256) public ghostDeposited;
    mapping(address token => uint256) public ghostSwept;
    mapping(address token => uint256) public ghostFees;
    uint256 public calls;

    constructor() {
        router = new PaymentRouter(address(this), FEE_RECIPIENT, 100);
        factory = new DepositAddressFactory(address(this), FEE_RECIPIENT, 100);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        dai = new MockERC20("Dai", "DAI", 18);
        address[3] memory tokens = [address(0), address(usdc), address(dai)];
        for (uint256 i; i < 3; ++i) {
            router.setTokenAccepted(tokens[i], true);
            factory.setTokenAccepted(tokens[i], true);
        }
    }

    // ---------------------------------------------------------------- helpers

    function paidOrderCount() external view returns (uint256) {
        return _paidOrders.length;
    }

    function paidOrder(uint256 i) external view returns (address merchant, bytes32 orderRef) {
        OrderKey memory k = _paidOrders[i];
        return (k.merchant, k.orderRef);
    }

    function _actor(uint256 seed) internal pure returns (address) {
        return address(uint160(0xA000 + seed % 5));
    }

    function _merchant(uint256 seed) internal pure returns (address) {
        return address(uint160(0xB000 + seed % 3));
    }

    function _ref(uint256 seed) internal pure returns (bytes32) {
        return bytes32(seed % 6); // few references, so collisions (and rejected re-payments) happen
    }

    function _token(uint256 seed) internal view returns (address) {
        uint256 t = seed % 3;
        return t == 0 ? address(0) : t == 1 ? address(usdc) : address(dai);
    }

    function _balance(address token, address account) internal view returns (uint256) {
        return token == address(0) ? account.balance : MockERC20(token).balanceOf(account);
    }

    function _give(address token, address account, uint256 amount) internal {
        if (token == address(0)) vm.deal(account, account.balance + amount);
        else MockERC20(token).mint(account, amount);
    }

    // ---------------------------------------------------------------- actions

    function pay(uint256 actorSeed, uint256 merchantSeed, uint256 refSeed, uint256 tokenSeed, uint256 amount) external {
        ++calls;
        address payer = _actor(actorSeed);
        address merchant = _merchant(merchantSeed);
        bytes32 orderRef = _ref(refSeed);
        address token = _token(tokenSeed);
        amount = bound(amount, 1, 1e27);
        (, uint16 bps) = router.feeConfig();
        bool alreadyPaid = router.settlementOf(merchant, orderRef).amount != 0;

        _give(token, payer, amount);
        uint256 value = token == address(0) ? amount : 0;
        if (token != address(0)) {
            vm.prank(payer);
            MockERC20(token).approve(address(router), amount);
        }
        if (alreadyPaid) {
            vm.expectRevert(abi.encodeWithSelector(IPaymentRouter.OrderAlreadySettled.selector, merchant, orderRef));
            vm.prank(payer);
            router.pay{value: value}(orderRef, merchant, token, amount);
            return;
        }
        vm.prank(payer);
        router.pay{value: value}(orderRef, merchant, token, amount);
        _paidOrders.push(OrderKey(merchant, orderRef));
        ghostFees[token] += amount * bps / 10_000;
    }

    function refund(uint256 merchantSeed, uint256 refSeed, uint256 actorSeed, uint256 amount, bool tryTooMuch) external {
        ++calls;
        address merchant = _merchant(merchantSeed);
        bytes32 orderRef = _ref(refSeed);
        IPaymentRouter.Settlement memory s = router.settlementOf(merchant, orderRef);
        if (s.amount == 0) {
            vm.expectRevert(abi.encodeWithSelector(IPaymentRouter.PaymentNotFound.selector, merchant, orderRef));
            vm.prank(merchant);
            router.refund(orderRef, _actor(actorSeed), 1);
            return;
        }
        uint256 refundable = s.amount - router.refundedOf(merchant, orderRef);
        if (tryTooMuch || refundable == 0) {
            amount = bound(amount, refundable + 1, refundable + 1e27);
        } else {
            amount = bound(amount, 1, refundable);
        }
        _give(s.token, merchant, amount);
        uint256 value = s.token == address(0) ? amount : 0;
        if (s.token != address(0)) {
            vm.prank(merchant);
            MockERC20(s.token).approve(address(router), amount);
        }
        if (amount > refundable) {
            vm.expectRevert(abi.encodeWithSelector(IPaymentRouter.RefundExceedsPayment.selector, amount, refundable));
        }
        vm.prank(merchant);
        router.refund{value: value}(orderRef, _actor(actorSeed), amount);
    }

    function deposit(uint256 merchantSeed, uint256 refSeed, uint256 tokenSeed, uint256 amount) external {
        ++calls;
        address token = _token(tokenSeed);
        amount = bound(amount, 1, 1e27);
        _give(token, factory.predict(_merchant(merchantSeed), _ref(refSeed)), amount);
        ghostDeposited[token] += amount;
    }

    function sweep(uint256 actorSeed, uint256 merchantSeed, uint256 refSeed, uint256 tokenSeed) external {
        ++calls;
        address destination = _merchant(merchantSeed);
        bytes32 orderRef = _ref(refSeed);
        address token = _token(tokenSeed);
        address depositAddress = factory.predict(destination, orderRef);
        uint256 balance = _balance(token, depositAddress);
        (, uint16 bps) = factory.feeConfig();
        if (balance == 0) {
            vm.expectRevert(
                abi.encodeWithSelector(IDepositAddressFactory.EmptyDeposit.selector, depositAddress, token)
            );
        }
        vm.prank(_actor(actorSeed));
        uint256 swept = factory.sweep(destination, orderRef, token);
        assertEq(swept, balance, "swept != balance");
        ghostSwept[token] += swept;
        ghostFees[token] += swept * bps / 10_000;
    }

    function sweepBatch(uint256 actorSeed, uint256 seed, uint256 n) external {
        ++calls;
        n = bound(n, 1, 6);
        (, uint16 bps) = factory.feeConfig();
        IDepositAddressFactory.SweepRequest[] memory requests = new IDepositAddressFactory.SweepRequest[](n);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            requests[i] = IDepositAddressFactory.SweepRequest(_merchant(r), _ref(r >> 8), _token(r >> 16));
        }
        vm.prank(_actor(actorSeed));
        uint256[] memory amounts = factory.sweepBatch(requests);
        for (uint256 i; i < n; ++i) {
            ghostSwept[requests[i].token] += amounts[i];
            ghostFees[requests[i].token] += amounts[i] * bps / 10_000;
        }
    }

    function setFee(uint16 bps, bool onRouter) external {
        ++calls;
        bps = uint16(bound(bps, 0, 500));
        if (onRouter) router.setFee(FEE_RECIPIENT, bps);
        else factory.setFee(FEE_RECIPIENT, bps);
    }
}

/// @notice Invariants: the router and the factory never hold funds between transactions, refunds never
/// exceed what an order paid, deposits are swept in full, and the fee recipient received exactly the fees.
contract PaymentsInvariantTest is TestBase {
    PaymentsHandler internal handler;

    function setUp() public {
        handler = new PaymentsHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function _tokens() internal view returns (address[3] memory) {
        return [address(0), address(handler.usdc()), address(handler.dai())];
    }

    function _balance(address token, address account) internal view returns (uint256) {
        return token == address(0) ? account.balance : MockERC20(token).balanceOf(account);
    }

    function invariant_routerAndFactoryHoldNoFunds() public view {
        address[3] memory tokens = _tokens();
        for (uint256 i; i < 3; ++i) {
            assertEq(_balance(tokens[i], address(handler.router())), 0, "router holds funds");
            assertEq(_balance(tokens[i], address(handler.factory())), 0, "factory holds funds");
        }
    }

    function invariant_refundsNeverExceedPayment() public view {
        PaymentRouter router = handler.router();
        uint256 n = handler.paidOrderCount();
        for (uint256 i; i < n; ++i) {
            (address merchant, bytes32 orderRef) = handler.paidOrder(i);
            assertLe(router.refundedOf(merchant, orderRef), router.settlementOf(merchant, orderRef).amount, "over-refunded");
        }
    }

    function invariant_sweptNeverExceedsDeposited() public view {
        address[3] memory tokens = _tokens();
        for (uint256 i; i < 3; ++i) {
            assertLe(handler.ghostSwept(tokens[i]), handler.ghostDeposited(tokens[i]), "swept more than deposited");
        }
    }

    function invariant_feeRecipientGotExactlyTheFees() public view {
        address[3] memory tokens = _tokens();
        for (uint256 i; i < 3; ++i) {
            assertEq(_balance(tokens[i], handler.FEE_RECIPIENT()), handler.ghostFees(tokens[i]), "fee recipient balance");
        }
    }
}
