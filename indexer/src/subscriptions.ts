import { ponder } from "ponder:registry";
import { subscription, subscriptionCharge, subscriptionPlan } from "ponder:schema";
import { logId } from "./ids.ts";
import { recordPayment, settlementFields } from "./rollups.ts";

const planKey = (chainId: number, planId: bigint) => `${chainId}:${planId}`;
const subscriptionKey = (chainId: number, subscriptionId: bigint) => `${chainId}:${subscriptionId}`;

ponder.on("Subscriptions:PlanCreated", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(subscriptionPlan).values({
    id: planKey(chainId, event.args.planId),
    chainId,
    planId: event.args.planId,
    merchant: event.args.merchant,
    token: event.args.token,
    amount: event.args.amount,
    period: event.args.period,
    trial: event.args.trial,
    active: true,
    subscriberCount: 0,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
});

ponder.on("Subscriptions:PlanActiveUpdated", async ({ event, context }) => {
  await context.db.update(subscriptionPlan, { id: planKey(context.chain.id, event.args.planId) }).set({ active: event.args.active });
});

ponder.on("Subscriptions:Subscribed", async ({ event, context }) => {
  const chainId = context.chain.id;
  const plan = await context.db.find(subscriptionPlan, { id: planKey(chainId, event.args.planId) });
  if (!plan) throw new Error(`Subscribed to unknown plan ${event.args.planId}`);
  await context.db.insert(subscription).values({
    id: subscriptionKey(chainId, event.args.subscriptionId),
    chainId,
    subscriptionId: event.args.subscriptionId,
    planId: event.args.planId,
    merchant: plan.merchant,
    subscriber: event.args.subscriber,
    token: plan.token,
    anchor: BigInt(event.args.anchor),
    status: "active",
    chargeCount: 0,
    totalCharged: 0n,
    lastChargedPeriod: null,
    failedChargeCount: 0,
    cancelledBy: null,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
  await context.db.update(subscriptionPlan, { id: plan.id }).set((row) => ({ subscriberCount: row.subscriberCount + 1 }));
});

ponder.on("Subscriptions:SubscriptionCharged", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(subscriptionCharge).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    subscriptionId: event.args.subscriptionId,
    planId: event.args.planId,
    merchant: event.args.merchant,
    subscriber: event.args.subscriber,
    token: event.args.token,
    outcome: "charged",
    periodIndex: event.args.periodIndex,
    amount: event.args.amount,
    merchantAmount: event.args.merchantAmount,
    fee: event.args.fee,
    failureReason: null,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  });
  await recordPayment(context.db, {
    id: `${logId(chainId, event.transaction.hash, event.log.logIndex)}:subscription`,
    chainId,
    method: "subscription",
    orderRef: null,
    merchant: event.args.merchant,
    payer: event.args.subscriber,
    depositAddress: null,
    ...settlementFields(chainId, event),
  });
  // A successful charge of a past-due subscription makes it active again, as the contract does.
  await context.db.update(subscription, { id: subscriptionKey(chainId, event.args.subscriptionId) }).set((row) => ({
    status: "active",
    chargeCount: row.chargeCount + 1,
    totalCharged: row.totalCharged + event.args.amount,
    lastChargedPeriod: event.args.periodIndex,
  }));
});

ponder.on("Subscriptions:SubscriptionChargeFailed", async ({ event, context }) => {
  const chainId = context.chain.id;
  const sub = await context.db.find(subscription, { id: subscriptionKey(chainId, event.args.subscriptionId) });
  if (!sub) throw new Error(`Charge of unknown subscription ${event.args.subscriptionId}`);
  await context.db.insert(subscriptionCharge).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    subscriptionId: event.args.subscriptionId,
    planId: sub.planId,
    merchant: sub.merchant,
    subscriber: sub.subscriber,
    token: sub.token,
    outcome: "failed",
    periodIndex: event.args.periodIndex,
    amount: 0n,
    merchantAmount: 0n,
    fee: 0n,
    failureReason: event.args.reason,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  });
  await context.db.update(subscription, { id: sub.id }).set({ status: "past_due", failedChargeCount: sub.failedChargeCount + 1 });
});

ponder.on("Subscriptions:SubscriptionCancelled", async ({ event, context }) => {
  await context.db
    .update(subscription, { id: subscriptionKey(context.chain.id, event.args.subscriptionId) })
    .set({ status: "cancelled", cancelledBy: event.args.by });
});
