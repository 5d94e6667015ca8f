// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Escrow} from "../../contracts/escrow/Escrow.sol";
import {IEscrow} from "../../contracts/interfaces/IEscrow.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {MockFeeOnTransferERC20} from "../../contracts/mocks/MockFeeOnTransferERC20.sol";
import {TestBase, vm} from "../utils/Vm.sol";

/// @title EscrowFuzzTest
/// @notice Property tests of single escrows (1,000 runs each, from `test.solidity.fuzz.runs`).
contract EscrowFuzzTest is TestBase {
    address internal constant BUYER = address(0xB001);
    address internal constant SELLER = address(0x5001);
    address internal constant ARBITER = address(0xA001);

    Escrow internal escrow;
    MockERC20 internal token;

    function setUp() public {
        escrow = new Escrow();
        token = new MockERC20("USD Coin", "USDC", 6);
    }

    function _fund(uint256 amount, uint16 feeBps, uint32 window, uint32 timeout) internal returns (uint256 id) {
        token.mint(BUYER, amount);
        vm.startPrank(BUYER);
        token.approve(address(escrow), amount);
        id = escrow.fund(
            IEscrow.EscrowTerms({
                seller: SELLER,
                arbiter: ARBITER,
                token: address(token),
                amount: amount,
                deadline: uint40(block.timestamp + 7 days),
                disputeWindow: window,
                arbiterFeeBps: feeBps,
                arbiterTimeout: timeout
            })
        );
        vm.stopPrank();
    }

    /// @dev A ruling credits exactly the escrowed amount: toBuyer + toSeller + fee == amount, with the fee at
    /// the stated rate, rounded down.
    function testFuzz_ruleConservesAmount(uint256 amount, uint16 feeBps, uint256 toSeller) public {
        amount = bound(amount, 1, type(uint96).max);
        feeBps = uint16(bound(feeBps, 0, escrow.MAX_ARBITER_FEE_BPS()));
        uint256 id = _fund(amount, feeBps, 1 days, 2 days);
        vm.prank(SELLER);
        escrow.dispute(id);
        uint256 fee = amount * feeBps / 10_000;
        toSeller = bound(toSeller, 0, amount - fee);
        vm.prank(ARBITER);
        escrow.rule(id, toSeller);
        uint256 buyerOwed = escrow.owed(BUYER, address(token));
        uint256 sellerOwed = escrow.owed(SELLER, address(token));
        uint256 arbiterOwed = escrow.owed(ARBITER, address(token));
        assertEq(sellerOwed, toSeller, "seller share");
        assertEq(arbiterOwed, fee, "arbiter fee");
        assertEq(buyerOwed + sellerOwed + arbiterOwed, amount, "conservation");
    }

    /// @dev A split above what is left after the fee is always rejected.
    function testFuzz_ruleRejectsOversizedSplit(uint256 amount, uint16 feeBps, uint256 excess) public {
        amount = bound(amount, 1, type(uint96).max);
        feeBps = uint16(bound(feeBps, 0, 1_000));
        uint256 id = _fund(amount, feeBps, 1 days, 2 days);
        vm.prank(BUYER);
        escrow.dispute(id);
        uint256 available = amount - amount * feeBps / 10_000;
        uint256 toSeller = available + bound(excess, 1, type(uint128).max);
        vm.prank(ARBITER);
        vm.expectRevert(abi.encodeWithSelector(IEscrow.SplitExceedsAmount.selector, toSeller, available));
        escrow.rule(id, toSeller);
    }

    /// @dev Time boundaries: disputes are possible exactly before `deadline + window`, and the default refund
    /// exactly from then on; once disputed, the arbiter rules exactly before `disputedAt + timeout`.
    function testFuzz_timeBoundaries(uint32 window, uint32 timeout, uint256 at, uint256 ruleAt) public {
        window = uint32(bound(window, 0, escrow.MAX_DISPUTE_WINDOW()));
        timeout = uint32(bound(timeout, escrow.MIN_ARBITER_TIMEOUT(), escrow.MAX_ARBITER_TIMEOUT()));
        uint256 id = _fund(1_000, 100, window, timeout);
        uint256 closesAt = block.timestamp + 7 days + window;
        at = bound(at, block.timestamp, closesAt + 30 days);
        vm.warp(at);
        if (at < closesAt) {
            vm.expectRevert(abi.encodeWithSelector(IEscrow.RefundNotYetAvailable.selector, id, closesAt));
            escrow.claimRefund(id);
            vm.prank(SELLER);
            escrow.dispute(id);
            uint256 endsAt = at + timeout;
            ruleAt = bound(ruleAt, at, endsAt + 30 days);
            vm.warp(ruleAt);
            vm.prank(ARBITER);
            if (ruleAt < endsAt) {
                escrow.rule(id, 500);
                assertEq(uint8(escrow.getEscrow(id).state), uint8(IEscrow.State.Resolved), "resolved");
            } else {
                vm.expectRevert(abi.encodeWithSelector(IEscrow.RulingPeriodOver.selector, id, endsAt));
                escrow.rule(id, 500);
                escrow.claimRefund(id);
                assertEq(escrow.owed(BUYER, address(token)), 1_000, "timeout refund");
            }
        } else {
            vm.prank(SELLER);
            vm.expectRevert(abi.encodeWithSelector(IEscrow.DisputeWindowClosed.selector, id, closesAt));
            escrow.dispute(id);
            escrow.claimRefund(id);
            assertEq(escrow.owed(BUYER, address(token)), 1_000, "default refund");
        }
    }

    /// @dev Any fee-on-transfer rate makes funding revert; nothing is recorded.
    function testFuzz_rejectsFeeOnTransfer(uint256 taxBps, uint256 amount) public {
        taxBps = bound(taxBps, 1, 5_000);
        amount = bound(amount, 10_000, type(uint96).max);
        MockFeeOnTransferERC20 taxed = new MockFeeOnTransferERC20(taxBps);
        taxed.mint(BUYER, amount);
        vm.startPrank(BUYER);
        taxed.approve(address(escrow), amount);
        uint256 received = amount - amount * taxBps / 10_000;
        vm.expectRevert(abi.encodeWithSelector(IEscrow.UnexpectedTokenReceipt.selector, amount, received));
        escrow.fund(
            IEscrow.EscrowTerms({
                seller: SELLER,
                arbiter: address(0),
                token: address(taxed),
                amount: amount,
                deadline: uint40(block.timestamp + 1),
                disputeWindow: 0,
                arbiterFeeBps: 0,
                arbiterTimeout: 0
            })
        );
        vm.stopPrank();
        assertEq(escrow.nextEscrowId(), 1, "nothing recorded");
    }
}
