// Webhook signatures: `CoinPays-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
// The timestamp is inside the signed string, so a receiver that checks it (tolerance, e.g. 5 min)
// rejects replays of an old delivery; the event id header lets it drop duplicates.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "CoinPays-Signature";
export const EVENT_ID_HEADER = "CoinPays-Event-Id";
export const EVENT_TYPE_HEADER = "CoinPays-Event-Type";

export function computeSignature(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

export function signatureHeader(secret: string, body: string, timestamp: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${computeSignature(secret, timestamp, body)}`;
}

/** Verifies a header against the raw body; false on any mismatch, malformed header or stale timestamp. */
export function verifySignature(options: { secret: string; header: string; body: string; toleranceSeconds?: number; now?: number }): boolean {
  const parts = new Map<string, string[]>();
  for (const piece of options.header.split(",")) {
    const at = piece.indexOf("=");
    if (at <= 0) continue;
    const key = piece.slice(0, at).trim();
    parts.set(key, [...(parts.get(key) ?? []), piece.slice(at + 1).trim()]);
  }
  const timestamp = Number(parts.get("t")?.[0]);
  if (!Number.isInteger(timestamp)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(computeSignature(options.secret, timestamp, options.body), "hex");
  return (parts.get("v1") ?? []).some((candidate) => {
    const given = Buffer.from(candidate, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
