// The dashboard's analytics routes end to end: a real EDR chain with CoinPays deployed, a real Ponder indexer
// on PostgreSQL (one for the whole file: it is the slow part), the production web server on its own
// PostgreSQL database with its chain watcher, and payments for two merchants made on-chain. Merchant A's
// members get exactly A's figures, never B's; other accounts are 404, no session is 401, bad input is 400,
// and the client cannot choose the addresses sent to the indexer.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createWalletClient, http, maxUint256, toHex, type Address, type Hex, type LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { mockErc20Abi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { freePort, waitFor } from "../../../scripts/lib/processes.ts";
import { startIndexer, type RunningIndexer } from "../../../indexer/test/support.ts";
import { createTemporaryDatabase, type TemporaryDatabase } from "../support/postgres.ts";
import { startChainFixture, type ChainFixture } from "./support/fixtures.ts";
import { call, CHAIN_ID, createApiKey, signIn, startGateway, type Gateway, type SignedIn } from "./support.ts";

const USDC = 10n ** 6n;
const payoutA = devAccount(3);
const payoutKiosk = devAccount(4);
const payoutB = devAccount(5);
const secondPayer = devAccount(6);

describe("analytics routes", { timeout: 600_000 }, () => {
  let chain: ChainFixture;
  let indexerDb: TemporaryDatabase;
  let indexer: RunningIndexer;
  let gateway: Gateway;
  let ownerA: SignedIn;
  let ownerB: SignedIn;
  let viewerA: SignedIn;
  let merchantA: string;
  let kiosk: string;
  let merchantB: string;
  let usdc: Address;
  let from: number;
  let to: number;
  const firstPayer = () => chain.payer.address.toLowerCase();

  async function send(account: LocalAccount, address: Address, abi: typeof mockErc20Abi | typeof paymentRouterAbi, functionName: string, args: readonly unknown[]) {
    const wallet = createWalletClient({ account, chain: chain.publicClient.chain, transport: http(chain.rpcUrl) });
    const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    assert.equal(receipt.status, "success", `${functionName} reverted`);
    return receipt;
  }

  async function merchant(owner: SignedIn, name: string, payoutAddress: Address): Promise<string> {
    const result = await call(gateway, "POST", "/api/merchants", { cookie: owner.cookie, body: { name, payoutAddress } });
    assert.equal(result.status, 201, JSON.stringify(result.body));
    return result.body.id;
  }

  /** Analytics read proven payout addresses only: the payout wallet signs the account's challenge, as in Settings. */
  async function prove(owner: SignedIn, merchantId: string, payout: LocalAccount): Promise<void> {
    const challenge = await call(gateway, "POST", `/api/merchants/${merchantId}/payout-address/challenge`, { cookie: owner.cookie, body: {} });
    assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
    const signature = await payout.signMessage({ message: challenge.body.message });
    const proven = await call(gateway, "POST", `/api/merchants/${merchantId}/payout-address/proof`, { cookie: owner.cookie, body: { message: challenge.body.message, signature } });
    assert.equal(proven.status, 200, JSON.stringify(proven.body));
  }

  async function order(apiKey: string, amount: string): Promise<{ id: string; orderRef: Hex; destination: Address }> {
    const result = await call(gateway, "POST", "/api/v1/orders", { apiKey, body: { amount, token: "USDC", chainId: CHAIN_ID } });
    assert.equal(result.status, 201, JSON.stringify(result.body));
    return result.body;
  }

  const analytics = (user: SignedIn | undefined, merchantId: string, metric: string, query = "") =>
    call(gateway, "GET", `/api/merchants/${merchantId}/analytics/${metric}?from=${from}&to=${to}${query}`, { cookie: user?.cookie });

  async function ok(user: SignedIn, merchantId: string, metric: string, query = "") {
    const result = await analytics(user, merchantId, metric, query);
    assert.equal(result.status, 200, `${metric}: ${JSON.stringify(result.body)}`);
    return result.body;
  }

  before(async () => {
    chain = await startChainFixture();
    usdc = chain.usdc;
    indexerDb = await createTemporaryDatabase("analytics_indexer");
    // Ponder starts while the web server does; both are slow to boot, neither needs the other to start.
    indexer = await startIndexer({ databaseUrl: indexerDb.url, rpcUrl: chain.rpcUrl, waitReady: false });
    gateway = await startGateway("analytics", { rpcUrl: chain.rpcUrl, indexerUrl: indexer.url });
    await waitFor("the indexer to be ready", async () => ((await fetch(`${indexer.url}/ready`).catch(() => undefined))?.ok ? true : undefined), 240_000, indexer.process);

    [ownerA, ownerB, viewerA] = await Promise.all([signIn(gateway), signIn(gateway), signIn(gateway)]);
    merchantA = await merchant(ownerA, "Shop A", payoutA.address);
    merchantB = await merchant(ownerB, "Shop B", payoutB.address);
    const sub = await call(gateway, "POST", `/api/merchants/${merchantA}/sub-accounts`, { cookie: ownerA.cookie, body: { name: "Kiosk", payoutAddress: payoutKiosk.address } });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    kiosk = sub.body.id;
    await prove(ownerA, merchantA, payoutA);
    await prove(ownerA, kiosk, payoutKiosk);
    await prove(ownerB, merchantB, payoutB);
    const added = await call(gateway, "POST", `/api/merchants/${merchantA}/members`, { cookie: ownerA.cookie, body: { address: viewerA.account.address, role: "viewer" } });
    assert.equal(added.status, 201, JSON.stringify(added.body));

    const [keyA, keyKiosk, keyB] = [(await createApiKey(gateway, ownerA, merchantA)).secret, (await createApiKey(gateway, ownerA, kiosk)).secret, (await createApiKey(gateway, ownerB, merchantB)).secret];
    from = Math.floor(Date.now() / 1000) - 3_600;
    // A: three orders, two paid; the kiosk: one order, paid; B: two orders, one paid.
    const [a1, a2] = [await order(keyA, "10"), await order(keyA, "20"), await order(keyA, "5")];
    const [k1] = [await order(keyKiosk, "4")];
    const [b1] = [await order(keyB, "40"), await order(keyB, "1")];
    await chain.mint(usdc, chain.payer.address, 1_000n * USDC);
    for (const paid of [a1!, a2!, k1!, b1!]) {
      const amount = paid === a1 ? 10n : paid === a2 ? 20n : paid === k1 ? 4n : 40n;
      await chain.payThroughRouter(paid.orderRef, paid.destination, usdc, amount * USDC);
    }
    // A second payer pays A 7 USDC outside any order (a payment the gateway has no order for still is revenue).
    const router = chain.deployment.contracts.PaymentRouter.address;
    await send(secondPayer, usdc, mockErc20Abi, "mint", [secondPayer.address, 7n * USDC]);
    await send(secondPayer, usdc, mockErc20Abi, "approve", [router, maxUint256]);
    await send(secondPayer, router, paymentRouterAbi, "pay", [toHex(randomBytes(32)), payoutA.address, usdc, 7n * USDC]);
    // A refunds 5 USDC of its first order.
    await send(payoutA, usdc, mockErc20Abi, "approve", [router, maxUint256]);
    await send(payoutA, router, paymentRouterAbi, "refund", [a1!.orderRef, chain.payer.address, 5n * USDC]);
    to = Math.floor(Date.now() / 1000) + 3_600;

    await waitFor("the indexer to reach the refund and B's payment", async () => {
      const [a, b] = await Promise.all([analytics(ownerA, merchantA, "revenue", "&subAccounts=include"), analytics(ownerB, merchantB, "revenue")]);
      return a.body?.totals?.paymentCount === 4 && a.body.totals.refundCount === 1 && b.body?.totals?.paymentCount === 1 ? true : undefined;
    }, 120_000, indexer.process);
    await waitFor("the watcher to settle the paid orders", async () => {
      // a1's refund was sent outside the dashboard: the watcher records it from the router's log too.
      const rows = await gateway.sql<{ n: number }>("select count(*)::int as n from orders where status in ('settled', 'partially_refunded')");
      return rows[0]!.n === 4 ? true : undefined;
    }, 60_000);
  });

  after(async () => {
    await gateway?.close();
    await indexer?.process.stop();
    await indexerDb?.drop();
    await chain?.stop();
  });

  it("revenue: A's own payments only, exact amounts, fiat and refunds; the range and accounts it covers", async () => {
    const response = await analytics(ownerA, merchantA, "revenue");
    assert.match(response.headers.get("server-timing") ?? "", /^indexer;dur=\d+\.\d$/);
    const body = response.body;
    assert.deepEqual(body.accounts.map((a: { id: string; payoutAddress: string }) => [a.id, a.payoutAddress]), [[merchantA, payoutA.address]]);
    assert.deepEqual(body.range, { from, to, fromIso: new Date(from * 1000).toISOString(), toIso: new Date(to * 1000).toISOString(), interval: "day" });
    assert.deepEqual(body.totals, { paymentCount: 3, volumeUsd: "37", refundCount: 1, refundVolumeUsd: "5", unpricedCount: 0 });
    const rows = body.data as { token: string; paymentCount: number; volume: string; merchantAmount: string; fees: string; uniquePayers: number; refundVolume: string }[];
    assert.ok(rows.every((row) => row.token === usdc.toLowerCase()));
    const sum = (f: (row: (typeof rows)[number]) => bigint) => rows.reduce((s, row) => s + f(row), 0n);
    assert.equal(sum((row) => BigInt(row.volume)), 37n * USDC);
    // The platform fee is 1%: A keeps 99% of every payment.
    assert.equal(sum((row) => BigInt(row.merchantAmount)), (37n * USDC * 99n) / 100n);
    assert.equal(sum((row) => BigInt(row.fees)), (37n * USDC) / 100n);
    assert.equal(sum((row) => BigInt(row.refundVolume)), 5n * USDC);

    const b = await ok(ownerB, merchantB, "revenue");
    assert.deepEqual(b.totals, { paymentCount: 1, volumeUsd: "40", refundCount: 0, refundVolumeUsd: "0", unpricedCount: 0 });
  });

  it("sub-accounts: left out by default, added with subAccounts=include, and readable on their own", async () => {
    const tree = await ok(ownerA, merchantA, "revenue", "&subAccounts=include");
    assert.deepEqual(tree.accounts.map((a: { id: string }) => a.id), [merchantA, kiosk]);
    assert.deepEqual(tree.totals, { paymentCount: 4, volumeUsd: "41", refundCount: 1, refundVolumeUsd: "5", unpricedCount: 0 });
    const own = await ok(ownerA, kiosk, "revenue");
    assert.deepEqual(own.totals, { paymentCount: 1, volumeUsd: "4", refundCount: 0, refundVolumeUsd: "0", unpricedCount: 0 });
  });

  it("top payers, payment methods and refunds: exact rows of A", async () => {
    const payers = await ok(ownerA, merchantA, "top-payers");
    assert.deepEqual(
      payers.data.map((row: Record<string, unknown>) => [row.rank, row.payer, row.paymentCount, row.volumeUsd, row.volumes]),
      [
        [1, firstPayer(), 2, "30", `${CHAIN_ID}:${usdc.toLowerCase()}:${30n * USDC}`],
        [2, secondPayer.address.toLowerCase(), 1, "7", `${CHAIN_ID}:${usdc.toLowerCase()}:${7n * USDC}`],
      ],
    );
    const methods = await ok(ownerA, merchantA, "payment-methods");
    assert.deepEqual(methods.methods, [{ method: "router", paymentCount: 3, countShare: "1", volumeUsd: "37", volumeShare: "1" }]);
    const refunds = await ok(ownerA, merchantA, "refunds");
    assert.deepEqual(refunds.totals, [{ chainId: CHAIN_ID, token: usdc.toLowerCase(), refundCount: 1, amount: String(5n * USDC), valueUsd: "5" }]);
    assert.deepEqual(refunds.data.map((row: Record<string, unknown>) => [row.source, row.recipient, row.amount]), [["router", firstPayer(), String(5n * USDC)]]);
    // B sees none of it.
    assert.deepEqual((await ok(ownerB, merchantB, "refunds")).data, []);
    assert.deepEqual((await ok(ownerB, merchantB, "top-payers")).data.map((row: Record<string, unknown>) => [row.payer, row.volumeUsd]), [[firstPayer(), "40"]]);
  });

  it("conversion: orders created vs paid from the gateway's own orders, per account", async () => {
    const a = await ok(ownerA, merchantA, "conversion");
    assert.deepEqual(a.totals, { created: 3, paid: 2, expired: 0, conversionRate: "0.6666" });
    assert.equal(a.data.reduce((s: number, row: { created: number }) => s + row.created, 0), 3);
    for (const row of a.data) assert.equal(row.bucketStart % 86_400, 0, "day buckets start at midnight UTC");
    assert.deepEqual((await ok(ownerA, merchantA, "conversion", "&subAccounts=include")).totals, { created: 4, paid: 3, expired: 0, conversionRate: "0.75" });
    assert.deepEqual((await ok(ownerB, merchantB, "conversion")).totals, { created: 2, paid: 1, expired: 0, conversionRate: "0.5" });
    // Hour buckets of the same orders add up to the same totals.
    assert.deepEqual((await ok(ownerA, merchantA, "conversion", "&interval=hour")).totals, a.totals);
  });

  it("every other metric answers for A with A's rows only", async () => {
    for (const metric of ["split-payouts", "loyalty", "lending"]) {
      const body = await ok(ownerA, merchantA, metric);
      assert.ok(Array.isArray(body.data), metric);
    }
    const lending = await ok(ownerA, merchantA, "lending");
    // Market totals are public; what concerns A (credit payments to it, its own positions) is zero here.
    for (const market of lending.data) {
      assert.equal(market.creditPaymentCount, 0);
      assert.equal(market.merchantBorrowShares, "0");
    }
  });

  it("any role reads analytics: a viewer of A gets A's figures", async () => {
    assert.deepEqual((await ok(viewerA, merchantA, "revenue")).totals, { paymentCount: 3, volumeUsd: "37", refundCount: 1, refundVolumeUsd: "5", unpricedCount: 0 });
  });

  it("isolation: another merchant's id is 404, a stranger is 404, no session is 401", async () => {
    for (const metric of ["revenue", "top-payers", "conversion"]) {
      const foreign = await analytics(ownerA, merchantB, metric);
      assert.equal(foreign.status, 404, metric);
      assert.equal(foreign.body.error.code, "not_found");
      assert.equal((await analytics(ownerB, kiosk, metric)).status, 404, `${metric} of A's sub-account`);
    }
    const stranger = await signIn(gateway, privateKeyToAccount(generatePrivateKey()));
    assert.equal((await analytics(stranger, merchantA, "revenue")).status, 404);
    const anonymous = await analytics(undefined, merchantA, "revenue");
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, "unauthorized");
    assert.equal((await analytics(ownerA, "not-a-uuid", "revenue")).status, 404);
  });

  it("the client cannot choose the addresses: a merchant parameter is refused, not forwarded", async () => {
    const result = await analytics(ownerA, merchantA, "revenue", `&merchant=${payoutB.address}`);
    assert.equal(result.status, 400);
    assert.equal(result.body.error.code, "validation_failed");
  });

  it("bad input is a 400 with the field named", async () => {
    const cases: [string, string][] = [
      [`/api/merchants/${merchantA}/analytics/revenue?from=${to}&to=${from}`, "from"],
      [`/api/merchants/${merchantA}/analytics/revenue?from=0&to=${to}&interval=hour`, "to"],
      [`/api/merchants/${merchantA}/analytics/revenue?from=yesterday`, "from"],
      [`/api/merchants/${merchantA}/analytics/revenue?interval=week`, "interval"],
      [`/api/merchants/${merchantA}/analytics/revenue?token=USDC`, "token"],
      [`/api/merchants/${merchantA}/analytics/revenue?chainId=-1`, "chainId"],
      [`/api/merchants/${merchantA}/analytics/top-payers?limit=501`, "limit"],
      [`/api/merchants/${merchantA}/analytics/revenue?format=xml`, "format"],
      [`/api/merchants/${merchantA}/analytics/revenue?subAccounts=yes`, "subAccounts"],
    ];
    for (const [path, field] of cases) {
      const result = await call(gateway, "GET", path, { cookie: ownerA.cookie });
      assert.equal(result.status, 400, `${path}: ${JSON.stringify(result.body)}`);
      assert.ok(result.body.error.details.some((d: { field: string }) => d.field === field), `${path}: ${JSON.stringify(result.body.error)}`);
    }
    assert.equal((await call(gateway, "GET", `/api/merchants/${merchantA}/analytics/everything`, { cookie: ownerA.cookie })).status, 404);
    assert.equal((await call(gateway, "POST", `/api/merchants/${merchantA}/analytics/revenue`, { cookie: ownerA.cookie })).status, 405);
  });

  it("CSV: a download with the right header and A's rows", async () => {
    const revenue = await analytics(ownerA, merchantA, "revenue", "&format=csv");
    assert.equal(revenue.status, 200);
    assert.match(revenue.headers.get("content-type")!, /^text\/csv/);
    assert.match(revenue.headers.get("content-disposition")!, /^attachment; filename="shop-a-revenue-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
    const [header, ...rows] = (revenue.body as string).trim().split("\n");
    assert.equal(header, "bucketStart,bucketStartIso,chainId,token,paymentCount,volume,merchantAmount,fees,volumeUsd,unpricedCount,uniquePayers,refundCount,refundVolume,refundVolumeUsd");
    const json = await ok(ownerA, merchantA, "revenue");
    assert.equal(rows.length, json.data.length);
    const volumes = rows.map((row) => BigInt(row.split(",")[5]!));
    assert.equal(volumes.reduce((s, v) => s + v, 0n), 37n * USDC);

    const payers = await analytics(ownerA, merchantA, "top-payers", "&format=csv");
    const payerLines = (payers.body as string).trim().split("\n");
    assert.equal(payerLines[0], "rank,payer,paymentCount,volumeUsd,unpricedCount,volumes");
    assert.deepEqual(payerLines.slice(1).map((line) => line.split(",").slice(0, 4).join(",")), [`1,${firstPayer()},2,30`, `2,${secondPayer.address.toLowerCase()},1,7`]);

    const conversion = await analytics(ownerA, merchantA, "conversion", "&format=csv");
    const conversionLines = (conversion.body as string).trim().split("\n");
    assert.equal(conversionLines[0], "bucketStart,bucketStartIso,created,paid,expired,conversionRate");
    assert.equal(conversionLines.slice(1).reduce((s, line) => s + Number(line.split(",")[2]), 0), 3);

    // A CSV of another merchant is refused like its JSON.
    assert.equal((await analytics(ownerA, merchantB, "revenue", "&format=csv")).status, 404);
  });

  it("the routes are in the OpenAPI document", async () => {
    const { body: doc } = await call(gateway, "GET", "/api/v1/openapi.json");
    const revenue = doc.paths["/api/merchants/{merchantId}/analytics/revenue"].get;
    assert.equal(revenue.operationId, "analyticsRevenue");
    assert.deepEqual(revenue.parameters.map((p: { name: string }) => p.name).sort(), ["chainId", "format", "from", "interval", "limit", "merchantId", "subAccounts", "to", "token"]);
    assert.ok(doc.paths["/api/merchants/{merchantId}/analytics/conversion"]);
  });
});

