/**
 * End to end: a real EDR chain, the real deploy and seed scripts, Ponder indexing into real PostgreSQL
 * (DATABASE_URL) and into embedded PGlite, then the rows and the HTTP API are checked exactly.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createPublicClient, createWalletClient, http, maxUint256, parseUnits, type Address } from "viem";
import { getDeployment, mockErc20Abi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { deployCoinPays } from "../../scripts/lib/deploy.ts";
import { devAccount } from "../../scripts/lib/dev-accounts.ts";
import { startLocalChain, type LocalChain } from "../../scripts/lib/local-chain.ts";
import { ROOT } from "../../scripts/lib/paths.ts";
import { freePort, waitFor, type ManagedProcess } from "../../scripts/lib/processes.ts";
import { startPonder } from "../../scripts/lib/ponder.ts";
import { DEMO, seedLocalChain, type SeedResult } from "../../scripts/lib/seed.ts";
import { authorized, TEST_INDEXER_API_SECRET } from "./support.ts";

const INDEXER_DIR = path.join(ROOT, "indexer");
const DATABASE_URL = process.env.DATABASE_URL;

async function startIndexer(env: Record<string, string>): Promise<{ url: string; process: ManagedProcess }> {
  const port = await freePort();
  const schema = `indexer_test_${process.pid}_${port}`;
  const indexer = startPonder(["start", "--schema", schema, "--port", String(port)], {
    cwd: INDEXER_DIR,
    label: "indexer",
    // Ponder prefers PORT from the environment over --port.
    env: { ...process.env, PONDER_TELEMETRY_DISABLED: "true", INDEXER_API_SECRET: TEST_INDEXER_API_SECRET, ...env, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor("the indexer to be ready", async () => ((await fetch(`${url}/ready`)).ok ? true : undefined), 120_000, indexer);
  return { url, process: indexer };
}

async function paymentsOf(url: string, merchant: Address): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${url}/merchants/${merchant}/payments`, authorized());
  assert.equal(response.status, 200);
  return ((await response.json()) as { data: Array<Record<string, unknown>> }).data;
}

/**
 * Waits until the indexer has caught up with the chain's head. `/ready` only means the backfill up to the
 * finalized block is done; later blocks (here: the refund) arrive through live indexing a moment after.
 */
async function waitForRows(url: string, merchant: Address, ready: (rows: Array<Record<string, unknown>>) => boolean): Promise<Array<Record<string, unknown>>> {
  return waitFor("the indexer to catch up with the chain", async () => {
    const rows = await paymentsOf(url, merchant);
    return ready(rows) ? rows : undefined;
  });
}

/** Three payments, and the partial refund of the router payment applied. */
const allSeededActivity = (rows: Array<Record<string, unknown>>) => rows.length === 3 && rows.some((row) => row.refundedAmount === "5000000");

