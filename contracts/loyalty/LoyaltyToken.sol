// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ILoyaltyToken} from "../interfaces/ILoyaltyToken.sol";

/// @title LoyaltyToken
/// @notice Implementation behind every merchant's loyalty points (OpenZeppelin minimal-proxy clones).
/// @dev Why OpenZeppelin's plain `ERC20` works behind a clone: its constructor only stores name and symbol,
/// which this contract overrides with per-clone storage written by `initialize`; balances, allowances and
/// supply are ordinary storage of the clone. (`ERC20Upgradeable` would need the upgradeable package; a
/// hand-written ERC-20 would be new code to audit.) Name and symbol are storage rather than clone immutable
/// arguments because the reward rate has to be mutable storage anyway, strings of any length then need no
/// special encoding, and a program is created once per merchant, so the one-off cost does not matter.
/// `factory` and `paymentPath` are immutables of the implementation: clones read them from its code.
contract LoyaltyToken is ERC20, ILoyaltyToken {
    /// @inheritdoc ILoyaltyToken
    uint16 public constant MAX_REWARD_BPS = 10_000;

    /// @inheritdoc ILoyaltyToken
    address public immutable factory;
    /// @inheritdoc ILoyaltyToken
    address public immutable paymentPath;

    /// @inheritdoc ILoyaltyToken
    address public merchant;
    /// @inheritdoc ILoyaltyToken
    address public asset;
    /// @inheritdoc ILoyaltyToken
    uint16 public rewardBps;
    /// @inheritdoc ILoyaltyToken
    bool public nonTransferable;
    uint8 private _decimals;
    bool private _initialized;

    string private _name;
    string private _symbol;

    /// @inheritdoc ILoyaltyToken
    uint256 public totalMinted;
    /// @inheritdoc ILoyaltyToken
    uint256 public totalRedeemed;
    /// @inheritdoc ILoyaltyToken
    uint256 public totalClawedBack;

    modifier onlyPaymentPath() {
        if (msg.sender != paymentPath) revert NotPaymentPath(msg.sender);
        _;
    }

    /// @param paymentPath_ The only minter/burner of every clone; the deployer is the factory.
    constructor(address paymentPath_) ERC20("", "") {
        factory = msg.sender;
        paymentPath = paymentPath_;
        // The implementation itself is never a program.
        _initialized = true;
    }

    /// @inheritdoc ILoyaltyToken
    function initialize(
        address merchant_,
        address asset_,
        string calldata name_,
        string calldata symbol_,
        uint8 decimals_,
        uint16 rewardBps_,
        bool nonTransferable_
    ) external {
        if (msg.sender != factory) revert NotFactory(msg.sender);
        if (_initialized) revert AlreadyInitialized();
        if (rewardBps_ > MAX_REWARD_BPS) revert RewardRateTooHigh(rewardBps_, MAX_REWARD_BPS);
        _initialized = true;
        merchant = merchant_;
        asset = asset_;
        rewardBps = rewardBps_;
        nonTransferable = nonTransferable_;
        _decimals = decimals_;
        _name = name_;
        _symbol = symbol_;
        emit ProgramInitialized(merchant_, asset_, name_, symbol_, rewardBps_, nonTransferable_);
    }

    /// @inheritdoc ILoyaltyToken
    function setRewardRate(uint16 rewardBps_) external {
        if (msg.sender != merchant) revert NotMerchant(msg.sender);
        if (rewardBps_ > MAX_REWARD_BPS) revert RewardRateTooHigh(rewardBps_, MAX_REWARD_BPS);
        emit RewardRateUpdated(rewardBps, rewardBps_);
        rewardBps = rewardBps_;
    }

    /// @inheritdoc ILoyaltyToken
    function mint(address to, uint256 amount) external onlyPaymentPath {
        totalMinted += amount;
        _mint(to, amount);
        emit PointsMinted(to, amount);
    }

    /// @inheritdoc ILoyaltyToken
    function redeem(address from, uint256 amount) external onlyPaymentPath {
        totalRedeemed += amount;
        _burn(from, amount);
        emit PointsRedeemed(from, amount);
    }

    /// @inheritdoc ILoyaltyToken
    function clawBack(address from, uint256 amount) external onlyPaymentPath {
        totalClawedBack += amount;
        _burn(from, amount);
        emit PointsClawedBack(from, amount);
    }

    /// @inheritdoc ILoyaltyToken
    function terms() external view returns (address, uint16) {
        return (asset, rewardBps);
    }

    /// @notice The program's name, set by the merchant at creation.
    function name() public view override(ERC20, IERC20Metadata) returns (string memory) {
        return _name;
    }

    /// @notice The program's symbol, set by the merchant at creation.
    function symbol() public view override(ERC20, IERC20Metadata) returns (string memory) {
        return _symbol;
    }

    /// @notice The asset's decimals: one point is one base unit of the asset.
    function decimals() public view override(ERC20, IERC20Metadata) returns (uint8) {
        return _decimals;
    }

    /// @dev Mints and burns always pass; transfers between holders only when the program allows them.
    function _update(address from, address to, uint256 value) internal override {
        if (nonTransferable && from != address(0) && to != address(0)) revert NonTransferable();
        super._update(from, to, value);
    }
}
