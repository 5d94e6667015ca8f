/**
 * Detection latency: how long from the block that pays an order to the WebSocket message that tells a
 * subscriber, through the whole real path (EDR chain → chain watcher → PostgreSQL → NOTIFY → /ws hub).
 * 200 payments to deposit addresses, one block each, measured one after another. The orders belong to a
 * sub-account; a second connection listens to the parent account's stream (API key), so the account
 * hierarchy's path is measured against the per-order subscription in the same run.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node_modules/node/bin/node scripts/bench/detection-latency.ts
 *
 * Needs `hardhat compile` and the web production build (`pnpm --filter @coinpays/web build`).
 * Prints a table with the machine and writes bench/results/detection-latency.json.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Address } from "viem";
import { startFakeIndexer } from "../../web/test/support/fake-dependencies.ts";
import { startServerProcess } from "../../web/test/support/server-process.ts";
import { createMerchant, createOrder, startChainFixture, startDatabaseFixture } from "../../web/test/gateway/support/fixtures.ts";
import { apiKeys } from "../../web/server/db/schema.ts";
import { ROOT } from "../lib/paths.ts";

const PAYMENTS = Number(process.env.PAYMENTS ?? 200);
const TARGET_P95_MS = 1_000;

type StatusMessage = { type: string; order?: { id: string; status: string } };

const [chain, dbf, indexer] = await Promise.all([startChainFixture(), startDatabaseFixture("bench_latency"), startFakeIndexer()]);
const server = await startServerProcess({ DATABASE_URL: dbf.url, RPC_URL: chain.rpcUrl, CHAIN_ID: "31337", INDEXER_URL: indexer.url, WATCHER_POLL_MS: "50" });
try {
  await chain.mint(chain.usdc, chain.payer.address, 10n ** 12n);
  const parent = await createMerchant(dbf.database);
  const merchant = await createMerchant(dbf.database, { parentId: parent.id });
  const parentKey = `cp_live_${randomBytes(32).toString("base64url").replace(/[-_]/g, "0").slice(0, 43)}`;
  await dbf.database.db.insert(apiKeys).values({ merchantId: parent.id, name: "bench", prefix: parentKey.slice(0, 12), secretHash: createHash("sha256").update(parentKey).digest("hex") });
  const orders = [];
  for (let i = 0; i < PAYMENTS; i++) orders.push(await createOrder(dbf.database, { merchant, token: chain.usdc, amount: 1_000_000n, predict: chain.predict }));

  // Node 22's built-in WebSocket client: one connection subscribed to every order.
  const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/ws`);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  const settledAt = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as StatusMessage;
    if (message.order?.status === "settled" && !settledAt.has(message.order.id)) {
      settledAt.set(message.order.id, performance.now());
      waiting.get(message.order.id)?.();
    }
  });
  for (const order of orders) socket.send(JSON.stringify({ type: "subscribe", orderId: order.id }));
  // The parent account's stream: every order of its sub-account arrives here too.
  const parentSocket = new WebSocket(`${server.url.replace(/^http/, "ws")}/ws`);
  await new Promise((resolve, reject) => {
    parentSocket.addEventListener("open", resolve, { once: true });
    parentSocket.addEventListener("error", reject, { once: true });
  });
  const parentHeardAt = new Map<string, number>();
  const parentWaiting = new Map<string, () => void>();
  parentSocket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as StatusMessage;
    if (message.order?.status === "settled" && !parentHeardAt.has(message.order.id)) {
      parentHeardAt.set(message.order.id, performance.now());
      parentWaiting.get(message.order.id)?.();
    }
  });
  parentSocket.send(JSON.stringify({ type: "subscribe_merchant", apiKey: parentKey }));
  await new Promise((resolve) => setTimeout(resolve, 500));

  const latencies: number[] = [];
  const parentLatencies: number[] = [];
  for (const order of orders) {
    const heard = new Promise<void>((resolve) => waiting.set(order.id, resolve));
    const parentHeard = new Promise<void>((resolve) => parentWaiting.set(order.id, resolve));
    await chain.transfer(chain.usdc, order.depositAddress as Address, 1_000_000n);
    // EDR automines: the receipt is back when the block exists, so this is the block's moment.
    const minedAt = performance.now();
    await Promise.race([heard, new Promise((_, reject) => setTimeout(() => reject(new Error(`order ${order.id} not settled within 10 s`)), 10_000))]);
    latencies.push(settledAt.get(order.id)! - minedAt);
    await Promise.race([parentHeard, new Promise((_, reject) => setTimeout(() => reject(new Error(`order ${order.id} not on the parent's stream within 10 s`)), 10_000))]);
    parentLatencies.push(parentHeardAt.get(order.id)! - minedAt);
  }
  socket.close();
  parentSocket.close();

  const percentiles = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
    return { p50Ms: Math.round(pct(50)), p95Ms: Math.round(pct(95)), p99Ms: Math.round(pct(99)), maxMs: Math.round(sorted.at(-1)!) };
  };
  const figures = { payments: PAYMENTS, ...percentiles(latencies), watcherPollMs: 50, parentAccountStream: percentiles(parentLatencies) };
  const machine = { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, date: new Date().toISOString().slice(0, 10) };
  console.log(`\nDetection latency (block mined → WebSocket message), ${PAYMENTS} payments`);
  console.log(`Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}, ${machine.date}\n`);
  console.log("| Percentile | Latency | Target |\n|---|---:|---:|");
  console.log(`| p50 | ${figures.p50Ms} ms | |\n| p95 | ${figures.p95Ms} ms | < ${TARGET_P95_MS} ms (${figures.p95Ms < TARGET_P95_MS ? "met" : "MISSED"}) |\n| p99 | ${figures.p99Ms} ms | |\n| max | ${figures.maxMs} ms | |`);
  const parentFigures = figures.parentAccountStream;
  console.log("\nSame payments on the parent account's stream (sub-account orders, API key subscription):\n");
  console.log("| Percentile | Latency | Target |\n|---|---:|---:|");
  console.log(`| p50 | ${parentFigures.p50Ms} ms | |\n| p95 | ${parentFigures.p95Ms} ms | < ${TARGET_P95_MS} ms (${parentFigures.p95Ms < TARGET_P95_MS ? "met" : "MISSED"}) |\n| p99 | ${parentFigures.p99Ms} ms | |\n| max | ${parentFigures.maxMs} ms | |`);
  await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
  await writeFile(path.join(ROOT, "bench/results/detection-latency.json"), `${JSON.stringify({ ...figures, machine }, null, 2)}\n`);
} finally {
  await server.stop();
  await Promise.all([dbf.close(), chain.stop(), indexer.close()]);
}
