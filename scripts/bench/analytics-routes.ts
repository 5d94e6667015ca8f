/**
 * The dashboard's analytics routes against the real stack: a local EDR chain with PAYMENTS router payments
 * to one merchant spread over 30 days, Ponder on PostgreSQL, the production web server. For every metric,
 * latency through the web route (session, membership, payout-address lookup, the hop to the indexer) beside
 * the same query sent to the indexer directly in the same run (the floor the route cannot beat), one request
 * at a time; then a whole analytics page (all eight metrics at once, as the browser asks). Prints a table
 * with the machine and writes bench/results/analytics-routes.json.
 *
 *   node_modules/node/bin/node scripts/bench/analytics-routes.ts   # needs `hardhat compile` and the web build
 *
 * Environment: PAYMENTS (default 400), REQUESTS per metric and path (default 100), DATABASE_URL (default the
 * local server).
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createWalletClient, erc20Abi, http, maxUint256, toHex, type Address } from "viem";
import { authorized, startIndexer } from "../../indexer/test/support.ts";
import { paymentRouterAbi } from "../../sdk/src/contracts/index.ts";
import { startChainFixture } from "../../web/test/gateway/support/fixtures.ts";
import { call, signIn, startGateway } from "../../web/test/gateway/support.ts";
import { createTemporaryDatabase } from "../../web/test/support/postgres.ts";
import { devAccount } from "../lib/dev-accounts.ts";
import { ROOT } from "../lib/paths.ts";
import { waitFor } from "../lib/processes.ts";

const PAYMENTS = Number(process.env.PAYMENTS ?? 400);
const REQUESTS = Number(process.env.REQUESTS ?? 100);
const METRICS = ["revenue", "top-payers", "payment-methods", "conversion", "refunds", "split-payouts", "loyalty", "lending"] as const;
const DAY = 86_400;

type Figures = { p50Ms: number; p95Ms: number };
function figures(latencies: number[]): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
  return { p50Ms: pct(50), p95Ms: pct(95) };
}
/** Server-Timing `indexer;dur=` of the last web route answers: the hop as the web server saw it. */
const hops: number[] = [];
async function timed(url: string, headers: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  const hop = /indexer;dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "");
  if (hop) hops.push(Number(hop[1]));
  return performance.now() - t0;
}

