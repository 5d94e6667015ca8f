// Test fixtures for the settlement, webhook and live-status tests: a real EDR chain with CoinPays
// deployed, a migrated PostgreSQL database, and merchants/orders inserted directly (the orders API
// belongs to another part of the gateway; these rows have the same shape it writes).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  getAddress,
  http,
  toHex,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { depositAddressFactoryAbi, mockErc20Abi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { deployCoinPays, type Deployment } from "../../../../scripts/lib/deploy.ts";
import { devAccount } from "../../../../scripts/lib/dev-accounts.ts";
import { startLocalChain, type LocalChain } from "../../../../scripts/lib/local-chain.ts";
import { openDatabase, type Database } from "../../../server/db/index.ts";
import { memberships, merchants, orders, users } from "../../../server/db/schema.ts";
import { appendOrderEvent } from "../../../server/gateway/events.ts";
import { createPayoutProofService } from "../../../server/gateway/merchants/payout-proof.ts";
import { createMerchantService } from "../../../server/gateway/merchants/service.ts";
import { createTemporaryDatabase, type TemporaryDatabase } from "../../support/postgres.ts";

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

const localChain = { id: 31337, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] as string[] } } } as const;

export type ChainFixture = {
  chain: LocalChain;
  rpcUrl: string;
  deployment: Deployment;
  publicClient: PublicClient;
  usdc: Address;
  dai: Address;
  /** Dev account #1 pays; #2..#5 are merchants' payout addresses. */
  payer: ReturnType<typeof devAccount>;
  mint(token: Address, to: Address, amount: bigint): Promise<void>;
  /** Sends `amount` of `token` from the payer to `to` (ERC-20 transfer), mined; returns the receipt's block. */
  transfer(token: Address, to: Address, amount: bigint): Promise<{ hash: Hex; blockNumber: bigint }>;
  sendNative(to: Address, amount: bigint): Promise<{ hash: Hex; blockNumber: bigint }>;
  /** PaymentRouter.pay from the payer (approves first for ERC-20). */
  payThroughRouter(orderRef: Hex, merchant: Address, token: Address, amount: bigint): Promise<{ hash: Hex; blockNumber: bigint }>;
  predict(destination: Address, orderRef: Hex): Promise<Address>;
  mine(blocks?: number): Promise<void>;
  snapshot(): Promise<Hex>;
  revert(id: Hex): Promise<void>;
  stop(): Promise<void>;
};

