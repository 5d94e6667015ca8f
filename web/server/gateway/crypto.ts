// Random identifiers and secrets for the gateway: base62 text of cryptographically random bits,
// and the SHA-256 digests under which secrets (session tokens, API keys, claim tokens) are stored.
import { createHash, randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Base62 of `bytes` random bytes, left-padded to the length that every value of that size needs. */
export function randomBase62(bytes: number): string {
  const length = Math.ceil((bytes * 8) / Math.log2(62));
  let value = BigInt(`0x${randomBytes(bytes).toString("hex")}`);
  let text = "";
  while (value > 0n) {
    text = BASE62[Number(value % 62n)]! + text;
    value /= 62n;
  }
  return text.padStart(length, "0");
}

/** Order ids: "ord_" + 22 base62 characters carrying 128 random bits; public and unguessable. */
export function newOrderId(): string {
  return `ord_${randomBase62(16)}`;
}

export const ORDER_ID_PATTERN = /^ord_[0-9A-Za-z]{22}$/;

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
