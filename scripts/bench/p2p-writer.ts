// P2P desk: the group-commit writer alone. p2p_batch (the one function the desk's single writer
// runs) on one connection, without the service layer, the sandbox or 200 buyers on the same two
// cores: rounds of 100 matches, then their 100 invoice records, then their 100 posts, and the
// CPU that connection's backend used per cycle (from /proc). Much steadier than the matcher
// benchmark's throughput for comparing two versions of the writer's SQL (docs/benchmarks.md,
// "P2P desk", "Per-batch hot rows").
//
// Run: node_modules/node/bin/node scripts/bench/p2p-writer.ts   (ROUNDS, default 40; the first 5
// warm up and are not counted; DATABASE_URL as for p2p-matcher.ts)
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { openDatabase } from "../../web/server/db/index.ts";
import { createLogger } from "../../web/server/logger.ts";
import { loadP2PConfig } from "../../web/server/p2p/config.ts";
import { startP2P } from "../../web/server/p2p/index.ts";
import { createSeller, createVerifiedUser, sandboxMatchOp } from "../../web/test/p2p/support.ts";
import { ROOT } from "../lib/paths.ts";
import { processCpuSeconds } from "../lib/processes.ts";
import { createTemporaryDatabase } from "../../web/test/support/postgres.ts";

const pg = createRequire(path.join(ROOT, "web/package.json"))("pg") as {
  Client: new (config: { connectionString: string }) => {
    connect(): Promise<void>;
    end(): Promise<void>;
    query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  };
};
const ROUNDS = Number(process.env.ROUNDS ?? 40);
const WARM_UP = 5;

/** CPU milliseconds of the writer's backend, which runs for the whole benchmark. */
const cpuMs = (pid: number): number => processCpuSeconds(pid)! * 1000;

const logger = createLogger({ logLevel: "silent", nodeEnv: "production" });
const desk = await createTemporaryDatabase("bench_p2p_writer");
const database = await openDatabase({ kind: "postgres", url: desk.url }, logger);
try {
  await database.migrate();
  const config = loadP2PConfig({ NODE_ENV: "test", P2P_COOLDOWN_SECONDS: "0", P2P_TRADE_FEE_BPS: "100" });
  const p2p = await startP2P({ database, config, sweeper: false });
  for (let i = 0; i < 20; i += 1) {
    await createSeller(p2p, database, `ws${i}`, { deposit: 10_000_000_000n, request: { amount: 9_000_000_000n, min: 100n, max: 100_000n } });
  }
  const buyers = await Promise.all(Array.from({ length: 400 }, (_, i) => createVerifiedUser(database, `wb${i}`)));
  const client = new pg.Client({ connectionString: desk.url });
  await client.connect();
  const pid = Number((await client.query("select pg_backend_pid() as pid")).rows[0]!.pid);
  const batch = async (ops: unknown[]) => (await client.query("select * from p2p_batch($1::jsonb)", [JSON.stringify(ops)])).rows;
  const wall = { match: 0, invoice: 0, post: 0 };
  let cpu = 0;
  let cycles = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    // 100 buyers a round, each buyer every fourth round: its previous reservation is posted by then.
    const matches = buyers.slice((round % 4) * 100, (round % 4) * 100 + 100).map((buyerId) => {
      const amount = BigInt(100 + Math.floor(Math.random() * 10_000));
      return sandboxMatchOp(buyerId, amount, { commissionShard: Math.floor(Math.random() * 64), expiresInMs: 600_000 });
    });
    const counted = round >= WARM_UP;
    const cpuBefore = cpuMs(pid);
    let t = performance.now();
    const matched = await batch(matches);
    if (counted) wall.match += performance.now() - t;
    const refused = matched.find((o) => o.o_code);
    if (refused) throw new Error(`match refused: ${JSON.stringify(refused)}`);
    t = performance.now();
    await batch(matches.map((m) => ({ op: "invoice", id: m.reservationId, invoiceId: `inv_${randomUUID()}`, paymentUrl: "/pay" })));
    if (counted) wall.invoice += performance.now() - t;
    t = performance.now();
    const posted = await batch(matches.map((m) => ({ op: "post", id: m.reservationId, at: new Date().toISOString() })));
    if (counted) wall.post += performance.now() - t;
    if (posted.some((o) => o.o_code || o.o_result !== true)) throw new Error(`post failed: ${JSON.stringify(posted.find((o) => o.o_result !== true))}`);
    if (counted) {
      cpu += cpuMs(pid) - cpuBefore;
      cycles += matches.length;
    }
  }
  const violations = (await p2p.desk.checkInvariants()).violations.length;
  const per = (ms: number) => (ms / cycles).toFixed(3);
  console.log(
    `${cycles} cycles: writer backend CPU ${per(cpu)} ms per cycle; wall per cycle match ${per(wall.match)} + invoice ${per(wall.invoice)} + post ${per(wall.post)} = ${per(wall.match + wall.invoice + wall.post)} ms; invariant violations ${violations}`,
  );
  await client.end();
  await p2p.stop();
  if (violations > 0) process.exitCode = 1;
} finally {
  await database.close();
  await desk.drop();
}
