// The process's Postgres job queue (pg-boss), on the same database as everything else: its own
// schema `pgboss`, its own small pool on PostgreSQL, and the in-process PGlite when embedded.
import { PgBoss, fromPglite, type PGliteLike } from "pg-boss";
import type { Logger } from "pino";
import type { Database } from "./db/index.ts";

export type JobQueueOptions = {
  /** How often expired active jobs (a crashed worker's) are put back to retry. */
  superviseIntervalSeconds?: number;
};

export async function startJobQueue(
  database: Database,
  connection: { kind: "postgres"; url: string } | { kind: "pglite" },
  logger: Logger,
  options: JobQueueOptions = {},
): Promise<PgBoss> {
  // Expired jobs (a crashed worker's) are failed, and so retried, by the queue monitor, which pg-boss
  // runs per queue at most every monitorIntervalSeconds (default 60 s) whatever the supervise interval:
  // the two move together so the supervise setting really bounds how long a crashed delivery waits.
  const interval = options.superviseIntervalSeconds ?? 30;
  const common = { schema: "pgboss", superviseIntervalSeconds: interval, monitorIntervalSeconds: interval, schedule: false } as const;
  const boss =
    connection.kind === "postgres"
      ? new PgBoss({ ...common, connectionString: connection.url, max: 4, application_name: "coinpays-jobs" })
      : new PgBoss({ ...common, backend: "pglite", db: fromPglite((database.db as unknown as { $client: PGliteLike }).$client) });
  boss.on("error", (error: unknown) => logger.error({ err: error, component: "jobs" }, "job queue error"));
  await boss.start();
  return boss;
}
