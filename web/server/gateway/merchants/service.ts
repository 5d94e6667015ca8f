// Merchants, their sub-accounts (stores, branches: merchants with a parent) and their teams.
//
// Roles: owner > manager > viewer. A role held on a merchant applies to all of its sub-accounts
// (and theirs): the effective role on an account is the strongest role the user holds on it or
// any ancestor. Owners manage members, the profile and sub-accounts; managers manage API keys,
// webhook endpoints and orders; viewers read. Someone with no role on an account gets 404 for it,
// so account ids do not leak.
import { and, eq, sql } from "drizzle-orm";
import { getAddress, isAddress } from "viem";
import { z } from "zod";
import type { AppDatabase } from "../../db/index.ts";
import { memberships, merchants, users } from "../../db/schema.ts";
import type { Executor } from "../events.ts";
import { conflict, forbidden, notFound, unprocessable } from "../http/errors.ts";
import { proofJson, proofsOf, settlePayoutProof, type ProofRow } from "./payout-proof.ts";

export type Role = "owner" | "manager" | "viewer";
const RANK: Record<Role, number> = { viewer: 1, manager: 2, owner: 3 };
export const MAX_HIERARCHY_DEPTH = 8;

export const addressSchema = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), { error: "must be a 0x-prefixed 20-byte address" })
  .transform((value) => getAddress(value));

const chainKey = z.string().regex(/^[1-9][0-9]{0,9}$/, { error: "chain ids are positive integers" });
const tokenEntry = z.union([z.literal("native"), addressSchema]);

/** The profile's fields without defaults: a PATCH must never fill in a field it did not send. */
const profileFields = {
  name: z.string().trim().min(1).max(120),
  payoutAddress: addressSchema,
  acceptedTokens: z.record(chainKey, z.array(tokenEntry).max(50)),
  confirmations: z.record(chainKey, z.int().min(0).max(1000)),
  orderExpirySeconds: z.int().min(60).max(7 * 24 * 3600),
};

export const merchantProfileSchema = z.object({
  ...profileFields,
  acceptedTokens: profileFields.acceptedTokens.default({}),
  confirmations: profileFields.confirmations.default({}),
  orderExpirySeconds: profileFields.orderExpirySeconds.default(900),
});
export const createMerchantSchema = merchantProfileSchema.strict();
/**
 * A PATCH changes exactly the fields it sends (no defaults, which would silently reset settings) and
 * must change something: an empty body is a client bug, refused rather than a silent no-op.
 */
export const updateMerchantSchema = z
  .object(profileFields)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { error: "send at least one field to change" });
export const createSubAccountSchema = merchantProfileSchema
  .extend({ payoutAddress: addressSchema.optional() })
  .strict();
export const addMemberSchema = z.object({ address: addressSchema, role: z.enum(["owner", "manager", "viewer"]) }).strict();
export const updateMemberSchema = z.object({ role: z.enum(["owner", "manager", "viewer"]) }).strict();

type MerchantRow = typeof merchants.$inferSelect;

