import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AmountError, formatAmount, parseAmount } from "../src/amounts.ts";

describe("parseAmount", () => {
  it("converts decimal strings to exact base units", () => {
    assert.equal(parseAmount("12.5", 6), 12_500_000n);
    assert.equal(parseAmount("0.000001", 6), 1n);
    assert.equal(parseAmount("100", 18), 100n * 10n ** 18n);
    assert.equal(parseAmount("0", 6), 0n);
    assert.equal(parseAmount("7", 0), 7n);
  });

  it("keeps precision beyond what a float can hold", () => {
    assert.equal(parseAmount("123456789012345678.123456789012345678", 18), 123456789012345678123456789012345678n);
  });

  it("refuses excess precision instead of rounding", () => {
    assert.throws(() => parseAmount("0.0000001", 6), AmountError);
    assert.throws(() => parseAmount("1.5", 0), AmountError);
  });

  it("refuses anything that is not a plain non-negative decimal", () => {
    for (const bad of ["", "-1", "+1", "1e6", "1,5", " 1", "1.", ".5", "0x10", "NaN", "Infinity", "1.2.3"]) {
      assert.throws(() => parseAmount(bad, 6), AmountError, bad);
    }
  });

  it("refuses impossible decimals", () => {
    assert.throws(() => parseAmount("1", -1), AmountError);
    assert.throws(() => parseAmount("1", 1.5), AmountError);
  });
});

describe("formatAmount", () => {
  it("round-trips with parseAmount", () => {
    for (const [text, decimals] of [["12.5", 6], ["0.000001", 6], ["100", 18], ["0", 2], ["98765.4321", 8]] as const) {
      assert.equal(formatAmount(parseAmount(text, decimals), decimals), text);
    }
  });

  it("formats negative amounts (refund deltas)", () => {
    assert.equal(formatAmount(-1_500_000n, 6), "-1.5");
  });
});
