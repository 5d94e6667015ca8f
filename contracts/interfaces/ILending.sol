// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Identifying parameters of an isolated market; the market id is `keccak256(abi.encode(params))`.
/// @param loanToken The token lent and borrowed.
/// @param collateralToken The token posted as collateral.
/// @param oracle Prices the collateral in the loan token (see `IOracle`).
/// @param rateModel Gives the borrow rate (see `IRateModel`).
/// @param lltv Liquidation loan-to-value, scaled by 1e18: a position is healthy while
/// `debt <= collateral * price / 1e36 * lltv / 1e18`.
struct MarketParams {
    address loanToken;
    address collateralToken;
    address oracle;
    address rateModel;
    uint256 lltv;
}

/// @notice Totals of a market. Three storage slots.
/// @param totalSupplyAssets Loan tokens owed to lenders, interest included.
/// @param totalSupplyShares Supply shares issued (virtual shares excluded).
/// @param totalBorrowAssets Loan tokens owed by borrowers, interest included.
/// @param totalBorrowShares Borrow shares issued (virtual shares excluded).
/// @param lastUpdate Timestamp of the last interest accrual; zero means the market does not exist.
/// @param fee Share of the interest paid to the fee recipient, scaled by 1e18, at most `MAX_FEE`.
struct Market {
    uint128 totalSupplyAssets;
    uint128 totalSupplyShares;
    uint128 totalBorrowAssets;
    uint128 totalBorrowShares;
    uint128 lastUpdate;
    uint128 fee;
}

/// @notice One account's position in one market. Two storage slots.
struct Position {
    uint256 supplyShares;
    uint128 borrowShares;
    uint128 collateral;
}

/// @title ILending
/// @notice CoinPays isolated lending markets in one singleton contract (the Morpho Blue shape).
/// @dev Conventions and assumptions:
/// - Amount-or-shares entry points take exactly one non-zero of `assets` / `shares` and return both.
/// - Rounding always favours the protocol (the lenders as a whole); each entry point documents its direction.
/// - Interest is accrued for the market before any change to it.
/// - Tokens are plain ERC-20s: no fee on transfer, no rebasing, no hooks that call back into lending (a
///   transient reentrancy guard blocks re-entry anyway). Tokens are moved with SafeERC20.
/// - The oracle follows `IOracle` and the rate model follows `IRateModel`; only owner-enabled rate models and
///   LLTVs can be used, so a market cannot be created with a rate that overflows the interest computation.
/// - Amounts stay below 2**128 (checked with SafeCast); total shares stay below 2**128, which virtual shares of
///   1e6 allow for any token supply under about 3.4e32 base units.
/// - A price failure (stale, zero, negative, unreachable feed) pauses only what needs a price: borrowing,
///   withdrawing collateral while indebted, and liquidating. Supply, withdraw of supply, supply of collateral,
///   repay and withdrawal of collateral from a debt-free position keep working.
interface ILending {
    /// @notice Emitted when a market is created.
    event MarketCreated(bytes32 indexed id, MarketParams marketParams);

    /// @notice Emitted when the owner enables an LLTV.
    event LltvEnabled(uint256 lltv);

    /// @notice Emitted when the owner enables a rate model.
    event RateModelEnabled(address indexed rateModel);

    /// @notice Emitted when the owner changes a market's fee.
    event FeeSet(bytes32 indexed id, uint256 fee);

    /// @notice Emitted when the owner changes the fee recipient.
    event FeeRecipientSet(address indexed feeRecipient);

    /// @notice Emitted when the owner changes the minimum borrow of a loan token.
    event MinBorrowSet(address indexed loanToken, uint256 minBorrow);

    /// @notice Emitted when `authorizer` grants or revokes `authorized` the right to act for it.
    event AuthorizationSet(address indexed authorizer, address indexed authorized, bool isAuthorized);

    /// @notice Emitted when interest is accrued (only when time has passed).
    /// @param prevBorrowRate The per-second rate applied over the elapsed period.
    /// @param interest Interest added to both the supply and the borrow totals.
    /// @param feeShares Supply shares minted to the fee recipient.
    event InterestAccrued(bytes32 indexed id, uint256 prevBorrowRate, uint256 interest, uint256 feeShares);

    /// @notice Emitted on supply of loan tokens.
    event Supplied(bytes32 indexed id, address indexed caller, address indexed onBehalf, uint256 assets, uint256 shares);

    /// @notice Emitted on withdrawal of supplied loan tokens.
    event Withdrawn(
        bytes32 indexed id,
        address caller,
        address indexed onBehalf,
        address indexed receiver,
        uint256 assets,
        uint256 shares
    );

