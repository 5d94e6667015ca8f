import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  isAddress,
  zeroAddress,
  encodeAbiParameters,
  keccak256,
  parseAbiParameters,
  type Account,
  type Address,
  type Hash,
  type Hex,
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

/** Every contract a deployment records, by name. */
export interface DeployedContracts {
  PaymentRouter: DeployedContract;
  DepositAddressFactory: DeployedContract;
  Subscriptions: DeployedContract;
  Escrow: DeployedContract;
  SplitMain: DeployedContract;
  LoyaltyCheckout: DeployedContract;
  /** Created by LoyaltyCheckout's constructor (it is the factory's only authorised payment path). */
  LoyaltyProgramFactory: DeployedContract;
  CoinPaysLending: DeployedContract;
  KinkedRateModel: DeployedContract;
  CreditPayment: DeployedContract;
}

export interface LendingMarketDeployment {
  id: Hex;
  loanToken: Address;
  collateralToken: Address;
  oracle: Address;
  rateModel: Address;
  lltv: string;
  /** The Chainlink-style feed behind the oracle adapter (a settable mock on the local chain). */
  feed: Address;
}

/** The shape of deployments/<chainId>.json. */
export interface Deployment {
  chainId: number;
  name: string;
  owner: Address;
  fee: { recipient: Address; bps: number };
  contracts: DeployedContracts;
  tokens: TokenDeployment[];
  lending: { markets: LendingMarketDeployment[] };
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

/**
 * Dev tokens deployed on the local chain: a 6-decimal and an 18-decimal stablecoin (both with permit),
 * and wrapped ether as the collateral of the demo lending market.
 */
export const DEV_TOKENS = [
  { symbol: "USDC", name: "USD Coin (dev)", decimals: 6 },
  { symbol: "DAI", name: "Dai Stablecoin (dev)", decimals: 18 },
  { symbol: "WETH", name: "Wrapped Ether (dev)", decimals: 18 },
] as const;

/** The demo lending market on the local chain: borrow USDC against WETH at 86% LLTV. */
export const DEV_LENDING = {
  lltv: 860_000_000_000_000_000n,
  /** ETH/USD feed with 8 decimals, like Chainlink's. */
  feedDecimals: 8,
  initialPrice: 3_000n * 10n ** 8n,
  /** One day: the dev feed only moves when someone sets it. */
  maxStaleness: 86_400n,
  /** Kinked model: 0% base, +4% to 90% utilisation, +75% above (per year, 1e18 = 100%). */
  rateModel: [0n, 40_000_000_000_000_000n, 750_000_000_000_000_000n, 900_000_000_000_000_000n] as const,
  minBorrow: 1_000_000n,
};

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

  const recorded = previous?.contracts as Partial<DeployedContracts> | undefined;
  const fees = [owner, feeRecipient, feeBps] as const;
  const router = await deployOnce(ctx, "PaymentRouter", recorded?.PaymentRouter, fees);
  const factory = await deployOnce(ctx, "DepositAddressFactory", recorded?.DepositAddressFactory, fees);

  const tokens: TokenDeployment[] = [];
  if (isLocal) {
    for (const spec of DEV_TOKENS) {
      const recordedToken = previous?.tokens.find((token) => token.symbol === spec.symbol && token.mock);
      const deployed = await deployOnce(ctx, "MockERC20", recordedToken && { address: recordedToken.address, blockNumber: 0, transactionHash: "0x" }, [spec.name, spec.symbol, spec.decimals]);
      tokens.push({ ...spec, address: deployed.address, mock: true });
    }
  }
  for (const address of options.acceptedTokens ?? []) {
    tokens.push(await describeToken(publicClient, getAddress(address)));
  }

  const subscriptions = await deployOnce(ctx, "Subscriptions", recorded?.Subscriptions, fees);
  const escrow = await deployOnce(ctx, "Escrow", recorded?.Escrow, []);
  const splitMain = await deployOnce(ctx, "SplitMain", recorded?.SplitMain, []);
  const loyaltyCheckout = await deployOnce(ctx, "LoyaltyCheckout", recorded?.LoyaltyCheckout, fees);
  const loyaltyFactoryAddress = (await publicClient.readContract({ address: loyaltyCheckout.address, abi: (await readArtifact("LoyaltyCheckout")).abi, functionName: "loyaltyFactory" })) as Address;
  const loyaltyFactory: DeployedContract = { ...loyaltyCheckout, address: getAddress(loyaltyFactoryAddress) };
  const lending = await deployOnce(ctx, "CoinPaysLending", recorded?.CoinPaysLending, [owner]);
  const rateModel = await deployOnce(ctx, "KinkedRateModel", recorded?.KinkedRateModel, DEV_LENDING.rateModel);
  const creditPayment = await deployOnce(ctx, "CreditPayment", recorded?.CreditPayment, [lending.address, router.address]);

