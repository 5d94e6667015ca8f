// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IEscrow} from "../interfaces/IEscrow.sol";

/// @title Escrow
/// @notice One contract holding many buyer-funded escrows (native coin or ERC-20), each with an optional
/// arbiter, a deadline with a default full refund, a dispute window and an arbiter timeout.
/// @dev No owner, no fees for the platform, no upgrade path: nobody but the parties of an escrow (and its
/// arbiter, within its capped fee) can move its funds. Outcomes are credits on an internal ledger and are paid
/// out by `withdraw` (pull payments), so a party that cannot receive never blocks the other one.
///
/// Fee-on-transfer tokens are rejected: funding measures this contract's balance before and after the
/// `transferFrom` and reverts with `UnexpectedTokenReceipt` unless exactly `amount` arrived. That is the only
/// `balanceOf` read; everything else is accounted from stored amounts. Rebasing tokens cannot be detected and
/// must not be used.
///
/// Solvency: for every token, this contract's balance >= sum of `owed` + sum of the amounts of escrows in
/// Funded or Disputed state (equality unless someone sent tokens directly; such surplus is never paid out).
contract Escrow is IEscrow, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IEscrow
    uint16 public constant MAX_ARBITER_FEE_BPS = 1_000;

    /// @inheritdoc IEscrow
    uint32 public constant MAX_DISPUTE_WINDOW = 90 days;

    /// @inheritdoc IEscrow
    uint32 public constant MIN_ARBITER_TIMEOUT = 1 days;

    /// @inheritdoc IEscrow
    uint32 public constant MAX_ARBITER_TIMEOUT = 90 days;

    /// @dev Basis points in 100%.
    uint256 private constant BPS_DENOMINATOR = 10_000;

    /// @inheritdoc IEscrow
    uint256 public nextEscrowId = 1;

    /// @inheritdoc IEscrow
    mapping(address account => mapping(address token => uint256)) public owed;

    mapping(uint256 id => EscrowData) private _escrows;

    /// @inheritdoc IEscrow
    function fund(EscrowTerms calldata terms) external payable nonReentrant returns (uint256 id) {
        uint256 amount = terms.amount;
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint96).max) revert AmountTooLarge(amount);
        if (terms.seller == address(0) || terms.seller == msg.sender) revert InvalidSeller();
        if (terms.deadline <= block.timestamp) revert InvalidDeadline(terms.deadline);
        if (terms.arbiter == address(0)) {
            if (terms.disputeWindow != 0) revert InvalidDisputeWindow(terms.disputeWindow);
            if (terms.arbiterFeeBps != 0) revert ArbiterFeeTooHigh(terms.arbiterFeeBps);
            if (terms.arbiterTimeout != 0) revert InvalidArbiterTimeout(terms.arbiterTimeout);
        } else {
            if (terms.arbiter == msg.sender || terms.arbiter == terms.seller) revert InvalidArbiter();
            if (terms.disputeWindow > MAX_DISPUTE_WINDOW) revert InvalidDisputeWindow(terms.disputeWindow);
            if (terms.arbiterFeeBps > MAX_ARBITER_FEE_BPS) revert ArbiterFeeTooHigh(terms.arbiterFeeBps);
            if (terms.arbiterTimeout < MIN_ARBITER_TIMEOUT || terms.arbiterTimeout > MAX_ARBITER_TIMEOUT) {
                revert InvalidArbiterTimeout(terms.arbiterTimeout);
            }
        }

        id = nextEscrowId;
        // Cannot overflow: one increment per transaction starting from 1.
        unchecked {
            nextEscrowId = id + 1;
        }
        // Safe cast: bounded by the AmountTooLarge check above.
        _escrows[id] = EscrowData({
            buyer: msg.sender,
            deadline: terms.deadline,
            disputeWindow: terms.disputeWindow,
            state: State.Funded,
            seller: terms.seller,
            arbiterFeeBps: terms.arbiterFeeBps,
            arbiterTimeout: terms.arbiterTimeout,
            disputedAt: 0,
            arbiter: terms.arbiter,
            token: terms.token,
            amount: uint96(amount)
        });

        if (terms.token == address(0)) {
            if (msg.value != amount) revert NativeValueMismatch(amount, msg.value);
        } else {
            if (msg.value != 0) revert NativeValueMismatch(0, msg.value);
            IERC20 token = IERC20(terms.token);
            uint256 balanceBefore = token.balanceOf(address(this));
            token.safeTransferFrom(msg.sender, address(this), amount);
            uint256 received = token.balanceOf(address(this)) - balanceBefore;
            if (received != amount) revert UnexpectedTokenReceipt(amount, received);
        }

        emit EscrowFunded(
            id,
            msg.sender,
            terms.seller,
            terms.arbiter,
            terms.token,
            amount,
            terms.deadline,
            terms.disputeWindow,
            terms.arbiterFeeBps,
            terms.arbiterTimeout
        );
    }

    /// @inheritdoc IEscrow
    function release(uint256 id) external {
        EscrowData storage escrow = _open(id);
        if (msg.sender != escrow.buyer) revert NotBuyer(id);
        escrow.state = State.Released;
        uint256 amount = escrow.amount;
        _credit(escrow.seller, escrow.token, amount);
        emit EscrowReleased(id, amount);
    }

    /// @inheritdoc IEscrow
    function refund(uint256 id) external {
        EscrowData storage escrow = _open(id);
        if (msg.sender != escrow.seller) revert NotSeller(id);
        _refund(id, escrow, RefundReason.SellerRefunded);
    }

    /// @inheritdoc IEscrow
    function dispute(uint256 id) external {
        EscrowData storage escrow = _escrows[id];
        State state = escrow.state;
        if (state != State.Funded) _revertState(id, state);
        if (msg.sender != escrow.buyer && msg.sender != escrow.seller) revert NotParty(id);
        if (escrow.arbiter == address(0)) revert NoArbiter(id);
        uint256 closesAt = uint256(escrow.deadline) + escrow.disputeWindow;
        if (block.timestamp >= closesAt) revert DisputeWindowClosed(id, closesAt);

        escrow.state = State.Disputed;
        // Safe cast: block timestamps fit 40 bits for the next 30,000 years.
        escrow.disputedAt = uint40(block.timestamp);
        // Cannot overflow 40 bits: the timeout is at most MAX_ARBITER_TIMEOUT (90 days).
        emit EscrowDisputed(id, msg.sender, uint40(block.timestamp + escrow.arbiterTimeout));
    }

    /// @inheritdoc IEscrow
    function rule(uint256 id, uint256 toSeller) external {
        EscrowData storage escrow = _escrows[id];
        State state = escrow.state;
        if (state != State.Disputed) _revertState(id, state);
        address arbiter = escrow.arbiter;
        if (msg.sender != arbiter) revert NotArbiter(id);
        uint256 endsAt = uint256(escrow.disputedAt) + escrow.arbiterTimeout;
        if (block.timestamp >= endsAt) revert RulingPeriodOver(id, endsAt);

        uint256 amount = escrow.amount;
        uint256 fee = amount * escrow.arbiterFeeBps / BPS_DENOMINATOR;
        uint256 available;
        // Cannot underflow: fee <= amount because arbiterFeeBps <= MAX_ARBITER_FEE_BPS < BPS_DENOMINATOR.
        unchecked {
            available = amount - fee;
        }
        if (toSeller > available) revert SplitExceedsAmount(toSeller, available);
        uint256 toBuyer;
        // Cannot underflow: toSeller <= available was checked above.
        unchecked {
            toBuyer = available - toSeller;
        }

        escrow.state = State.Resolved;
        address token = escrow.token;
        if (toSeller != 0) _credit(escrow.seller, token, toSeller);
        if (toBuyer != 0) _credit(escrow.buyer, token, toBuyer);
        if (fee != 0) _credit(arbiter, token, fee);
        emit EscrowResolved(id, toBuyer, toSeller, fee);
    }

    /// @inheritdoc IEscrow
    function claimRefund(uint256 id) external {
        EscrowData storage escrow = _escrows[id];
        State state = escrow.state;
        uint256 availableAt;
        RefundReason reason;
        if (state == State.Funded) {
            availableAt = uint256(escrow.deadline) + escrow.disputeWindow;
            reason = RefundReason.DeadlinePassed;
        } else if (state == State.Disputed) {
            availableAt = uint256(escrow.disputedAt) + escrow.arbiterTimeout;
            reason = RefundReason.ArbiterTimedOut;
        } else {
            _revertState(id, state);
        }
        if (block.timestamp < availableAt) revert RefundNotYetAvailable(id, availableAt);
        _refund(id, escrow, reason);
    }

    /// @inheritdoc IEscrow
    function withdraw(address token) external nonReentrant {
        _withdraw(token, msg.sender);
    }

    /// @inheritdoc IEscrow
    function withdrawTo(address token, address to) external nonReentrant {
        if (to == address(0)) revert InvalidRecipient();
        _withdraw(token, to);
    }

    /// @inheritdoc IEscrow
    function getEscrow(uint256 id) external view returns (EscrowData memory) {
        return _escrows[id];
    }

    /// @dev The escrow `id` if it is Funded or Disputed (the states a party can still end), else reverts.
    function _open(uint256 id) private view returns (EscrowData storage escrow) {
        escrow = _escrows[id];
        State state = escrow.state;
        if (state != State.Funded && state != State.Disputed) _revertState(id, state);
    }

    /// @dev Ends an open escrow with a full refund to the buyer.
    function _refund(uint256 id, EscrowData storage escrow, RefundReason reason) private {
        escrow.state = State.Refunded;
        uint256 amount = escrow.amount;
        _credit(escrow.buyer, escrow.token, amount);
        emit EscrowRefunded(id, reason, amount);
    }

    /// @dev Credits the pull-payment ledger. Cannot overflow in practice: the credits of a token never exceed
    /// its total supply, but checked arithmetic is kept because the ledger is the source of truth.
    function _credit(address account, address token, uint256 amount) private {
        owed[account][token] += amount;
    }

    /// @dev Checks-effects-interactions: the ledger entry is cleared before any transfer.
    function _withdraw(address token, address to) private {
        uint256 amount = owed[msg.sender][token];
        if (amount == 0) revert NothingToWithdraw(token);
        owed[msg.sender][token] = 0;
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert NativeTransferFailed(to);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
        emit Withdrawn(msg.sender, token, to, amount);
    }

    function _revertState(uint256 id, State state) private pure {
        if (state == State.None) revert EscrowNotFound(id);
        revert InvalidState(id, state);
    }
}
