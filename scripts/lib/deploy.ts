import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  isAddress,
  zeroAddress,
  type Account,
  type Address,
  type Hash,
  type PublicClient,
  type WalletClient,
} from "viem";
import { readArtifact, type PublishedContract } from "./artifacts.ts";
import { DEPLOYMENTS_DIR } from "./paths.ts";
import { LOCAL_CHAIN_ID } from "./dev-accounts.ts";

export interface DeployedContract {
  address: Address;
  blockNumber: number;
  transactionHash: Hash;
}

export interface TokenDeployment {
  symbol: string;
  name: string;
  decimals: number;
  address: Address;
  /** True for MockERC20 dev tokens that anyone can mint. */
  mock: boolean;
}

/** The shape of deployments/<chainId>.json. */
export interface Deployment {
  chainId: number;
  name: string;
  owner: Address;
  fee: { recipient: Address; bps: number };
  contracts: { PaymentRouter: DeployedContract; DepositAddressFactory: DeployedContract };
  tokens: TokenDeployment[];
}

export interface DeployOptions {
  rpcUrl: string;
  account: Account;
  owner?: Address;
  feeRecipient?: Address;
  feeBps?: number;
  /** ERC-20s to accept besides native coin; on the local chain dev tokens are deployed and accepted too. */
  acceptedTokens?: Address[];
  deploymentsDir?: string;
  log?: (message: string) => void;
}

/** Dev tokens deployed on the local chain: a 6-decimal and an 18-decimal stablecoin, both with permit. */
export const DEV_TOKENS = [
  { symbol: "USDC", name: "USD Coin (dev)", decimals: 6 },
  { symbol: "DAI", name: "Dai Stablecoin (dev)", decimals: 18 },
] as const;

export function deploymentFile(chainId: number, dir = DEPLOYMENTS_DIR): string {
  return path.join(dir, `${chainId}.json`);
}

