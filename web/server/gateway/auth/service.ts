// Sign-In with Ethereum (EIP-4361) and browser sessions.
//
// Flow: GET nonce (random, single-use, valid 10 minutes, stored) -> the wallet signs a SIWE message
// naming this site as domain and URI, the configured chain, and that nonce -> POST verify: the message
// is parsed and checked (domain = the host of one of the site's configured origins and URI on that very
// origin, never what the request's Host header claims, so a message signed for a phishing site cannot
// sign in here; chain id = the server's chain; nonce
// known/unused/unexpired, time bounds), the signature verified with viem (EOA, ERC-1271 and ERC-6492
// smart accounts through the chain), then in ONE transaction the nonce is consumed (a conditional
// UPDATE, so of two concurrent uses exactly one wins), the user created on first sign-in, and a
// session row written. The cookie carries a random 32-byte token; only its SHA-256 is stored.
import { randomBytes } from "node:crypto";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { getAddress, type PublicClient } from "viem";
import { generateSiweNonce, parseSiweMessage, verifySiweMessage } from "viem/siwe";
import { recoverMessageAddress } from "viem";
import type { AppDatabase } from "../../db/index.ts";
import { sessions, siweNonces, users } from "../../db/schema.ts";
import { sha256Hex } from "../crypto.ts";
import type { Site } from "../../site.ts";
import { ApiError, badRequest, unauthorized } from "../http/errors.ts";

export const NONCE_TTL_MS = 10 * 60 * 1000;
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * The session cookie's name. Production uses the `__Host-` prefix: browsers then accept it only with
 * Secure, Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite a merchant's session.
 */
export function sessionCookieName(production: boolean): string {
  return production ? "__Host-coinpays_session" : "coinpays_session";
}

export type SessionUser = { userId: string; address: `0x${string}`; sessionId: string };

export type AuthServiceDeps = { db: AppDatabase; chainClient: PublicClient; chainId: number; site: Pick<Site, "origins"> };

/** The site origin a SIWE message's domain and URI name together, or undefined when they name none. */
function siteOriginOf(site: Pick<Site, "origins">, domain: string, uri: string): string | undefined {
  let uriOrigin: string;
  try {
    uriOrigin = new URL(uri).origin;
  } catch {
    return undefined;
  }
  return site.origins().find((origin) => new URL(origin).host === domain.toLowerCase() && origin === uriOrigin);
}

