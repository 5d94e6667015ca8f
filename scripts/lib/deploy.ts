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
  parseAbi,
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

/** A lending market for a real chain: its tokens, its price feed and the adapter's bounds. */
export interface LendingMarketSpec {
  loanToken: Address;
  collateralToken: Address;
  /** A Chainlink aggregator (proxy) pricing the collateral in the loan token's unit, e.g. ETH / USD. */
  feed: Address;
  /** Seconds an answer stays fresh: a little above the feed's heartbeat. */
  maxStaleness: bigint;
  /**
   * The answers the adapter takes as a price, in the feed's decimals (0 < min < max). Choose them inside the
   * aggregator's own minAnswer/maxAnswer, so that an aggregator clamped at its floor in a crash reads as
   * unavailable rather than as the floor price.
   */
  minAnswer: bigint;
  maxAnswer: bigint;
  /** 1e18 = 100%. */
  lltv: bigint;
  /** Smallest loan in the loan token's base units (unchanged when omitted). */
  minBorrow?: bigint;
}

/** The ChainlinkOracleAdapter's constructor arguments after the feed. */
interface OracleConfig {
  maxStaleness: bigint;
  minAnswer: bigint;
  maxAnswer: bigint;
  sequencerUptimeFeed: Address;
  gracePeriod: bigint;
}

/** Chainlink's suggested wait after a sequencer comes back up before prices are used again. */
export const DEFAULT_SEQUENCER_GRACE_PERIOD = 3_600n;

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
  /**
   * Lending markets to open on a chain other than the local one (which always gets the dev market). Each gets
   * its own ChainlinkOracleAdapter over the named feed, with the chain's sequencer check below.
   */
  lendingMarkets?: LendingMarketSpec[];
  /**
   * The chain's L2 sequencer-uptime feed for the oracle adapters, or `null` for a chain without a sequencer (L1).
   * Required (either way) when `lendingMarkets` is not empty: a rollup deployed without it would use prices
   * while the sequencer is down, so the choice is never a default.
   */
  sequencer?: { feed: Address; gracePeriod: bigint } | null;
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
  /** The adapter's bounds for the dev ETH / USD feed: $1 to $1,000,000 (a price set outside them pauses the market). */
  minAnswer: 1n * 10n ** 8n,
  maxAnswer: 1_000_000n * 10n ** 8n,
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
  const marketSpecs = isLocal ? [] : (options.lendingMarkets ?? []);
  // Checked before anything is sent, so a misconfigured market cannot leave a half-done deployment.
  if (marketSpecs.length && options.sequencer === undefined) {
    throw new Error(`lending markets on chain ${chainId} need an explicit sequencer choice: its L2 sequencer-uptime feed, or none on an L1`);
  }
  const sequencer = options.sequencer ?? null;
  if (sequencer && sequencer.gracePeriod <= 0n) throw new Error("the sequencer grace period must be greater than zero");
  if (sequencer) await checkSequencerFeed(publicClient, sequencer.feed);
  for (const spec of marketSpecs) await checkMarketFeed(publicClient, spec);

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

  const markets = isLocal
    ? await deployDevLendingMarket(ctx, { lending, rateModel, tokens, previous, recorded: previous?.lending?.markets?.[0] })
    : await deployLendingMarkets(ctx, { lending, rateModel, specs: marketSpecs, sequencer, previous });
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
 * The local chain's demo market: a settable mock ETH/USD feed behind the oracle adapter (no sequencer check: the
 * local chain has no sequencer), the LLTV and rate model enabled, the market created, and a minimum borrow
 * against dust positions.
 */
async function deployDevLendingMarket(
  ctx: DeployContext,
  input: { lending: DeployedContract; rateModel: DeployedContract; tokens: TokenDeployment[]; previous?: Deployment; recorded?: LendingMarketDeployment },
): Promise<LendingMarketDeployment[]> {
  const usdc = input.tokens.find((t) => t.symbol === "USDC")!;
  const weth = input.tokens.find((t) => t.symbol === "WETH")!;
  const feed = await deployOnce(ctx, "MockAggregatorV3", input.recorded && { address: input.recorded.feed, blockNumber: 0, transactionHash: "0x" }, [DEV_LENDING.feedDecimals, DEV_LENDING.initialPrice]);
  const config: OracleConfig = { maxStaleness: DEV_LENDING.maxStaleness, minAnswer: DEV_LENDING.minAnswer, maxAnswer: DEV_LENDING.maxAnswer, sequencerUptimeFeed: zeroAddress, gracePeriod: 0n };
  const market = await deployLendingMarket(ctx, {
    lending: input.lending, rateModel: input.rateModel, loan: usdc, collateral: weth, feed: feed.address, config,
    lltv: DEV_LENDING.lltv, minBorrow: DEV_LENDING.minBorrow, recordedOracle: input.recorded?.oracle,
  });
  return market ? [market] : [];
}

