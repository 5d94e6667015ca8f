/**
 * Deploys the CoinPays contracts to the local chain or any RPC, idempotently, and writes
 * deployments/<chainId>.json plus the generated typed module in sdk/src/contracts.
 *
 *   RPC_URL=http://127.0.0.1:8545 node scripts/deploy.ts
 *
 * Environment: RPC_URL (default the local chain), DEPLOYER_PRIVATE_KEY (required except on the local chain,
 * where Hardhat's first dev account is used), PLATFORM_OWNER, FEE_RECIPIENT (default: the owner),
 * FEE_BPS (default 100 = 1%), ACCEPTED_TOKENS (comma-separated ERC-20 addresses).
 */
import { createPublicClient, http, isAddress, isHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployCoinPays } from "./lib/deploy.ts";
import { devAccount, LOCAL_CHAIN_ID } from "./lib/dev-accounts.ts";
import { generateContractsModule } from "./lib/codegen.ts";

function optionalAddress(name: string): Address | undefined {
  const value = process.env[name];
  if (!value) return undefined;
  if (!isAddress(value)) throw new Error(`${name} is not an address: ${value}`);
  return value;
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
  });
  await generateContractsModule();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
