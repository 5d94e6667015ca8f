import { mnemonicToAccount } from "viem/accounts";
import type { HDAccount } from "viem";

/**
 * Hardhat's well-known development mnemonic. Its keys are public: they are only ever used on the local
 * chain (31337), and the deploy script refuses to fall back to them anywhere else.
 */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const LOCAL_CHAIN_ID = 31337;

export function devAccount(index: number): HDAccount {
  return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
}

/** The first `count` development accounts (Hardhat funds 20 of them with native coin). */
export function devAccounts(count = 20): HDAccount[] {
  return Array.from({ length: count }, (_, index) => devAccount(index));
}