/** The real chain's markets, each over its own adapter; a market already recorded keeps its adapter if its
 * configuration still matches. */
async function deployLendingMarkets(
  ctx: DeployContext,
  input: { lending: DeployedContract; rateModel: DeployedContract; specs: LendingMarketSpec[]; sequencer: { feed: Address; gracePeriod: bigint } | null; previous?: Deployment },
): Promise<LendingMarketDeployment[]> {
  const markets: LendingMarketDeployment[] = [];
  for (const spec of input.specs) {
    const [loan, collateral] = await Promise.all([describeToken(ctx.publicClient, getAddress(spec.loanToken)), describeToken(ctx.publicClient, getAddress(spec.collateralToken))]);
    const recorded = input.previous?.lending?.markets?.find((m) =>
      m.loanToken === loan.address && m.collateralToken === collateral.address && m.feed === getAddress(spec.feed) && m.lltv === spec.lltv.toString());
    const config: OracleConfig = {
      maxStaleness: spec.maxStaleness, minAnswer: spec.minAnswer, maxAnswer: spec.maxAnswer,
      sequencerUptimeFeed: input.sequencer ? getAddress(input.sequencer.feed) : zeroAddress, gracePeriod: input.sequencer?.gracePeriod ?? 0n,
    };
    const market = await deployLendingMarket(ctx, {
      lending: input.lending, rateModel: input.rateModel, loan, collateral, feed: getAddress(spec.feed), config,
      lltv: spec.lltv, minBorrow: spec.minBorrow, recordedOracle: recorded?.oracle,
    });
    if (market) markets.push(market);
  }
  return markets;
}

/**
 * One market: its oracle adapter (a recorded one is reused only when its on-chain configuration is the requested
 * one; otherwise a new adapter, and so a new market, since the oracle is part of the market's id), the LLTV and
 * rate model enabled, the market created and its minimum borrow set. The owner-only steps need the deployer to
 * be the lending contract's owner; when it is not and a step is missing, the market is skipped with a message
 * naming what the owner has to do.
 */
async function deployLendingMarket(
  ctx: DeployContext,
  input: {
    lending: DeployedContract; rateModel: DeployedContract; loan: { address: Address; decimals: number; symbol: string }; collateral: { address: Address; decimals: number; symbol: string };
    feed: Address; config: OracleConfig; lltv: bigint; minBorrow?: bigint; recordedOracle?: Address;
  },
): Promise<LendingMarketDeployment | undefined> {
  const { config } = input;
  const label = `${input.loan.symbol}/${input.collateral.symbol}`;
  const reusable = input.recordedOracle && (await oracleConfigMatches(ctx.publicClient, input.recordedOracle, input.feed, config));
  const oracle = await deployOnce(ctx, "ChainlinkOracleAdapter", reusable ? { address: input.recordedOracle!, blockNumber: 0, transactionHash: "0x" } : undefined,
    [input.feed, config.maxStaleness, input.collateral.decimals, input.loan.decimals, config.minAnswer, config.maxAnswer, config.sequencerUptimeFeed, config.gracePeriod]);
  const abi = (await readArtifact("CoinPaysLending")).abi;
  const read = (functionName: string, args: readonly unknown[] = []) => ctx.publicClient.readContract({ address: input.lending.address, abi, functionName, args } as never);
  const isOwner = getAddress((await read("owner")) as Address) === getAddress(ctx.account.address);
  const ownerSteps: Array<[boolean, string, readonly unknown[], string]> = [
    [!(await read("isLltvEnabled", [input.lltv])), "enableLltv", [input.lltv], `CoinPaysLending.enableLltv(${input.lltv})`],
    [!(await read("isRateModelEnabled", [input.rateModel.address])), "enableRateModel", [input.rateModel.address], "CoinPaysLending.enableRateModel"],
    [input.minBorrow !== undefined && (await read("minBorrow", [input.loan.address])) !== input.minBorrow, "setMinBorrow", [input.loan.address, input.minBorrow], `CoinPaysLending.setMinBorrow(${input.loan.symbol}, ${input.minBorrow})`],
  ];
  const missing = ownerSteps.filter(([needed]) => needed);
  if (missing.length && !isOwner) {
    ctx.log(`lending market ${label} skipped: the lending contract's owner must first call ${missing.map(([, , , what]) => what).join(", ")}`);
    return undefined;
  }
  for (const [, functionName, args, what] of missing) await send(ctx, input.lending.address, abi, functionName, args, what);
  const params = { loanToken: input.loan.address, collateralToken: input.collateral.address, oracle: oracle.address, rateModel: input.rateModel.address, lltv: input.lltv };
  const id = keccak256(encodeAbiParameters(parseAbiParameters("address, address, address, address, uint256"), [params.loanToken, params.collateralToken, params.oracle, params.rateModel, params.lltv]));
  // A market exists once its last accrual timestamp is set.
  const { lastUpdate } = (await read("market", [id])) as { lastUpdate: bigint };
  if (lastUpdate === 0n) await send(ctx, input.lending.address, abi, "createMarket", [params], `CoinPaysLending.createMarket(${label})`);
  return { id, ...params, lltv: input.lltv.toString(), feed: input.feed };
}

