// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase, vm} from "../utils/Vm.sol";
import {DepositAddressFactory} from "../../contracts/payments/DepositAddressFactory.sol";
import {DepositAddress} from "../../contracts/payments/DepositAddress.sol";
import {IDepositAddressFactory} from "../../contracts/interfaces/IDepositAddressFactory.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";

/// @notice Fuzz tests of deposit addresses: predicted = deployed, conservation of swept funds, and a batch
/// sweep that ends in exactly the balances of the same sweeps done one by one.
contract DepositAddressFactoryFuzzTest is TestBase {
    DepositAddressFactory internal factory;
    DepositAddressFactory internal factoryB;
    MockERC20 internal usdc;
    address internal constant FEE_RECIPIENT = address(0xFEE0);
    address internal constant FEE_RECIPIENT_B = address(0xFEE1);

    function setUp() public {
        factory = new DepositAddressFactory(address(this), FEE_RECIPIENT, 100);
        factoryB = new DepositAddressFactory(address(this), FEE_RECIPIENT_B, 100);
        usdc = new MockERC20("USD Coin", "USDC", 6);
        factory.setTokenAccepted(address(0), true);
        factory.setTokenAccepted(address(usdc), true);
        factoryB.setTokenAccepted(address(0), true);
        factoryB.setTokenAccepted(address(usdc), true);
    }

    function _eoa(string memory tag, uint256 seed) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(tag, seed)))));
    }

    function testFuzz_predictEqualsDeployedAddress(address destination, bytes32 orderRef, address otherDestination, bytes32 otherRef)
        public
    {
        vm.assume(destination != address(0));
        address predicted = factory.predict(destination, orderRef);
        if (otherDestination != destination) {
            assertNotEq(factory.predict(otherDestination, orderRef), predicted, "destination not committed");
        }
        if (otherRef != orderRef) {
            assertNotEq(factory.predict(destination, otherRef), predicted, "orderRef not committed");
        }
        assertEq(predicted.code.length, 0, "deployed before sweep");

        usdc.mint(predicted, 1);
        factory.sweep(destination, orderRef, address(usdc));

        assertTrue(predicted.code.length > 0, "nothing deployed at the predicted address");
        assertEq(DepositAddress(payable(predicted)).destination(), destination, "committed destination");
        assertEq(DepositAddress(payable(predicted)).factory(), address(factory), "factory");
        assertEq(factory.predict(destination, orderRef), predicted, "prediction changed after deployment");
    }

    function testFuzz_erc20SweepConservesFunds(uint256 amount, uint16 bps, uint256 destSeed, bytes32 orderRef, uint256 later)
        public
    {
        amount = bound(amount, 1, type(uint128).max);
        later = bound(later, 0, type(uint128).max);
        bps = uint16(bound(bps, 0, 500));
        factory.setFee(FEE_RECIPIENT, bps);
        address destination = _eoa("dest", destSeed);
        address deposit = factory.predict(destination, orderRef);

        usdc.mint(deposit, amount);
        uint256 swept = factory.sweep(destination, orderRef, address(usdc));
        uint256 fee = amount * bps / 10_000;
        assertEq(swept, amount, "swept amount");
        assertEq(usdc.balanceOf(FEE_RECIPIENT), fee, "fee");
        assertEq(usdc.balanceOf(destination), amount - fee, "merchant share");
        assertEq(usdc.balanceOf(deposit), 0, "left in deposit address");
        assertEq(usdc.balanceOf(address(factory)), 0, "factory holds tokens");

        // A second deposit to the already deployed address.
        if (later != 0) {
            usdc.mint(deposit, later);
            factory.sweep(destination, orderRef, address(usdc));
            uint256 fee2 = later * bps / 10_000;
            assertEq(usdc.balanceOf(FEE_RECIPIENT), fee + fee2, "fee after second sweep");
            assertEq(usdc.balanceOf(destination) + usdc.balanceOf(FEE_RECIPIENT), amount + later, "conservation");
            assertEq(usdc.balanceOf(deposit), 0, "left in deposit address");
        }
    }

    function testFuzz_nativeSweepConservesFunds(uint256 amount, uint16 bps, uint256 destSeed, bytes32 orderRef) public {
        amount = bound(amount, 1, type(uint128).max);
        bps = uint16(bound(bps, 0, 500));
        factory.setFee(FEE_RECIPIENT, bps);
        address destination = _eoa("dest", destSeed);
        address deposit = factory.predict(destination, orderRef);
        uint256 feeBefore = FEE_RECIPIENT.balance;

        vm.deal(deposit, amount);
        factory.sweep(destination, orderRef, address(0));
        uint256 fee = amount * bps / 10_000;
        assertEq(FEE_RECIPIENT.balance - feeBefore, fee, "fee");
        assertEq(destination.balance, amount - fee, "merchant share");
        assertEq(deposit.balance, 0, "left in deposit address");
        assertEq(address(factory).balance, 0, "factory holds native coin");
    }

    struct Order {
        uint256 destIndex;
        bytes32 orderRef;
        address token;
        uint256 amount;
    }

    function _orders(uint256 seed, uint256 n) internal view returns (Order[] memory orders) {
        orders = new Order[](n);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            orders[i].destIndex = r % 3; // several orders per destination
            orders[i].orderRef = bytes32(r >> 8 & 7); // repeated references across destinations
            orders[i].token = (r >> 16) & 1 == 0 ? address(usdc) : address(0);
            orders[i].amount = (r >> 24) % 4 == 0 ? 0 : (r >> 32) % 1e24; // a quarter are empty
        }
    }

    function _fund(DepositAddressFactory f, string memory tag, Order memory o) internal {
        if (o.amount == 0) return;
        address deposit = f.predict(_eoa(tag, o.destIndex), o.orderRef);
        if (o.token == address(0)) vm.deal(deposit, deposit.balance + o.amount);
        else usdc.mint(deposit, o.amount);
    }

    function testFuzz_batchSweepEqualsSingleSweeps(uint256 seed, uint256 n, uint16 bps) public {
        n = bound(n, 1, 12);
        bps = uint16(bound(bps, 0, 500));
        factory.setFee(FEE_RECIPIENT, bps);
        factoryB.setFee(FEE_RECIPIENT_B, bps);
        uint256 feeNativeBefore = FEE_RECIPIENT.balance;
        uint256 feeNativeBeforeB = FEE_RECIPIENT_B.balance;
        Order[] memory orders = _orders(seed, n);

        // Setup A: every order swept on its own (empty ones and already swept duplicates are skipped).
        for (uint256 i; i < n; ++i) _fund(factory, "A", orders[i]);
        uint256[] memory singleAmounts = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            address dest = _eoa("A", orders[i].destIndex);
            address deposit = factory.predict(dest, orders[i].orderRef);
            uint256 bal = orders[i].token == address(0) ? deposit.balance : usdc.balanceOf(deposit);
            if (bal == 0) continue;
            singleAmounts[i] = factory.sweep(dest, orders[i].orderRef, orders[i].token);
        }

        // Setup B: the same deposits swept in one batch.
        IDepositAddressFactory.SweepRequest[] memory requests = new IDepositAddressFactory.SweepRequest[](n);
        for (uint256 i; i < n; ++i) {
            _fund(factoryB, "B", orders[i]);
            requests[i] = IDepositAddressFactory.SweepRequest(_eoa("B", orders[i].destIndex), orders[i].orderRef, orders[i].token);
        }
        vm.prank(_eoa("relayer", seed));
        uint256[] memory batchAmounts = factoryB.sweepBatch(requests);

        for (uint256 i; i < n; ++i) assertEq(batchAmounts[i], singleAmounts[i], "per-order amount");
        for (uint256 d; d < 3; ++d) {
            assertEq(usdc.balanceOf(_eoa("A", d)), usdc.balanceOf(_eoa("B", d)), "destination tokens");
            assertEq(_eoa("A", d).balance, _eoa("B", d).balance, "destination native");
        }
        assertEq(usdc.balanceOf(FEE_RECIPIENT), usdc.balanceOf(FEE_RECIPIENT_B), "fee tokens");
        assertEq(FEE_RECIPIENT.balance - feeNativeBefore, FEE_RECIPIENT_B.balance - feeNativeBeforeB, "fee native");
        assertEq(usdc.balanceOf(address(factoryB)) + address(factoryB).balance, 0, "factory holds funds");
        for (uint256 i; i < n; ++i) {
            address depositB = factoryB.predict(_eoa("B", orders[i].destIndex), orders[i].orderRef);
            assertEq(usdc.balanceOf(depositB) + depositB.balance, 0, "left in deposit address");
        }
    }
}