describe("analytics routes when the indexer is down", { timeout: 120_000 }, () => {
  let gateway: Gateway;
  let owner: SignedIn;
  let merchantId: string;

  before(async () => {
    // A port nothing listens on: the indexer is down, the rest of the server is not.
    gateway = await startGateway("analytics_down", { indexerUrl: `http://127.0.0.1:${await freePort()}` });
    owner = await signIn(gateway);
    // Paid to the owner's own signed-in address: proven by the session, so the on-chain metrics do ask the indexer.
    const created = await call(gateway, "POST", "/api/merchants", { cookie: owner.cookie, body: { name: "Shop", payoutAddress: owner.account.address } });
    merchantId = created.body.id;
  });
  after(async () => {
    await gateway?.close();
  });

  it("on-chain metrics answer 503 indexer_unavailable; conversion, which is the gateway's own, still answers", async () => {
    for (const metric of ["revenue", "top-payers", "lending"]) {
      const result = await call(gateway, "GET", `/api/merchants/${merchantId}/analytics/${metric}`, { cookie: owner.cookie });
      assert.equal(result.status, 503, metric);
      assert.equal(result.body.error.code, "indexer_unavailable");
    }
    const conversion = await call(gateway, "GET", `/api/merchants/${merchantId}/analytics/conversion`, { cookie: owner.cookie });
    assert.equal(conversion.status, 200);
    assert.deepEqual(conversion.body.totals, { created: 0, paid: 0, expired: 0, conversionRate: "0" });
    // Authorization comes before the indexer: a stranger gets 404, not 503.
    const stranger = await signIn(gateway);
    assert.equal((await call(gateway, "GET", `/api/merchants/${merchantId}/analytics/revenue`, { cookie: stranger.cookie })).status, 404);
  });
});
