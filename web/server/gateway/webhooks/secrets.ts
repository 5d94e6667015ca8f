// Webhook signing secrets at rest. Each endpoint's secret is sealed with the server keyring
// (AES-256-GCM, secrets/keyring.ts) bound to the endpoint's id, so a database dump or a read-only
// SQL hole does not hand out the secrets that make forged webhooks verify, and a sealed value
// copied onto another endpoint's row does not open. The sealed form `<keyId>.<iv>.<tag>.<ct>` fits
// the existing text column: no migration.
//
// Rows written before sealing (or by an older server during a rolling deploy) hold the plaintext,
// `whsec_<base62>`: it has no dot, a sealed value always has three. Start-up re-seals them, and
// re-seals values under a rotated-out key with the current one.
import { and, eq, like, not } from "drizzle-orm";
import type { Logger } from "pino";
import type { AppDatabase } from "../../db/index.ts";
import { webhookEndpoints } from "../../db/schema.ts";
import { decryptSecret, encryptSecret, type Keyring } from "../../secrets/keyring.ts";

export const SECRET_PREFIX = "whsec_";

const contextOf = (endpointId: string) => `webhook_endpoint:${endpointId}`;

function isPlaintext(stored: string): boolean {
  return stored.startsWith(SECRET_PREFIX) && !stored.includes(".");
}

export function sealEndpointSecret(keyring: Keyring, endpointId: string, secret: string): string {
  return encryptSecret(keyring, secret, contextOf(endpointId));
}

/** The signing secret of a stored row (sealed, or plaintext not yet re-sealed). Throws if the key is gone or the value was tampered with. */
export function openEndpointSecret(keyring: Keyring, endpointId: string, stored: string): string {
  return isPlaintext(stored) ? stored : decryptSecret(keyring, stored, contextOf(endpointId));
}

/**
 * Seals every plaintext secret and re-seals those under an older key. Safe when several processes
 * start at once: each UPDATE only replaces the exact value it read, so a row another process has
 * already re-sealed is left alone (0 rows), and running it again finds nothing to do.
 */
export async function resealEndpointSecrets(db: AppDatabase, keyring: Keyring, logger: Logger): Promise<{ sealed: number; unreadable: number }> {
  const rows = await db
    .select({ id: webhookEndpoints.id, secret: webhookEndpoints.secret })
    .from(webhookEndpoints)
    // Key ids may contain `_`, a LIKE wildcard: escape it.
    .where(not(like(webhookEndpoints.secret, `${keyring.current.replaceAll("_", "\\_")}.%`)));
  let sealed = 0;
  let unreadable = 0;
  for (const row of rows) {
    let secret: string;
    try {
      secret = openEndpointSecret(keyring, row.id, row.secret);
    } catch {
      // Sealed with a key no longer in ENCRYPTION_KEYS: delivery to it fails until the key is restored.
      unreadable++;
      continue;
    }
    const result = await db
      .update(webhookEndpoints)
      .set({ secret: sealEndpointSecret(keyring, row.id, secret) })
      .where(and(eq(webhookEndpoints.id, row.id), eq(webhookEndpoints.secret, row.secret)))
      .returning({ id: webhookEndpoints.id });
    sealed += result.length;
  }
  if (sealed > 0 || unreadable > 0) logger.info({ sealed, unreadable }, "webhook signing secrets sealed with the current key");
  if (unreadable > 0) logger.warn({ unreadable }, "webhook signing secrets sealed with a key missing from ENCRYPTION_KEYS: their endpoints cannot be signed for");
  return { sealed, unreadable };
}