    /// @notice Emitted on borrow.
    event Borrowed(
        bytes32 indexed id,
        address caller,
        address indexed onBehalf,
        address indexed receiver,
        uint256 assets,
        uint256 shares
    );

    /// @notice Emitted on repay.
    event Repaid(bytes32 indexed id, address indexed caller, address indexed onBehalf, uint256 assets, uint256 shares);

    /// @notice Emitted on supply of collateral.
    event CollateralSupplied(bytes32 indexed id, address indexed caller, address indexed onBehalf, uint256 assets);

    /// @notice Emitted on withdrawal of collateral.
    event CollateralWithdrawn(
        bytes32 indexed id, address caller, address indexed onBehalf, address indexed receiver, uint256 assets
    );

    /// @notice Emitted on liquidation.
    /// @param repaidAssets Loan tokens paid by the liquidator (may exceed the market's total borrow by 1 wei of
    /// rounding, which is then floored at zero).
    /// @param badDebtAssets Debt written off against the lenders because no collateral remained.
    event Liquidated(
        bytes32 indexed id,
        address indexed caller,
        address indexed borrower,
        uint256 repaidAssets,
        uint256 repaidShares,
        uint256 seizedAssets,
        uint256 badDebtAssets,
        uint256 badDebtShares
    );

    /// @notice The zero address was given where an account or contract is needed.
    error ZeroAddress();

    /// @notice No market exists with this id.
    error MarketNotCreated(bytes32 id);

    /// @notice A market with these parameters already exists.
    error MarketAlreadyCreated(bytes32 id);

    /// @notice The LLTV is not on the owner's list.
    error LltvNotEnabled(uint256 lltv);

    /// @notice The rate model is not on the owner's list.
    error RateModelNotEnabled(address rateModel);

    /// @notice LLTVs must be below 100%.
    error LltvTooHigh(uint256 lltv);

    /// @notice The value is already set.
    error AlreadySet();

    /// @notice The fee exceeds `MAX_FEE`.
    error FeeTooHigh(uint256 fee);

    /// @notice Exactly one of `assets` / `shares` must be non-zero.
    error InconsistentInput();

    /// @notice The amount must be greater than zero.
    error ZeroAssets();

    /// @notice `caller` may not act for `onBehalf`.
    error Unauthorized(address caller, address onBehalf);

    /// @notice The position would be (or is) unhealthy after the operation.
    error InsufficientCollateral();

    /// @notice The market has not enough idle loan tokens.
    error InsufficientLiquidity(uint256 requested, uint256 available);

    /// @notice Only unhealthy positions can be liquidated.
    error HealthyPosition();

    /// @notice The market's oracle reports no usable price, so the operation is paused.
    error OracleUnavailable(address oracle);

    /// @notice A debt would be left above zero but below the loan token's minimum borrow.
    error BorrowBelowMinimum(uint256 debt, uint256 minBorrow);

    /// @notice Maximum protocol fee (25% of interest), scaled by 1e18.
    function MAX_FEE() external view returns (uint256);

    /// @notice Creates the market of `marketParams`. Anyone can, once its LLTV and rate model are enabled.
    function createMarket(MarketParams calldata marketParams) external;

    /// @notice Supplies loan tokens for `onBehalf` (anyone can supply for anyone).
    /// @dev Rounding: by assets, shares are rounded down; by shares, assets pulled are rounded up.
    /// @return assetsSupplied Loan tokens pulled from the caller.
    /// @return sharesSupplied Supply shares credited to `onBehalf`.
    function supply(MarketParams calldata marketParams, uint256 assets, uint256 shares, address onBehalf)
        external
        returns (uint256 assetsSupplied, uint256 sharesSupplied);

    /// @notice Withdraws `onBehalf`'s supplied loan tokens to `receiver`. Needs no price.
    /// @dev Rounding: by assets, shares burnt are rounded up; by shares, assets paid are rounded down.
    function withdraw(
        MarketParams calldata marketParams,
        uint256 assets,
        uint256 shares,
        address onBehalf,
        address receiver
    ) external returns (uint256 assetsWithdrawn, uint256 sharesWithdrawn);

    /// @notice Borrows for `onBehalf` and sends the loan tokens to `receiver`. Needs a price: reverts with
    /// `OracleUnavailable` while the oracle fails.
    /// @dev Rounding: by assets, debt shares are rounded up; by shares, assets paid out are rounded down.
    function borrow(
        MarketParams calldata marketParams,
        uint256 assets,
        uint256 shares,
        address onBehalf,
        address receiver
    ) external returns (uint256 assetsBorrowed, uint256 sharesBorrowed);

