// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Escrow} from "../../contracts/escrow/Escrow.sol";
import {IEscrow} from "../../contracts/interfaces/IEscrow.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {TestBase, vm} from "../utils/Vm.sol";

/// @title EscrowHandler
/// @notice (Lives in this .t.sol file because Hardhat only hands test-file contracts to the invariant
/// runner.) Drives an Escrow through random but mostly valid actions for the invariant campaign and keeps
/// ghost books: what each escrow took in and what it credited out, and the first terminal state it reached.
contract EscrowHandler {

    Escrow public immutable escrow;
    MockERC20 public immutable token;

    address[] public buyers;
    address[] public sellers;
    address[] public arbiters;

    uint256[] public ids;
    mapping(uint256 id => uint256) public deposited;
    mapping(uint256 id => uint256) public credited;
    mapping(uint256 id => IEscrow.State) public firstTerminal;
    /// @dev Set if a call that must revert on a terminal escrow succeeded.
    bool public terminalMutated;

    constructor(Escrow escrow_, MockERC20 token_) {
        escrow = escrow_;
        token = token_;
        for (uint160 i = 1; i <= 3; ++i) {
            buyers.push(address(0xB000 + i));
            sellers.push(address(0x5000 + i));
        }
        arbiters.push(address(0xA001));
        arbiters.push(address(0xA002));
    }

    function actors() external view returns (address[] memory all) {
        all = new address[](8);
        for (uint256 i; i < 3; ++i) {
            all[i] = buyers[i];
            all[3 + i] = sellers[i];
        }
        all[6] = arbiters[0];
        all[7] = arbiters[1];
    }

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function fund(uint256 seed, uint256 amount, bool native, bool withArbiter, uint16 feeBps, uint32 window)
        external
    {
        address buyer = buyers[seed % 3];
        amount = 1 + amount % 1e24;
        IEscrow.EscrowTerms memory terms = IEscrow.EscrowTerms({
            seller: sellers[(seed >> 8) % 3],
            arbiter: withArbiter ? arbiters[(seed >> 16) % 2] : address(0),
            token: native ? address(0) : address(token),
            amount: amount,
            deadline: uint40(block.timestamp + 1 + (seed >> 24) % 30 days),
            disputeWindow: withArbiter ? window % 10 days : 0,
            arbiterFeeBps: withArbiter ? feeBps % 1_001 : 0,
            arbiterTimeout: withArbiter ? uint32(1 days + (seed >> 64) % 20 days) : 0
        });
        uint256 id;
        if (native) {
            vm.deal(buyer, amount);
            vm.prank(buyer);
            id = escrow.fund{value: amount}(terms);
        } else {
            token.mint(buyer, amount);
            vm.startPrank(buyer);
            token.approve(address(escrow), amount);
            id = escrow.fund(terms);
            vm.stopPrank();
        }
        ids.push(id);
        deposited[id] = amount;
    }

    function release(uint256 idSeed) external {
        (uint256 id, IEscrow.EscrowData memory e) = _pick(idSeed);
        if (id == 0) return;
        _act(id, e, e.buyer, abi.encodeCall(escrow.release, (id)));
    }

    function refund(uint256 idSeed) external {
        (uint256 id, IEscrow.EscrowData memory e) = _pick(idSeed);
        if (id == 0) return;
        _act(id, e, e.seller, abi.encodeCall(escrow.refund, (id)));
    }

    function dispute(uint256 idSeed, bool bySeller) external {
        (uint256 id, IEscrow.EscrowData memory e) = _pick(idSeed);
        if (id == 0) return;
        _act(id, e, bySeller ? e.seller : e.buyer, abi.encodeCall(escrow.dispute, (id)));
    }

    function rule(uint256 idSeed, uint256 toSeller) external {
        (uint256 id, IEscrow.EscrowData memory e) = _pick(idSeed);
        if (id == 0) return;
        uint256 available = e.amount - uint256(e.amount) * e.arbiterFeeBps / 10_000;
        _act(id, e, e.arbiter, abi.encodeCall(escrow.rule, (id, toSeller % (available + 1))));
    }

    function claimRefund(uint256 idSeed, uint256 callerSeed) external {
        (uint256 id, IEscrow.EscrowData memory e) = _pick(idSeed);
        if (id == 0) return;
        _act(id, e, address(uint160(0xC000 + callerSeed % 4)), abi.encodeCall(escrow.claimRefund, (id)));
    }

    function withdraw(uint256 actorSeed, bool native) external {
        address[] memory all = this.actors();
        address account = all[actorSeed % all.length];
        address t = native ? address(0) : address(token);
        if (escrow.owed(account, t) == 0) return;
        vm.prank(account);
        escrow.withdraw(t);
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 15 days);
    }

    function _pick(uint256 seed) private view returns (uint256 id, IEscrow.EscrowData memory e) {
        if (ids.length == 0) return (0, e);
        id = ids[seed % ids.length];
        e = escrow.getEscrow(id);
    }

    /// @dev Calls the escrow as `caller` and books the credits the call made to the escrow's three parties.
    function _act(uint256 id, IEscrow.EscrowData memory e, address caller, bytes memory data) private {
        address[3] memory parties = [e.buyer, e.seller, e.arbiter];
        uint256[3] memory before;
        for (uint256 i; i < 3; ++i) {
            if (parties[i] != address(0)) before[i] = escrow.owed(parties[i], e.token);
        }
        vm.prank(caller);
        (bool ok,) = address(escrow).call(data);
        if (!ok) return;
        bool wasTerminal = uint8(e.state) >= uint8(IEscrow.State.Released);
        if (wasTerminal) terminalMutated = true;
        for (uint256 i; i < 3; ++i) {
            if (parties[i] != address(0)) credited[id] += escrow.owed(parties[i], e.token) - before[i];
        }
        IEscrow.State state = escrow.getEscrow(id).state;
        if (uint8(state) >= uint8(IEscrow.State.Released) && firstTerminal[id] == IEscrow.State.None) {
            firstTerminal[id] = state;
        }
    }
}