export async function readDeployment(chainId: number, dir = DEPLOYMENTS_DIR): Promise<Deployment | undefined> {
  try {
    return JSON.parse(await readFile(deploymentFile(chainId, dir), "utf8")) as Deployment;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Deploys the CoinPays payment contracts, or reuses the ones recorded in deployments/<chainId>.json when
 * their code is on chain, then brings fee and token settings to the requested values. Running it twice
 * sends no transaction the second time.
 */
export async function deployCoinPays(options: DeployOptions): Promise<Deployment> {
  const log = options.log ?? ((message: string) => console.log(message));
  const transport = http(options.rpcUrl);
  const publicClient = createPublicClient({ transport });
  const chainId = await publicClient.getChainId();
  const chain = { id: chainId, name: `chain-${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [options.rpcUrl] } } };
  const wallet = createWalletClient({ account: options.account, chain, transport });
  const deployer = options.account.address;
  const owner = options.owner ?? deployer;
  const feeRecipient = options.feeRecipient ?? owner;
  const feeBps = options.feeBps ?? 100;
  const dir = options.deploymentsDir ?? DEPLOYMENTS_DIR;
  const previous = await readDeployment(chainId, dir);
  const isLocal = chainId === LOCAL_CHAIN_ID;

  const ctx: DeployContext = { publicClient, wallet, account: options.account, log };

  const router = await deployOnce(ctx, "PaymentRouter", previous?.contracts.PaymentRouter, [owner, feeRecipient, feeBps]);
  const factory = await deployOnce(ctx, "DepositAddressFactory", previous?.contracts.DepositAddressFactory, [owner, feeRecipient, feeBps]);

  const tokens: TokenDeployment[] = [];
  if (isLocal) {
    for (const spec of DEV_TOKENS) {
      const recorded = previous?.tokens.find((token) => token.symbol === spec.symbol && token.mock);
      const deployed = await deployOnce(ctx, "MockERC20", recorded && { address: recorded.address, blockNumber: 0, transactionHash: "0x" }, [spec.name, spec.symbol, spec.decimals]);
      tokens.push({ ...spec, address: deployed.address, mock: true });
    }
  }
  for (const address of options.acceptedTokens ?? []) {
    tokens.push(await describeToken(publicClient, getAddress(address)));
  }

  // Settings are reconciled, not blindly re-sent, so a second run is a no-op.
  for (const contract of [router, factory]) {
    const name = contract === router ? "PaymentRouter" : "DepositAddressFactory";
    const abi = (await readArtifact(name)).abi;
    const [currentRecipient, currentBps] = (await publicClient.readContract({ address: contract.address, abi, functionName: "feeConfig" })) as [Address, number];
    const currentOwner = (await publicClient.readContract({ address: contract.address, abi, functionName: "owner" })) as Address;
    if ((currentRecipient !== getAddress(feeRecipient) || currentBps !== feeBps) && currentOwner === deployer) {
      await send(ctx, contract.address, abi, "setFee", [feeRecipient, feeBps], `${name}.setFee(${feeRecipient}, ${feeBps})`);
    }
    for (const token of [zeroAddress, ...tokens.map((t) => t.address)]) {
      const accepted = (await publicClient.readContract({ address: contract.address, abi, functionName: "isTokenAccepted", args: [token] })) as boolean;
      if (!accepted) await send(ctx, contract.address, abi, "setTokenAccepted", [token, true], `${name}.setTokenAccepted(${token})`);
    }
  }

  const deployment: Deployment = {
    chainId,
    name: isLocal ? "CoinPays Local" : `Chain ${chainId}`,
    owner: getAddress(owner),
    fee: { recipient: getAddress(feeRecipient), bps: feeBps },
    contracts: { PaymentRouter: router, DepositAddressFactory: factory },
    tokens,
  };
  await mkdir(dir, { recursive: true });
  await writeFile(deploymentFile(chainId, dir), `${JSON.stringify(deployment, null, 2)}\n`);
  log(`deployments written to ${deploymentFile(chainId, dir)}`);
  return deployment;
}

interface DeployContext {
  publicClient: PublicClient;
  wallet: WalletClient;
  account: Account;
  log: (message: string) => void;
}

async function deployOnce(ctx: DeployContext, name: PublishedContract, recorded: DeployedContract | undefined, args: readonly unknown[]): Promise<DeployedContract> {
  if (recorded && (await ctx.publicClient.getCode({ address: recorded.address }))) {
    ctx.log(`${name} already at ${recorded.address}`);
    return recorded;
  }
  const artifact = await readArtifact(name);
  const hash = await ctx.wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args, account: ctx.account, chain: ctx.wallet.chain });
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying ${name} failed in ${hash}`);
  ctx.log(`${name} deployed at ${receipt.contractAddress} (block ${receipt.blockNumber}, gas ${receipt.gasUsed})`);
  return { address: getAddress(receipt.contractAddress), blockNumber: Number(receipt.blockNumber), transactionHash: hash };
}

async function send(ctx: DeployContext, address: Address, abi: readonly unknown[], functionName: string, args: readonly unknown[], label: string): Promise<void> {
  const hash = await ctx.wallet.writeContract({ address, abi: abi as never, functionName: functionName as never, args: args as never, account: ctx.account, chain: ctx.wallet.chain });
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${label} failed in ${hash}`);
  ctx.log(label);
}

async function describeToken(client: PublicClient, address: Address): Promise<TokenDeployment> {
  if (!isAddress(address)) throw new Error(`not an address: ${address}`);
  const abi = (await readArtifact("MockERC20")).abi;
  const [symbol, name, decimals] = await Promise.all(
    (["symbol", "name", "decimals"] as const).map((functionName) => client.readContract({ address, abi, functionName })),
  );
  return { symbol: String(symbol), name: String(name), decimals: Number(decimals), address, mock: false };
}