const chain = await startChainFixture();
const indexerDb = await createTemporaryDatabase("bench_analytics_indexer");
const indexer = await startIndexer({ databaseUrl: indexerDb.url, rpcUrl: chain.rpcUrl, waitReady: false });
const gateway = await startGateway("bench_analytics", { rpcUrl: chain.rpcUrl, indexerUrl: indexer.url });
try {
  const payout = devAccount(3).address;
  const router = chain.deployment.contracts.PaymentRouter.address;
  const payers = [5, 6, 7, 8, 9, 10, 11, 12].map(devAccount);
  const wallets = payers.map((account) => createWalletClient({ account, chain: chain.publicClient.chain!, transport: http(chain.rpcUrl) }));
  for (const [i, wallet] of wallets.entries()) {
    await chain.mint(chain.usdc, payers[i]!.address, 1_000_000n * 10n ** 6n);
    await chain.publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: chain.usdc, abi: erc20Abi, functionName: "approve", args: [router, maxUint256] }) });
  }
  // Payments every 30 days / PAYMENTS apart, forward from now (a chain's clock only moves forward).
  const start = Number((await chain.publicClient.getBlock()).timestamp) + 60;
  const step = Math.floor((30 * DAY) / PAYMENTS);
  const seeding = performance.now();
  for (let i = 0; i < PAYMENTS; i++) {
    await chain.publicClient.request({ method: "evm_setNextBlockTimestamp" as never, params: [start + i * step] as never });
    const hash = await wallets[i % wallets.length]!.writeContract({ address: router, abi: paymentRouterAbi, functionName: "pay", args: [toHex(randomBytes(32)), payout, chain.usdc, BigInt(1 + (i % 50)) * 10n ** 6n] });
    await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 5 });
  }
  console.log(`${PAYMENTS} payments sent in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
  const from = start - DAY;
  const to = start + 31 * DAY;
  await waitFor("the indexer to index every payment", async () => {
    const response = await fetch(`${indexer.url}/analytics/revenue?merchant=${payout}&from=${from}&to=${to}`, authorized()).catch(() => undefined);
    const body = response?.ok ? ((await response.json()) as { totals: { paymentCount: number } }) : undefined;
    return body?.totals.paymentCount === PAYMENTS ? true : undefined;
  }, 300_000, indexer.process);

  const owner = await signIn(gateway);
  const created = await call(gateway, "POST", "/api/merchants", { cookie: owner.cookie, body: { name: "Bench", payoutAddress: payout } });
  const merchantId = created.body.id as string;
  // Analytics read proven payout addresses only: the payout wallet signs the challenge, as in the dashboard.
  const challenge = await call(gateway, "POST", `/api/merchants/${merchantId}/payout-address/challenge`, { cookie: owner.cookie, body: {} });
  const signature = await devAccount(3).signMessage({ message: challenge.body.message });
  const proven = await call(gateway, "POST", `/api/merchants/${merchantId}/payout-address/proof`, { cookie: owner.cookie, body: { message: challenge.body.message, signature } });
  if (proven.status !== 200) throw new Error(`payout proof: ${proven.status} ${JSON.stringify(proven.body)}`);
  const headers = { cookie: owner.cookie };
  const query = `from=${from}&to=${to}&interval=day`;
  const webUrl = (metric: string) => `${gateway.url}/api/merchants/${merchantId}/analytics/${metric}?${query}`;
  const directUrl = (metric: string) => `${indexer.url}/analytics/${metric}?merchant=${(payout as Address).toLowerCase()}&${query}`;

  const rows: { metric: string; web: Figures; indexer: Figures | null; hopSeenByServer: Figures | null }[] = [];
  for (const metric of METRICS) {
    for (let i = 0; i < 10; i++) await timed(webUrl(metric), headers); // warm-up
    const web: number[] = [];
    const direct: number[] = [];
    hops.length = 0;
    for (let i = 0; i < REQUESTS; i++) {
      web.push(await timed(webUrl(metric), headers));
      if (metric !== "conversion") direct.push(await timed(directUrl(metric)));
    }
    rows.push({ metric, web: figures(web), indexer: direct.length ? figures(direct) : null, hopSeenByServer: hops.length ? figures(hops) : null });
  }
  const pages: number[] = [];
  for (let i = 0; i < Math.max(20, REQUESTS / 4); i++) {
    const t0 = performance.now();
    await Promise.all(METRICS.map((metric) => timed(webUrl(metric), headers)));
    pages.push(performance.now() - t0);
  }
  const page = figures(pages);

  const machine = { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, date: new Date().toISOString().slice(0, 10) };
  console.log(`\nAnalytics routes: ${PAYMENTS} payments over 30 days to one merchant, ${REQUESTS} sequential requests per metric and path, day buckets`);
  console.log(`Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}, ${machine.date}\n`);
  console.log("| Metric | Web route p50 | Web route p95 | Indexer direct p50 | Indexer direct p95 | Indexer hop inside the route p50 / p95 |\n|---|---:|---:|---:|---:|---:|");
  for (const row of rows) {
    const overhead = row.hopSeenByServer ? `${row.hopSeenByServer.p50Ms} / ${row.hopSeenByServer.p95Ms} ms` : "(gateway's own orders)";
    console.log(`| ${row.metric} | ${row.web.p50Ms} ms | ${row.web.p95Ms} ms | ${row.indexer?.p50Ms ?? "—"}${row.indexer ? " ms" : ""} | ${row.indexer?.p95Ms ?? "—"}${row.indexer ? " ms" : ""} | ${overhead} |`);
  }
  console.log(`| whole page (8 metrics at once) | ${page.p50Ms} ms | ${page.p95Ms} ms | | | |`);
  await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
  await writeFile(path.join(ROOT, "bench/results/analytics-routes.json"), `${JSON.stringify({ payments: PAYMENTS, requestsPerMetric: REQUESTS, metrics: rows, page, machine }, null, 2)}\n`);
} finally {
  await gateway.close();
  await indexer.process.stop();
  await indexerDb.drop();
  await chain.stop();
}