/// @title EscrowInvariantTest
/// @notice Invariants of the escrow under random sequences of funding, release, refunds, disputes, rulings,
/// default refunds, withdrawals and time travel (native coin and an ERC-20). 1,000 runs of depth 25 each.
contract EscrowInvariantTest is TestBase {
    Escrow internal escrow;
    MockERC20 internal token;
    EscrowHandler internal handler;

    function setUp() public {
        escrow = new Escrow();
        token = new MockERC20("USD Coin", "USDC", 6);
        handler = new EscrowHandler(escrow, token);
    }

    /// @dev Read by the invariant runner: only the handler is called during a campaign.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev Per escrow: released + refunded + fees == deposited once it has ended, and nothing is credited
    /// while it is open. Terminal states are final.
    /// forge-config: default.invariant.runs = 1000
    /// forge-config: default.invariant.depth = 25
    function invariant_perEscrowConservationAndFinality() public view {
        assertTrue(!handler.terminalMutated(), "an action succeeded on a terminal escrow");
        uint256 count = handler.idCount();
        for (uint256 i; i < count; ++i) {
            uint256 id = handler.ids(i);
            IEscrow.State state = escrow.getEscrow(id).state;
            IEscrow.State first = handler.firstTerminal(id);
            if (uint8(state) >= uint8(IEscrow.State.Released)) {
                assertEq(handler.credited(id), handler.deposited(id), "credited != deposited");
                assertEq(uint8(state), uint8(first), "terminal state changed");
            } else {
                assertEq(handler.credited(id), 0, "credit from an open escrow");
                assertEq(uint8(first), 0, "left a terminal state");
            }
        }
    }

    /// @dev For each token: the contract's balance == sum of owed + sum of the amounts of open escrows.
    /// forge-config: default.invariant.runs = 1000
    /// forge-config: default.invariant.depth = 25
    function invariant_solvency() public view {
        address[] memory actors = handler.actors();
        uint256 owedNative;
        uint256 owedToken;
        for (uint256 i; i < actors.length; ++i) {
            owedNative += escrow.owed(actors[i], address(0));
            owedToken += escrow.owed(actors[i], address(token));
        }
        uint256 openNative;
        uint256 openToken;
        uint256 count = handler.idCount();
        for (uint256 i; i < count; ++i) {
            IEscrow.EscrowData memory e = escrow.getEscrow(handler.ids(i));
            if (e.state == IEscrow.State.Funded || e.state == IEscrow.State.Disputed) {
                if (e.token == address(0)) openNative += e.amount;
                else openToken += e.amount;
            }
        }
        assertEq(address(escrow).balance, owedNative + openNative, "native balance");
        assertEq(token.balanceOf(address(escrow)), owedToken + openToken, "token balance");
    }
}
