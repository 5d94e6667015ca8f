// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISplitMain
/// @notice Hierarchical revenue splits with one internal ledger.
/// @dev Model:
/// - A split is identified by the address of its wallet (a clone of `SplitWallet`). The gateway pays a split
///   "straight" by paying that address, exactly like paying a merchant (PaymentRouter, deposit sweeps).
/// - `distribute(split, token)` pulls the wallet's balance into this contract, adds what the split already
///   holds in the ledger (credits from parent splits plus dust carried from its last distribution), and
///   credits every recipient `amount * allocation / 1e6` (rounded down). A recipient that is itself a split is
///   credited internally: money moving up the tree is a ledger entry, never a token transfer. Whatever
///   rounding leaves over (the dust, less than one base unit per recipient) stays with the split and is part
///   of its next distribution, so `credited + dust == distributed` for every distribution.
/// - `withdraw(account, tokens)` pays an account's ledger balances out. Anyone may call it for anyone: funds
///   only ever go to the account itself.
/// - Accounts and splits have separate ledgers. Whether a recipient is a split is decided when the rules are
///   set (it must already exist as a split then); an address that becomes a split later keeps being
///   credited as a plain account by rules written before, so a ledger cycle can never be created by
///   predicting a future wallet address.
/// - Acyclic by construction: every split records a height (1 + the largest height among its split
///   recipients; at most `MAX_DEPTH`), and every rule change keeps `height(parent) > height(child)` on every
///   edge. A split that is some other split's recipient can never raise its height, which is exactly what
///   an update creating a cycle would need to do. Caps: `MAX_RECIPIENTS` recipients, depth `MAX_DEPTH`.
/// - Rules: recipients strictly ascending (sorted and unique), every allocation non-zero, allocations summing
///   to `PPM` (1e6), an optional distributor fee (at most `MAX_DISTRIBUTOR_FEE_PPM`) credited to whoever calls
///   `distribute`. Each version of the rules has an id, `keccak256(abi.encode(version, recipients,
///   allocations, distributorFeePpm))` (see `ruleSetIdOf`), emitted with every distribution and stored with
///   the split; the full rules are in the `SplitCreated` / `SplitUpdated` events, so an id can always be
///   resolved to the document it commits to.
/// - Control: a split is either immutable (controller `address(0)`) or has a controller who may update the
///   rules (each update bumps the version) and hand control over in two steps, or renounce it.
/// - Tokens: balance-delta accounting on every pull, so a fee-on-transfer token credits what actually
///   arrived. Rebasing tokens whose balances shrink are unsupported. `address(0)` is the native coin.
interface ISplitMain {
    /// @notice A split's stored configuration (one storage slot).
    /// @param controller Who may update the rules, `address(0)` when the split is immutable.
    /// @param version Version of the current rules, 1 at creation, +1 per update.
    /// @param height 1 + the largest height among split recipients (1 when every recipient is an account).
    /// @param recipientCount Number of recipients of the current rules.
    /// @param distributorFeePpm Share credited to the caller of `distribute`, in parts per million.
    struct SplitConfig {
        address controller;
        uint32 version;
        uint8 height;
        uint8 recipientCount;
        uint24 distributorFeePpm;
    }

    /// @notice Emitted when a split is created, with its full first rule set.
    event SplitCreated(
        address indexed split,
        address indexed controller,
        bytes32 indexed ruleSetId,
        uint32 version,
        address[] recipients,
        uint32[] allocations,
        uint24 distributorFeePpm
    );

    /// @notice Emitted when a mutable split's rules are replaced, with the full new rule set.
    event SplitUpdated(
        address indexed split,
        bytes32 indexed ruleSetId,
        uint32 version,
        address[] recipients,
        uint32[] allocations,
        uint24 distributorFeePpm
    );

    /// @notice Emitted for every distribution.
    /// @param split The split distributed.
    /// @param ruleSetId The id of the rules the distribution followed.
    /// @param token The token distributed, `address(0)` for native coin.
    /// @param distributor Who called `distribute` (credited the distributor fee).
    /// @param amount Distributed: pulled from the wallet plus the split's ledger balance before the call.
    /// @param credited Credited to recipients and the distributor.
    /// @param distributorFee The part of `credited` that went to the distributor.
    /// @param dust Left with the split for its next distribution; `credited + dust == amount`.
    event SplitDistributed(
        address indexed split,
        bytes32 indexed ruleSetId,
        address indexed token,
        address distributor,
        uint256 amount,
        uint256 credited,
        uint256 distributorFee,
        uint256 dust
    );

    /// @notice Emitted when an account's ledger balance of `token` is paid out.
    event Withdrawn(address indexed account, address indexed token, uint256 amount);

    /// @notice Emitted when a controller starts handing a split over; `pendingController == 0` cancels.
    event ControlTransferStarted(address indexed split, address indexed controller, address indexed pendingController);

    /// @notice Emitted when control changes hands; `newController == 0` means the split became immutable.
    event ControlTransferred(address indexed split, address indexed previousController, address indexed newController);

    /// @notice The address is not a split.
    error SplitNotFound(address split);