    /// @notice Repays debt of `onBehalf` (anyone can repay for anyone). Needs no price. Repay everything by
    /// passing the position's `borrowShares`.
    /// @dev Rounding: by assets, debt shares removed are rounded down; by shares, assets pulled are rounded up.
    function repay(MarketParams calldata marketParams, uint256 assets, uint256 shares, address onBehalf)
        external
        returns (uint256 assetsRepaid, uint256 sharesRepaid);

    /// @notice Adds collateral to `onBehalf`'s position (anyone can). Needs no price.
    function supplyCollateral(MarketParams calldata marketParams, uint256 assets, address onBehalf) external;

    /// @notice Withdraws collateral of `onBehalf` to `receiver`. Needs a price only if the position has debt.
    function withdrawCollateral(MarketParams calldata marketParams, uint256 assets, address onBehalf, address receiver)
        external;

    /// @notice Liquidates part or all of an unhealthy position: the caller repays debt and receives collateral
    /// worth the repaid debt times the liquidation incentive factor. Needs a price: while the oracle fails no
    /// liquidation is possible, and any bad debt is realised after the feed recovers.
    /// @dev Exactly one of `seizedAssets` / `repaidShares` must be non-zero. Rounding: from `seizedAssets`, shares
    /// repaid are rounded up; from `repaidShares`, collateral seized is rounded down; repaid assets are rounded up.
    /// If the position has no collateral left, its remaining debt is written off against the lenders (bad debt).
    function liquidate(MarketParams calldata marketParams, address borrower, uint256 seizedAssets, uint256 repaidShares)
        external
        returns (uint256 seized, uint256 repaidAssets);

    /// @notice Accrues interest of a market up to now.
    function accrueInterest(MarketParams calldata marketParams) external;

    /// @notice Lets `authorized` withdraw, borrow and withdraw collateral on the caller's behalf (or revokes it).
    function setAuthorization(address authorized, bool newIsAuthorized) external;

    /// @notice Owner: adds an LLTV (below 100%) to the list markets can use. Enabling cannot be undone.
    function enableLltv(uint256 lltv) external;

    /// @notice Owner: adds a rate model to the list markets can use. Enabling cannot be undone.
    function enableRateModel(address rateModel) external;

    /// @notice Owner: sets a market's share of interest (at most `MAX_FEE`), after accruing at the old fee.
    function setFee(MarketParams calldata marketParams, uint256 newFee) external;

    /// @notice Owner: sets who receives fee shares (accrued fees stay with the previous recipient).
    function setFeeRecipient(address newFeeRecipient) external;

    /// @notice Owner: minimum debt, in `loanToken` base units, a position may be left with after borrow or repay
    /// (zero debt is always allowed). Protects against dust positions too small to be worth liquidating.
    function setMinBorrow(address loanToken, uint256 minBorrow) external;

    /// @notice The market's totals.
    function market(bytes32 id) external view returns (Market memory);

    /// @notice An account's position in a market.
    function position(bytes32 id, address account) external view returns (Position memory);

    /// @notice The parameters a market id was created from.
    function idToMarketParams(bytes32 id) external view returns (MarketParams memory);

    /// @notice Whether an LLTV is enabled.
    function isLltvEnabled(uint256 lltv) external view returns (bool);

    /// @notice Whether a rate model is enabled.
    function isRateModelEnabled(address rateModel) external view returns (bool);

    /// @notice Whether `authorized` may act for `authorizer`.
    function isAuthorized(address authorizer, address authorized) external view returns (bool);

    /// @notice Receiver of fee shares.
    function feeRecipient() external view returns (address);

    /// @notice Minimum debt for positions borrowing `loanToken`.
    function minBorrow(address loanToken) external view returns (uint256);

    /// @notice Debt of `account` in loan tokens including interest up to now, rounded up.
    function expectedBorrowAssets(MarketParams calldata marketParams, address account) external view returns (uint256);

    /// @notice Whether the position is healthy at the current price and with interest up to now; `ok` is false
    /// when the oracle fails (then `healthy` is meaningless).
    function isHealthy(MarketParams calldata marketParams, address account) external view returns (bool ok, bool healthy);

    /// @notice The liquidation incentive factor of an LLTV: `min(1.15, 1 / (1 - 0.3 * (1 - lltv)))`, scaled by 1e18.
    function liquidationIncentiveFactor(uint256 lltv) external pure returns (uint256);
}
