import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Abi, Hex } from "viem";
import { ARTIFACTS_DIR } from "./paths.ts";

/** The contracts whose ABIs the rest of the system uses, with their source files under contracts/. */
export const PUBLISHED_CONTRACTS = {
  PaymentRouter: "payments/PaymentRouter.sol",
  DepositAddressFactory: "payments/DepositAddressFactory.sol",
  DepositAddress: "payments/DepositAddress.sol",
  Subscriptions: "payments/Subscriptions.sol",
  Escrow: "escrow/Escrow.sol",
  SplitMain: "splits/SplitMain.sol",
  SplitWallet: "splits/SplitWallet.sol",
  LoyaltyCheckout: "loyalty/LoyaltyCheckout.sol",
  LoyaltyProgramFactory: "loyalty/LoyaltyProgramFactory.sol",
  LoyaltyToken: "loyalty/LoyaltyToken.sol",
  CoinPaysLending: "lending/CoinPaysLending.sol",
  KinkedRateModel: "lending/KinkedRateModel.sol",
  ChainlinkOracleAdapter: "lending/ChainlinkOracleAdapter.sol",
  CreditPayment: "lending/CreditPayment.sol",
  MockERC20: "mocks/MockERC20.sol",
  MockAggregatorV3: "mocks/MockAggregatorV3.sol",
} as const;

export type PublishedContract = keyof typeof PUBLISHED_CONTRACTS;

export interface Artifact {
  contractName: string;
  abi: Abi;
  bytecode: Hex;
}

/** Reads a Hardhat artifact; run `hardhat compile` first. */
export async function readArtifact(name: PublishedContract): Promise<Artifact> {
  const file = path.join(ARTIFACTS_DIR, "contracts", PUBLISHED_CONTRACTS[name], `${name}.json`);
  try {
    return JSON.parse(await readFile(file, "utf8")) as Artifact;
  } catch (error) {
    throw new Error(`artifact for ${name} not found at ${file}: run \`hardhat compile\` first`, { cause: error });
  }
}