/** `proof`: the account's stored payout-address proof (server/gateway/merchants/payout-proof.ts), if any. */
export function merchantJson(row: MerchantRow, role?: Role, proof?: ProofRow) {
  return {
    id: row.id,
    parentId: row.parentId,
    name: row.name,
    payoutAddress: row.payoutAddress,
    /** Whether the payout address is proven; analytics and subscription plans use proven addresses only. */
    payoutAddressProof: proofJson(row, proof),
    acceptedTokens: row.acceptedTokens,
    confirmations: row.confirmations,
    orderExpirySeconds: row.orderExpirySeconds,
    ...(role ? { role } : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function createMerchantService({ db }: { db: AppDatabase }) {
  /** The strongest role `userId` holds on `merchantId` or any of its ancestors. */
  async function effectiveRole(executor: Executor, userId: string, merchantId: string): Promise<Role | undefined> {
    const result = await executor.execute(sql`
      with recursive lineage(id, parent_id, depth) as (
        select id, parent_id, 0 from merchants where id = ${merchantId}
        union all
        select m.id, m.parent_id, l.depth + 1 from merchants m join lineage l on m.id = l.parent_id where l.depth < ${MAX_HIERARCHY_DEPTH}
      )
      select ms.role from memberships ms join lineage l on l.id = ms.merchant_id where ms.user_id = ${userId}`);
    const roles = (result as unknown as { rows: { role: Role }[] }).rows.map((row) => row.role);
    return roles.sort((a, b) => RANK[b] - RANK[a])[0];
  }

  /** Loads a merchant the user may see with at least `minimum`; 404 without any role, 403 below it. */
  async function authorize(userId: string, merchantId: string, minimum: Role, executor: Executor = db): Promise<{ merchant: MerchantRow; role: Role }> {
    if (!z.uuid().safeParse(merchantId).success) throw notFound("Merchant");
    const [merchant] = await executor.select().from(merchants).where(eq(merchants.id, merchantId)).limit(1);
    if (!merchant) throw notFound("Merchant");
    const role = await effectiveRole(executor, userId, merchantId);
    if (!role) throw notFound("Merchant");
    if (RANK[role] < RANK[minimum]) throw forbidden(`This needs the ${minimum} role; you are ${role === "viewer" ? "a viewer" : `a ${role}`}`);
    return { merchant, role };
  }

  async function depthOf(merchantId: string): Promise<number> {
    const result = await db.execute(sql`
      with recursive lineage(id, parent_id, depth) as (
        select id, parent_id, 0 from merchants where id = ${merchantId}
        union all
        select m.id, m.parent_id, l.depth + 1 from merchants m join lineage l on m.id = l.parent_id where l.depth < ${MAX_HIERARCHY_DEPTH + 1}
      ) select max(depth)::int as depth from lineage`);
    return (result as unknown as { rows: { depth: number }[] }).rows[0]?.depth ?? 0;
  }

  /** The account and every account below it (sub-accounts and theirs), the account first. */
  async function accountTree(merchantId: string): Promise<string[]> {
    const result = await db.execute(sql`
      with recursive tree(id, depth) as (
        select id, 0 from merchants where id = ${merchantId}
        union all
        select m.id, t.depth + 1 from merchants m join tree t on m.parent_id = t.id where t.depth < ${MAX_HIERARCHY_DEPTH}
      ) select id from tree order by depth`);
    return (result as unknown as { rows: { id: string }[] }).rows.map((row) => row.id);
  }

  /** The account and its ancestors, nearest first. */
  async function lineage(merchantId: string): Promise<string[]> {
    const result = await db.execute(sql`
      with recursive lineage(id, parent_id, depth) as (
        select id, parent_id, 0 from merchants where id = ${merchantId}
        union all
        select m.id, m.parent_id, l.depth + 1 from merchants m join lineage l on m.id = l.parent_id where l.depth < ${MAX_HIERARCHY_DEPTH}
      ) select id from lineage order by depth`);
    return (result as unknown as { rows: { id: string }[] }).rows.map((row) => row.id);
  }

  return {
    authorize,
    accountTree,
    lineage,
    effectiveRole: (userId: string, merchantId: string) => effectiveRole(db, userId, merchantId),

    async create(userId: string, input: z.output<typeof createMerchantSchema>) {
      return db.transaction(async (tx) => {
        const [merchant] = await tx.insert(merchants).values(input).returning();
        await tx.insert(memberships).values({ merchantId: merchant!.id, userId, role: "owner" });
        await settlePayoutProof(tx, merchant!.id, merchant!.payoutAddress, userId);
        return merchantJson(merchant!, "owner", (await proofsOf(tx, [merchant!.id])).get(merchant!.id));
      });
    },

    /** Accounts the user holds a role on directly (sub-accounts are listed per parent). */
    async listForUser(userId: string) {
      const rows = await db
        .select({ merchant: merchants, role: memberships.role })
        .from(memberships)
        .innerJoin(merchants, eq(merchants.id, memberships.merchantId))
        .where(eq(memberships.userId, userId))
        .orderBy(merchants.createdAt);
      const proofs = await proofsOf(db, rows.map((row) => row.merchant.id));
      return rows.map((row) => merchantJson(row.merchant, row.role, proofs.get(row.merchant.id)));
    },

    async get(userId: string, merchantId: string) {
      const { merchant, role } = await authorize(userId, merchantId, "viewer");
      return merchantJson(merchant, role, (await proofsOf(db, [merchantId])).get(merchantId));
    },

    async update(userId: string, merchantId: string, input: z.output<typeof updateMerchantSchema>) {
      const { role } = await authorize(userId, merchantId, "owner");
      return db.transaction(async (tx) => {
        // Locked, so a proof being stored for the old address (payout-proof.ts) cannot interleave.
        const [current] = await tx.select().from(merchants).where(eq(merchants.id, merchantId)).for("update");
        const [merchant] = await tx
          .update(merchants)
          .set({ ...input, updatedAt: sql`now()` })
          .where(eq(merchants.id, merchantId))
          .returning();
        // A new payout address is unproven until proven anew; re-sending the same one keeps its proof.
        if (input.payoutAddress && input.payoutAddress.toLowerCase() !== current!.payoutAddress.toLowerCase()) {
          await settlePayoutProof(tx, merchantId, merchant!.payoutAddress, userId);
        }
        return merchantJson(merchant!, role, (await proofsOf(tx, [merchantId])).get(merchantId));
      });
    },

    async createSubAccount(userId: string, parentId: string, input: z.output<typeof createSubAccountSchema>) {
      const { merchant: parent, role } = await authorize(userId, parentId, "owner");
      if ((await depthOf(parentId)) + 1 >= MAX_HIERARCHY_DEPTH) {
        throw unprocessable("hierarchy_too_deep", `Accounts nest at most ${MAX_HIERARCHY_DEPTH} levels deep`);
      }
      return db.transaction(async (tx) => {
        const [merchant] = await tx
          .insert(merchants)
          .values({ ...input, payoutAddress: input.payoutAddress ?? parent.payoutAddress, parentId })
          .returning();
        await settlePayoutProof(tx, merchant!.id, merchant!.payoutAddress, userId);
        return merchantJson(merchant!, role, (await proofsOf(tx, [merchant!.id])).get(merchant!.id));
      });
    },

    async listSubAccounts(userId: string, parentId: string) {
      const { role } = await authorize(userId, parentId, "viewer");
      const rows = await db.select().from(merchants).where(eq(merchants.parentId, parentId)).orderBy(merchants.createdAt);
      const proofs = await proofsOf(db, rows.map((row) => row.id));
      return rows.map((row) => merchantJson(row, role, proofs.get(row.id)));
    },

    async listMembers(userId: string, merchantId: string) {
      await authorize(userId, merchantId, "viewer");
      const rows = await db
        .select({ userId: users.id, address: users.address, role: memberships.role, createdAt: memberships.createdAt })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(eq(memberships.merchantId, merchantId))
        .orderBy(memberships.createdAt);
      return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
    },

    /** Adds someone by wallet address (their user row is created now if they never signed in). */
    async addMember(userId: string, merchantId: string, input: z.output<typeof addMemberSchema>) {
      await authorize(userId, merchantId, "owner");
      return db.transaction(async (tx) => {
        await tx.insert(users).values({ address: input.address }).onConflictDoNothing();
        const [member] = await tx.select().from(users).where(eq(users.address, input.address));
        const inserted = await tx
          .insert(memberships)
          .values({ merchantId, userId: member!.id, role: input.role })
          .onConflictDoNothing()
          .returning();
        if (inserted.length === 0) throw conflict("already_member", "This address is already a member; change its role instead");
        return { userId: member!.id, address: member!.address, role: input.role, createdAt: inserted[0]!.createdAt.toISOString() };
      });
    },

    async updateMember(userId: string, merchantId: string, memberId: string, input: z.output<typeof updateMemberSchema>) {
      await authorize(userId, merchantId, "owner");
      if (!z.uuid().safeParse(memberId).success) throw notFound("Member");
      return db.transaction(async (tx) => {
        await lockMemberships(tx, merchantId);
        const [current] = await tx.select().from(memberships).where(and(eq(memberships.merchantId, merchantId), eq(memberships.userId, memberId)));
        if (!current) throw notFound("Member");
        if (current.role === "owner" && input.role !== "owner") await assertAnotherOwner(tx, merchantId);
        await tx.update(memberships).set({ role: input.role }).where(and(eq(memberships.merchantId, merchantId), eq(memberships.userId, memberId)));
        return { userId: memberId, role: input.role };
      });
    },

    async removeMember(userId: string, merchantId: string, memberId: string) {
      await authorize(userId, merchantId, "owner");
      if (!z.uuid().safeParse(memberId).success) throw notFound("Member");
      await db.transaction(async (tx) => {
        await lockMemberships(tx, merchantId);
        const [current] = await tx.select().from(memberships).where(and(eq(memberships.merchantId, merchantId), eq(memberships.userId, memberId)));
        if (!current) throw notFound("Member");
        if (current.role === "owner") await assertAnotherOwner(tx, merchantId);
        await tx.delete(memberships).where(and(eq(memberships.merchantId, merchantId), eq(memberships.userId, memberId)));
      });
    },
  };
}

/** Serialises membership changes of one merchant, so two owners cannot demote each other at once. */
async function lockMemberships(tx: Executor, merchantId: string) {
  await tx.execute(sql`select id from merchants where id = ${merchantId} for update`);
}

/** A top-level account must keep an owner; a sub-account may rely on its parent's owners. */
async function assertAnotherOwner(tx: Executor, merchantId: string) {
  const [merchant] = await tx.select({ parentId: merchants.parentId }).from(merchants).where(eq(merchants.id, merchantId));
  if (merchant?.parentId) return;
  const result = await tx.execute(sql`select count(*)::int as owners from memberships where merchant_id = ${merchantId} and role = 'owner'`);
  const owners = (result as unknown as { rows: { owners: number }[] }).rows[0]?.owners ?? 0;
  if (owners <= 1) throw conflict("last_owner", "An account must keep at least one owner");
}

export type MerchantService = ReturnType<typeof createMerchantService>;
