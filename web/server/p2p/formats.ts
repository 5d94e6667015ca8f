// Amount arithmetic and input formats of the P2P desk. Free of database and native imports, so
// route handlers and pages can use it too.
import { P2PError } from "./errors.ts";

export type StatementRecord = { transferId: string; occurredAt: Date; senderEmail: string; amount: bigint; currency: string };

/** Commission in minor units: rounded up (toward the platform); the rest goes to the user, so it always balances. */
export function commissionOf(amount: bigint, bps: number): bigint {
  return (amount * BigInt(bps) + 9_999n) / 10_000n;
}

/** Fiat price of `amount` virtual minor units at `rate` fiat minor units per 100 virtual minor units, rounded up. */
export function fiatOf(amount: bigint, rate: bigint): bigint {
  return (amount * rate + 99n) / 100n;
}

/** Parses a decimal string with at most `decimals` fraction digits into integer minor units. */
export function parseMinor(value: string, decimals = 2): bigint {
  const match = /^(\d{1,30})(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new P2PError("invalid_input", `not a non-negative decimal amount: ${JSON.stringify(value)}`);
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) throw new P2PError("invalid_input", `at most ${decimals} decimal places: ${value}`);
  return BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

export function formatMinor(value: bigint, decimals = 2): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const unit = 10n ** BigInt(decimals);
  return `${negative ? "-" : ""}${abs / unit}.${(abs % unit).toString().padStart(decimals, "0")}`;
}

/**
 * Parses the game room's transfer statement. CSV: header `transfer_id,date,sender_email,amount,currency`
 * (amount as a decimal with ≤ 2 places, currency `USD` for the room's virtual dollars). JSON:
 * `{ "transfers": [{ "transfer_id", "date", "sender_email", "amount", "currency" }] }` with the same fields.
 */
export function parseStatement(text: string, format: "csv" | "json", currency = "VUSD"): StatementRecord[] {
  type Raw = { transfer_id?: unknown; date?: unknown; sender_email?: unknown; amount?: unknown; currency?: unknown };
  let raws: Raw[];
  if (format === "json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new P2PError("invalid_input", "statement is not valid JSON");
    }
    const list = (parsed as { transfers?: unknown })?.transfers;
    if (!Array.isArray(list)) throw new P2PError("invalid_input", "statement JSON needs a transfers array");
    raws = list as Raw[];
  } else {
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const header = lines.shift()?.split(",").map((h) => h.trim().toLowerCase());
    const expected = ["transfer_id", "date", "sender_email", "amount", "currency"];
    if (!header || expected.some((h, i) => header[i] !== h)) throw new P2PError("invalid_input", `CSV header must be ${expected.join(",")}`);
    raws = lines.map((line) => {
      const cells = line.split(",").map((c) => c.trim());
      return Object.fromEntries(expected.map((h, i) => [h, cells[i]])) as Raw;
    });
  }
  return raws.map((raw, i) => {
    const where = `statement row ${i + 1}`;
    if (typeof raw.transfer_id !== "string" || !/^[A-Za-z0-9_.:-]{1,100}$/.test(raw.transfer_id)) throw new P2PError("invalid_input", `${where}: bad transfer_id`);
    const occurredAt = new Date(String(raw.date));
    // A date PostgreSQL cannot store (year 10000 and later, or before the epoch) is a bad row, not a 500.
    if (Number.isNaN(occurredAt.getTime()) || occurredAt.getUTCFullYear() < 1970 || occurredAt.getUTCFullYear() > 9999) {
      throw new P2PError("invalid_input", `${where}: bad date`);
    }
    if (typeof raw.sender_email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(raw.sender_email)) throw new P2PError("invalid_input", `${where}: bad sender_email`);
    if (raw.currency !== "USD") throw new P2PError("invalid_input", `${where}: currency must be USD (the room's virtual dollars)`);
    const amount = parseMinor(String(raw.amount));
    if (amount <= 0n) throw new P2PError("invalid_input", `${where}: amount must be positive`);
    return { transferId: raw.transfer_id, occurredAt, senderEmail: raw.sender_email, amount, currency };
  });
}