describe("indexer", { timeout: 300_000 }, () => {
  let chain: LocalChain;
  let seeded: SeedResult;
  let deploymentsDir: string;
  const merchant = DEMO.merchant.address;

  before(async () => {
    chain = await startLocalChain();
    deploymentsDir = await mkdtemp(path.join(tmpdir(), "coinpays-deployments-"));
    const deployment = await deployCoinPays({ rpcUrl: chain.rpcUrl, account: devAccount(0), deploymentsDir, log: () => {} });
    const committed = getDeployment(31337);
    assert.ok(committed, "the generated module has no local deployment: run scripts/deploy.ts");
    assert.deepEqual(
      { router: deployment.contracts.PaymentRouter.address, factory: deployment.contracts.DepositAddressFactory.address },
      { router: committed.contracts.PaymentRouter.address, factory: committed.contracts.DepositAddressFactory.address },
      "a fresh local deployment no longer matches deployments/31337.json: run scripts/deploy.ts against a fresh chain",
    );
    seeded = await seedLocalChain(chain.rpcUrl, deployment, () => {});

    // A partial refund of the router USDC payment, so refunds are indexed too.
    const usdc = deployment.tokens.find((t) => t.symbol === "USDC")!;
    const chainDef = { id: 31337, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [chain.rpcUrl] } } };
    const wallet = createWalletClient({ account: DEMO.merchant, chain: chainDef, transport: http(chain.rpcUrl) });
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    const router = deployment.contracts.PaymentRouter.address;
    await client.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: usdc.address, abi: mockErc20Abi, functionName: "approve", args: [router, maxUint256] }) });
    await client.waitForTransactionReceipt({
      hash: await wallet.writeContract({ address: router, abi: paymentRouterAbi, functionName: "refund", args: [seeded.routerPayment.orderRef, DEMO.payer.address, parseUnits("5", 6)] }),
    });
  });

  after(async () => {
    await chain?.stop();
    if (deploymentsDir) await rm(deploymentsDir, { recursive: true, force: true });
  });

  it("projects every payment, refund and deposit address into PostgreSQL, exactly", { skip: !DATABASE_URL && "DATABASE_URL is not set" }, async () => {
    const indexer = await startIndexer({ DATABASE_URL: DATABASE_URL!, PONDER_RPC_URL_31337: chain.rpcUrl });
    try {
      const rows = await waitForRows(indexer.url, merchant, allSeededActivity);
      const byRef = new Map(rows.map((row) => [row.orderRef as string, row]));
      const router = byRef.get(seeded.routerPayment.orderRef)!;
      assert.equal(router.method, "router");
      assert.equal(router.amount, "25000000");
      assert.equal(router.merchantAmount, "24750000");
      assert.equal(router.fee, "250000");
      assert.equal(router.refundedAmount, "5000000");
      assert.equal((router.payer as string).toLowerCase(), DEMO.payer.address.toLowerCase());
      const native = byRef.get(seeded.nativePayment.orderRef)!;
      assert.equal(native.token, "0x0000000000000000000000000000000000000000");
      assert.equal(native.amount, "50000000000000000");
      assert.equal(native.fee, "500000000000000");
      const deposit = byRef.get(seeded.depositPayment.orderRef)!;
      assert.equal(deposit.method, "deposit_address");
      assert.equal((deposit.depositAddress as string).toLowerCase(), seeded.depositPayment.depositAddress.toLowerCase());
      assert.equal(deposit.amount, "12500000");
      assert.equal(deposit.merchantAmount, "12375000");

      // The tables themselves, read straight from PostgreSQL in the indexer's schema.
      const schema = indexer.process.child.spawnargs[indexer.process.child.spawnargs.indexOf("--schema") + 1]!;
      const db = new pg.Client({ connectionString: DATABASE_URL });
      await db.connect();
      try {
        const count = async (table: string) => Number((await db.query(`select count(*)::int as n from "${schema}"."${table}"`)).rows[0].n);
        assert.equal(await count("payment"), 3);
        assert.equal(await count("refund"), 1);
        assert.equal(await count("deposit_address"), 1);
        // One fee setting per PlatformFees contract: router, deposit factory, subscriptions, loyalty checkout.
        assert.equal(await count("fee_update"), 4);
        // Native coin and the two dev stablecoins on the router and the deposit factory; the two stablecoins
        // on subscriptions and the loyalty checkout, which cannot pull native coin.
        assert.equal(await count("accepted_token"), 10);
        const sums = (await db.query(`select sum(amount)::text as amount, sum(fee)::text as fee from "${schema}".payment where token = $1`, [deposit.token])).rows[0];
        assert.deepEqual(sums, { amount: "37500000", fee: "375000" });
      } finally {
        await db.end();
      }
    } finally {
      await indexer.process.stop();
    }
  });

  it("runs on embedded PGlite when no DATABASE_URL is set, as the local stack does", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "coinpays-pglite-"));
    const env: Record<string, string> = { PONDER_RPC_URL_31337: chain.rpcUrl, PONDER_PGLITE_DIR: dir, DATABASE_URL: "" };
    const indexer = await startIndexer(env);
    try {
      const rows = await waitForRows(indexer.url, merchant, allSeededActivity);
      assert.deepEqual(rows.map((row) => row.amount).sort(), ["12500000", "25000000", "50000000000000000"]);
    } finally {
      await indexer.process.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("answers bad API input with a 400 and a JSON error", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "coinpays-pglite-"));
    const indexer = await startIndexer({ PONDER_RPC_URL_31337: chain.rpcUrl, PONDER_PGLITE_DIR: dir, DATABASE_URL: "" });
    try {
      const badAddress = await fetch(`${indexer.url}/merchants/not-an-address/payments`, authorized());
      assert.equal(badAddress.status, 400);
      assert.equal(((await badAddress.json()) as { error: { code: string } }).error.code, "invalid_address");
      const badLimit = await fetch(`${indexer.url}/merchants/${merchant}/payments?limit=0`, authorized());
      assert.equal(badLimit.status, 400);
    } finally {
      await indexer.process.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
