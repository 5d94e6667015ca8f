// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IEscrow
/// @notice Buyer-funded escrows for a seller, with an optional arbiter, held by one singleton contract.
/// @dev Lifecycle (times are unix seconds, all bounds inclusive-exclusive as written):
///
///     Funded ──buyer release()────────────────────────────────▶ Released  (100% to seller)
///     Funded ──seller refund()────────────────────────────────▶ Refunded  (100% to buyer)
///     Funded ──anyone claimRefund(), now >= deadline + window──▶ Refunded  (100% to buyer: the default)
///     Funded ──buyer/seller dispute(), now < deadline + window─▶ Disputed
///     Disputed ──arbiter rule(), now < disputedAt + timeout───▶ Resolved  (any split, fee to arbiter)
///     Disputed ──anyone claimRefund(), now >= disputedAt + timeout ▶ Refunded (100% to buyer, no fee)
///     Disputed ──buyer release() / seller refund() (concession)▶ Released / Refunded (no fee)
///
/// - Released, Refunded and Resolved are terminal: nothing can leave them.
/// - The dispute window runs from funding until `deadline + disputeWindow`: the extra window after the
///   deadline is the seller's chance to contest the default refund (for example after delivering to a buyer
///   who never released). Without an arbiter there are no disputes and `disputeWindow` must be 0.
/// - The arbiter's fee is fixed in basis points at funding (at most `MAX_ARBITER_FEE_BPS`), so both
///   parties see it before any dispute; it is paid only when the arbiter rules in time.
/// - Payouts are never pushed: every outcome credits `owed[account][token]`, which the account collects with
///   `withdraw`. A party that cannot receive (a reverting contract, a blacklisted address) only blocks itself.
/// - Accounting uses the stored amounts only, never `balanceOf`, except for one balance-delta check when an
///   ERC-20 escrow is funded: a token that delivers less than `amount` (fee-on-transfer) makes funding revert
///   with `UnexpectedTokenReceipt`. Rebasing tokens cannot be detected that way and must not be used: a
///   negative rebase would leave the escrows of that token under-collateralised.
/// - Invariant, per escrow: released + refunded + arbiter fee == deposited amount.
/// - `token == address(0)` is the chain's native coin.
interface IEscrow {
    /// @notice Life-cycle state of an escrow. `None` means the id was never funded.
    enum State {
        None,
        Funded,
        Disputed,
        Released,
        Refunded,
        Resolved
    }

    /// @notice Why an escrow was refunded.
    enum RefundReason {
        SellerRefunded,
        DeadlinePassed,
        ArbiterTimedOut
    }

    /// @notice What the buyer chooses when funding an escrow.
    /// @param seller Who is paid on release.
    /// @param arbiter Who rules disputes; `address(0)` for none (then no disputes are possible).
    /// @param token The token escrowed, `address(0)` for native coin.
    /// @param amount The amount escrowed (exactly what the contract must receive).
    /// @param deadline When, without a release, the default full refund applies (after the dispute window).
    /// @param disputeWindow Seconds after `deadline` during which either party may still dispute.
    /// @param arbiterFeeBps The arbiter's fee in basis points of `amount`, paid only on a ruling.
    /// @param arbiterTimeout Seconds the arbiter has to rule once a dispute is opened.
    struct EscrowTerms {
        address seller;
        address arbiter;
        address token;
        uint256 amount;
        uint40 deadline;
        uint32 disputeWindow;
        uint16 arbiterFeeBps;
        uint32 arbiterTimeout;
    }

    /// @notice An escrow as stored (four slots).
    struct EscrowData {
        // slot 0
        address buyer;
        uint40 deadline;
        uint32 disputeWindow;
        State state;
        // slot 1
        address seller;
        uint16 arbiterFeeBps;
        uint32 arbiterTimeout;
        uint40 disputedAt;
        // slot 2
        address arbiter;
        // slot 3
        address token;
        uint96 amount;
    }

    /// @notice Emitted when a buyer funds a new escrow.
    event EscrowFunded(
        uint256 indexed id,
        address indexed buyer,
        address indexed seller,
        address arbiter,
        address token,
        uint256 amount,
        uint40 deadline,
        uint32 disputeWindow,
        uint16 arbiterFeeBps,
        uint32 arbiterTimeout
    );

    /// @notice Emitted when the buyer releases the full amount to the seller.
    event EscrowReleased(uint256 indexed id, uint256 amount);

    /// @notice Emitted when the full amount is credited back to the buyer.
    event EscrowRefunded(uint256 indexed id, RefundReason reason, uint256 amount);

    /// @notice Emitted when the buyer or the seller opens a dispute.
    /// @param rulingDeadline The arbiter must rule before this time, or the buyer can take a full refund.
    event EscrowDisputed(uint256 indexed id, address indexed by, uint40 rulingDeadline);

    /// @notice Emitted when the arbiter rules a dispute. `toBuyer + toSeller + fee` is the escrowed amount.
    event EscrowResolved(uint256 indexed id, uint256 toBuyer, uint256 toSeller, uint256 fee);

    /// @notice Emitted when an account collects what it is owed in `token`.
    event Withdrawn(address indexed account, address indexed token, address indexed to, uint256 amount);

    /// @notice Amount must be greater than zero.
    error ZeroAmount();

