// Proof that an account's payout address belongs to the account. Anyone can type any wallet as a payout
// address; until its owner proved it, the gateway never uses it to read on-chain data about that wallet
// (analytics) nor to decide which account a wallet's subscription plans belong to. Two ways to prove it:
//
// - `member_session`: a member sets (or creates the account with) the very address they are signed in
//   with; the SIWE session already proved they control it.
// - `signature`: an owner asks for a challenge, the payout wallet signs it (EIP-191 personal_sign; a
//   contract wallet such as a Safe answers ERC-1271, a counterfactual one ERC-6492, all through
//   `verifyMessage` on the chain), and the owner submits message and signature. The challenge is
//   human-readable, names the site's configured origin, the account, the address and the chain, carries a
//   single-use nonce and expires after 10 minutes; the server stores it and accepts exactly that text, so
//   a proof cannot be replayed to another account, another site or later.
//
// A proof covers the account and its sub-accounts (the message says so): a sub-account paying to the same
// address gets a copy (`derivedFrom`), made when the proof is stored or when the sub-account takes the
// address. A proof is honoured only while its address is still the account's payout address, and it is
// deleted whenever the payout address changes.
//
// Orders may still pay to an unproven address: the money goes where the merchant asked, so a typo is the
// merchant's own loss and the merchant can fix it; what an unproven address must never do is show the
// merchant someone else's data, and nothing reads on its strength.
import { randomBytes } from "node:crypto";
import { and, eq, gt, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { getAddress, recoverMessageAddress, type Hex, type PublicClient } from "viem";
import { z } from "zod";
import type { AppDatabase } from "../../db/index.ts";
import { merchants, payoutAddressChallenges, payoutAddressProofs, users } from "../../db/schema.ts";
import type { Site } from "../../site.ts";
import type { Executor } from "../events.ts";
import { ApiError, badRequest, unprocessable } from "../http/errors.ts";
import { MAX_HIERARCHY_DEPTH, type MerchantService } from "./service.ts";

export const CHALLENGE_TTL_MS = 10 * 60 * 1000;

export type ProofRow = typeof payoutAddressProofs.$inferSelect;
type MerchantRow = typeof merchants.$inferSelect;

export const payoutProofSchema = z
  .object({
    message: z.string().min(1).max(4_000).meta({ description: "The challenge's message exactly as signed" }),
    signature: z.string().regex(/^0x[0-9a-fA-F]{2,20000}$/, { error: "must be 0x-prefixed hex" }),
  })
  .strict()
  .meta({ id: "PayoutAddressProofRequest" });
export const payoutChallengeSchema = z.object({}).strict().meta({ id: "PayoutAddressChallengeRequest" });

/**
 * `exists` of a current proof for the merchants row aliased `alias` in a raw query: the one condition
 * analytics, subscription-plan linking and the sign-up relay put on a payout address before using it.
 */
export function provenPayoutAddress(alias: string): SQL {
  const m = sql.raw(alias);
  return sql`exists (select 1 from ${payoutAddressProofs} pap where pap.merchant_id = ${m}.id and lower(pap.address) = lower(${m}.payout_address))`;
}

/** The proof state shown with an account (API and dashboard). */
export function proofJson(merchant: Pick<MerchantRow, "payoutAddress">, proof: ProofRow | undefined) {
  if (!proof || proof.address.toLowerCase() !== merchant.payoutAddress.toLowerCase()) {
    return { status: "unverified" as const, method: null, provenAt: null, provenBy: null, inheritedFrom: null };
  }
  return { status: "verified" as const, method: proof.method, provenAt: proof.provenAt.toISOString(), provenBy: proof.provenBy, inheritedFrom: proof.derivedFrom };
}

export async function proofsOf(executor: Executor, merchantIds: string[]): Promise<Map<string, ProofRow>> {
  if (merchantIds.length === 0) return new Map();
  const rows = await executor.select().from(payoutAddressProofs).where(inArray(payoutAddressProofs.merchantId, merchantIds));
  return new Map(rows.map((row) => [row.merchantId, row]));
}

/**
 * Called in the transaction that gives `merchantId` the payout address `address` (creation, sub-account,
 * profile change) by the signed-in `userId`: the old proof goes, and the address is proven at once when
 * it is the caller's own signed-in address, or when an ancestor account holds a current proof of it.
 */
export async function settlePayoutProof(tx: Executor, merchantId: string, address: string, userId: string): Promise<void> {
  await tx.delete(payoutAddressProofs).where(eq(payoutAddressProofs.merchantId, merchantId));
  // The caller's users row was created by their SIWE sign-in: its address is the one they proved.
  const [caller] = await tx.select({ address: users.address }).from(users).where(eq(users.id, userId));
  if (caller && caller.address.toLowerCase() === address.toLowerCase()) {
    await tx.insert(payoutAddressProofs).values({ merchantId, address: getAddress(address), method: "member_session", provenBy: userId });
    await coverSubAccounts(tx, merchantId);
    return;
  }
  const result = await tx.execute(sql`
    with recursive lineage(id, parent_id, depth) as (
      select id, parent_id, 0 from merchants where id = ${merchantId}
      union all
      select m.id, m.parent_id, l.depth + 1 from merchants m join lineage l on m.id = l.parent_id where l.depth < ${MAX_HIERARCHY_DEPTH}
    )
    select pap.merchant_id as "merchantId" from lineage l
    join merchants a on a.id = l.id
    join ${payoutAddressProofs} pap on pap.merchant_id = a.id and lower(pap.address) = lower(a.payout_address)
    where l.depth > 0 and lower(a.payout_address) = lower(${address})
    order by l.depth limit 1`);
  const ancestor = (result as unknown as { rows: { merchantId: string }[] }).rows[0];
  if (ancestor) await copyProof(tx, ancestor.merchantId, [merchantId]);
}

/** Copies the proof of `from` to `to` (accounts below it paying to the same address). */
async function copyProof(tx: Executor, from: string, to: string[]): Promise<void> {
  if (to.length === 0) return;
  const [proof] = await tx.select().from(payoutAddressProofs).where(eq(payoutAddressProofs.merchantId, from));
  if (!proof) return;
  await tx
    .insert(payoutAddressProofs)
    .values(to.map((merchantId) => ({ ...proof, merchantId, derivedFrom: proof.derivedFrom ?? from })))
    .onConflictDoNothing();
}

/** Gives the sub-accounts of `merchantId` (any depth) that pay to its proven address and have no proof a copy of it. */
async function coverSubAccounts(tx: Executor, merchantId: string): Promise<void> {
  const result = await tx.execute(sql`
    with recursive tree(id, depth) as (
      select id, 0 from merchants where id = ${merchantId}
      union all
      select m.id, t.depth + 1 from merchants m join tree t on m.parent_id = t.id where t.depth < ${MAX_HIERARCHY_DEPTH}
    )
    select m.id from tree t join merchants m on m.id = t.id
    where t.depth > 0
      and lower(m.payout_address) = lower((select payout_address from merchants where id = ${merchantId}))
      and not exists (select 1 from ${payoutAddressProofs} pap where pap.merchant_id = m.id)`);
  await copyProof(tx, merchantId, (result as unknown as { rows: { id: string }[] }).rows.map((row) => row.id));
}

/** The text the payout wallet signs. Fixed format, one fact a line, so a person can read what they allow. */
export function challengeMessage(input: { origin: string; merchantId: string; address: string; chainId: number; nonce: string; issuedAt: Date; expiresAt: Date }): string {
  const host = new URL(input.origin).host;
  return [
    `${host} asks you to prove that you control a payout address.`,
    "",
    `By signing, the owner of ${input.address} lets CoinPays account ${input.merchantId} and its sub-accounts on ${input.origin} use it as their payout address and read its payments. This costs nothing and moves no funds.`,
    "",
    `URI: ${input.origin}`,
    `Account: ${input.merchantId}`,
    `Payout address: ${input.address}`,
    `Chain ID: ${input.chainId}`,
    `Nonce: ${input.nonce}`,
    `Issued At: ${input.issuedAt.toISOString()}`,
    `Expiration Time: ${input.expiresAt.toISOString()}`,
  ].join("\n");
}

const refused = (code: string, message: string) => unprocessable(`payout_proof_${code}`, message);

export function createPayoutProofService(deps: { db: AppDatabase; chainClient: PublicClient; chainId: number; site: Pick<Site, "origin">; merchants: MerchantService }) {
  const { db } = deps;

  /**
   * viem asks the chain first (ERC-6492 validator: deployed and counterfactual contract wallets,
   * ERC-1271) and falls back to ECDSA recovery. When the chain cannot be asked and recovery does not
   * match, nobody can tell whether a contract wallet signed: the server's problem (503), not a refusal.
   */
  async function verify(address: `0x${string}`, message: string, signature: Hex): Promise<boolean> {
    try {
      return await deps.chainClient.verifyMessage({ address, message, signature });
    } catch (error) {
      const recovered = await recoverMessageAddress({ message, signature }).catch(() => undefined);
      if (recovered && recovered.toLowerCase() === address.toLowerCase()) return true;
      if (/^0x[0-9a-fA-F]{130}$/.test(signature)) {
        // Someone else's ECDSA signature: only a contract at the address could still accept it.
        const code = await deps.chainClient.getCode({ address }).then((found) => found ?? "0x", () => undefined);
        if (code === "0x") return false;
      }
      throw new ApiError(503, "chain_unavailable", `could not verify the signature on chain: ${(error as Error).message.split("\n")[0]}`);
    }
  }

  return {
    /** A fresh challenge for the account's current payout address (owner). */
    async challenge(userId: string, merchantId: string) {
      const { merchant } = await deps.merchants.authorize(userId, merchantId, "owner");
      const nonce = randomBytes(16).toString("hex");
      const issuedAt = new Date();
      const expiresAt = new Date(issuedAt.getTime() + CHALLENGE_TTL_MS);
      const address = getAddress(merchant.payoutAddress);
      const message = challengeMessage({ origin: deps.site.origin(), merchantId, address, chainId: deps.chainId, nonce, issuedAt, expiresAt });
      await db.insert(payoutAddressChallenges).values({ nonce, merchantId, address, message, createdBy: userId, expiresAt });
      // Housekeeping: challenges that can no longer be used are worth nothing.
      await db.execute(sql`delete from ${payoutAddressChallenges} where expires_at < now() - interval '1 day'`);
      return { address, message, nonce, expiresAt: expiresAt.toISOString() };
    },

    /** Checks a signed challenge and stores the proof (owner); every refusal is a 422 that changes nothing. */
    async prove(userId: string, merchantId: string, input: z.output<typeof payoutProofSchema>) {
      await deps.merchants.authorize(userId, merchantId, "owner");
      const nonce = /^Nonce: ([0-9A-Za-z]{8,64})$/m.exec(input.message)?.[1];
      if (!nonce) throw badRequest("message is not a payout-address challenge (no Nonce line): ask for a challenge and sign it unchanged");
      const [challenge] = await db.select().from(payoutAddressChallenges).where(eq(payoutAddressChallenges.nonce, nonce));
      if (!challenge) throw refused("challenge_unknown", "This site never issued that challenge: ask for a new one and sign it unchanged");
      if (challenge.merchantId !== merchantId) throw refused("other_account", "That challenge was issued for another account");
      if (challenge.message !== input.message) throw refused("message_mismatch", "The message differs from the challenge: sign it unchanged");
      if (!input.message.includes(`\nURI: ${deps.site.origin()}\n`)) throw refused("other_site", `The challenge names another site; this is ${deps.site.origin()}`);
      if (challenge.usedAt) throw refused("challenge_used", "That challenge was already used: ask for a new one");
      if (challenge.expiresAt <= new Date()) throw refused("challenge_expired", "That challenge expired: ask for a new one");
      const address = getAddress(challenge.address);
      if (!(await verify(address, input.message, input.signature as Hex))) {
        throw refused("signature_invalid", `The signature is not ${address}'s: sign with the payout wallet itself`);
      }
      return db.transaction(async (tx) => {
        const [merchant] = await tx.select().from(merchants).where(eq(merchants.id, merchantId)).for("update");
        if (!merchant || merchant.payoutAddress.toLowerCase() !== address.toLowerCase()) {
          throw refused("address_changed", "The payout address changed since the challenge was issued: ask for a new one");
        }
        const consumed = await tx
          .update(payoutAddressChallenges)
          .set({ usedAt: sql`now()` })
          .where(and(eq(payoutAddressChallenges.nonce, nonce), isNull(payoutAddressChallenges.usedAt), gt(payoutAddressChallenges.expiresAt, sql`now()`)))
          .returning({ nonce: payoutAddressChallenges.nonce });
        if (consumed.length === 0) throw refused("challenge_used", "That challenge was already used: ask for a new one");
        await tx.delete(payoutAddressProofs).where(eq(payoutAddressProofs.merchantId, merchantId));
        const [proof] = await tx
          .insert(payoutAddressProofs)
          .values({ merchantId, address, method: "signature", provenBy: userId, message: input.message, signature: input.signature })
          .returning();
        await coverSubAccounts(tx, merchantId);
        return { merchantId, payoutAddress: merchant.payoutAddress, payoutAddressProof: proofJson(merchant, proof) };
      });
    },
  };
}

export type PayoutProofService = ReturnType<typeof createPayoutProofService>;
