// Starts and stops the gateway's background work in this process: the chain watcher of the
// configured chain, the deposit sweeper, the subscription keeper (a pg-boss job), the expiry job,
// and webhook delivery (relay + pg-boss worker). Each piece is safe to run in several processes at
// once (advisory lock per chain, SKIP LOCKED, pg-boss).
import type { PgBoss } from "pg-boss";
import type { Logger } from "pino";
import type { ServerConfig } from "../../config.ts";
import { findDeployment } from "../../contracts.ts";
import type { Database } from "../../db/index.ts";
import { createWebhookService, type WebhookService } from "../webhooks/delivery.ts";
import { targetPolicy } from "../webhooks/targets.ts";
import { relayerAccount as accountOf } from "../../relayer.ts";
import { createSubscriptionKeeper, startSubscriptionKeeperWorker, type KeeperWorker } from "../subscriptions/keeper.ts";
import { createSweeper, type Sweeper } from "./sweeper.ts";
import { createChainWatcher, expireOrders, type ChainWatcher } from "./watcher.ts";

export type GatewayWorkers = { webhooks: WebhookService; watcher?: ChainWatcher; sweeper?: Sweeper; stop(): Promise<void> };

export async function startGatewayWorkers(options: {
  config: Pick<ServerConfig, "chainId" | "rpcUrls" | "gateway" | "keyring" | "unsafeFeatures">;
  database: Database;
  boss: PgBoss;
  logger: Logger;
  expiryIntervalMs?: number;
}): Promise<GatewayWorkers> {
  const { config, database, logger } = options;
  const webhooks = createWebhookService({ db: database.db, boss: options.boss, logger, keyring: config.keyring, targets: targetPolicy(config.unsafeFeatures) });
  await webhooks.start();

  const deployment = findDeployment(config.chainId);
  let watcher: ChainWatcher | undefined;
  let sweeper: Sweeper | undefined;
  let keeper: KeeperWorker | undefined;
  if (deployment) {
    watcher = createChainWatcher({
      db: database.db,
      logger,
      chain: {
        chainId: config.chainId,
        rpcUrl: config.rpcUrls,
        confirmations: config.gateway.confirmations,
        paymentRouter: deployment.contracts.PaymentRouter.address,
        creditPayment: deployment.contracts.CreditPayment.address,
        pollIntervalMs: config.gateway.watcherPollMs,
      },
    });
    watcher.start();
    const relayerAccount = accountOf(config.gateway.relayer);
    keeper = await startSubscriptionKeeperWorker({
      boss: options.boss,
      chainId: config.chainId,
      intervalMs: config.gateway.subscriptionKeeperIntervalMs,
      logger,
      keeper: createSubscriptionKeeper({
        db: database.db,
        logger,
        rpcUrl: config.rpcUrls,
        chain: {
          chainId: config.chainId,
          contract: deployment.contracts.Subscriptions.address,
          fromBlock: BigInt(deployment.contracts.Subscriptions.blockNumber),
          confirmations: config.gateway.confirmations,
        },
        relayer: relayerAccount,
        retryPastDueAfterSeconds: config.gateway.subscriptionRetrySeconds,
      }),
    });
    if (relayerAccount) {
      sweeper = createSweeper({
        db: database.db,
        logger,
        chainId: config.chainId,
        rpcUrl: config.rpcUrls,
        factory: deployment.contracts.DepositAddressFactory.address,
        relayer: relayerAccount,
        pollIntervalMs: config.gateway.sweepIntervalMs,
      });
      sweeper.start();
    } else {
      logger.warn({ chainId: config.chainId }, "no RELAYER_PRIVATE_KEY: deposit sweeps and subscription charges are not sent by this process");
    }
  } else {
    logger.warn({ chainId: config.chainId }, "no CoinPays deployment on this chain: chain watcher not started");
  }

  let expiring: Promise<unknown> | undefined;
  const expiryTimer = setInterval(() => {
    if (expiring) return;
    expiring = expireOrders(database.db)
      .catch((error: unknown) => logger.warn({ err: error }, "order expiry failed"))
      .finally(() => (expiring = undefined));
  }, options.expiryIntervalMs ?? 1_000);

  logger.info({ chainId: config.chainId, watcher: Boolean(watcher), confirmations: config.gateway.confirmations }, "gateway workers started");
  return {
    webhooks,
    watcher,
    sweeper,
    async stop() {
      clearInterval(expiryTimer);
      await Promise.all([watcher?.stop(), sweeper?.stop(), keeper?.stop(), webhooks.stop(), expiring]);
    },
  };
}