    /// @notice Amount does not fit the 96-bit record.
    error AmountTooLarge(uint256 amount);

    /// @notice The seller must be a non-zero address other than the buyer.
    error InvalidSeller();

    /// @notice The arbiter must not be the buyer or the seller.
    error InvalidArbiter();

    /// @notice The deadline must lie in the future.
    error InvalidDeadline(uint40 deadline);

    /// @notice The dispute window is longer than `MAX_DISPUTE_WINDOW`, or non-zero without an arbiter.
    error InvalidDisputeWindow(uint32 disputeWindow);

    /// @notice The arbiter fee exceeds `MAX_ARBITER_FEE_BPS`, or is non-zero without an arbiter.
    error ArbiterFeeTooHigh(uint16 feeBps);

    /// @notice The arbiter timeout is outside `[MIN_ARBITER_TIMEOUT, MAX_ARBITER_TIMEOUT]` (or non-zero without
    /// an arbiter).
    error InvalidArbiterTimeout(uint32 timeout);

    /// @notice `msg.value` does not equal the native amount due (or is non-zero for an ERC-20 escrow).
    error NativeValueMismatch(uint256 expected, uint256 actual);

    /// @notice The token delivered a different amount than requested (fee-on-transfer tokens are rejected).
    error UnexpectedTokenReceipt(uint256 expected, uint256 received);

    /// @notice No escrow has this id.
    error EscrowNotFound(uint256 id);

    /// @notice The escrow's state does not allow this action.
    error InvalidState(uint256 id, State state);

    /// @notice Only the escrow's buyer may do this.
    error NotBuyer(uint256 id);

    /// @notice Only the escrow's seller may do this.
    error NotSeller(uint256 id);

    /// @notice Only the escrow's buyer or seller may do this.
    error NotParty(uint256 id);

    /// @notice Only the escrow's arbiter may do this.
    error NotArbiter(uint256 id);

    /// @notice The escrow has no arbiter, so it cannot be disputed.
    error NoArbiter(uint256 id);

    /// @notice The dispute window closed at `closedAt`.
    error DisputeWindowClosed(uint256 id, uint256 closedAt);

    /// @notice The arbiter's time to rule ended at `endedAt`.
    error RulingPeriodOver(uint256 id, uint256 endedAt);

    /// @notice A refund cannot be claimed before `availableAt`.
    error RefundNotYetAvailable(uint256 id, uint256 availableAt);

    /// @notice The seller's share exceeds what is left after the arbiter fee.
    error SplitExceedsAmount(uint256 toSeller, uint256 available);

    /// @notice The caller is owed nothing in this token.
    error NothingToWithdraw(address token);

    /// @notice A withdrawal needs a recipient.
    error InvalidRecipient();

    /// @notice A native coin transfer to `to` failed.
    error NativeTransferFailed(address to);

    /// @notice The largest arbiter fee a buyer can agree to: 10%.
    function MAX_ARBITER_FEE_BPS() external view returns (uint16);

    /// @notice The longest dispute window after the deadline: 90 days.
    function MAX_DISPUTE_WINDOW() external view returns (uint32);

    /// @notice The shortest time an arbiter can be given to rule: 1 day.
    function MIN_ARBITER_TIMEOUT() external view returns (uint32);

    /// @notice The longest time an arbiter can be given to rule: 90 days.
    function MAX_ARBITER_TIMEOUT() external view returns (uint32);

    /// @notice Funds a new escrow; `msg.sender` is the buyer (and the refund recipient).
    /// @dev Native coin: `terms.token == address(0)` and `msg.value == terms.amount`. ERC-20: approve first;
    /// the contract must receive exactly `terms.amount` (checked by balance delta) or funding reverts.
    /// @return id The new escrow's id (sequential from 1).
    function fund(EscrowTerms calldata terms) external payable returns (uint256 id);

    /// @notice The buyer releases the full amount to the seller (Funded, or Disputed as a concession).
    function release(uint256 id) external;

    /// @notice The seller refunds the full amount to the buyer (Funded, or Disputed as a concession).
    function refund(uint256 id) external;

    /// @notice The buyer or the seller disputes a Funded escrow before `deadline + disputeWindow`.
    function dispute(uint256 id) external;

    /// @notice The arbiter rules a dispute: `toSeller` goes to the seller, the fee to the arbiter and the rest
    /// to the buyer. Only before `disputedAt + arbiterTimeout`.
    function rule(uint256 id, uint256 toSeller) external;

    /// @notice Applies a default refund (anyone may call; the buyer is credited): a Funded escrow once
    /// `deadline + disputeWindow` has passed, or a Disputed one once the arbiter's time to rule has passed.
    function claimRefund(uint256 id) external;

    /// @notice Sends the caller everything it is owed in `token` (`address(0)` for native coin).
    function withdraw(address token) external;

    /// @notice Sends everything the caller is owed in `token` to `to`, for accounts that cannot receive.
    function withdrawTo(address token, address to) external;

    /// @notice The escrow `id` (all zero if it does not exist).
    function getEscrow(uint256 id) external view returns (EscrowData memory);

    /// @notice What `account` can withdraw in `token`.
    function owed(address account, address token) external view returns (uint256);

    /// @notice The id the next funded escrow will get.
    function nextEscrowId() external view returns (uint256);
}
