// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ISplitMain} from "../interfaces/ISplitMain.sol";
import {ISplitWallet} from "../interfaces/ISplitWallet.sol";
import {SplitWallet} from "./SplitWallet.sol";

/// @title SplitMain
/// @notice Registry and ledger of every CoinPays revenue split; see `ISplitMain` for the model.
/// @dev Storage layout chosen for the distribution path:
/// - one slot of configuration per split (`SplitConfig`) plus one for its rule-set id;
/// - recipients packed one per slot in a fixed array (`address | allocation << 160 | isSplit << 192`), so a
///   distribution reads exactly one slot per recipient and needs no length slot or per-index hashing;
/// - ledger slots hold `balance + 1` once touched: a withdrawal pays the whole balance and leaves the slot at
///   1, so the next credit is a cheap non-zero to non-zero write (0xSplits v1 keeps one wei back for the same
///   reason; here the recipient is not short-changed).
/// Invariants (tested in test/splits/SplitMain.t.sol): per token, the sum of all ledger balances never
/// exceeds this contract's balance; in every distribution `credited + dust == amount`; every split edge goes
/// from a greater to a smaller height, so the split graph has no cycle and no path longer than `MAX_DEPTH`.
contract SplitMain is ISplitMain, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc ISplitMain
    uint32 public constant PPM = 1_000_000;
    /// @inheritdoc ISplitMain
    uint256 public constant MAX_RECIPIENTS = 50;
    /// @inheritdoc ISplitMain
    uint8 public constant MAX_DEPTH = 8;
    /// @inheritdoc ISplitMain
    uint24 public constant MAX_DISTRIBUTOR_FEE_PPM = 100_000;

    uint256 private constant ALLOCATION_SHIFT = 160;
    uint256 private constant IS_SPLIT_FLAG = 1 << 192;

    /// @inheritdoc ISplitMain
    address public immutable walletImplementation;

    mapping(address split => SplitConfig) private _configs;
    mapping(address split => bytes32) private _ruleSets;
    mapping(address split => uint256[MAX_RECIPIENTS]) private _entries;
    mapping(address split => address) private _pendingControllers;
    mapping(address split => uint256) private _referenceCounts;
    /// @dev Withdrawable balances of accounts, stored as `balance + 1` once touched.
    mapping(address account => mapping(address token => uint256)) private _accountLedger;
    /// @dev Balances splits hold for their next distribution, stored as `balance + 1` once touched.
    mapping(address split => mapping(address token => uint256)) private _splitLedger;

    constructor() {
        walletImplementation = address(new SplitWallet());
    }

    /// @dev Native coin arrives from split wallets during `distribute`; anything else would be stranded.
    receive() external payable {
        if (_configs[msg.sender].height == 0) revert UnexpectedNativeSender(msg.sender);
    }

    modifier onlyController(address split) {
        SplitConfig storage config = _configs[split];
        if (config.height == 0) revert SplitNotFound(split);
        if (msg.sender != config.controller || msg.sender == address(0)) revert NotController(split, msg.sender);
        _;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Rules and control
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISplitMain
    function createSplit(
        address[] calldata recipients,
        uint32[] calldata allocations,
        uint24 distributorFeePpm,
        address controller
    ) external returns (address split) {
        split = Clones.clone(walletImplementation);
        (uint8 height, uint8 count) = _writeRules(split, recipients, allocations, distributorFeePpm);
        _configs[split] = SplitConfig({
            controller: controller,
            version: 1,
            height: height,
            recipientCount: count,
            distributorFeePpm: distributorFeePpm
        });
        bytes32 ruleSetId = _ruleSetId(1, recipients, allocations, distributorFeePpm);
        _ruleSets[split] = ruleSetId;
        emit SplitCreated(split, controller, ruleSetId, 1, recipients, allocations, distributorFeePpm);
    }

    /// @inheritdoc ISplitMain
    function updateSplit(
        address split,
        address[] calldata recipients,
        uint32[] calldata allocations,
        uint24 distributorFeePpm
    ) external onlyController(split) {
        SplitConfig memory config = _configs[split];
        _releaseEdges(split, config.recipientCount);
        (uint8 height, uint8 count) = _writeRules(split, recipients, allocations, distributorFeePpm);
        if (_referenceCounts[split] != 0) {
            // Parents recorded their height from ours: it may not grow (this is also what any cycle would need).
            if (height > config.height) revert SplitCycle(split, config.height, height);
            height = config.height;
        }
        config.version += 1;
        config.height = height;
        config.recipientCount = count;
        config.distributorFeePpm = distributorFeePpm;
        _configs[split] = config;
        bytes32 ruleSetId = _ruleSetId(config.version, recipients, allocations, distributorFeePpm);
        _ruleSets[split] = ruleSetId;
        emit SplitUpdated(split, ruleSetId, config.version, recipients, allocations, distributorFeePpm);
    }

    /// @inheritdoc ISplitMain
    function transferControl(address split, address newController) external onlyController(split) {
        _pendingControllers[split] = newController;
        emit ControlTransferStarted(split, msg.sender, newController);
    }

    /// @inheritdoc ISplitMain
    function acceptControl(address split) external {
        if (_configs[split].height == 0) revert SplitNotFound(split);
        if (msg.sender != _pendingControllers[split] || msg.sender == address(0)) {
            revert NotPendingController(split, msg.sender);
        }
        address previous = _configs[split].controller;
        _configs[split].controller = msg.sender;
        delete _pendingControllers[split];
        emit ControlTransferred(split, previous, msg.sender);
    }

    /// @inheritdoc ISplitMain
    function renounceControl(address split) external onlyController(split) {
        _configs[split].controller = address(0);
        delete _pendingControllers[split];
        emit ControlTransferred(split, msg.sender, address(0));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Money
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISplitMain
    function distribute(address split, address token) external nonReentrant returns (uint256 amount) {
        SplitConfig memory config = _configs[split];
        if (config.height == 0) revert SplitNotFound(split);

        // Pull the wallet by balance delta, so only what actually arrived is ever credited.
        uint256 received;
        if (token == address(0)) {
            uint256 before = address(this).balance;
            if (ISplitWallet(split).pull(address(0)) != 0) received = address(this).balance - before;
        } else {
            uint256 before = IERC20(token).balanceOf(address(this));
            if (ISplitWallet(split).pull(token) != 0) received = IERC20(token).balanceOf(address(this)) - before;
        }

        mapping(address => uint256) storage ownLedger = _splitLedger[split];
        uint256 held = ownLedger[token];
        // Cannot underflow: held is checked non-zero first; cannot overflow: both terms are backed by tokens
        // this contract holds, so their sum is at most the token's balance here.
        unchecked {
            amount = received + (held == 0 ? 0 : held - 1);
        }
        if (amount == 0) revert NothingToDistribute(split, token);

        uint256 distributorFee = amount * config.distributorFeePpm / PPM;
        if (distributorFee != 0) _credit(_accountLedger[msg.sender], token, distributorFee);
        uint256 credited = distributorFee;
        uint256 net;
        // Cannot underflow: distributorFeePpm <= MAX_DISTRIBUTOR_FEE_PPM < PPM, so distributorFee < amount.
        unchecked {
            net = amount - distributorFee;
        }

        uint256[MAX_RECIPIENTS] storage entries = _entries[split];
        for (uint256 i; i < config.recipientCount;) {
            uint256 entry = entries[i];
            uint256 share = net * uint32(entry >> ALLOCATION_SHIFT) / PPM;
            if (share != 0) {
                address recipient = address(uint160(entry));
                _credit(
                    entry & IS_SPLIT_FLAG != 0 ? _splitLedger[recipient] : _accountLedger[recipient], token, share
                );
                // Cannot overflow: shares are fractions of `net` whose allocations sum to PPM, so credited <= amount.
                unchecked {
                    credited += share;
                }
            }
            // Cannot overflow: i < recipientCount <= MAX_RECIPIENTS.
            unchecked {
                ++i;
            }
        }

        uint256 dust;
        // Cannot underflow: credited <= amount (see above).
        unchecked {
            dust = amount - credited;
        }
        // The split keeps the rounding dust for next time; the slot stays touched (`dust + 1`).
        ownLedger[token] = dust + 1;
        emit SplitDistributed(split, _ruleSets[split], token, msg.sender, amount, credited, distributorFee, dust);
    }

    /// @inheritdoc ISplitMain
    function withdraw(address account, address[] calldata tokens)
        external
        nonReentrant
        returns (uint256[] memory amounts)
    {
        mapping(address => uint256) storage ledger = _accountLedger[account];
        amounts = new uint256[](tokens.length);
        for (uint256 i; i < tokens.length; ++i) {
            address token = tokens[i];
            uint256 stored = ledger[token];
            if (stored <= 1) continue;
            uint256 amount;
            // Cannot underflow: stored > 1.
            unchecked {
                amount = stored - 1;
            }
            ledger[token] = 1;
            amounts[i] = amount;
            if (token == address(0)) {
                (bool ok,) = account.call{value: amount}("");
                if (!ok) revert NativeTransferFailed(account);
            } else {
                IERC20(token).safeTransfer(account, amount);
            }
            emit Withdrawn(account, token, amount);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ISplitMain
    function balanceOf(address account, address token) external view returns (uint256) {
        return _unwrap(_accountLedger[account][token]);
    }

    /// @inheritdoc ISplitMain
    function splitBalanceOf(address split, address token) external view returns (uint256) {
        return _unwrap(_splitLedger[split][token]);
    }

    /// @inheritdoc ISplitMain
    function isSplit(address account) external view returns (bool) {
        return _configs[account].height != 0;
    }

    /// @inheritdoc ISplitMain
    function configOf(address split) external view returns (SplitConfig memory) {
        return _configs[split];
    }

    /// @inheritdoc ISplitMain
    function ruleSetOf(address split) external view returns (bytes32) {
        return _ruleSets[split];
    }

    /// @inheritdoc ISplitMain
    function rulesOf(address split)
        external
        view
        returns (address[] memory recipients, uint32[] memory allocations, bool[] memory recipientIsSplit)
    {
        uint256 count = _configs[split].recipientCount;
        recipients = new address[](count);
        allocations = new uint32[](count);
        recipientIsSplit = new bool[](count);
        uint256[MAX_RECIPIENTS] storage entries = _entries[split];
        for (uint256 i; i < count; ++i) {
            uint256 entry = entries[i];
            recipients[i] = address(uint160(entry));
            allocations[i] = uint32(entry >> ALLOCATION_SHIFT);
            recipientIsSplit[i] = entry & IS_SPLIT_FLAG != 0;
        }
    }

    /// @inheritdoc ISplitMain
    function pendingControllerOf(address split) external view returns (address) {
        return _pendingControllers[split];
    }

    /// @inheritdoc ISplitMain
    function referenceCountOf(address split) external view returns (uint256) {
        return _referenceCounts[split];
    }

    /// @inheritdoc ISplitMain
    function ruleSetIdOf(
        uint32 version,
        address[] calldata recipients,
        uint32[] calldata allocations,
        uint24 distributorFeePpm
    ) external pure returns (bytes32) {
        return _ruleSetId(version, recipients, allocations, distributorFeePpm);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Validates rules, writes the packed recipients and counts the new split edges. Returns the height the
    /// rules give the split and the recipient count.
    function _writeRules(
        address split,
        address[] calldata recipients,
        uint32[] calldata allocations,
        uint24 distributorFeePpm
    ) private returns (uint8 height, uint8 count) {
        _checkShape(recipients.length, allocations.length, distributorFeePpm);
        uint256 childHeight = _writeEntries(split, recipients, allocations);
        if (childHeight + 1 > MAX_DEPTH) revert DepthExceeded(childHeight + 1, MAX_DEPTH);
        // Safe casts: height <= MAX_DEPTH and the count <= MAX_RECIPIENTS, both below 256.
        height = uint8(childHeight + 1);
        count = uint8(recipients.length);
    }

    function _checkShape(uint256 recipientCount, uint256 allocationCount, uint24 distributorFeePpm) private pure {
        if (recipientCount != allocationCount) revert LengthMismatch(recipientCount, allocationCount);
        if (recipientCount == 0 || recipientCount > MAX_RECIPIENTS) {
            revert InvalidRecipientCount(recipientCount, MAX_RECIPIENTS);
        }
        if (distributorFeePpm > MAX_DISTRIBUTOR_FEE_PPM) {
            revert DistributorFeeTooHigh(distributorFeePpm, MAX_DISTRIBUTOR_FEE_PPM);
        }
    }

    /// @dev Writes the packed entries; returns the largest height among split recipients (0 if none).
    function _writeEntries(address split, address[] calldata recipients, uint32[] calldata allocations)
        private
        returns (uint256 childHeight)
    {
        uint256[MAX_RECIPIENTS] storage entries = _entries[split];
        uint256 sum;
        address previous;
        for (uint256 i; i < recipients.length; ++i) {
            address recipient = recipients[i];
            // Strictly ascending from address(0): sorted, unique and never the zero address.
            if (recipient <= previous) revert RecipientsNotSortedOrUnique(i);
            previous = recipient;
            if (allocations[i] == 0) revert ZeroAllocation(i);
            sum += allocations[i];
            uint256 recipientHeight;
            (entries[i], recipientHeight) = _entry(split, recipient, allocations[i]);
            if (recipientHeight > childHeight) childHeight = recipientHeight;
        }
        if (sum != PPM) revert InvalidAllocationSum(sum);
    }

    /// @dev Packs one recipient and, for a split recipient, counts the edge and returns its height.
    function _entry(address split, address recipient, uint256 allocation)
        private
        returns (uint256 entry, uint256 recipientHeight)
    {
        // The one cycle open at creation: listing the new wallet's own (predictable) address.
        if (recipient == split) revert SplitCycle(split, _configs[split].height, type(uint8).max);
        entry = uint256(uint160(recipient)) | allocation << ALLOCATION_SHIFT;
        recipientHeight = _configs[recipient].height;
        if (recipientHeight != 0) {
            entry |= IS_SPLIT_FLAG;
            ++_referenceCounts[recipient];
        }
    }

    /// @dev Drops the split edges of the current rules before new rules are written.
    function _releaseEdges(address split, uint256 count) private {
        uint256[MAX_RECIPIENTS] storage entries = _entries[split];
        for (uint256 i; i < count; ++i) {
            uint256 entry = entries[i];
            if (entry & IS_SPLIT_FLAG != 0) --_referenceCounts[address(uint160(entry))];
        }
    }

    /// @dev Adds `amount` to a ledger slot, marking it touched (`+ 1`) on first use.
    function _credit(mapping(address => uint256) storage ledger, address token, uint256 amount) private {
        uint256 stored = ledger[token];
        ledger[token] = (stored == 0 ? 1 : stored) + amount;
    }

    function _unwrap(uint256 stored) private pure returns (uint256) {
        // Cannot underflow: only evaluated for stored != 0.
        unchecked {
            return stored == 0 ? 0 : stored - 1;
        }
    }

    function _ruleSetId(
        uint32 version,
        address[] calldata recipients,
        uint32[] calldata allocations,
        uint24 distributorFeePpm
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(version, recipients, allocations, distributorFeePpm));
    }
}
