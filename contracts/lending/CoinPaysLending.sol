// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ILending, MarketParams, Market, Position} from "../interfaces/ILending.sol";
import {IOracle} from "../interfaces/IOracle.sol";
import {IRateModel} from "../interfaces/IRateModel.sol";
import {MathLib, WAD} from "./libraries/MathLib.sol";
import {SharesMath} from "./libraries/SharesMath.sol";
import {MarketParamsLib} from "./libraries/MarketParamsLib.sol";

/// @title CoinPaysLending
/// @notice Isolated lending markets in one contract: each market lends one loan token against one collateral token,
/// priced by one oracle, with one rate model and one liquidation LLTV, all fixed at creation.
/// @dev Design follows Morpho Blue (small core, virtual shares, interest before every change, LLTV-derived
/// liquidation incentive, bad debt realised on liquidation); see `ILending` for conventions and assumptions.
/// The only owner powers are enabling LLTVs and rate models, setting a capped fee per market, the fee recipient
/// and per-token minimum borrows. The owner cannot touch positions or funds.
contract CoinPaysLending is ILending, Ownable2Step, ReentrancyGuardTransient {
    using MathLib for uint256;
    using SharesMath for uint256;
    using MarketParamsLib for MarketParams;
    using SafeCast for uint256;
    using SafeERC20 for IERC20;

    /// @inheritdoc ILending
    uint256 public constant MAX_FEE = 0.25e18;

    /// @dev Scale of `IOracle` prices.
    uint256 internal constant ORACLE_PRICE_SCALE = 1e36;

    /// @dev Share of `1 - lltv` turned into liquidation incentive: incentive = 1 / (1 - CURSOR * (1 - lltv)).
    uint256 internal constant LIQUIDATION_CURSOR = 0.3e18;

    /// @dev Cap on the liquidation incentive factor (15% bonus).
    uint256 internal constant MAX_LIQUIDATION_INCENTIVE_FACTOR = 1.15e18;

    mapping(bytes32 id => Market) private _market;
    mapping(bytes32 id => mapping(address account => Position)) private _position;
    mapping(bytes32 id => MarketParams) private _idToMarketParams;

    /// @inheritdoc ILending
    mapping(uint256 lltv => bool) public isLltvEnabled;
    /// @inheritdoc ILending
    mapping(address rateModel => bool) public isRateModelEnabled;
    /// @inheritdoc ILending
    mapping(address authorizer => mapping(address authorized => bool)) public isAuthorized;
    /// @inheritdoc ILending
    mapping(address loanToken => uint256) public minBorrow;
    /// @inheritdoc ILending
    address public feeRecipient;

    constructor(address initialOwner) Ownable(initialOwner) {}

    // ---------------------------------------------------------------- owner

    /// @inheritdoc ILending
    function enableLltv(uint256 lltv) external onlyOwner {
        if (isLltvEnabled[lltv]) revert AlreadySet();
        if (lltv >= WAD) revert LltvTooHigh(lltv);
        isLltvEnabled[lltv] = true;
        emit LltvEnabled(lltv);
    }

    /// @inheritdoc ILending
    function enableRateModel(address rateModel) external onlyOwner {
        if (rateModel == address(0)) revert ZeroAddress();
        if (isRateModelEnabled[rateModel]) revert AlreadySet();
        isRateModelEnabled[rateModel] = true;
        emit RateModelEnabled(rateModel);
    }

    /// @inheritdoc ILending
    function setFee(MarketParams calldata marketParams, uint256 newFee) external onlyOwner {
        bytes32 id = marketParams.id();
        Market storage m = _existing(id);
        if (newFee == m.fee) revert AlreadySet();
        if (newFee > MAX_FEE) revert FeeTooHigh(newFee);
        // Interest up to now is charged at the old fee.
        _accrueInterest(marketParams, id);
        // Safe cast: newFee <= MAX_FEE < 2**128.
        m.fee = uint128(newFee);
        emit FeeSet(id, newFee);
    }

    /// @inheritdoc ILending
    function setFeeRecipient(address newFeeRecipient) external onlyOwner {
        if (newFeeRecipient == feeRecipient) revert AlreadySet();
        feeRecipient = newFeeRecipient;
        emit FeeRecipientSet(newFeeRecipient);
    }

    /// @inheritdoc ILending
    function setMinBorrow(address loanToken, uint256 newMinBorrow) external onlyOwner {
        minBorrow[loanToken] = newMinBorrow;
        emit MinBorrowSet(loanToken, newMinBorrow);
    }

    // ---------------------------------------------------------------- markets

    /// @inheritdoc ILending
    function createMarket(MarketParams calldata marketParams) external {
        bytes32 id = marketParams.id();
        if (!isLltvEnabled[marketParams.lltv]) revert LltvNotEnabled(marketParams.lltv);
        if (!isRateModelEnabled[marketParams.rateModel]) revert RateModelNotEnabled(marketParams.rateModel);
        if (
            marketParams.loanToken == address(0) || marketParams.collateralToken == address(0)
                || marketParams.oracle == address(0)
        ) revert ZeroAddress();
        Market storage m = _market[id];
        if (m.lastUpdate != 0) revert MarketAlreadyCreated(id);
        m.lastUpdate = uint128(block.timestamp);
        _idToMarketParams[id] = marketParams;
        emit MarketCreated(id, marketParams);
    }

    /// @inheritdoc ILending
    function accrueInterest(MarketParams calldata marketParams) external nonReentrant {
        bytes32 id = marketParams.id();
        _existing(id);
        _accrueInterest(marketParams, id);
    }

    /// @inheritdoc ILending
    function setAuthorization(address authorized, bool newIsAuthorized) external {
        if (isAuthorized[msg.sender][authorized] == newIsAuthorized) revert AlreadySet();
        isAuthorized[msg.sender][authorized] = newIsAuthorized;
        emit AuthorizationSet(msg.sender, authorized, newIsAuthorized);
    }

    // ---------------------------------------------------------------- lenders

    /// @inheritdoc ILending
    function supply(MarketParams calldata marketParams, uint256 assets, uint256 shares, address onBehalf)
        external
        nonReentrant
        returns (uint256, uint256)
    {
        bytes32 id = marketParams.id();
        Market storage m = _existing(id);
        _checkExactlyOneZero(assets, shares);
        if (onBehalf == address(0)) revert ZeroAddress();
        _accrueInterest(marketParams, id);

        // Protocol's favour: the supplier gets fewer shares / pays more assets.
        if (assets > 0) shares = assets.toSharesDown(m.totalSupplyAssets, m.totalSupplyShares);
        else assets = shares.toAssetsUp(m.totalSupplyAssets, m.totalSupplyShares);
        // A dust supply rounding to zero shares would be a pure donation; refuse it.
        if (shares == 0) revert ZeroAssets();

        _position[id][onBehalf].supplyShares += shares;
        m.totalSupplyShares = (m.totalSupplyShares + shares).toUint128();
        m.totalSupplyAssets = (m.totalSupplyAssets + assets).toUint128();

        emit Supplied(id, msg.sender, onBehalf, assets, shares);
        IERC20(marketParams.loanToken).safeTransferFrom(msg.sender, address(this), assets);
        return (assets, shares);
    }

    /// @inheritdoc ILending
    function withdraw(
        MarketParams calldata marketParams,
        uint256 assets,
        uint256 shares,
        address onBehalf,
        address receiver
    ) external nonReentrant returns (uint256, uint256) {
        bytes32 id = marketParams.id();
        Market storage m = _existing(id);
        _checkExactlyOneZero(assets, shares);
        if (receiver == address(0)) revert ZeroAddress();
        _checkAuthorized(onBehalf);
        _accrueInterest(marketParams, id);

        // Protocol's favour: burn more shares / pay out fewer assets.
        if (assets > 0) shares = assets.toSharesUp(m.totalSupplyAssets, m.totalSupplyShares);
        else assets = shares.toAssetsDown(m.totalSupplyAssets, m.totalSupplyShares);

        // Reverts with an arithmetic underflow if the position holds fewer shares.
        _position[id][onBehalf].supplyShares -= shares;
        m.totalSupplyShares = (m.totalSupplyShares - shares).toUint128();
        m.totalSupplyAssets = (m.totalSupplyAssets - assets).toUint128();
        if (m.totalBorrowAssets > m.totalSupplyAssets) {
            revert InsufficientLiquidity(assets, m.totalSupplyAssets + assets - m.totalBorrowAssets);
        }

        emit Withdrawn(id, msg.sender, onBehalf, receiver, assets, shares);
        IERC20(marketParams.loanToken).safeTransfer(receiver, assets);
        return (assets, shares);
    }

    // ---------------------------------------------------------------- borrowers

    /// @inheritdoc ILending
    function borrow(
        MarketParams calldata marketParams,
        uint256 assets,
        uint256 shares,
        address onBehalf,
        address receiver
    ) external nonReentrant returns (uint256, uint256) {
        bytes32 id = marketParams.id();
        Market storage m = _existing(id);
        _checkExactlyOneZero(assets, shares);
        if (receiver == address(0)) revert ZeroAddress();
        _checkAuthorized(onBehalf);
        _accrueInterest(marketParams, id);

        // Protocol's favour: more debt shares / fewer assets paid out.
        if (assets > 0) shares = assets.toSharesUp(m.totalBorrowAssets, m.totalBorrowShares);
        else assets = shares.toAssetsDown(m.totalBorrowAssets, m.totalBorrowShares);
        if (assets == 0) revert ZeroAssets();

        Position storage p = _position[id][onBehalf];
        p.borrowShares = (p.borrowShares + shares).toUint128();
        m.totalBorrowShares = (m.totalBorrowShares + shares).toUint128();
        m.totalBorrowAssets = (m.totalBorrowAssets + assets).toUint128();

        if (m.totalBorrowAssets > m.totalSupplyAssets) {
            revert InsufficientLiquidity(assets, m.totalSupplyAssets + assets - m.totalBorrowAssets);
        }
        _checkMinBorrow(marketParams.loanToken, m, p);
        (bool ok, uint256 price) = _tryPrice(marketParams.oracle);
        if (!ok) revert OracleUnavailable(marketParams.oracle);
        if (!_isHealthy(marketParams.lltv, m, p, price)) revert InsufficientCollateral();

        emit Borrowed(id, msg.sender, onBehalf, receiver, assets, shares);
        IERC20(marketParams.loanToken).safeTransfer(receiver, assets);
        return (assets, shares);
    }

    /// @inheritdoc ILending
    function repay(MarketParams calldata marketParams, uint256 assets, uint256 shares, address onBehalf)
        external
        nonReentrant
        returns (uint256, uint256)
    {
        bytes32 id = marketParams.id();
        Market storage m = _existing(id);
        _checkExactlyOneZero(assets, shares);
        if (onBehalf == address(0)) revert ZeroAddress();
        _accrueInterest(marketParams, id);

        // Protocol's favour: fewer debt shares removed / more assets pulled.
        if (assets > 0) shares = assets.toSharesDown(m.totalBorrowAssets, m.totalBorrowShares);
        else assets = shares.toAssetsUp(m.totalBorrowAssets, m.totalBorrowShares);
        if (shares == 0) revert ZeroAssets();

        Position storage p = _position[id][onBehalf];
        // Reverts with an arithmetic underflow if the position owes fewer shares.
        p.borrowShares = (p.borrowShares - shares).toUint128();
        m.totalBorrowShares = (m.totalBorrowShares - shares).toUint128();
        // Rounding up can make `assets` exceed the total by at most 1: floor at zero.
        m.totalBorrowAssets = uint256(m.totalBorrowAssets).zeroFloorSub(assets).toUint128();
        _checkMinBorrow(marketParams.loanToken, m, p);

        emit Repaid(id, msg.sender, onBehalf, assets, shares);
        IERC20(marketParams.loanToken).safeTransferFrom(msg.sender, address(this), assets);
        return (assets, shares);
    }

    /// @inheritdoc ILending
    function supplyCollateral(MarketParams calldata marketParams, uint256 assets, address onBehalf)
        external
        nonReentrant
    {
        bytes32 id = marketParams.id();
        _existing(id);
        if (assets == 0) revert ZeroAssets();
        if (onBehalf == address(0)) revert ZeroAddress();
        // Collateral does not earn interest: no accrual is needed, which saves the rate model call.

        Position storage p = _position[id][onBehalf];
        p.collateral = (p.collateral + assets).toUint128();

        emit CollateralSupplied(id, msg.sender, onBehalf, assets);
        IERC20(marketParams.collateralToken).safeTransferFrom(msg.sender, address(this), assets);
    }

    /// @inheritdoc ILending
    function withdrawCollateral(MarketParams calldata marketParams, uint256 assets, address onBehalf, address receiver)
        external
        nonReentrant
    {
        bytes32 id = marketParams.id();
        Market storage m = _existing(id);
        if (assets == 0) revert ZeroAssets();
        if (receiver == address(0)) revert ZeroAddress();
        _checkAuthorized(onBehalf);
        _accrueInterest(marketParams, id);

        Position storage p = _position[id][onBehalf];
        // Reverts with an arithmetic underflow if the position holds less collateral.
        p.collateral = (p.collateral - assets).toUint128();
        if (p.borrowShares != 0) {
            (bool ok, uint256 price) = _tryPrice(marketParams.oracle);
            if (!ok) revert OracleUnavailable(marketParams.oracle);
            if (!_isHealthy(marketParams.lltv, m, p, price)) revert InsufficientCollateral();
        }

        emit CollateralWithdrawn(id, msg.sender, onBehalf, receiver, assets);
        IERC20(marketParams.collateralToken).safeTransfer(receiver, assets);
    }

    // ---------------------------------------------------------------- liquidators

    /// @inheritdoc ILending
    function liquidate(MarketParams calldata marketParams, address borrower, uint256 seizedAssets, uint256 repaidShares)
        external
        nonReentrant
        returns (uint256, uint256)
    {
        bytes32 id = marketParams.id();
        Market storage m = _existing(id);
        _checkExactlyOneZero(seizedAssets, repaidShares);
        _accrueInterest(marketParams, id);

        Position storage p = _position[id][borrower];
        uint256 repaidAssets;
        {
            uint256 price = _liquidationPrice(marketParams, m, p);
            (seizedAssets, repaidShares, repaidAssets) = _liquidationAmounts(
                marketParams.lltv, price, m.totalBorrowAssets, m.totalBorrowShares, seizedAssets, repaidShares
            );
        }

        // Both subtractions revert with an arithmetic underflow if the liquidator asks for more than there is.
        p.borrowShares = (p.borrowShares - repaidShares).toUint128();
        m.totalBorrowShares = (m.totalBorrowShares - repaidShares).toUint128();
        m.totalBorrowAssets = uint256(m.totalBorrowAssets).zeroFloorSub(repaidAssets).toUint128();
        p.collateral = (p.collateral - seizedAssets).toUint128();

        (uint256 badDebtAssets, uint256 badDebtShares) = p.collateral == 0 ? _realiseBadDebt(m, p) : (0, 0);

        emit Liquidated(
            id, msg.sender, borrower, repaidAssets, repaidShares, seizedAssets, badDebtAssets, badDebtShares
        );
        IERC20(marketParams.collateralToken).safeTransfer(msg.sender, seizedAssets);
        IERC20(marketParams.loanToken).safeTransferFrom(msg.sender, address(this), repaidAssets);
        return (seizedAssets, repaidAssets);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ILending
    function market(bytes32 id) external view returns (Market memory) {
        return _market[id];
    }

    /// @inheritdoc ILending
    function position(bytes32 id, address account) external view returns (Position memory) {
        return _position[id][account];
    }

    /// @inheritdoc ILending
    function idToMarketParams(bytes32 id) external view returns (MarketParams memory) {
        return _idToMarketParams[id];
    }

    /// @inheritdoc ILending
    function expectedBorrowAssets(MarketParams calldata marketParams, address account)
        external
        view
        returns (uint256)
    {
        bytes32 id = marketParams.id();
        Market memory m = _expectedMarket(marketParams, id);
        return uint256(_position[id][account].borrowShares).toAssetsUp(m.totalBorrowAssets, m.totalBorrowShares);
    }

    /// @inheritdoc ILending
    function isHealthy(MarketParams calldata marketParams, address account)
        external
        view
        returns (bool ok, bool healthy)
    {
        bytes32 id = marketParams.id();
        Market memory m = _expectedMarket(marketParams, id);
        Position memory p = _position[id][account];
        if (p.borrowShares == 0) return (true, true);
        uint256 price;
        (ok, price) = _tryPrice(marketParams.oracle);
        if (ok) healthy = _isHealthyMem(marketParams.lltv, m, p, price);
    }

    /// @inheritdoc ILending
    function liquidationIncentiveFactor(uint256 lltv) external pure returns (uint256) {
        return _liquidationIncentiveFactor(lltv);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The market's storage, reverting if it was never created.
    function _existing(bytes32 id) private view returns (Market storage m) {
        m = _market[id];
        if (m.lastUpdate == 0) revert MarketNotCreated(id);
    }

    function _checkExactlyOneZero(uint256 a, uint256 b) private pure {
        if ((a == 0) == (b == 0)) revert InconsistentInput();
    }

    function _checkAuthorized(address onBehalf) private view {
        if (msg.sender != onBehalf && !isAuthorized[onBehalf][msg.sender]) revert Unauthorized(msg.sender, onBehalf);
    }

    /// @dev Debt of a position must be zero or at least the loan token's minimum.
    function _checkMinBorrow(address loanToken, Market storage m, Position storage p) private view {
        uint256 shares = p.borrowShares;
        if (shares == 0) return;
        uint256 floor = minBorrow[loanToken];
        uint256 debt = shares.toAssetsUp(m.totalBorrowAssets, m.totalBorrowShares);
        if (debt < floor) revert BorrowBelowMinimum(debt, floor);
    }

    /// @dev Accrues interest since `lastUpdate`: the same amount is added to what borrowers owe and to what
    /// lenders are owed, and the fee share of it is minted as supply shares to the fee recipient.
    function _accrueInterest(MarketParams calldata marketParams, bytes32 id) private {
        Market storage m = _market[id];
        uint256 elapsed = block.timestamp - m.lastUpdate;
        if (elapsed == 0) return;
        m.lastUpdate = uint128(block.timestamp);
        if (m.totalBorrowAssets == 0) return;

        uint256 rate = IRateModel(marketParams.rateModel).borrowRate(marketParams, m);
        // Rounded down: interest slightly favours borrowers, but it is added equally to both totals, so it
        // never makes the supply side owe more than the borrow side brings in.
        uint256 interest = uint256(m.totalBorrowAssets).wMulDown(rate.wTaylorCompounded(elapsed));
        m.totalBorrowAssets = (m.totalBorrowAssets + interest).toUint128();
        m.totalSupplyAssets = (m.totalSupplyAssets + interest).toUint128();

        uint256 feeShares;
        if (m.fee != 0) {
            uint256 feeAmount = interest.wMulDown(m.fee);
            // Shares priced as if the fee were supplied after the interest: rounded down, against the recipient.
            feeShares = feeAmount.toSharesDown(m.totalSupplyAssets - feeAmount, m.totalSupplyShares);
            _position[id][feeRecipient].supplyShares += feeShares;
            m.totalSupplyShares = (m.totalSupplyShares + feeShares).toUint128();
        }
        emit InterestAccrued(id, rate, interest, feeShares);
    }

    /// @dev The market's totals with interest accrued up to now, without writing (fee shares ignored: they do
    /// not change what borrowers owe).
    function _expectedMarket(MarketParams calldata marketParams, bytes32 id) private view returns (Market memory m) {
        m = _market[id];
        uint256 elapsed = block.timestamp - m.lastUpdate;
        if (elapsed == 0 || m.totalBorrowAssets == 0 || m.lastUpdate == 0) return m;
        uint256 rate = IRateModel(marketParams.rateModel).borrowRate(marketParams, m);
        uint256 interest = uint256(m.totalBorrowAssets).wMulDown(rate.wTaylorCompounded(elapsed));
        m.totalBorrowAssets = (m.totalBorrowAssets + interest).toUint128();
        m.totalSupplyAssets = (m.totalSupplyAssets + interest).toUint128();
    }

    /// @dev Asks the oracle without letting it revert the caller: a reverting oracle is treated as unavailable.
    function _tryPrice(address oracle) private view returns (bool ok, uint256 price) {
        try IOracle(oracle).tryPrice() returns (bool ok_, uint256 price_) {
            // `ok` with a zero price would make every indebted position unhealthy; treat it as a failure.
            if (ok_ && price_ != 0) return (true, price_);
        } catch {}
        return (false, 0);
    }

    function _isHealthy(uint256 lltv, Market storage m, Position storage p, uint256 price)
        private
        view
        returns (bool)
    {
        uint256 shares = p.borrowShares;
        if (shares == 0) return true;
        // Protocol's favour: debt rounded up, borrowing power rounded down.
        uint256 debt = shares.toAssetsUp(m.totalBorrowAssets, m.totalBorrowShares);
        uint256 maxDebt = uint256(p.collateral).mulDivDown(price, ORACLE_PRICE_SCALE).wMulDown(lltv);
        return maxDebt >= debt;
    }

    function _isHealthyMem(uint256 lltv, Market memory m, Position memory p, uint256 price)
        private
        pure
        returns (bool)
    {
        uint256 debt = uint256(p.borrowShares).toAssetsUp(m.totalBorrowAssets, m.totalBorrowShares);
        uint256 maxDebt = uint256(p.collateral).mulDivDown(price, ORACLE_PRICE_SCALE).wMulDown(lltv);
        return maxDebt >= debt;
    }

    /// @dev The price for a liquidation, reverting if there is none or the position is healthy.
    function _liquidationPrice(MarketParams calldata marketParams, Market storage m, Position storage p)
        private
        view
        returns (uint256 price)
    {
        bool ok;
        (ok, price) = _tryPrice(marketParams.oracle);
        if (!ok) revert OracleUnavailable(marketParams.oracle);
        if (_isHealthy(marketParams.lltv, m, p, price)) revert HealthyPosition();
    }

    /// @dev Completes the liquidation amounts from whichever of `seizedAssets` / `repaidShares` was given.
    function _liquidationAmounts(
        uint256 lltv,
        uint256 price,
        uint256 totalBorrowAssets,
        uint256 totalBorrowShares,
        uint256 seizedAssets,
        uint256 repaidShares
    ) private pure returns (uint256, uint256, uint256) {
        uint256 incentive = _liquidationIncentiveFactor(lltv);
        if (seizedAssets > 0) {
            // Protocol's favour: the seized collateral is valued up, then converted to repaid shares rounded up.
            uint256 seizedQuoted = seizedAssets.mulDivUp(price, ORACLE_PRICE_SCALE);
            repaidShares = seizedQuoted.wDivUp(incentive).toSharesUp(totalBorrowAssets, totalBorrowShares);
        } else {
            // Protocol's favour: the repaid debt is valued down and the collateral seized rounded down.
            seizedAssets = repaidShares.toAssetsDown(totalBorrowAssets, totalBorrowShares).wMulDown(incentive)
                .mulDivDown(ORACLE_PRICE_SCALE, price);
        }
        // Protocol's favour: the liquidator pays the repaid shares' value rounded up.
        uint256 repaidAssets = repaidShares.toAssetsUp(totalBorrowAssets, totalBorrowShares);
        return (seizedAssets, repaidShares, repaidAssets);
    }

    /// @dev Writes off the debt of a position with no collateral left against the lenders, instead of leaving
    /// unrecoverable debt inflating the supply totals.
    function _realiseBadDebt(Market storage m, Position storage p)
        private
        returns (uint256 badDebtAssets, uint256 badDebtShares)
    {
        badDebtShares = p.borrowShares;
        if (badDebtShares == 0) return (0, 0);
        badDebtAssets =
            MathLib.min(m.totalBorrowAssets, badDebtShares.toAssetsUp(m.totalBorrowAssets, m.totalBorrowShares));
        m.totalBorrowAssets = (m.totalBorrowAssets - badDebtAssets).toUint128();
        m.totalSupplyAssets = (m.totalSupplyAssets - badDebtAssets).toUint128();
        m.totalBorrowShares = (m.totalBorrowShares - badDebtShares).toUint128();
        p.borrowShares = 0;
    }

    /// @dev `min(MAX, 1 / (1 - CURSOR * (1 - lltv)))`: the lower the LLTV (the riskier the collateral is judged),
    /// the larger the bonus, capped at 15%. With lltv < 1 the factor times lltv stays below 1, so seizing at the
    /// incentive never takes more collateral than a position at its LLTV holds.
    function _liquidationIncentiveFactor(uint256 lltv) private pure returns (uint256) {
        return MathLib.min(MAX_LIQUIDATION_INCENTIVE_FACTOR, WAD.wDivDown(WAD - LIQUIDATION_CURSOR.wMulDown(WAD - lltv)));
    }
}
