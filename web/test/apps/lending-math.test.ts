// The pages' lending math (components/apps/lending-math.ts) on its own: share conversions round the way the
// contract does, health figures, and every reason quoteCredit refuses. That the quote agrees with the deployed
// contract at the boundary is shown against a real chain in test/gateway/credit-payment.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { borrowingPower, health, liquidationIncentive, ORACLE_SCALE, quoteCredit, toAssetsDown, toAssetsUp, toSharesUp, WAD, type MarketTotals } from "../../components/apps/lending-math.ts";

const USDC = 10n ** 6n;
const WETH = 10n ** 18n;
const LLTV = 860_000_000_000_000_000n;
/** 3,000 USDC per WETH as the oracle scales it: loan base units per collateral base unit × 1e36. */
const PRICE_3000 = (3_000n * USDC * ORACLE_SCALE) / WETH;

const empty: MarketTotals = { totalSupplyAssets: 0n, totalSupplyShares: 0n, totalBorrowAssets: 0n, totalBorrowShares: 0n, lastUpdate: 1n, fee: 0n };
const withSupply = (supply: bigint): MarketTotals => ({ ...empty, totalSupplyAssets: supply, totalSupplyShares: supply * 1_000_000n });

describe("lending math", () => {
  it("converts shares rounding up for debt and down for payouts, with the virtual offset", () => {
    // An empty market prices 1 asset at 1e6 shares.
    assert.equal(toSharesUp(5n, 0n, 0n), 5_000_000n);
    // 10 assets owed by 1e6 shares (+1e6 virtual, +1 virtual asset): 1e6 shares are worth 5.5 assets.
    const [assets, shares] = [10n, 1_000_000n];
    assert.equal(toAssetsDown(1_000_000n, assets, shares), 5n);
    assert.equal(toAssetsUp(1_000_000n, assets, shares), 6n);
    assert.equal(toSharesUp(1n, assets, shares), 181_819n); // 1 × 2,000,000 / 11 = 181,818.18… → up
    for (const x of [1n, 7n, 12_345n]) {
      const s = toSharesUp(x, assets, shares);
      assert.ok(toAssetsDown(s, assets, shares) >= x - 1n && toAssetsUp(s, assets, shares) >= x, "shares minted always cover the assets");
    }
  });

  it("health factor, borrowing power and liquidation price of the market page's example position", () => {
    const h = health({ collateral: WETH, debt: 2_000n * USDC }, PRICE_3000, LLTV);
    assert.equal(h.maxBorrow, 2_580n * USDC);
    assert.equal(h.hf, 1.29);
    // 2000 / 0.86 = 2325.581395… USDC per WETH, in oracle scale, rounded down.
    assert.equal((h.liquidationPrice! * WETH) / ORACLE_SCALE, 2_325_581_395n);
    assert.equal(health({ collateral: WETH, debt: 0n }, PRICE_3000, LLTV).hf, Infinity);
    const noPrice = health({ collateral: WETH, debt: 2_000n * USDC }, undefined, LLTV);
    assert.equal(noPrice.hf, undefined);
    assert.equal(noPrice.liquidationPrice, h.liquidationPrice, "the liquidation price does not depend on the current price");
  });

  it("liquidation incentive follows the LLTV and is capped at 15%", () => {
    assert.equal(liquidationIncentive(LLTV), (WAD * WAD) / (WAD - 42_000_000_000_000_000n)); // 1 / (1 - 0.3 × 0.14)
    assert.equal(liquidationIncentive(0n), 1_150_000_000_000_000_000n);
  });

  it("quotes a credit payment with the debt, health and liquidation price after it", () => {
    const position = { supplyShares: 0n, borrowShares: 0n, collateral: WETH };
    const quote = quoteCredit({ position, debt: 0n, totals: withSupply(10_000n * USDC), price: PRICE_3000, lltv: LLTV, minBorrow: USDC, amount: 1_290n * USDC });
    assert.ok(quote.ok);
    assert.equal(quote.debtAfter, 1_290n * USDC);
    assert.equal(quote.borrowShares, 1_290n * USDC * 1_000_000n);
    assert.ok(quote.maxBorrowShares > quote.borrowShares && quote.maxBorrowShares <= (quote.borrowShares * 1_001n) / 1_000n + 1n);
    assert.equal(quote.after.hf, 2);
    assert.equal((quote.after.liquidationPrice! * WETH) / ORACLE_SCALE, 1_500n * USDC); // 1290 / 0.86
    assert.equal(quote.available, 2_580n * USDC);
  });

  it("adds the interest accrued since the stored totals to the debt after", () => {
    // 1,000 USDC borrowed by 1e15 shares; with interest the position now owes 1,010 USDC.
    const totals: MarketTotals = { ...withSupply(10_000n * USDC), totalBorrowAssets: 1_000n * USDC, totalBorrowShares: 1_000n * USDC * 1_000_000n };
    const position = { supplyShares: 0n, borrowShares: 1_000n * USDC * 1_000_000n, collateral: WETH };
    const quote = quoteCredit({ position, debt: 1_010n * USDC, totals, price: PRICE_3000, lltv: LLTV, minBorrow: USDC, amount: 100n * USDC });
    assert.ok(quote.ok);
    assert.ok(quote.debtAfter >= 1_110n * USDC && quote.debtAfter <= 1_110n * USDC + 1n, `${quote.debtAfter}`);
    assert.equal(quote.available, 2_580n * USDC - 1_010n * USDC);
  });

  it("refuses with the contract's reason: collateral, liquidity, minimum, price, capacity", () => {
    const position = { supplyShares: 0n, borrowShares: 0n, collateral: WETH };
    const base = { position, debt: 0n, totals: withSupply(10_000n * USDC), price: PRICE_3000 as bigint | undefined, lltv: LLTV, minBorrow: USDC, amount: 100n * USDC };
    assert.deepEqual(quoteCredit({ ...base, position: { ...position, collateral: 0n } }), { ok: false, reason: "no-collateral" });
    const dry = quoteCredit({ ...base, totals: { ...withSupply(50n * USDC) } });
    assert.equal(dry.ok, false);
    assert.deepEqual(!dry.ok && dry.reason === "insufficient-liquidity" && dry.available, 50n * USDC);
    const small = quoteCredit({ ...base, amount: USDC / 2n });
    assert.deepEqual(!small.ok && small.reason === "below-minimum" && small.minBorrow, USDC);
    assert.deepEqual(quoteCredit({ ...base, price: undefined }), { ok: false, reason: "price-unavailable" });
    const short = quoteCredit({ ...base, amount: 2_580n * USDC + 1n });
    assert.deepEqual(!short.ok && short.reason === "insufficient-collateral" && short.available, 2_580n * USDC);
    assert.equal(quoteCredit({ ...base, amount: 2_580n * USDC }).ok, true, "exactly the borrowing power is allowed");
  });

  it("borrowing power rounds down at each step like the contract", () => {
    // 1 wei of WETH is worth 0.000003 USDC: nothing.
    assert.equal(borrowingPower(1n, PRICE_3000, LLTV), 0n);
    assert.equal(borrowingPower(10n ** 9n, PRICE_3000, LLTV), 2n); // 1e9 wei = 3 USDC base units × 0.86 = 2.58 → 2
  });
});