    /// @notice The caller is not the split's controller (immutable splits have none).
    error NotController(address split, address caller);

    /// @notice The caller is not the split's pending controller.
    error NotPendingController(address split, address caller);

    /// @notice Recipient and allocation arrays differ in length.
    error LengthMismatch(uint256 recipients, uint256 allocations);

    /// @notice Zero recipients or more than `MAX_RECIPIENTS`.
    error InvalidRecipientCount(uint256 count, uint256 max);

    /// @notice Recipients must be non-zero and strictly ascending (sorted, no duplicates).
    error RecipientsNotSortedOrUnique(uint256 index);

    /// @notice Every allocation must be non-zero.
    error ZeroAllocation(uint256 index);

    /// @notice Allocations must sum to exactly `PPM`.
    error InvalidAllocationSum(uint256 sum);

    /// @notice The distributor fee exceeds `MAX_DISTRIBUTOR_FEE_PPM`.
    error DistributorFeeTooHigh(uint256 feePpm, uint256 max);

    /// @notice The split would be deeper than `MAX_DEPTH`.
    error DepthExceeded(uint256 height, uint256 max);

    /// @notice The update would make the split reachable from itself. Detected directly for a split listed as
    /// its own recipient, and as a height increase of a split that other splits already list (an update can
    /// only close a cycle through a recipient whose height is at least the split's own).
    error SplitCycle(address split, uint256 currentHeight, uint256 newHeight);

    /// @notice There is nothing to distribute.
    error NothingToDistribute(address split, address token);

    /// @notice Only split wallets send native coin to the registry.
    error UnexpectedNativeSender(address sender);

    /// @notice A native coin transfer to `to` failed.
    error NativeTransferFailed(address to);

    /// @notice 100% in parts per million.
    function PPM() external view returns (uint32);

    /// @notice Most recipients a split can have.
    function MAX_RECIPIENTS() external view returns (uint256);

    /// @notice Largest split height: a split whose recipients are all accounts has height 1.
    function MAX_DEPTH() external view returns (uint8);

    /// @notice Largest distributor fee, in parts per million (10%).
    function MAX_DISTRIBUTOR_FEE_PPM() external view returns (uint24);

    /// @notice The implementation every split wallet clones.
    function walletImplementation() external view returns (address);

    /// @notice Creates a split and its wallet.
    /// @param controller `address(0)` for an immutable split, otherwise who may update it.
    /// @return split The split's wallet address, which is also its id.
    function createSplit(
        address[] calldata recipients,
        uint32[] calldata allocations,
        uint24 distributorFeePpm,
        address controller
    ) external returns (address split);

    /// @notice Replaces a mutable split's rules and bumps its version. Only the controller.
    /// @dev Funds not yet distributed follow the new rules: distribute first (same transaction) if the old ones
    /// should apply to money already received.
    function updateSplit(
        address split,
        address[] calldata recipients,
        uint32[] calldata allocations,
        uint24 distributorFeePpm
    ) external;

    /// @notice Starts handing control of `split` to `newController` (`address(0)` cancels). Only the controller.
    function transferControl(address split, address newController) external;

    /// @notice Completes a control transfer. Only the pending controller.
    function acceptControl(address split) external;

    /// @notice Makes the split immutable for good. Only the controller.
    function renounceControl(address split) external;

    /// @notice Distributes the split's wallet balance plus its ledger balance of `token`; see the contract notes.
    /// @return amount The amount distributed.
    function distribute(address split, address token) external returns (uint256 amount);

    /// @notice Pays `account`'s ledger balances of `tokens` to `account`. Tokens with no balance are skipped.
    /// @return amounts The amount paid per token.
    function withdraw(address account, address[] calldata tokens) external returns (uint256[] memory amounts);

    /// @notice `account`'s withdrawable ledger balance of `token`.
    function balanceOf(address account, address token) external view returns (uint256);

    /// @notice What `split` holds in the ledger for its next distribution (credits from parents and dust).
    function splitBalanceOf(address split, address token) external view returns (uint256);

    /// @notice Whether `account` is a split.
    function isSplit(address account) external view returns (bool);

    /// @notice A split's configuration.
    function configOf(address split) external view returns (SplitConfig memory);

    /// @notice The id of a split's current rules.
    function ruleSetOf(address split) external view returns (bytes32);

    /// @notice A split's current recipients, allocations and which recipients are credited as splits.
    function rulesOf(address split)
        external
        view
        returns (address[] memory recipients, uint32[] memory allocations, bool[] memory recipientIsSplit);

    /// @notice The pending controller of `split`, if a transfer is under way.
    function pendingControllerOf(address split) external view returns (address);

    /// @notice How many splits list `split` as a recipient.
    function referenceCountOf(address split) external view returns (uint256);

    /// @notice The rule-set id for the given rules: `keccak256(abi.encode(version, recipients, allocations,
    /// distributorFeePpm))`.
    function ruleSetIdOf(
        uint32 version,
        address[] calldata recipients,
        uint32[] calldata allocations,
        uint24 distributorFeePpm
    ) external pure returns (bytes32);
}
