/**
 * Deploys the CoinPays contracts to the local chain or any RPC, idempotently, and writes
 * deployments/<chainId>.json plus the generated typed module in sdk/src/contracts.
 *
 *   RPC_URL=http://127.0.0.1:8545 node scripts/deploy.ts
 *
 * Environment: RPC_URL (default the local chain), DEPLOYER_PRIVATE_KEY (required except on the local chain,
 * where Hardhat's first dev account is used), PLATFORM_OWNER, FEE_RECIPIENT (default: the owner),
 * FEE_BPS (default 100 = 1%), ACCEPTED_TOKENS (comma-separated ERC-20 addresses).
 *
 * Lending markets on a real chain (the local chain always gets its dev market):
 *   LENDING_MARKETS  a JSON array, one object per market: {"loanToken", "collateralToken", "feed" (a Chainlink
 *                    aggregator pricing the collateral in the loan token's unit), "maxStaleness" (seconds, a little
 *                    above the feed's heartbeat), "minAnswer", "maxAnswer" (the adapter's bounds, integers in the
 *                    feed's decimals, inside the aggregator's own limits), "lltv" (1e18 = 100%), "minBorrow"
 *                    (optional, loan token base units)}; big numbers may be strings.
 *   SEQUENCER_UPTIME_FEED  required with LENDING_MARKETS: the chain's Chainlink L2 sequencer-uptime feed, or
 *                    "none" on a chain without a sequencer (L1).
 *   SEQUENCER_GRACE_PERIOD  seconds to wait after the sequencer comes back up (default 3600).
 */
import { createPublicClient, http, isAddress, isHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DEFAULT_SEQUENCER_GRACE_PERIOD, deployCoinPays, type LendingMarketSpec } from "./lib/deploy.ts";
import { devAccount, LOCAL_CHAIN_ID } from "./lib/dev-accounts.ts";
import { generateContractsModule } from "./lib/codegen.ts";

function optionalAddress(name: string): Address | undefined {
  const value = process.env[name];
  if (!value) return undefined;
  if (!isAddress(value)) throw new Error(`${name} is not an address: ${value}`);
  return value;
}

/** A non-negative integer from a JSON number (safe integers only) or a decimal string. */
function integer(where: string, value: unknown, optional = false): bigint | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  throw new Error(`${where} must be a non-negative integer (a string for big numbers), got ${JSON.stringify(value)}`);
}

function lendingMarkets(): LendingMarketSpec[] {
  const raw = process.env.LENDING_MARKETS;
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error("LENDING_MARKETS is not JSON");
  }
  if (!Array.isArray(parsed)) throw new Error("LENDING_MARKETS must be a JSON array of markets");
  return parsed.map((m: Record<string, unknown>, i) => {
    const where = (key: string) => `LENDING_MARKETS[${i}].${key}`;
    const address = (key: string) => {
      const value = m?.[key];
      if (typeof value !== "string" || !isAddress(value)) throw new Error(`${where(key)} is not an address: ${JSON.stringify(value)}`);
      return value as Address;
    };
    return {
      loanToken: address("loanToken"),
      collateralToken: address("collateralToken"),
      feed: address("feed"),
      maxStaleness: integer(where("maxStaleness"), m.maxStaleness)!,
      minAnswer: integer(where("minAnswer"), m.minAnswer)!,
      maxAnswer: integer(where("maxAnswer"), m.maxAnswer)!,
      lltv: integer(where("lltv"), m.lltv)!,
      minBorrow: integer(where("minBorrow"), m.minBorrow, true),
    };
  });
}

/** undefined when unset (the deploy refuses markets without a choice), null for "none". */
function sequencer(): { feed: Address; gracePeriod: bigint } | null | undefined {
  const feed = process.env.SEQUENCER_UPTIME_FEED;
  if (!feed) return undefined;
  if (feed === "none") return null;
  if (!isAddress(feed)) throw new Error(`SEQUENCER_UPTIME_FEED must be an address or "none", got ${feed}`);
  const grace = process.env.SEQUENCER_GRACE_PERIOD;
  return { feed, gracePeriod: grace === undefined ? DEFAULT_SEQUENCER_GRACE_PERIOD : integer("SEQUENCER_GRACE_PERIOD", grace)! };
}

async function main(): Promise<void> {
  const rpcUrl = process.env.RPC_URL ?? "http://127.0.0.1:8545";
  const chainId = await createPublicClient({ transport: http(rpcUrl) }).getChainId();
  const key = process.env.DEPLOYER_PRIVATE_KEY;
  if (!key && chainId !== LOCAL_CHAIN_ID) {
    throw new Error(`DEPLOYER_PRIVATE_KEY is required on chain ${chainId} (dev keys are only used on ${LOCAL_CHAIN_ID})`);
  }
  if (key && !isHex(key)) throw new Error("DEPLOYER_PRIVATE_KEY must be 0x-prefixed hex");
  const account = key ? privateKeyToAccount(key as Hex) : devAccount(0);
  const feeBps = process.env.FEE_BPS === undefined ? undefined : Number(process.env.FEE_BPS);
  if (feeBps !== undefined && !(Number.isInteger(feeBps) && feeBps >= 0 && feeBps <= 500)) {
    throw new Error(`FEE_BPS must be an integer from 0 to 500, got ${process.env.FEE_BPS}`);
  }
  const acceptedTokens = (process.env.ACCEPTED_TOKENS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const token of acceptedTokens) if (!isAddress(token)) throw new Error(`ACCEPTED_TOKENS has a bad address: ${token}`);

  await deployCoinPays({
    rpcUrl,
    account,
    owner: optionalAddress("PLATFORM_OWNER"),
    feeRecipient: optionalAddress("FEE_RECIPIENT"),
    feeBps,
    acceptedTokens: acceptedTokens as Address[],
    lendingMarkets: lendingMarkets(),
    sequencer: sequencer(),
  });
  await generateContractsModule();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
