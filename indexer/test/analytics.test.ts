/**
 * The analytics API end to end: activity for two merchants on a real EDR chain (pinned to known UTC
 * buckets), Ponder into PostgreSQL, then every endpoint over real HTTP, checked exactly, in JSON and CSV;
 * merchant isolation (A's answers never carry B's rows, and A+B is the union); bad input refused with 400.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseEventLogs, maxUint256, parseUnits, zeroAddress, type Abi, type Address } from "viem";
import { coinPaysLendingAbi, creditPaymentAbi, loyaltyCheckoutAbi, loyaltyProgramFactoryAbi, mockErc20Abi, paymentRouterAbi, splitMainAbi } from "@coinpays/sdk/contracts";
import { deployCoinPays, type Deployment } from "../../scripts/lib/deploy.ts";
import { devAccount } from "../../scripts/lib/dev-accounts.ts";
import { startLocalChain, type LocalChain } from "../../scripts/lib/local-chain.ts";
import { waitFor } from "../../scripts/lib/processes.ts";
import { orderRefOf, seedLocalChain } from "../../scripts/lib/seed.ts";
import { authorized, chainWriter, freshDatabase, startIndexer, type RunningIndexer } from "./support.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const DAY = 86_400n;
const HOUR = 3_600n;
const merchantA = devAccount(1);
const payerP = devAccount(2);
const splitPartner = devAccount(8);
const merchantB = devAccount(7);
const payerX = devAccount(10);
const merchantC = devAccount(11);
const lender = devAccount(4);
const borrower = devAccount(5);
const erc20 = mockErc20Abi as Abi;
const lower = (a: string) => a.toLowerCase();

describe("analytics API", { timeout: 400_000, skip: !DATABASE_URL && "DATABASE_URL is not set" }, () => {
  let chain: LocalChain;
  let deploymentsDir: string;
  let deployment: Deployment;
  let indexer: RunningIndexer;
  let dayStart: bigint;
  let usdc: Address;
  let dai: Address;

  async function get(pathAndQuery: string): Promise<{ status: number; body: any; text: string; type: string | null }> {
    const response = await fetch(`${indexer.url}${pathAndQuery}`, authorized());
    const text = await response.text();
    let body: unknown = undefined;
    try {
      body = JSON.parse(text);
    } catch {
      /* CSV */
    }
    return { status: response.status, body, text, type: response.headers.get("content-type") };
  }
  const range = () => `from=${dayStart}&to=${dayStart + DAY}`;
  async function ok(endpoint: string, merchants: Address[], extra = ""): Promise<any> {
    const response = await get(`/analytics/${endpoint}?merchant=${merchants.join(",")}&${range()}${extra}`);
    assert.equal(response.status, 200, `${endpoint}: ${response.text}`);
    return response.body;
  }

  before(async () => {
    chain = await startLocalChain();
    deploymentsDir = await mkdtemp(path.join(tmpdir(), "coinpays-deployments-"));
    deployment = await deployCoinPays({ rpcUrl: chain.rpcUrl, account: devAccount(0), deploymentsDir, log: () => {} });
    const w = chainWriter(chain.rpcUrl);
    const c = deployment.contracts;
    usdc = lower(deployment.tokens.find((t) => t.symbol === "USDC")!.address) as Address;
    dai = lower(deployment.tokens.find((t) => t.symbol === "DAI")!.address) as Address;
    dayStart = ((BigInt(Math.floor(Date.now() / 1000)) + DAY) / DAY) * DAY;
    await w.setNextBlockTimestamp(dayStart);
    // Merchant A: the seed's router USDC, native and deposit-address payments (payer P; the sweep has none).
    await seedLocalChain(chain.rpcUrl, deployment, () => {});
    const router = c.PaymentRouter.address;
    // A refunds 5 USDC of the router payment.
    await w.send("approveRefund", merchantA, usdc, erc20, "approve", [router, maxUint256]);
    await w.send("refund", merchantA, router, paymentRouterAbi as Abi, "refund", [orderRefOf("demo-order-router-usdc"), payerP.address, parseUnits("5", 6)]);
    // A's loyalty program; P pays 20 USDC through the checkout and earns 5%.
    await w.send("createProgram", merchantA, c.LoyaltyProgramFactory.address, loyaltyProgramFactoryAbi as Abi, "createProgram", ["A Points", "APT", usdc, 500, false]);
    await w.send("approveCheckout", payerP, usdc, erc20, "approve", [c.LoyaltyCheckout.address, maxUint256]);
    await w.send("loyaltyPay", payerP, c.LoyaltyCheckout.address, loyaltyCheckoutAbi as Abi, "pay", [orderRefOf("a-loyalty-1"), merchantA.address, usdc, parseUnits("20", 6)]);
    // A split paying A 70% and a partner 30%, 1% to whoever distributes; 100 USDC in, distributed, A withdraws.
    const recipients = [merchantA.address, splitPartner.address].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const allocations = recipients.map((r) => (r === merchantA.address ? 700_000 : 300_000));
    const created = await w.send("createSplit", merchantA, c.SplitMain.address, splitMainAbi as Abi, "createSplit", [recipients, allocations, 10_000, merchantA.address]);
    const splitAddress = (parseEventLogs({ abi: splitMainAbi, logs: created.logs, eventName: "SplitCreated" })[0]!.args as { split: Address }).split;
    await w.send("fundSplit", payerP, usdc, erc20, "transfer", [splitAddress, parseUnits("100", 6)]);
    await w.send("distribute", devAccount(0), c.SplitMain.address, splitMainAbi as Abi, "distribute", [splitAddress, usdc]);
    await w.send("splitWithdraw", merchantA, c.SplitMain.address, splitMainAbi as Abi, "withdraw", [merchantA.address, [usdc]]);
    // Merchant B: 40 USDC from X through the router, and 50 USDC paid on credit by a borrower.
    await w.send("approveX", payerX, usdc, erc20, "approve", [router, maxUint256]);
    await w.send("payB", payerX, router, paymentRouterAbi as Abi, "pay", [orderRefOf("b-1"), merchantB.address, usdc, parseUnits("40", 6)]);
    // Merchant C (think: another payout address of B's business): X pays it 5 USDC in the same hour.
    await w.send("payC", payerX, router, paymentRouterAbi as Abi, "pay", [orderRefOf("c-1"), merchantC.address, usdc, parseUnits("5", 6)]);
    const market = deployment.lending.markets[0]!;
    const params = { loanToken: market.loanToken, collateralToken: market.collateralToken, oracle: market.oracle, rateModel: market.rateModel, lltv: BigInt(market.lltv) };
    const lending = c.CoinPaysLending.address;
    await w.send("approveLender", lender, usdc, erc20, "approve", [lending, maxUint256]);
    await w.send("supply", lender, lending, coinPaysLendingAbi as Abi, "supply", [params, parseUnits("5000", 6), 0n, lender.address]);
    await w.send("approveBorrower", borrower, market.collateralToken, erc20, "approve", [lending, maxUint256]);
    await w.send("supplyCollateral", borrower, lending, coinPaysLendingAbi as Abi, "supplyCollateral", [params, parseUnits("1", 18), borrower.address]);
    await w.send("authorizeCredit", borrower, lending, coinPaysLendingAbi as Abi, "setAuthorization", [c.CreditPayment.address, true]);
    await w.send("payWithCredit", borrower, c.CreditPayment.address, creditPaymentAbi as Abi, "payWithCredit", [params, orderRefOf("b-credit-1"), merchantB.address, parseUnits("50", 6), maxUint256]);
    // Two hours on: P pays A 3 DAI, X pays B another 10 USDC.
    await w.setNextBlockTimestamp(dayStart + 2n * HOUR);
    await w.send("approveDai", payerP, dai, erc20, "approve", [router, maxUint256]);
    await w.send("payADai", payerP, router, paymentRouterAbi as Abi, "pay", [orderRefOf("a-dai-1"), merchantA.address, dai, parseUnits("3", 18)]);
    await w.send("payB2", payerX, router, paymentRouterAbi as Abi, "pay", [orderRefOf("b-2"), merchantB.address, usdc, parseUnits("10", 6)]);

    const databaseUrl = await freshDatabase(DATABASE_URL!, "analytics");
    indexer = await startIndexer({ databaseUrl, rpcUrl: chain.rpcUrl });
    // Live indexing lags /ready: wait for the last payment.
    await waitFor("the indexer to reach the last payment", async () => {
      const body = (await get(`/analytics/revenue?merchant=${merchantB.address}&${range()}`)).body;
      return body?.totals?.paymentCount === 3 ? true : undefined;
    }, 60_000, indexer.process);
  });

  after(async () => {
    await indexer?.process.stop();
    await chain?.stop();
    if (deploymentsDir) await rm(deploymentsDir, { recursive: true, force: true });
  });

  it("revenue over time: day and hour buckets per token, fiat at payment time, totals", async () => {
    const day = await ok("revenue", [merchantA.address], "&interval=day");
    const row = (token: string, r: Record<string, unknown>) => ({ bucketStart: Number(dayStart), bucketStartIso: new Date(Number(dayStart) * 1000).toISOString(), chainId: 31337, token, ...r });
    assert.deepEqual(day.data, [
      row(zeroAddress, { paymentCount: 1, volume: "50000000000000000", merchantAmount: "49500000000000000", fees: "500000000000000", volumeUsd: "150", unpricedCount: 0, uniquePayers: 1, refundCount: 0, refundVolume: "0", refundVolumeUsd: "0" }),
      row(usdc, { paymentCount: 3, volume: "57500000", merchantAmount: "56925000", fees: "575000", volumeUsd: "57.5", unpricedCount: 0, uniquePayers: 1, refundCount: 1, refundVolume: "5000000", refundVolumeUsd: "5" }),
      row(dai, { paymentCount: 1, volume: "3000000000000000000", merchantAmount: "2970000000000000000", fees: "30000000000000000", volumeUsd: "2.9994", unpricedCount: 0, uniquePayers: 1, refundCount: 0, refundVolume: "0", refundVolumeUsd: "0" }),
    ].sort((a, b) => a.token.localeCompare(b.token)));
    assert.deepEqual(day.totals, { paymentCount: 5, volumeUsd: "210.4994", refundCount: 1, refundVolumeUsd: "5", unpricedCount: 0 });

    const hour = await ok("revenue", [merchantA.address], "&interval=hour");
    assert.deepEqual(hour.data.map((r: any) => [r.bucketStart - Number(dayStart), r.token, r.paymentCount]), [
      ...[[0, zeroAddress, 1], [0, usdc, 3]].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      [7200, dai, 1],
    ]);
    // A range that starts mid-bucket includes that bucket; one that ends before the second hour excludes it.
    const firstHour = await get(`/analytics/revenue?merchant=${merchantA.address}&interval=hour&from=${dayStart + 60n}&to=${dayStart + HOUR}`);
    assert.equal(firstHour.body.totals.paymentCount, 4);
    // A token filter.
    assert.deepEqual((await ok("revenue", [merchantA.address], `&token=${dai}`)).data.map((r: any) => r.token), [dai]);
  });

  it("keeps every answer to the merchant asked for, and merges a merchant's several payout addresses", async () => {
    const b = await ok("revenue", [merchantB.address]);
    assert.deepEqual(b.data.map((r: any) => [r.token, r.paymentCount, r.volume, r.uniquePayers]), [[usdc, 3, "100000000", 2]]);
    const both = await ok("revenue", [merchantA.address, merchantB.address]);
    const bothUsdc = both.data.find((r: any) => r.token === usdc);
    // Distinct payers across both addresses: P (A's), X and the borrower (B's).
    assert.deepEqual([bothUsdc.paymentCount, bothUsdc.volume, bothUsdc.uniquePayers], [6, "157500000", 3]);
    // X paid both B and C in the first hour: merged, X counts once per bucket (B's rows count X and the
    // borrower, C's count X again), by the day and by the hour; with A too, P, X and the borrower.
    const bc = await ok("revenue", [merchantB.address, merchantC.address]);
    assert.deepEqual(bc.data.map((r: any) => [r.token, r.paymentCount, r.volume, r.uniquePayers]), [[usdc, 4, "105000000", 2]]);
    const bcHourly = await ok("revenue", [merchantB.address, merchantC.address], "&interval=hour");
    assert.deepEqual(bcHourly.data.map((r: any) => [r.bucketStart - Number(dayStart), r.token, r.paymentCount, r.uniquePayers]), [[0, usdc, 3, 2], [7200, usdc, 1, 1]]);
    const abc = await ok("revenue", [merchantA.address, merchantB.address, merchantC.address]);
    assert.deepEqual(abc.data.filter((r: any) => r.token === usdc).map((r: any) => [r.paymentCount, r.uniquePayers]), [[7, 3]]);
    assert.deepEqual((await ok("revenue", [merchantC.address])).data.map((r: any) => [r.paymentCount, r.uniquePayers]), [[1, 1]]);

    const endpoints = ["revenue", "top-payers", "payment-methods", "refunds", "split-payouts", "loyalty", "lending"];
    const aOnly = [lower(merchantA.address), lower(payerP.address)];
    const bOnly = [lower(merchantB.address), lower(payerX.address), lower(borrower.address)];
    for (const endpoint of endpoints) {
      const forA = JSON.stringify((await ok(endpoint, [merchantA.address])).data);
      const forB = JSON.stringify((await ok(endpoint, [merchantB.address])).data);
      for (const address of bOnly) assert.ok(!forA.toLowerCase().includes(address), `${endpoint} for A mentions ${address}`);
      for (const address of aOnly) assert.ok(!forB.toLowerCase().includes(address), `${endpoint} for B mentions ${address}`);
    }
    // An address with no activity gets empty answers, not someone else's.
    const nobody = devAccount(15).address;
    for (const endpoint of ["revenue", "top-payers", "payment-methods", "refunds", "split-payouts", "loyalty"]) {
      assert.deepEqual((await ok(endpoint, [nobody])).data, [], endpoint);
    }
  });

  it("top payers, payment method mix and refunds", async () => {
    const top = await ok("top-payers", [merchantA.address]);
    assert.deepEqual(top.data, [
      { rank: 1, payer: lower(payerP.address), paymentCount: 4, volumeUsd: "197.9994", unpricedCount: 0, volumes: [`31337:${zeroAddress}:50000000000000000`, `31337:${usdc}:45000000`, `31337:${dai}:3000000000000000000`].sort().join(" ") },
    ]);
    // X and the borrower both paid B 50 USD; X in two payments, which ranks first on a tie.
    const topB = await ok("top-payers", [merchantB.address], "&limit=1");
    assert.deepEqual(topB.data.map((r: any) => [r.payer, r.volumeUsd, r.paymentCount]), [[lower(payerX.address), "50", 2]]);

    const mix = await ok("payment-methods", [merchantA.address]);
    assert.deepEqual(
      mix.methods.map((m: any) => [m.method, m.paymentCount, m.volumeUsd, m.volumeShare]),
      [
        ["router", 2, "27.9994", "0.133"],
        ["native", 1, "150", "0.7125"],
        ["deposit_address", 1, "12.5", "0.0593"],
        ["loyalty", 1, "20", "0.095"],
      ],
    );
    assert.deepEqual((await ok("payment-methods", [merchantB.address])).methods.map((m: any) => [m.method, m.paymentCount, m.volumeUsd]), [["router", 2, "50"], ["credit", 1, "50"]]);

    const refunds = await ok("refunds", [merchantA.address]);
    assert.equal(refunds.data.length, 1);
    assert.deepEqual({ ...refunds.data[0], timestamp: undefined, transactionHash: undefined, paymentId: undefined }, {
      source: "router",
      orderRef: orderRefOf("demo-order-router-usdc"),
      recipient: lower(payerP.address),
      chainId: 31337,
      token: usdc,
      amount: "5000000",
      valueUsd: "5",
      timestamp: undefined,
      transactionHash: undefined,
      paymentId: undefined,
    });
    assert.deepEqual(refunds.totals, [{ chainId: 31337, token: usdc, refundCount: 1, amount: "5000000", valueUsd: "5" }]);
  });

  it("split payouts, loyalty issued vs redeemed, lending utilisation", async () => {
    const splits = await ok("split-payouts", [merchantA.address]);
    assert.deepEqual(
      splits.data.map((r: any) => [r.token, r.amount, r.distributorFee, r.merchantAllocationPpm, r.merchantShare]),
      [[usdc, "100000000", "1000000", 700_000, "69300000"]],
    );
    assert.deepEqual(splits.withdrawals.map((r: any) => [r.account, r.token, r.amount]), [[lower(merchantA.address), usdc, "69300000"]]);

    const loyalty = await ok("loyalty", [merchantA.address]);
    assert.deepEqual(loyalty.data.map((r: any) => [r.bucketStart, r.issued, r.redeemed, r.clawedBack]), [[Number(dayStart), "1000000", "0", "0"]]);
    assert.deepEqual(loyalty.programs.map((p: any) => [p.name, p.symbol, p.totalSupply, p.holderCount]), [["A Points", "APT", "1000000", 1]]);
    assert.deepEqual((await ok("loyalty", [merchantB.address])).programs, []);

    const lendingA = await ok("lending", [merchantA.address]);
    const lendingB = await ok("lending", [merchantB.address]);
    assert.deepEqual(lendingA.data.map((r: any) => [r.totalSupplyAssets, r.totalBorrowAssets, r.utilisation, r.creditPaymentCount, r.creditVolume]), [["5000000000", "50000000", "0.01", 0, "0"]]);
    assert.deepEqual(lendingB.data.map((r: any) => [r.utilisation, r.creditPaymentCount, r.creditVolume]), [["0.01", 1, "50000000"]]);
  });

  it("exports each endpoint's rows as CSV", async () => {
    const json = await ok("revenue", [merchantA.address], "&interval=day");
    const csv = await get(`/analytics/revenue?merchant=${merchantA.address}&${range()}&interval=day&format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.type ?? "", /^text\/csv/);
    const lines = csv.text.trim().split("\n");
    assert.equal(lines[0], Object.keys(json.data[0]).join(","));
    assert.deepEqual(lines.slice(1), json.data.map((r: any) => Object.values(r).join(",")));
    for (const endpoint of ["top-payers", "payment-methods", "refunds", "split-payouts", "loyalty", "lending"]) {
      const response = await get(`/analytics/${endpoint}?merchant=${merchantA.address}&${range()}&format=csv`);
      const rows = (await ok(endpoint, [merchantA.address])).data;
      assert.equal(response.status, 200, endpoint);
      const lines = response.text.trim().split("\n");
      assert.equal(lines.length, rows.length + 1, endpoint);
      if (rows.length) assert.equal(lines[0], Object.keys(rows[0]).join(","), endpoint);
    }
  });

  it("writes each endpoint's CSV header even when no row matches", async () => {
    const nobody = "0x000000000000000000000000000000000000dEaD";
    for (const endpoint of ["revenue", "top-payers", "payment-methods", "refunds", "split-payouts", "loyalty", "lending"]) {
      const withRows = (await get(`/analytics/${endpoint}?merchant=${merchantA.address}&${range()}&format=csv`)).text.split("\n")[0]!;
      const empty = await get(`/analytics/${endpoint}?merchant=${nobody}&${range()}&format=csv`);
      assert.equal(empty.status, 200, endpoint);
      const lines = empty.text.trim().split("\n");
      assert.equal(lines[0], withRows, endpoint);
      assert.ok(lines[0]!.split(",").length >= 6, endpoint);
      // Lending lists every market (public totals) with this merchant's share, so it has rows for anyone.
      if (endpoint !== "lending") assert.equal(lines.length, 1, endpoint);
    }
  });

  it("refuses bad input with 400 and a JSON error code", async () => {
    const m = merchantA.address;
    const cases: Array<[string, string]> = [
      [`/analytics/revenue?${range()}`, "merchant_required"],
      [`/analytics/revenue?merchant=&${range()}`, "merchant_required"],
      [`/analytics/revenue?merchant=0x1234&${range()}`, "invalid_address"],
      [`/analytics/top-payers?merchant=${m},nope&${range()}`, "invalid_address"],
      [`/analytics/revenue?merchant=${m}&interval=week`, "invalid_interval"],
      [`/analytics/revenue?merchant=${m}&from=${dayStart + 10n}&to=${dayStart}`, "invalid_range"],
      [`/analytics/revenue?merchant=${m}&from=yesterday`, "invalid_time"],
      [`/analytics/revenue?merchant=${m}&interval=hour&from=0&to=${dayStart}`, "range_too_long"],
      [`/analytics/refunds?merchant=${m}&limit=0`, "invalid_limit"],
      [`/analytics/refunds?merchant=${m}&limit=501`, "invalid_limit"],
      [`/analytics/refunds?merchant=${m}&limit=1.5`, "invalid_limit"],
      [`/analytics/lending?merchant=${m}&chainId=abc`, "invalid_chain"],
      [`/analytics/revenue?merchant=${m}&token=usdc`, "invalid_token"],
      [`/analytics/revenue?merchant=${m}&format=xml`, "invalid_format"],
      [`/analytics/revenue?merchant=${Array.from({ length: 101 }, (_, i) => devAccount(i % 20).address.replace(/..$/, i.toString(16).padStart(2, "0"))).join(",")}`, "too_many_merchants"],
    ];
    for (const [url, code] of cases) {
      const response = await get(url);
      assert.equal(response.status, 400, url);
      assert.equal(response.body?.error?.code, code, url);
    }
  });
});