const aggregatorAbi = parseAbi([
  "function decimals() view returns (uint8)",
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
]);

/** Whether a recorded adapter reads `feed` with exactly `config` (false for an adapter without these getters). */
async function oracleConfigMatches(client: PublicClient, oracle: Address, feed: Address, config: OracleConfig): Promise<boolean> {
  if (!(await client.getCode({ address: oracle }))) return false;
  const abi = (await readArtifact("ChainlinkOracleAdapter")).abi;
  const read = (functionName: string) => client.readContract({ address: oracle, abi, functionName } as never) as Promise<unknown>;
  try {
    const [f, maxStaleness, minAnswer, maxAnswer, sequencerUptimeFeed, gracePeriod] = await Promise.all(
      ["feed", "maxStaleness", "minAnswer", "maxAnswer", "sequencerUptimeFeed", "gracePeriod"].map(read));
    return getAddress(f as Address) === getAddress(feed) && maxStaleness === config.maxStaleness && minAnswer === config.minAnswer
      && maxAnswer === config.maxAnswer && getAddress(sequencerUptimeFeed as Address) === getAddress(config.sequencerUptimeFeed) && gracePeriod === config.gracePeriod;
  } catch {
    return false; // an adapter from before the bounds and sequencer check
  }
}

/** Refuses an address that does not answer like a sequencer-uptime feed (0 = up or 1 = down, a valid round). */
async function checkSequencerFeed(client: PublicClient, feed: Address): Promise<void> {
  const round = await client.readContract({ address: feed, abi: aggregatorAbi, functionName: "latestRoundData" }).catch((error: unknown) => {
    throw new Error(`the sequencer-uptime feed ${feed} cannot be read: ${(error as Error).message.split("\n")[0]}`);
  });
  const [, answer, startedAt] = round;
  if ((answer !== 0n && answer !== 1n) || startedAt === 0n) {
    throw new Error(`${feed} does not look like a sequencer-uptime feed (answer ${answer}, startedAt ${startedAt}; expected 0 or 1 and a non-zero startedAt)`);
  }
}

/** Refuses tokens that cannot be read and bounds that the feed's current answer is already outside of (the market
 * would open paused). */
async function checkMarketFeed(client: PublicClient, spec: LendingMarketSpec): Promise<void> {
  if (!(spec.minAnswer > 0n && spec.minAnswer < spec.maxAnswer)) throw new Error(`lending market feed ${spec.feed}: bounds must satisfy 0 < min < max (got ${spec.minAnswer}, ${spec.maxAnswer})`);
  if (spec.maxStaleness <= 0n) throw new Error(`lending market feed ${spec.feed}: maxStaleness must be greater than zero`);
  // Both tokens must answer like ERC-20s now, not after the other contracts are deployed.
  await Promise.all([describeToken(client, getAddress(spec.loanToken)), describeToken(client, getAddress(spec.collateralToken))]);
  const [, answer] = await client.readContract({ address: spec.feed, abi: aggregatorAbi, functionName: "latestRoundData" });
  if (answer < spec.minAnswer || answer > spec.maxAnswer) {
    throw new Error(`lending market feed ${spec.feed} answers ${answer}, outside the bounds [${spec.minAnswer}, ${spec.maxAnswer}] (in the feed's decimals)`);
  }
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
