// Position math of CoinPaysLending for the pages (market page, liquidation view, pay with credit at checkout),
// mirroring the contract's integer arithmetic and rounding directions (docs/lending.md) so that what a page
// offers is what the contract accepts. Pure bigint; the only floats are health factors, which are display only.

export const WAD = 10n ** 18n;
/** Oracle prices are the value of 1 collateral base unit in loan base units, scaled by 1e36. */
export const ORACLE_SCALE = 10n ** 36n;
export const VIRTUAL_SHARES = 1_000_000n;
export const VIRTUAL_ASSETS = 1n;
const MAX_LIQUIDATION_INCENTIVE = 1_150_000_000_000_000_000n;

export type MarketTotals = { totalSupplyAssets: bigint; totalSupplyShares: bigint; totalBorrowAssets: bigint; totalBorrowShares: bigint; lastUpdate: bigint; fee: bigint };
export type Position = { supplyShares: bigint; borrowShares: bigint; collateral: bigint };

const divUp = (x: bigint, y: bigint) => (x + y - 1n) / y;

export function toSharesUp(assets: bigint, totalAssets: bigint, totalShares: bigint): bigint {
  return divUp(assets * (totalShares + VIRTUAL_SHARES), totalAssets + VIRTUAL_ASSETS);
}

export function toAssetsUp(shares: bigint, totalAssets: bigint, totalShares: bigint): bigint {
  return divUp(shares * (totalAssets + VIRTUAL_ASSETS), totalShares + VIRTUAL_SHARES);
}

export function toAssetsDown(shares: bigint, totalAssets: bigint, totalShares: bigint): bigint {
  return (shares * (totalAssets + VIRTUAL_ASSETS)) / (totalShares + VIRTUAL_SHARES);
}

/** What `collateral` lets a position owe at `price`: rounded down, as the contract's health check does. */
export function borrowingPower(collateral: bigint, price: bigint, lltv: bigint): bigint {
  return (((collateral * price) / ORACLE_SCALE) * lltv) / WAD;
}

export type Health = { hf: number | undefined; maxBorrow: bigint | undefined; liquidationPrice: bigint | undefined };

/**
 * Health figures of a position at a price: health factor (borrowing power / debt; Infinity without debt) and
 * the oracle price (1e36-scaled, like the oracle's) at which it becomes liquidatable.
 */
export function health(position: { collateral: bigint; debt: bigint }, price: bigint | undefined, lltv: bigint): Health {
  const liquidationPrice = position.debt === 0n || position.collateral === 0n ? undefined : (position.debt * ORACLE_SCALE * WAD) / (position.collateral * lltv);
  if (price === undefined) return { hf: undefined, maxBorrow: undefined, liquidationPrice };
  const maxBorrow = borrowingPower(position.collateral, price, lltv);
  const hf = position.debt === 0n ? Infinity : Number((maxBorrow * 10_000n) / position.debt) / 10_000;
  return { hf, maxBorrow, liquidationPrice };
}

/** Liquidation incentive factor: min(1.15, 1 / (1 - 0.3 * (1 - lltv))), as the contract computes it. */
export function liquidationIncentive(lltv: bigint): bigint {
  const factor = (WAD * WAD) / (WAD - (3n * (WAD - lltv)) / 10n);
  return factor < MAX_LIQUIDATION_INCENTIVE ? factor : MAX_LIQUIDATION_INCENTIVE;
}

export type CreditQuoteInput = {
  /** The payer's position in the market, as stored. */
  position: Position;
  /** What the payer owes now, interest included (`expectedBorrowAssets`). */
  debt: bigint;
  /** The market's totals as stored (`market(id)`). */
  totals: MarketTotals;
  /** The oracle's price, or undefined when it reports a failure (borrowing is then paused). */
  price: bigint | undefined;
  lltv: bigint;
  /** The contract's minimum debt for the loan token (`minBorrow`). */
  minBorrow: bigint;
  /** The amount to borrow and pay. */
  amount: bigint;
};

export type CreditRefusal =
  | { reason: "no-collateral" }
  | { reason: "price-unavailable" }
  | { reason: "insufficient-collateral"; available: bigint }
  | { reason: "insufficient-liquidity"; available: bigint }
  | { reason: "below-minimum"; minBorrow: bigint };

export type CreditQuote =
  | { ok: true; borrowShares: bigint; maxBorrowShares: bigint; debtAfter: bigint; after: Health; available: bigint }
  | ({ ok: false; debtAfter?: bigint; after?: Health } & CreditRefusal);

/**
 * Whether `CoinPaysLending.borrow(amount)` for this position would pass, with the figures after it, following
 * the contract's checks in its order: liquidity, minimum debt, price, health. Debt shares are minted rounded
 * up at the stored share price; interest accrued since the last update is added on top (it only raises the
 * debt). `available` is the most the position can add in debt (borrowing power minus debt), and
 * `maxBorrowShares` the slippage bound passed to CreditPayment: interest accrued by the time the transaction runs
 * only lowers the shares minted, so the bound trips only if the share price moved against the payer (bad debt
 * realised meanwhile).
 */
export function quoteCredit(input: CreditQuoteInput): CreditQuote {
  const { position, totals, price, lltv, amount } = input;
  if (position.collateral === 0n) return { ok: false, reason: "no-collateral" };
  const borrowShares = toSharesUp(amount, totals.totalBorrowAssets, totals.totalBorrowShares);
  const storedDebt = toAssetsUp(position.borrowShares, totals.totalBorrowAssets, totals.totalBorrowShares);
  const accrued = input.debt > storedDebt ? input.debt - storedDebt : 0n;
  const debtAfter = toAssetsUp(position.borrowShares + borrowShares, totals.totalBorrowAssets + amount, totals.totalBorrowShares + borrowShares) + accrued;
  const after = health({ collateral: position.collateral, debt: debtAfter }, price, lltv);

  // Interest is added to both totals alike, so what lenders left unborrowed does not depend on accrual.
  const liquidity = totals.totalSupplyAssets - totals.totalBorrowAssets;
  if (amount > liquidity) return { ok: false, reason: "insufficient-liquidity", available: liquidity > 0n ? liquidity : 0n, debtAfter, after };
  if (debtAfter < input.minBorrow) return { ok: false, reason: "below-minimum", minBorrow: input.minBorrow, debtAfter, after };
  if (price === undefined) return { ok: false, reason: "price-unavailable" };
  const power = borrowingPower(position.collateral, price, lltv);
  const available = power > input.debt ? power - input.debt : 0n;
  if (debtAfter > power) return { ok: false, reason: "insufficient-collateral", available, debtAfter, after };
  return { ok: true, borrowShares, maxBorrowShares: borrowShares + borrowShares / 1000n + 1n, debtAfter, after, available };
}
