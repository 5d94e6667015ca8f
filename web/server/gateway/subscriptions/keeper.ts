// The subscription keeper: charges the due subscriptions of the gateway's merchants on the configured
// chain (Subscriptions.chargeBatch, gas paid by the relayer key), then projects the resulting events
// into orders and webhooks (projection.ts).
//
// It runs as a pg-boss job: every process enqueues a keeper run every interval, the queue's `exclusive`
// policy keeps at most one run queued or active per chain, and any process's worker takes it. Three
// more layers keep money exact if that is ever bypassed (a job outliving its expiry, a second deployment
// with its own queue): a per-chain advisory lock around sending, a simulation that drops what the chain
// would skip, and the contract itself, which never charges a period twice.
//
// Due: period k = floor((now - anchor) / period) of an active or past-due subscription with
// k >= nextPeriod, judged at the latest block's time. A past-due subscription is retried only once
// `retryPastDueAfterSeconds` have passed since its last failure, so an empty wallet is not charged
// (and past-due events not emitted) on every tick.
import { and, eq, inArray, isNotNull, lte, sql } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import type { Logger } from "pino";
import { createPublicClient, createWalletClient, parseEventLogs, type Account, type Hex, type PublicClient } from "viem";
import { subscriptionsAbi } from "@coinpays/sdk/contracts";
import { rpcTransport, rpcUrlList, type RpcUrls } from "../../chain.ts";
import type { AppDatabase } from "../../db/index.ts";
import { subscriptionPlans, subscriptions } from "../../db/schema.ts";
import { createSubscriptionProjection, type ProjectionResult, type SubscriptionChain } from "./projection.ts";

export const SUBSCRIPTION_KEEPER_QUEUE = "subscription-keeper";

/** "Subs" in ASCII: the first key of the keeper's advisory locks; the chain id is the second. */
const KEEPER_LOCK_CLASS = 0x53756273;

export type SubscriptionKeeperOptions = {
  db: AppDatabase;
  logger: Logger;
  /** RPC URL(s), in fail-over order (server/chain.ts). */
  rpcUrl: RpcUrls;
  chain: SubscriptionChain;
  /** Pays for the charges; without it the keeper only projects (someone else may charge). */
  relayer?: Account;
  retryPastDueAfterSeconds: number;
  /** Subscriptions per chargeBatch transaction. */
  batchSize?: number;
};

export type ChargeRunResult = { skipped: boolean; due: number; charged: number; failed: number; transactions: Hex[] };
export type KeeperRunResult = { charges: ChargeRunResult; projected: ProjectionResult[] };

export type SubscriptionKeeper = {
  project(): Promise<ProjectionResult>;
  chargeDue(): Promise<ChargeRunResult>;
  /** Projects, charges what is due, projects the charges: one keeper run. */
  run(): Promise<KeeperRunResult>;
};

