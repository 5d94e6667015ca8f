// Starts and stops the gateway's background work in this process: the chain watcher of the
// configured chain, the expiry job, and webhook delivery (relay + pg-boss worker). Each piece is
// safe to run in several processes at once (advisory lock per chain, SKIP LOCKED, pg-boss).
import type { PgBoss } from "pg-boss";
import type { Logger } from "pino";
import type { ServerConfig } from "../../config.ts";
import { findDeployment } from "../../contracts.ts";
import type { Database } from "../../db/index.ts";
import { createWebhookService, type WebhookService } from "../webhooks/delivery.ts";
import { createChainWatcher, expireOrders, type ChainWatcher } from "./watcher.ts";

export type GatewayWorkers = { webhooks: WebhookService; watcher?: ChainWatcher; stop(): Promise<void> };

export async function startGatewayWorkers(options: {
  config: Pick<ServerConfig, "chainId" | "rpcUrl" | "gateway">;
  database: Database;
  boss: PgBoss;
  logger: Logger;
  expiryIntervalMs?: number;
}): Promise<GatewayWorkers> {
  const { config, database, logger } = options;
  const webhooks = createWebhookService({ db: database.db, boss: options.boss, logger });
  await webhooks.start();

  const deployment = findDeployment(config.chainId);
  let watcher: ChainWatcher | undefined;
  if (deployment) {
    watcher = createChainWatcher({
      db: database.db,
      logger,
      chain: {
        chainId: config.chainId,
        rpcUrl: config.rpcUrl,
        confirmations: config.gateway.confirmations,
        paymentRouter: deployment.contracts.PaymentRouter.address,
        pollIntervalMs: config.gateway.watcherPollMs,
      },
    });
    watcher.start();
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
    async stop() {
      clearInterval(expiryTimer);
      await Promise.all([watcher?.stop(), webhooks.stop(), expiring]);
    },
  };
}
