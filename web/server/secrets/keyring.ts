// Secrets at rest (payment-provider credentials of the P2P desk, webhook signing secrets of the
// gateway): AES-256-GCM with one keyring for the whole server.
//
// ENCRYPTION_KEYS="id1:<base64 32 bytes>,id2:<base64 32 bytes>" — the FIRST key encrypts, every
// listed key decrypts, so a rotated-out key stays readable until its ciphertexts are re-encrypted.
// Ciphertext format: `<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts); the key id and the
// record's context (e.g. the API form id) are authenticated as additional data.
//
// Without ENCRYPTION_KEYS a DEV-ONLY key derived from a public constant is used (key id "dev-only"):
// anyone can decrypt such data, so production start-up refuses it (server/config.ts).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export type Keyring = { current: string; keys: Map<string, Buffer> };

export const DEV_KEY_ID = "dev-only";

export function parseKeyring(value: string | undefined): Keyring {
  if (!value) {
    const key = createHash("sha256").update("coinpays p2p DEV-ONLY encryption key - never use in production").digest();
    return { current: DEV_KEY_ID, keys: new Map([[DEV_KEY_ID, key]]) };
  }
  const keys = new Map<string, Buffer>();
  let current: string | undefined;
  for (const part of value.split(",").map((p) => p.trim()).filter(Boolean)) {
    const separator = part.indexOf(":");
    if (separator <= 0) throw new Error("ENCRYPTION_KEYS entries must be id:base64key");
    const id = part.slice(0, separator);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`ENCRYPTION_KEYS: bad key id ${JSON.stringify(id)}`);
    const key = Buffer.from(part.slice(separator + 1), "base64");
    if (key.length !== 32) throw new Error(`ENCRYPTION_KEYS: key ${id} must be 32 bytes (base64), got ${key.length}`);
    if (keys.has(id)) throw new Error(`ENCRYPTION_KEYS: duplicate key id ${id}`);
    keys.set(id, key);
    current ??= id;
  }
  if (!current) throw new Error("ENCRYPTION_KEYS is empty");
  return { current, keys };
}

export function encryptSecret(keyring: Keyring, plaintext: string, context: string): string {
  const key = keyring.keys.get(keyring.current)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(`${keyring.current}|${context}`));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [keyring.current, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ciphertext.toString("base64url")].join(".");
}

export function decryptSecret(keyring: Keyring, sealed: string, context: string): string {
  const [keyId, iv, tag, ciphertext] = sealed.split(".");
  if (!keyId || !iv || !tag || ciphertext === undefined) throw new Error("malformed ciphertext");
  const key = keyring.keys.get(keyId);
  if (!key) throw new Error(`encryption key ${keyId} is not in the keyring`);
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(`${keyId}|${context}`));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
}