export function createSubscriptionKeeper(options: SubscriptionKeeperOptions): SubscriptionKeeper {
  const { db, logger, chain } = options;
  const transport = rpcTransport(options.rpcUrl, { chainId: chain.chainId, timeout: 10_000, retryCount: 3, logger });
  const viemChain = { id: chain.chainId, name: `chain-${chain.chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: rpcUrlList(options.rpcUrl) } } };
  const client = createPublicClient({ chain: viemChain, transport }) as PublicClient;
  const wallet = options.relayer ? createWalletClient({ account: options.relayer, chain: viemChain, transport }) : undefined;
  const batchSize = options.batchSize ?? 100;
  const projection = createSubscriptionProjection({ db, client, chain, logger });

  /** Projects until the cursor reaches the confirmed head (a long catch-up takes several passes). */
  async function projectAll(): Promise<ProjectionResult[]> {
    const passes: ProjectionResult[] = [];
    for (;;) {
      const pass = await projection.project();
      passes.push(pass);
      if (pass.caughtUp) return passes;
    }
  }

  async function chargeDue(): Promise<ChargeRunResult> {
    const result: ChargeRunResult = { skipped: false, due: 0, charged: 0, failed: 0, transactions: [] };
    if (!wallet) return result;
    return db.transaction(async (tx) => {
      const [lock] = ((await tx.execute(sql`select pg_try_advisory_xact_lock(${KEEPER_LOCK_CLASS}, ${chain.chainId}) as locked`)) as unknown as { rows: { locked: boolean }[] }).rows;
      if (!lock?.locked) return { ...result, skipped: true };

      const now = Number((await client.getBlock({ blockTag: "latest" })).timestamp);
      const retryBefore = new Date((now - options.retryPastDueAfterSeconds) * 1000);
      const candidates = await tx
        .select({ id: subscriptions.subscriptionId, anchor: subscriptions.anchor, nextPeriod: subscriptions.nextPeriod, period: subscriptionPlans.periodSeconds })
        .from(subscriptions)
        .innerJoin(subscriptionPlans, and(eq(subscriptionPlans.chainId, subscriptions.chainId), eq(subscriptionPlans.planId, subscriptions.planId)))
        .where(
          and(
            eq(subscriptions.chainId, chain.chainId),
            isNotNull(subscriptions.merchantId),
            inArray(subscriptions.status, ["active", "past_due"]),
            lte(subscriptions.anchor, new Date(now * 1000)),
            sql`(${subscriptions.status} = 'active' or ${subscriptions.lastFailedAt} is null or ${subscriptions.lastFailedAt} <= ${retryBefore.toISOString()})`,
          ),
        );
      const due = candidates.filter((sub) => Math.floor((now - sub.anchor.getTime() / 1000) / sub.period) >= sub.nextPeriod).map((sub) => sub.id);
      result.due = due.length;

      for (let index = 0; index < due.length; index += batchSize) {
        const batch = due.slice(index, index + batchSize);
        // The chain's own answer for each item: what it would skip (charged by someone else, not due
        // in the next block) is dropped, and nothing is sent when nothing is left.
        const { result: outcomes } = await client.simulateContract({ address: chain.contract, abi: subscriptionsAbi, functionName: "chargeBatch", args: [batch], account: options.relayer });
        const chargeable = batch.filter((_, i) => outcomes[i] !== 2);
        if (chargeable.length === 0) continue;
        const gas = await client.estimateContractGas({ address: chain.contract, abi: subscriptionsAbi, functionName: "chargeBatch", args: [chargeable], account: options.relayer! });
        // Headroom: a charge that runs out of gas reverts the whole batch (InsufficientGasForCharge).
        const hash = await wallet.writeContract({ address: chain.contract, abi: subscriptionsAbi, functionName: "chargeBatch", args: [chargeable], gas: (gas * 6n) / 5n, account: options.relayer!, chain: viemChain });
        // Bounded well inside the job's expiry; a charge mined later is still projected by the next run.
        const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 100, timeout: 120_000 });
        if (receipt.status !== "success") throw new Error(`chargeBatch reverted in ${hash}`);
        const logs = parseEventLogs({ abi: subscriptionsAbi, logs: receipt.logs });
        result.charged += logs.filter((log) => log.eventName === "SubscriptionCharged").length;
        result.failed += logs.filter((log) => log.eventName === "SubscriptionChargeFailed").length;
        result.transactions.push(hash);
        logger.info({ chainId: chain.chainId, transactionHash: hash, sent: chargeable.length, charged: result.charged, failed: result.failed, gasUsed: receipt.gasUsed.toString() }, "subscriptions charged");
      }
      return result;
    });
  }

  return {
    project: projection.project,
    chargeDue,
    async run() {
      const before = await projectAll();
      const charges = await chargeDue();
      const after = charges.transactions.length > 0 ? await projectAll() : [];
      return { charges, projected: [...before, ...after] };
    },
  };
}

export type KeeperWorker = { stop(): Promise<void> };

/**
 * Runs the keeper through the job queue: every `intervalMs` this process offers a run (a no-op while
 * one is queued or active anywhere), and its worker executes whichever run it is handed.
 */
export async function startSubscriptionKeeperWorker(options: { boss: PgBoss; keeper: SubscriptionKeeper; chainId: number; intervalMs: number; logger: Logger }): Promise<KeeperWorker> {
  const { boss, keeper, chainId, logger } = options;
  await boss.createQueue(SUBSCRIPTION_KEEPER_QUEUE, { policy: "exclusive", retryLimit: 0, expireInSeconds: 300, retentionSeconds: 3600 });
  await boss.work<{ chainId: number }>(SUBSCRIPTION_KEEPER_QUEUE, { batchSize: 1, pollingIntervalSeconds: Math.max(0.5, options.intervalMs / 2000) }, async ([job]) => {
    if (job!.data.chainId !== chainId) return { skipped: "other chain" };
    const result = await keeper.run();
    return { due: result.charges.due, charged: result.charges.charged, failed: result.charges.failed, transactions: result.charges.transactions };
  });
  let offering: Promise<unknown> | undefined;
  const offer = () => {
    if (offering) return;
    offering = boss
      .send(SUBSCRIPTION_KEEPER_QUEUE, { chainId }, { singletonKey: `chain:${chainId}` })
      .catch((error: unknown) => logger.warn({ err: error, chainId }, "could not queue a subscription keeper run"))
      .finally(() => (offering = undefined));
  };
  offer();
  const timer = setInterval(offer, options.intervalMs);
  logger.info({ chainId, intervalMs: options.intervalMs }, "subscription keeper started");
  return {
    async stop() {
      clearInterval(timer);
      await offering;
      await boss.offWork(SUBSCRIPTION_KEEPER_QUEUE).catch(() => undefined);
    },
  };
}