  // Settings are reconciled, not blindly re-sent, so a second run is a no-op.
  const feeContracts = [
    { name: "PaymentRouter", contract: router, native: true },
    { name: "DepositAddressFactory", contract: factory, native: true },
    { name: "Subscriptions", contract: subscriptions, native: false },
    { name: "LoyaltyCheckout", contract: loyaltyCheckout, native: false },
  ] as const;
  for (const { name, contract, native } of feeContracts) {
    const abi = (await readArtifact(name)).abi;
    const [currentRecipient, currentBps] = (await publicClient.readContract({ address: contract.address, abi, functionName: "feeConfig" })) as [Address, number];
    const currentOwner = (await publicClient.readContract({ address: contract.address, abi, functionName: "owner" })) as Address;
    if ((currentRecipient !== getAddress(feeRecipient) || currentBps !== feeBps) && currentOwner === deployer) {
      await send(ctx, contract.address, abi, "setFee", [feeRecipient, feeBps], `${name}.setFee(${feeRecipient}, ${feeBps})`);
    }
    // Only stable payment tokens are accepted; the lending collateral is not a payment token.
    const payable = tokens.filter((t) => t.symbol !== "WETH").map((t) => t.address);
    for (const token of native ? [zeroAddress, ...payable] : payable) {
      const accepted = (await publicClient.readContract({ address: contract.address, abi, functionName: "isTokenAccepted", args: [token] })) as boolean;
      if (!accepted) await send(ctx, contract.address, abi, "setTokenAccepted", [token, true], `${name}.setTokenAccepted(${token})`);
    }
  }

  const markets = isLocal ? await deployDevLendingMarket(ctx, { lending, rateModel, tokens, previous, recorded: previous?.lending?.markets?.[0] }) : [];
  const deployment: Deployment = {
    chainId,
    name: isLocal ? "CoinPays Local" : `Chain ${chainId}`,
    owner: getAddress(owner),
    fee: { recipient: getAddress(feeRecipient), bps: feeBps },
    contracts: {
      PaymentRouter: router,
      DepositAddressFactory: factory,
      Subscriptions: subscriptions,
      Escrow: escrow,
      SplitMain: splitMain,
      LoyaltyCheckout: loyaltyCheckout,
      LoyaltyProgramFactory: loyaltyFactory,
      CoinPaysLending: lending,
      KinkedRateModel: rateModel,
      CreditPayment: creditPayment,
    },
    tokens,
    lending: { markets },
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

/**
 * The local chain's demo market: a settable mock ETH/USD feed behind the oracle adapter, the LLTV and rate
 * model enabled, the market created, and a minimum borrow against dust positions.
 */
async function deployDevLendingMarket(
  ctx: DeployContext,
  input: { lending: DeployedContract; rateModel: DeployedContract; tokens: TokenDeployment[]; previous?: Deployment; recorded?: LendingMarketDeployment },
): Promise<LendingMarketDeployment[]> {
  const usdc = input.tokens.find((t) => t.symbol === "USDC")!;
  const weth = input.tokens.find((t) => t.symbol === "WETH")!;
  const feed = await deployOnce(ctx, "MockAggregatorV3", input.recorded && { address: input.recorded.feed, blockNumber: 0, transactionHash: "0x" }, [DEV_LENDING.feedDecimals, DEV_LENDING.initialPrice]);
  const oracle = await deployOnce(ctx, "ChainlinkOracleAdapter", input.recorded && { address: input.recorded.oracle, blockNumber: 0, transactionHash: "0x" }, [feed.address, DEV_LENDING.maxStaleness, weth.decimals, usdc.decimals]);
  const abi = (await readArtifact("CoinPaysLending")).abi;
  const read = (functionName: string, args: readonly unknown[]) => ctx.publicClient.readContract({ address: input.lending.address, abi, functionName, args } as never);
  if (!(await read("isLltvEnabled", [DEV_LENDING.lltv]))) await send(ctx, input.lending.address, abi, "enableLltv", [DEV_LENDING.lltv], "CoinPaysLending.enableLltv(86%)");
  if (!(await read("isRateModelEnabled", [input.rateModel.address]))) await send(ctx, input.lending.address, abi, "enableRateModel", [input.rateModel.address], "CoinPaysLending.enableRateModel");
  const params = { loanToken: usdc.address, collateralToken: weth.address, oracle: oracle.address, rateModel: input.rateModel.address, lltv: DEV_LENDING.lltv };
  const id = keccak256(encodeAbiParameters(parseAbiParameters("address, address, address, address, uint256"), [params.loanToken, params.collateralToken, params.oracle, params.rateModel, params.lltv]));
  // A market exists once its last accrual timestamp is set.
  const { lastUpdate } = (await read("market", [id])) as { lastUpdate: bigint };
  if (lastUpdate === 0n) await send(ctx, input.lending.address, abi, "createMarket", [params], "CoinPaysLending.createMarket(USDC/WETH)");
  if ((await read("minBorrow", [usdc.address])) !== DEV_LENDING.minBorrow) await send(ctx, input.lending.address, abi, "setMinBorrow", [usdc.address, DEV_LENDING.minBorrow], "CoinPaysLending.setMinBorrow(USDC, 1)");
  return [{ id, ...params, lltv: DEV_LENDING.lltv.toString(), feed: feed.address }];
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