export function createAuthService({ db, chainClient, chainId, site }: AuthServiceDeps) {
  return {
    async createNonce(now = new Date()): Promise<{ nonce: string; expiresAt: Date }> {
      const nonce = generateSiweNonce();
      const expiresAt = new Date(now.getTime() + NONCE_TTL_MS);
      await db.insert(siweNonces).values({ nonce, expiresAt });
      // Housekeeping: nonces that can no longer be used are worth nothing.
      await db.execute(sql`delete from siwe_nonces where expires_at < now() - interval '1 day'`);
      return { nonce, expiresAt };
    },

    /** Verifies a signed SIWE message for this site; on success returns the new session's token. */
    async signIn(input: { message: string; signature: `0x${string}` }): Promise<{ token: string; user: SessionUser; expiresAt: Date; created: boolean }> {
      let fields: ReturnType<typeof parseSiweMessage>;
      try {
        fields = parseSiweMessage(input.message);
      } catch {
        throw badRequest("message is not a Sign-In with Ethereum message");
      }
      const { address, domain, nonce, chainId: messageChainId, version, uri } = fields;
      if (!address || !domain || !nonce || messageChainId === undefined || version !== "1" || !uri) {
        throw badRequest("message is not a complete EIP-4361 message (address, domain, uri, version 1, chain id and nonce are required)");
      }
      if (!siteOriginOf(site, domain, uri)) {
        throw new ApiError(401, "siwe_domain_mismatch", `message is for ${domain} (${uri}); sign in on ${site.origins().map((origin) => new URL(origin).host).join(" or ")}`);
      }
      if (messageChainId !== chainId) {
        throw new ApiError(401, "siwe_chain_mismatch", `message is for chain ${messageChainId}, this server signs in on chain ${chainId}`);
      }
      const now = new Date();
      if (fields.expirationTime && fields.expirationTime <= now) throw new ApiError(401, "siwe_expired", "message has expired");
      if (fields.notBefore && fields.notBefore > now) throw new ApiError(401, "siwe_not_yet_valid", "message is not valid yet");

      // Checked before the (possibly on-chain) signature verification; consumed atomically below.
      const [stored] = await db.select().from(siweNonces).where(eq(siweNonces.nonce, nonce)).limit(1);
      if (!stored) throw new ApiError(401, "siwe_nonce_invalid", "nonce unknown: request a new one");
      if (stored.usedAt) throw new ApiError(401, "siwe_nonce_used", "nonce already used: request a new one");
      if (stored.expiresAt <= now) throw new ApiError(401, "siwe_nonce_expired", "nonce expired: request a new one");

      const valid = await verifySignature(chainClient, input.message, input.signature, address, domain, nonce);
      if (!valid) throw new ApiError(401, "siwe_signature_invalid", "signature does not match the message's address");

      const userAddress = getAddress(address);
      const token = randomBytes(32).toString("base64url");
      const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
      return db.transaction(async (tx) => {
        const consumed = await tx
          .update(siweNonces)
          .set({ usedAt: sql`now()` })
          .where(and(eq(siweNonces.nonce, nonce), isNull(siweNonces.usedAt), gt(siweNonces.expiresAt, sql`now()`)))
          .returning({ nonce: siweNonces.nonce });
        if (consumed.length === 0) throw new ApiError(401, "siwe_nonce_used", "nonce already used: request a new one");

        const inserted = await tx.insert(users).values({ address: userAddress }).onConflictDoNothing().returning({ id: users.id });
        const userId = inserted[0]?.id ?? (await tx.select({ id: users.id }).from(users).where(eq(users.address, userAddress)))[0]!.id;
        const [session] = await tx
          .insert(sessions)
          .values({ tokenHash: sha256Hex(token), userId, expiresAt })
          .returning({ id: sessions.id });
        return { token, expiresAt, created: inserted.length > 0, user: { userId, address: userAddress, sessionId: session!.id } };
      });
    },

    async authenticate(token: string | undefined): Promise<SessionUser | undefined> {
      if (!token || token.length > 200) return undefined;
      const [row] = await db
        .select({ sessionId: sessions.id, userId: users.id, address: users.address })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.tokenHash, sha256Hex(token)), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)))
        .limit(1);
      return row ? { sessionId: row.sessionId, userId: row.userId, address: row.address as `0x${string}` } : undefined;
    },

    async signOut(sessionId: string): Promise<void> {
      await db.update(sessions).set({ revokedAt: sql`now()` }).where(eq(sessions.id, sessionId));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

/**
 * viem checks the signature through the chain first (ERC-6492 universal validator: smart accounts,
 * ERC-1271, counterfactual wallets) and falls back to ECDSA recovery. When the chain cannot be asked
 * and ECDSA recovery does not match, nobody can tell whether a smart account signed: that is the
 * server's problem (503), not a bad signature.
 */
async function verifySignature(client: PublicClient, message: string, signature: `0x${string}`, address: `0x${string}`, domain: string, nonce: string): Promise<boolean> {
  try {
    return await verifySiweMessage(client, { message, signature, address, domain, nonce });
  } catch (error) {
    const recovered = await recoverMessageAddress({ message, signature }).catch(() => undefined);
    if (recovered && recovered.toLowerCase() === address.toLowerCase()) return true;
    if (!/^0x([0-9a-fA-F]{130})$/.test(signature)) return false;
    throw new ApiError(503, "chain_unavailable", "could not verify the signature on chain (the chain's RPC did not answer); try again shortly", undefined, {}, error);
  }
}
