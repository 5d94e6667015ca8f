// API keys for /api/v1: `cp_live_` + 43 base62 characters (256 random bits), shown once at
// creation; only the SHA-256 of the whole key is stored, with a short prefix to tell keys apart.
// A key acts for exactly one account (a merchant or one sub-account) and sees only its orders.
// Its scope limits it further: `full` may use every /api/v1 route of its account; `pos` (a till's key,
// which lives in a shop's browser) only the routes that list it in the route table's `scopes`, and
// only on the orders it created itself.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import type { AppDatabase } from "../../db/index.ts";
import { apiKeys, merchants } from "../../db/schema.ts";
import { randomBase62, sha256Hex } from "../crypto.ts";
import { notFound, unauthorized } from "../http/errors.ts";
import type { MerchantService } from "../merchants/service.ts";

export const API_KEY_PREFIX = "cp_live_";
const API_KEY_PATTERN = /^cp_live_[0-9A-Za-z]{43}$/;
/** How much of the key lists show: "cp_live_" and four characters. */
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 4;

export const API_KEY_SCOPES = ["full", "pos"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const createApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    scope: z
      .enum(API_KEY_SCOPES)
      .default("full")
      .meta({ description: "`full`: the whole orders API of the account. `pos`: for a till: create orders, and read, watch and cancel the orders this key created; nothing else." }),
  })
  .strict();

export type ApiKeyPrincipal = { keyId: string; merchantId: string; scope: ApiKeyScope };

type ApiKeyRow = typeof apiKeys.$inferSelect;

/**
 * How long a process trusts a key it verified without asking the database again. Revoking in this
 * process takes effect at once; another server process notices within this time.
 */
export const VERIFIED_KEY_TTL_MS = 5_000;
/** last_used_at is written at most this often per key (and process): a busy key must not turn reads into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

type VerifiedKey = { principal: ApiKeyPrincipal; lastUsedAt: number };

function keyJson(row: ApiKeyRow) {
  return {
    id: row.id,
    merchantId: row.merchantId,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export function createApiKeyService({ db, merchants: merchantService }: { db: AppDatabase; merchants: MerchantService }) {
  // By SHA-256 of the secret. Only keys that verified are kept, so unknown keys cannot fill it.
  const verified = new LRUCache<string, VerifiedKey>({ max: 10_000, ttl: VERIFIED_KEY_TTL_MS });
  const forget = (keyId: string) => {
    for (const [hash, entry] of verified.entries()) if (entry.principal.keyId === keyId) verified.delete(hash);
  };

  return {
    async create(userId: string, merchantId: string, input: z.output<typeof createApiKeySchema>) {
      await merchantService.authorize(userId, merchantId, "manager");
      const secret = `${API_KEY_PREFIX}${randomBase62(32)}`;
      const [row] = await db
        .insert(apiKeys)
        .values({ merchantId, name: input.name, scope: input.scope, prefix: secret.slice(0, SHOWN_PREFIX_LENGTH), secretHash: sha256Hex(secret), createdBy: userId })
        .returning();
      // The only time the secret leaves the server.
      return { ...keyJson(row!), secret };
    },

    async list(userId: string, merchantId: string) {
      await merchantService.authorize(userId, merchantId, "viewer");
      const rows = await db.select().from(apiKeys).where(eq(apiKeys.merchantId, merchantId)).orderBy(desc(apiKeys.createdAt));
      return rows.map(keyJson);
    },

    async revoke(userId: string, merchantId: string, keyId: string) {
      await merchantService.authorize(userId, merchantId, "manager");
      if (!z.uuid().safeParse(keyId).success) throw notFound("API key");
      const [row] = await db
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.merchantId, merchantId)))
        .returning();
      if (!row) throw notFound("API key");
      forget(row.id);
      return keyJson(row);
    },

    /** Resolves an `Authorization: Bearer` header to the key's account, or 401. */
    async authenticate(authorization: string | null): Promise<ApiKeyPrincipal> {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
      if (!match) throw unauthorized("Send your API key as `Authorization: Bearer cp_live_…`");
      const secret = match[1]!;
      if (!API_KEY_PATTERN.test(secret)) throw unauthorized("The API key is malformed");
      const secretHash = sha256Hex(secret);
      let entry = verified.get(secretHash);
      if (!entry) {
        const [row] = await db
          .select({ id: apiKeys.id, merchantId: apiKeys.merchantId, scope: apiKeys.scope, lastUsedAt: apiKeys.lastUsedAt })
          .from(apiKeys)
          .innerJoin(merchants, eq(merchants.id, apiKeys.merchantId))
          .where(and(eq(apiKeys.secretHash, secretHash), isNull(apiKeys.revokedAt)))
          .limit(1);
        if (!row) throw unauthorized("The API key is unknown or revoked");
        entry = { principal: { keyId: row.id, merchantId: row.merchantId, scope: row.scope }, lastUsedAt: row.lastUsedAt?.getTime() ?? 0 };
        verified.set(secretHash, entry);
      }
      if (Date.now() - entry.lastUsedAt > LAST_USED_RESOLUTION_MS) {
        // Claimed before the write, so concurrent requests of this key do not all write.
        entry.lastUsedAt = Date.now();
        await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, entry.principal.keyId));
      }
      return entry.principal;
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
