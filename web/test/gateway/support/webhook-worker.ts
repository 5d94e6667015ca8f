// A stand-alone webhook delivery process for the crash-recovery test: the relay and the pg-boss
// worker on DATABASE_URL, nothing else. The test kills it with SIGKILL mid-delivery and starts
// another one.
import { pino } from "pino";
import { openDatabase } from "../../../server/db/index.ts";
import { createWebhookService } from "../../../server/gateway/webhooks/delivery.ts";
import { LOCAL_TARGETS } from "../../../server/gateway/webhooks/targets.ts";
import { startJobQueue } from "../../../server/jobs.ts";
import { parseKeyring } from "../../../server/secrets/keyring.ts";

const url = process.env.DATABASE_URL!;
const logger = pino({ level: process.env.WORKER_LOG_LEVEL ?? "silent" });
const database = await openDatabase({ kind: "postgres", url }, logger);
const boss = await startJobQueue(database, { kind: "postgres", url }, logger, { superviseIntervalSeconds: 1 });
const service = createWebhookService({
  db: database.db,
  boss,
  logger,
  keyring: parseKeyring(process.env.ENCRYPTION_KEYS),
  targets: LOCAL_TARGETS,
  requestTimeoutMs: 5_000,
  jobExpireSeconds: Number(process.env.JOB_EXPIRE_SECONDS ?? 3),
  retry: { retryLimit: 10, retryDelaySeconds: 1, retryDelayMaxSeconds: 2 },
  relayIntervalMs: 50,
  pollingIntervalSeconds: 0.5,
  concurrency: 4,
});
await service.start();
process.stdout.write("ready\n");
process.on("SIGTERM", async () => {
  await service.stop();
  await boss.stop({ graceful: true });
  await database.close();
  process.exit(0);
});
