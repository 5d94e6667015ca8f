/**
 * Webhook verification with Web Crypto (crypto.subtle), so it runs the same in Node, Deno, Bun,
 * browsers and edge runtimes. CoinPays signs every delivery (web/server/gateway/webhooks/signature.ts):
 *   CoinPays-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *   CoinPays-Event-Id:  <event id>   (de-duplicate on it: delivery is at-least-once)
 * Verify the raw body exactly as received, before any JSON parsing or re-serialisation.
 */
import { WebhookVerificationError } from "./errors.ts";
import type { WebhookEvent } from "./types.ts";

export const SIGNATURE_HEADER = "CoinPays-Signature";
export const EVENT_ID_HEADER = "CoinPays-Event-Id";
export const EVENT_TYPE_HEADER = "CoinPays-Event-Type";

export type WebhookPayload = string | Uint8Array | ArrayBuffer;

export type VerifyWebhookOptions = {
  /** The raw request body (string, Buffer/Uint8Array or ArrayBuffer), byte for byte as received. */
  payload: WebhookPayload;
  /** The CoinPays-Signature header's value. */
  header: string | null | undefined;
  /** The endpoint's signing secret. */
  secret: string;
  /** Largest accepted distance between the signed timestamp and now (default 300 s). */
  toleranceSeconds?: number;
  /** "Now" as unix seconds or a Date (default: the clock). */
  now?: number | Date;
};

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function subtle(): SubtleCrypto {
  const value = globalThis.crypto?.subtle;
  if (!value) throw new Error("Web Crypto (crypto.subtle) is not available in this runtime");
  return value;
}

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = subtle().importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    if (keyCache.size > 16) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

function bytesOf(payload: WebhookPayload): Uint8Array {
  if (typeof payload === "string") return encoder.encode(payload);
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  throw new WebhookVerificationError("invalid_payload", "payload must be the raw body as a string, Uint8Array/Buffer or ArrayBuffer");
}

async function hmac(secret: string, timestamp: number, body: Uint8Array): Promise<Uint8Array> {
  const prefix = encoder.encode(`${timestamp}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix, 0);
  message.set(body, prefix.length);
  return new Uint8Array(await subtle().sign("HMAC", await hmacKey(secret), message));
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Compares in time independent of where the bytes differ. */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Parses `t=…,v1=…[,v1=…]`: the timestamp and every v1 signature (several during secret rotation). */
export function parseSignatureHeader(header: string): { timestamp: number; signatures: Uint8Array[] } {
  let timestamp: number | undefined;
  const signatures: Uint8Array[] = [];
  for (const piece of header.split(",")) {
    const at = piece.indexOf("=");
    if (at <= 0) continue;
    const key = piece.slice(0, at).trim();
    const value = piece.slice(at + 1).trim();
    if (key === "t" && timestamp === undefined) {
      if (!/^\d{1,12}$/.test(value)) throw new WebhookVerificationError("malformed_header", "the t= timestamp is not unix seconds");
      timestamp = Number(value);
    } else if (key === "v1") {
      const bytes = fromHex(value);
      if (bytes?.length === 32) signatures.push(bytes);
    }
  }
  if (timestamp === undefined) throw new WebhookVerificationError("malformed_header", "the signature header has no t= timestamp");
  if (signatures.length === 0) throw new WebhookVerificationError("malformed_header", "the signature header has no v1= HMAC-SHA256 signature");
  return { timestamp, signatures };
}

/**
 * Verifies a delivery and returns its parsed event, or throws WebhookVerificationError with
 * `reason` "malformed_header", "bad_signature", "timestamp_out_of_tolerance" or "invalid_payload".
 */
export async function verifyWebhook(options: VerifyWebhookOptions): Promise<WebhookEvent> {
  if (typeof options.secret !== "string" || options.secret.length === 0) throw new TypeError("webhooks.verify: secret is required");
  if (typeof options.header !== "string" || options.header.trim() === "") {
    throw new WebhookVerificationError("malformed_header", `the ${SIGNATURE_HEADER} header is missing`);
  }
  const { timestamp, signatures } = parseSignatureHeader(options.header);
  const body = bytesOf(options.payload);
  // The signature first: a forged request learns nothing about the clock check.
  const expected = await hmac(options.secret, timestamp, body);
  let matched = false;
  for (const signature of signatures) matched = timingSafeEqualBytes(signature, expected) || matched;
  if (!matched) throw new WebhookVerificationError("bad_signature", "the signature does not match the body and secret");

  const now = options.now instanceof Date ? Math.floor(options.now.getTime() / 1000) : (options.now ?? Math.floor(Date.now() / 1000));
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError("timestamp_out_of_tolerance", `the signature timestamp is ${now - timestamp} s from now (tolerance ${tolerance} s)`);
  }
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new WebhookVerificationError("invalid_payload", "the body is not JSON");
  }
  const candidate = event as Partial<WebhookEvent> | null;
  if (!candidate || typeof candidate !== "object" || typeof candidate.id !== "string" || typeof candidate.type !== "string") {
    throw new WebhookVerificationError("invalid_payload", "the body is not a CoinPays event");
  }
  return event as WebhookEvent;
}

/**
 * Signs a payload the way CoinPays does: for your own tests of a webhook handler.
 * Returns the CoinPays-Signature header value.
 */
export async function signWebhookPayload(options: { payload: WebhookPayload; secret: string; timestamp?: number }): Promise<string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return `t=${timestamp},v1=${toHex(await hmac(options.secret, timestamp, bytesOf(options.payload)))}`;
}

export const webhooks = { verify: verifyWebhook, sign: signWebhookPayload, SIGNATURE_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER };
