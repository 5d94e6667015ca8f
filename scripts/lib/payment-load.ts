/**
 * Many real router payments on the local chain, fast: a PaymentBatcher (contracts/mocks/bench) pays
 * hundreds of orders per transaction. Used by the indexer's restart test and the backfill benchmark.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createPublicClient, createWalletClient, http, keccak256, stringToHex, type Abi, type Address, type Hex } from "viem";
import { readArtifact } from "./artifacts.ts";
import type { Deployment } from "./deploy.ts";
import { devAccount } from "./dev-accounts.ts";
import { ARTIFACTS_DIR } from "./paths.ts";

export interface PaymentLoad {
  batcher: Address;
  token: Address;
  count: number;
  amount: bigint;
  merchants: Address[];
  firstBlock: bigint;
  lastBlock: bigint;
  transactions: number;
  seconds: number;
}

export async function generateRouterPayments(options: {
  rpcUrl: string;
  deployment: Deployment;
  count: number;
  perTransaction?: number;
  merchantCount?: number;
  amount?: bigint;
  label?: string;
  log?: (message: string) => void;
}): Promise<PaymentLoad> {
  const started = performance.now();
  // 200 payments (~9M gas) stay well under the 2^24 per-transaction gas cap of current hardforks (EIP-7825).
  const perTransaction = options.perTransaction ?? 200;
  const merchantCount = options.merchantCount ?? 100;
  const amount = options.amount ?? 1_000_000n;
  const salt = keccak256(stringToHex(options.label ?? "payment-load"));
  const artifact = JSON.parse(await readFile(path.join(ARTIFACTS_DIR, "contracts/mocks/bench/PaymentBatcher.sol/PaymentBatcher.json"), "utf8")) as { abi: Abi; bytecode: Hex };
  const chain = { id: options.deployment.chainId, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [options.rpcUrl] } } };
  const client = createPublicClient({ chain, transport: http(options.rpcUrl) });
  const wallet = createWalletClient({ account: devAccount(0), chain, transport: http(options.rpcUrl) });
  const mockErc20Abi = (await readArtifact("MockERC20")).abi;
  const token = options.deployment.tokens.find((t) => t.symbol === "USDC")!.address;
  const router = options.deployment.contracts.PaymentRouter.address;

  const deployed = await client.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode }) });
  const batcher = deployed.contractAddress!;
  await client.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: token, abi: mockErc20Abi, functionName: "mint", args: [batcher, amount * BigInt(options.count)] }) });

  let firstBlock: bigint | undefined;
  let lastBlock = 0n;
  let gas: bigint | undefined;
  let transactions = 0;
  for (let first = 0; first < options.count; first += perTransaction) {
    const count = Math.min(perTransaction, options.count - first);
    const args = [router, token, amount, BigInt(first), BigInt(count), BigInt(merchantCount), salt] as const;
    // One estimate for a full batch, with headroom, then the same limit for every batch (skips a call per batch).
    gas ??= ((await client.estimateContractGas({ account: devAccount(0), address: batcher, abi: artifact.abi, functionName: "payMany", args })) * 13n) / 10n;
    const receipt = await client.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: batcher, abi: artifact.abi, functionName: "payMany", args, gas } as never), pollingInterval: 20 });
    if (receipt.status !== "success") throw new Error(`payMany reverted at ${first}`);
    firstBlock ??= receipt.blockNumber;
    lastBlock = receipt.blockNumber;
    transactions += 1;
    if (options.log && transactions % 50 === 0) options.log(`${first + count} payments`);
  }
  const merchants = (await Promise.all(
    Array.from({ length: Math.min(merchantCount, options.count) }, (_, i) => client.readContract({ address: batcher, abi: artifact.abi, functionName: "merchantOf", args: [salt, BigInt(i)] })),
  )) as Address[];
  return { batcher, token, count: options.count, amount, merchants, firstBlock: firstBlock ?? 0n, lastBlock, transactions, seconds: (performance.now() - started) / 1000 };
}
