// The merchant dashboard's view of subscriptions: every subscription to the account's plans on the
// served chain, its status as last projected from the chain, and its charges with the orders they
// became. Read-only: subscriptions change on-chain and reach these rows through the keeper.
import { formatAmount } from "@coinpays/sdk";
import { and, desc, eq, inArray } from "drizzle-orm";
import type { AppDatabase } from "../../db/index.ts";
import { subscriptionCharges, subscriptionPlans, subscriptions } from "../../db/schema.ts";
import { tokenByAddress } from "../orders/tokens.ts";

const money = (value: bigint, decimals: number) => ({ baseUnits: value.toString(), formatted: formatAmount(value, decimals) });

export function createSubscriptionService({ db, chainId }: { db: AppDatabase; chainId: number }) {
  /** Newest subscriptions first (at most `limit`), each with its charges, newest first. */
  async function listForMerchant(merchantId: string, limit = 100) {
    const rows = await db
      .select({ subscription: subscriptions, plan: subscriptionPlans })
      .from(subscriptions)
      .innerJoin(subscriptionPlans, and(eq(subscriptionPlans.chainId, subscriptions.chainId), eq(subscriptionPlans.planId, subscriptions.planId)))
      .where(and(eq(subscriptions.merchantId, merchantId), eq(subscriptions.chainId, chainId)))
      .orderBy(desc(subscriptions.subscriptionId))
      .limit(limit);
    const ids = rows.map((row) => row.subscription.subscriptionId);
    const charges = ids.length === 0
      ? []
      : await db
          .select()
          .from(subscriptionCharges)
          .where(and(eq(subscriptionCharges.chainId, chainId), inArray(subscriptionCharges.subscriptionId, ids)))
          .orderBy(desc(subscriptionCharges.periodIndex));
    return {
      data: rows.map(({ subscription, plan }) => {
        const token = tokenByAddress(chainId, plan.token);
        const decimals = token?.decimals ?? 18;
        const own = charges.filter((charge) => charge.subscriptionId === subscription.subscriptionId);
        return {
          chainId,
          subscriptionId: subscription.subscriptionId.toString(),
          planId: plan.planId.toString(),
          subscriber: subscription.subscriber,
          status: subscription.status,
          token: { address: plan.token, symbol: token?.symbol ?? "UNKNOWN", decimals },
          amount: money(plan.amount, decimals),
          periodSeconds: plan.periodSeconds,
          anchor: subscription.anchor.toISOString(),
          periodsCharged: subscription.nextPeriod,
          totalCharged: money(own.reduce((sum, charge) => sum + charge.amount, 0n), decimals),
          lastFailedAt: subscription.lastFailedAt?.toISOString() ?? null,
          cancelledBy: subscription.cancelledBy,
          charges: own.map((charge) => ({
            periodIndex: charge.periodIndex,
            amount: money(charge.amount, decimals),
            fee: money(charge.fee, decimals),
            orderId: charge.orderId,
            transactionHash: charge.transactionHash,
            chargedAt: charge.chargedAt.toISOString(),
          })),
        };
      }),
    };
  }
  return { listForMerchant };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
