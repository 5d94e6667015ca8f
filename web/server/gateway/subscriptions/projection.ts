// The subscriptions projection: reads the Subscriptions contract's events of one chain, confirmed
// blocks only, and turns them into gateway rows. A charge becomes a settled order (with its payment and
// order events) plus a `subscription.charged` webhook; the first failed charge of a period that was
// paid up becomes `subscription.past_due`; a cancel becomes `subscription.canceled`.
//
// Exactly once: the cursor row is locked (SELECT … FOR UPDATE) for the whole pass and moved in the
// same transaction as the rows the pass writes, so two processes never project the same blocks and a
// crash before the commit projects them again from scratch. Behind that, a charge is unique per
// (chain, subscription, period) and per log, so even a replay writes nothing twice.
//
// Which merchant: the gateway merchant whose *proven* payout address is the plan's merchant address (the
// wallet that created the plan and receives its charges). Proven means the wallet's owner signed for that
// account, or set it as a member signed in with it (merchants/payout-proof.ts): anybody can type a wallet
// as a payout address, and an unproven one must not claim that wallet's plans, their subscribers and
// charges. Several accounts with that proven address (an account and its sub-accounts) resolve to the
// oldest one. A subscription whose plan has no merchant yet is still projected, without orders; it is
// linked as soon as a merchant proves that address.
import { and, asc, eq, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import { subscriptionsAbi } from "@coinpays/sdk/contracts";
import { merchants, orders, payments, subscriptionCharges, subscriptionCursors, subscriptionPlans, subscriptions, webhookEvents } from "../../db/schema.ts";
import { newOrderId } from "../crypto.ts";
import { appendOrderEvent, type Executor } from "../events.ts";
import { provenPayoutAddress } from "../merchants/payout-proof.ts";
import { orderRefOf } from "../orders/deposit-address.ts";
import { orderSnapshot, paymentSnapshot, syncOrder } from "../settlement/order-sync.ts";
import type { AppDatabase } from "../../db/index.ts";

export type SubscriptionChain = {
  chainId: number;
  contract: Address;
  /** The contract's deployment block: the projection starts there. */
  fromBlock: bigint;
  confirmations: number;
};

/** `caughtUp`: the cursor has reached the confirmed head (a long catch-up takes several passes). */
export type ProjectionResult = { fromBlock?: bigint; toBlock?: bigint; events: number; caughtUp: boolean };

/** Blocks per pass, so a long catch-up commits progress in steps. */
const MAX_BLOCK_RANGE = 2_000n;

type SubscriptionRow = typeof subscriptions.$inferSelect;
type PlanRow = typeof subscriptionPlans.$inferSelect;

export function createSubscriptionProjection(options: { db: AppDatabase; client: PublicClient; chain: SubscriptionChain; logger: Logger }) {
  const { db, client, chain, logger } = options;

  async function project(): Promise<ProjectionResult> {
    return db.transaction(async (tx) => {
      await tx.insert(subscriptionCursors).values({ chainId: chain.chainId, blockNumber: chain.fromBlock - 1n }).onConflictDoNothing();
      const [cursor] = await tx.select().from(subscriptionCursors).where(eq(subscriptionCursors.chainId, chain.chainId)).for("update");
      await linkNewMerchants(tx);
      // Uncached: right after the keeper's own charge, the head must include it.
      const head = await client.getBlockNumber({ cacheTime: 0 });
      const confirmedHead = head - BigInt(chain.confirmations) + 1n;
      const fromBlock = cursor!.blockNumber + 1n;
      if (confirmedHead < fromBlock) return { events: 0, caughtUp: true };
      const toBlock = confirmedHead - fromBlock >= MAX_BLOCK_RANGE ? fromBlock + MAX_BLOCK_RANGE - 1n : confirmedHead;

      const logs = await client.getContractEvents({ address: chain.contract, abi: subscriptionsAbi, fromBlock, toBlock, strict: true });
      const blockTimes = new Map<bigint, Date>();
      const blockTime = async (blockNumber: bigint) => {
        let time = blockTimes.get(blockNumber);
        if (!time) {
          time = new Date(Number((await client.getBlock({ blockNumber })).timestamp) * 1000);
          blockTimes.set(blockNumber, time);
        }
        return time;
      };
      for (const log of logs) {
        if (log.removed) continue;
        const at = await blockTime(log.blockNumber);
        switch (log.eventName) {
          case "PlanCreated": {
            const { planId, merchant, token, amount, period, trial } = log.args;
            await tx
              .insert(subscriptionPlans)
              .values({ chainId: chain.chainId, planId, merchantAddress: getAddress(merchant), token: getAddress(token), amount, periodSeconds: period, trialSeconds: trial })
              .onConflictDoNothing();
            break;
          }
          case "PlanActiveUpdated":
            await tx.update(subscriptionPlans).set({ active: log.args.active }).where(and(eq(subscriptionPlans.chainId, chain.chainId), eq(subscriptionPlans.planId, log.args.planId)));
            break;
          case "Subscribed": {
            const { subscriptionId, planId, subscriber, anchor } = log.args;
            const plan = await planOf(tx, planId);
            const merchantId = await merchantOf(tx, plan.merchantAddress);
            const [row] = await tx
              .insert(subscriptions)
              .values({ chainId: chain.chainId, subscriptionId, planId, merchantId, subscriber: getAddress(subscriber), anchor: new Date(Number(anchor) * 1000) })
              .onConflictDoNothing()
              .returning();
            if (row?.merchantId) await appendMerchantEvent(tx, row.merchantId, "subscription.created", { subscription: subscriptionSnapshot(row, plan) });
            break;
          }
          case "SubscriptionCharged":
            await recordCharge(tx, log.args, { transactionHash: log.transactionHash, logIndex: log.logIndex, blockNumber: log.blockNumber, blockHash: log.blockHash, at });
            break;
          case "SubscriptionChargeFailed": {
            const sub = await subscriptionOf(tx, log.args.subscriptionId);
            if (!sub || sub.status === "cancelled") break;
            const [updated] = await tx
              .update(subscriptions)
              .set({ status: "past_due", lastFailedAt: at, updatedAt: new Date() })
              .where(and(eq(subscriptions.chainId, chain.chainId), eq(subscriptions.subscriptionId, sub.subscriptionId)))
              .returning();
            // One past_due event when a paid-up subscription falls behind, not one per retry.
            if (sub.status === "active" && updated!.merchantId) {
              await appendMerchantEvent(tx, updated!.merchantId, "subscription.past_due", {
                subscription: subscriptionSnapshot(updated!, await planOf(tx, sub.planId)),
                periodIndex: Number(log.args.periodIndex),
                reason: log.args.reason,
                transactionHash: log.transactionHash,
              });
            }
            break;
          }
          case "SubscriptionCancelled": {
            const sub = await subscriptionOf(tx, log.args.subscriptionId);
            if (!sub || sub.status === "cancelled") break;
            const [updated] = await tx
              .update(subscriptions)
              .set({ status: "cancelled", cancelledBy: getAddress(log.args.by), updatedAt: new Date() })
              .where(and(eq(subscriptions.chainId, chain.chainId), eq(subscriptions.subscriptionId, sub.subscriptionId)))
              .returning();
            if (updated!.merchantId) {
              await appendMerchantEvent(tx, updated!.merchantId, "subscription.canceled", {
                subscription: subscriptionSnapshot(updated!, await planOf(tx, sub.planId)),
                by: getAddress(log.args.by),
                transactionHash: log.transactionHash,
              });
            }
            break;
          }
          default:
            break; // fee and token settings, nonces: nothing for merchants here
        }
      }
      await tx.update(subscriptionCursors).set({ blockNumber: toBlock, updatedAt: new Date() }).where(eq(subscriptionCursors.chainId, chain.chainId));
      if (logs.length > 0) logger.debug({ chainId: chain.chainId, fromBlock, toBlock, events: logs.length }, "subscription events projected");
      return { fromBlock, toBlock, events: logs.length, caughtUp: toBlock === confirmedHead };
    });
  }

  /** Subscriptions projected before their merchant signed up to the gateway: linked from now on. */
  async function linkNewMerchants(tx: Executor): Promise<void> {
    await tx.execute(sql`
      update ${subscriptions} s set merchant_id = (
        select m.id from ${merchants} m where lower(m.payout_address) = lower(p.merchant_address) and ${provenPayoutAddress("m")} order by m.created_at, m.id limit 1
      ), updated_at = now()
      from ${subscriptionPlans} p
      where s.chain_id = ${chain.chainId} and s.merchant_id is null and p.chain_id = s.chain_id and p.plan_id = s.plan_id
        and exists (select 1 from ${merchants} m where lower(m.payout_address) = lower(p.merchant_address) and ${provenPayoutAddress("m")})`);
  }

  /** The plan, from the projection or (created before the projection started) from the chain. */
  async function planOf(tx: Executor, planId: bigint): Promise<PlanRow> {
    const [known] = await tx.select().from(subscriptionPlans).where(and(eq(subscriptionPlans.chainId, chain.chainId), eq(subscriptionPlans.planId, planId)));
    if (known) return known;
    const plan = await client.readContract({ address: chain.contract, abi: subscriptionsAbi, functionName: "getPlan", args: [planId] });
    const [row] = await tx
      .insert(subscriptionPlans)
      .values({ chainId: chain.chainId, planId, merchantAddress: getAddress(plan.merchant), token: getAddress(plan.token), amount: plan.amount, periodSeconds: plan.period, trialSeconds: plan.trial, active: plan.active })
      .returning();
    return row!;
  }

  /**
   * The subscription row, linked to its merchant if one has appeared since it was projected. One whose
   * sign-up the projection never saw (a deployment record starting too late) is read from the chain, so a
   * charge is never dropped and the cursor never stalls on it.
   */
  async function subscriptionOf(tx: Executor, subscriptionId: bigint): Promise<SubscriptionRow | undefined> {
    const key = and(eq(subscriptions.chainId, chain.chainId), eq(subscriptions.subscriptionId, subscriptionId));
    let [row] = await tx.select().from(subscriptions).where(key).for("update");
    if (!row) {
      const onChain = await client.readContract({ address: chain.contract, abi: subscriptionsAbi, functionName: "getSubscription", args: [subscriptionId] });
      if (onChain.status === 0) return undefined;
      const plan = await planOf(tx, onChain.planId);
      await tx
        .insert(subscriptions)
        .values({ chainId: chain.chainId, subscriptionId, planId: onChain.planId, merchantId: await merchantOf(tx, plan.merchantAddress), subscriber: getAddress(onChain.subscriber), anchor: new Date(onChain.anchor * 1000) })
        .onConflictDoNothing();
      [row] = await tx.select().from(subscriptions).where(key).for("update");
    }
    if (!row || row.merchantId) return row;
    const merchantId = await merchantOf(tx, (await planOf(tx, row.planId)).merchantAddress);
    if (!merchantId) return row;
    const [linked] = await tx.update(subscriptions).set({ merchantId }).where(key).returning();
    return linked;
  }

  async function merchantOf(tx: Executor, address: string): Promise<string | null> {
    const [merchant] = await tx
      .select({ id: merchants.id })
      .from(merchants)
      .where(sql`lower(${merchants.payoutAddress}) = lower(${address}) and ${provenPayoutAddress(`"merchants"`)}`)
      .orderBy(asc(merchants.createdAt), asc(merchants.id))
      .limit(1);
    return merchant?.id ?? null;
  }

  type ChargedArgs = { subscriptionId: bigint; merchant: Address; subscriber: Address; planId: bigint; token: Address; amount: bigint; merchantAmount: bigint; fee: bigint; periodIndex: bigint };
  type LogPosition = { transactionHash: Hex; logIndex: number; blockNumber: bigint; blockHash: Hex; at: Date };

  async function recordCharge(tx: Executor, args: ChargedArgs, position: LogPosition): Promise<void> {
    const sub = await subscriptionOf(tx, args.subscriptionId);
    if (!sub) throw new Error(`SubscriptionCharged for unknown subscription ${args.subscriptionId} on chain ${chain.chainId}`);
    const periodIndex = Number(args.periodIndex);
    const [charge] = await tx
      .insert(subscriptionCharges)
      .values({
        chainId: chain.chainId,
        subscriptionId: args.subscriptionId,
        periodIndex,
        amount: args.amount,
        merchantAmount: args.merchantAmount,
        fee: args.fee,
        transactionHash: position.transactionHash,
        logIndex: position.logIndex,
        blockNumber: position.blockNumber,
        chargedAt: position.at,
      })
      .onConflictDoNothing()
      .returning();
    if (!charge) return; // already recorded
    const [updated] = await tx
      .update(subscriptions)
      .set({
        nextPeriod: sql`greatest(${subscriptions.nextPeriod}, ${periodIndex + 1})`,
        // A charge inside the same block as a cancel cannot come after it: the cancel is final.
        status: sql`case when ${subscriptions.status} = 'cancelled' then ${subscriptions.status} else 'active'::subscription_status end`,
        lastFailedAt: null,
        updatedAt: new Date(),
      })
      .where(and(eq(subscriptions.chainId, chain.chainId), eq(subscriptions.subscriptionId, args.subscriptionId)))
      .returning();
    if (!updated!.merchantId) return;
    const orderId = await createChargeOrder(tx, updated!, args, position);
    await tx.update(subscriptionCharges).set({ orderId }).where(eq(subscriptionCharges.id, charge.id));
  }

  /**
   * A charge as a gateway order: created, paid by one confirmed `subscription` payment and settled in the
   * same transaction, so the merchant's order list, exports and webhooks treat it like any other sale.
   * The money already moved on-chain (subscriber → merchant and fee recipient): nothing to watch or sweep,
   * so the order is not monitored (monitorUntil = the charge time) and its deposit address is the contract.
   */
  async function createChargeOrder(tx: Executor, sub: SubscriptionRow, args: ChargedArgs, position: LogPosition): Promise<string> {
    const id = newOrderId();
    const [order] = await tx
      .insert(orders)
      .values({
        id,
        merchantId: sub.merchantId!,
        chainId: chain.chainId,
        token: getAddress(args.token),
        amount: args.amount,
        orderRef: orderRefOf(id),
        destination: getAddress(args.merchant),
        depositAddress: chain.contract,
        metadata: { subscriptionId: args.subscriptionId.toString(), planId: args.planId.toString(), periodIndex: Number(args.periodIndex), subscriber: getAddress(args.subscriber) },
        expiresAt: position.at,
        monitorUntil: position.at,
        createdAt: position.at,
        updatedAt: position.at,
      })
      .returning();
    await appendOrderEvent(tx, { orderId: id, merchantId: order!.merchantId, type: "order.created", toStatus: "new", data: { order: orderSnapshot(order!) } });
    const [payment] = await tx
      .insert(payments)
      .values({
        orderId: id,
        chainId: chain.chainId,
        method: "subscription",
        token: getAddress(args.token),
        amount: args.amount,
        payer: getAddress(args.subscriber),
        transactionHash: position.transactionHash,
        logIndex: position.logIndex,
        blockNumber: position.blockNumber,
        blockHash: position.blockHash,
        status: "confirmed",
      })
      .returning();
    await appendOrderEvent(tx, { orderId: id, merchantId: order!.merchantId, type: "payment.confirmed", data: { payment: paymentSnapshot(payment!), confirmations: chain.confirmations } });
    // The order was created at the charge's block time, so the payment is on time: settled.
    const { order: settled } = await syncOrder(tx, id, position.at);
    await appendOrderEvent(tx, {
      orderId: id,
      merchantId: order!.merchantId,
      type: "subscription.charged",
      toStatus: settled.status,
      data: {
        order: orderSnapshot(settled),
        subscription: subscriptionSnapshot(sub, await planOf(tx, sub.planId)),
        charge: {
          periodIndex: Number(args.periodIndex),
          amount: args.amount.toString(),
          merchantAmount: args.merchantAmount.toString(),
          fee: args.fee.toString(),
          transactionHash: position.transactionHash,
        },
      },
    });
    return id;
  }

  return { project };
}

/** The JSON shape of a subscription in webhooks and the dashboard (amounts as decimal strings). */
export function subscriptionSnapshot(sub: SubscriptionRow, plan: PlanRow): Record<string, unknown> {
  return {
    chainId: sub.chainId,
    subscriptionId: sub.subscriptionId.toString(),
    planId: sub.planId.toString(),
    subscriber: sub.subscriber,
    status: sub.status,
    token: plan.token,
    amount: plan.amount.toString(),
    periodSeconds: plan.periodSeconds,
    anchor: sub.anchor.toISOString(),
    periodsCharged: sub.nextPeriod,
  };
}

/**
 * A merchant-level webhook event (no order behind it): an outbox row like every other event, picked up
 * and delivered by the webhook relay (server/gateway/webhooks/delivery.ts).
 */
async function appendMerchantEvent(tx: Executor, merchantId: string, type: string, data: Record<string, unknown>): Promise<void> {
  await tx.insert(webhookEvents).values({ merchantId, type, orderId: null, payload: { type, data } });
}
