import { AmountError, formatAmount } from "./amounts.ts";
import type { AmountInput, Money } from "./types.ts";

const DECIMAL = /^\d{1,78}(\.\d{1,77})?$/;

/** The exact integer amount of a `Money` in base units. */
export function moneyToBaseUnits(money: Money): bigint {
  if (!/^\d+$/.test(money.baseUnits)) throw new AmountError(`"${money.baseUnits}" is not an integer amount in base units`);
  return BigInt(money.baseUnits);
}

/** An `AmountInput` as the decimal string the API takes; throws AmountError on floats or malformed strings. */
export function amountToDecimalString(amount: AmountInput, field = "amount"): string {
  if (typeof amount === "string") {
    if (!DECIMAL.test(amount)) throw new AmountError(`${field}: "${amount}" is not a decimal string such as "12.50"`);
    return amount;
  }
  if (amount !== null && typeof amount === "object" && typeof amount.baseUnits === "bigint") {
    if (amount.baseUnits < 0n) throw new AmountError(`${field}: must not be negative`);
    return formatAmount(amount.baseUnits, amount.decimals);
  }
  // A number would be a float somewhere along the way: refuse it rather than round a payment.
  throw new AmountError(`${field}: pass a decimal string ("12.50") or { baseUnits: bigint, decimals }, not ${typeof amount}`);
}
