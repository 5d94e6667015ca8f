/**
 * Money in CoinPays is an integer number of a token's base units (`bigint`), and travels as a decimal
 * string. These helpers convert between the two exactly: unlike viem's `parseUnits`, `parseAmount` refuses
 * excess precision instead of rounding it away, because a rounded payment amount is a wrong one.
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

export class AmountError extends Error {
  override readonly name = "AmountError";
}

/** Parses a non-negative decimal string ("12.50") into base units for a token with `decimals` decimals. */
export function parseAmount(value: string, decimals: number): bigint {
  assertDecimals(decimals);
  const match = DECIMAL.exec(value);
  if (!match) throw new AmountError(`"${value}" is not a non-negative decimal number`);
  const [, whole, fraction = ""] = match;
  if (fraction.length > decimals) {
    throw new AmountError(`"${value}" has more than ${decimals} decimal places`);
  }
  return BigInt(whole!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

/** Formats base units as a decimal string without trailing zeros ("12.5"). */
export function formatAmount(baseUnits: bigint, decimals: number): string {
  assertDecimals(decimals);
  const negative = baseUnits < 0n;
  const abs = negative ? -baseUnits : baseUnits;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const fraction = (abs % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

function assertDecimals(decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 77) {
    throw new AmountError(`decimals must be an integer from 0 to 77, got ${decimals}`);
  }
}