export async function startChainFixture(): Promise<ChainFixture> {
  const chain = await startLocalChain();
  const deploymentsDir = await mkdtemp(path.join(tmpdir(), "coinpays-deploy-"));
  try {
    const deployment = await deployCoinPays({ rpcUrl: chain.rpcUrl, account: devAccount(0), deploymentsDir, log: () => undefined });
    const transport = http(chain.rpcUrl, { retryCount: 0 });
    const viemChain = { ...localChain, rpcUrls: { default: { http: [chain.rpcUrl] } } };
    const publicClient = createPublicClient({ chain: viemChain, transport }) as PublicClient;
    const testClient = createTestClient({ chain: viemChain, mode: "hardhat", transport });
    const payer = devAccount(1);
    const wallet = createWalletClient({ account: payer, chain: viemChain, transport });
    const token = (symbol: string) => deployment.tokens.find((candidate) => candidate.symbol === symbol)!.address;
    const mined = async (hash: Hex) => {
      const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
      if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
      return { hash, blockNumber: receipt.blockNumber };
    };
    const router = deployment.contracts.PaymentRouter.address;
    return {
      chain,
      rpcUrl: chain.rpcUrl,
      deployment,
      publicClient,
      usdc: token("USDC"),
      dai: token("DAI"),
      payer,
      async mint(tokenAddress, to, amount) {
        await mined(await wallet.writeContract({ address: tokenAddress, abi: mockErc20Abi, functionName: "mint", args: [to, amount] }));
      },
      async transfer(tokenAddress, to, amount) {
        return mined(await wallet.writeContract({ address: tokenAddress, abi: mockErc20Abi, functionName: "transfer", args: [to, amount] }));
      },
      async sendNative(to, amount) {
        return mined(await wallet.sendTransaction({ to, value: amount }));
      },
      async payThroughRouter(orderRef, merchant, tokenAddress, amount) {
        const native = tokenAddress === "0x0000000000000000000000000000000000000000";
        if (!native) await mined(await wallet.writeContract({ address: tokenAddress, abi: mockErc20Abi, functionName: "approve", args: [router, amount] }));
        return mined(
          await wallet.writeContract({ address: router, abi: paymentRouterAbi, functionName: "pay", args: [orderRef, merchant, tokenAddress, amount], value: native ? amount : 0n }),
        );
      },
      async predict(destination, orderRef) {
        return getAddress(
          await publicClient.readContract({ address: deployment.contracts.DepositAddressFactory.address, abi: depositAddressFactoryAbi, functionName: "predict", args: [destination, orderRef] }),
        );
      },
      async mine(blocks = 1) {
        await testClient.mine({ blocks });
      },
      snapshot: () => testClient.snapshot(),
      async revert(id) {
        await testClient.revert({ id });
      },
      async stop() {
        await chain.stop();
        await rm(deploymentsDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await chain.stop();
    throw error;
  }
}

export type DatabaseFixture = { temporary: TemporaryDatabase; database: Database; url: string; close(): Promise<void> };

export async function startDatabaseFixture(label: string): Promise<DatabaseFixture> {
  const temporary = await createTemporaryDatabase(label);
  const database = await openDatabase({ kind: "postgres", url: temporary.url }, silentLogger);
  await database.migrate();
  return {
    temporary,
    database,
    url: temporary.url,
    async close() {
      await database.close().catch(() => undefined);
      await temporary.drop();
    },
  };
}

let accountIndex = 2;

export async function createMerchant(database: Database, options: { confirmations?: Record<string, number>; payoutAddress?: Address; parentId?: string } = {}) {
  const payoutAddress = options.payoutAddress ?? devAccount(accountIndex++ % 20).address;
  const [merchant] = await database.db
    .insert(merchants)
    .values({ name: `Merchant ${randomBytes(3).toString("hex")}`, payoutAddress, confirmations: options.confirmations ?? {}, parentId: options.parentId ?? null })
    .returning();
  return merchant!;
}

/**
 * Proves a merchant's payout address the way its owner does in the dashboard: an owner (a new member here)
 * asks for the challenge, the payout wallet signs it, and the gateway's own service verifies the signature
 * through `client` and stores the proof. Analytics and subscription plans use proven addresses only.
 */
export async function provePayoutAddress(database: Database, merchantId: string, wallet: LocalAccount, client: PublicClient): Promise<void> {
  const [owner] = await database.db.insert(users).values({ address: privateKeyToAccount(generatePrivateKey()).address }).returning();
  await database.db.insert(memberships).values({ merchantId, userId: owner!.id, role: "owner" });
  const merchantService = createMerchantService({ db: database.db });
  const proofs = createPayoutProofService({ db: database.db, chainClient: client, chainId: 31337, site: { origin: () => "http://127.0.0.1:3000" }, merchants: merchantService });
  const { message } = await proofs.challenge(owner!.id, merchantId);
  const proven = await proofs.prove(owner!.id, merchantId, { message, signature: await wallet.signMessage({ message }) });
  if (proven.payoutAddressProof.status !== "verified") throw new Error(`payout address of ${merchantId} not proven`);
}

export type OrderOptions = {
  merchant: Awaited<ReturnType<typeof createMerchant>>;
  token: Address;
  amount: bigint;
  chainId?: number;
  expiresAt?: Date;
  monitorUntil?: Date;
  /** Computes the deposit address with DepositAddressFactory.predict. */
  predict: (destination: Address, orderRef: Hex) => Promise<Address>;
};

export async function createOrder(database: Database, options: OrderOptions) {
  const orderRef = toHex(randomBytes(32));
  const destination = getAddress(options.merchant.payoutAddress);
  const expiresAt = options.expiresAt ?? new Date(Date.now() + 15 * 60_000);
  const monitorUntil = options.monitorUntil ?? new Date(expiresAt.getTime() + 24 * 3600_000);
  return database.db.transaction(async (tx) => {
    const [order] = await tx
      .insert(orders)
      .values({
        id: `ord_${randomBytes(16).toString("hex")}`,
        merchantId: options.merchant.id,
        chainId: options.chainId ?? 31337,
        token: getAddress(options.token),
        amount: options.amount,
        orderRef,
        destination,
        depositAddress: await options.predict(destination, orderRef),
        expiresAt,
        monitorUntil,
      })
      .returning();
    await appendOrderEvent(tx, { orderId: order!.id, merchantId: order!.merchantId, type: "order.created", toStatus: "new", data: {} });
    return order!;
  });
}

export function watchedChain(chain: ChainFixture) {
  return { chainId: 31337, rpcUrl: chain.rpcUrl, confirmations: 1, paymentRouter: chain.deployment.contracts.PaymentRouter.address, creditPayment: chain.deployment.contracts.CreditPayment.address, pollIntervalMs: 50 };
}

export async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
