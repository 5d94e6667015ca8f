// The relayer account of this process: the key that pays gas for deposit sweeps, subscription charges
// and relayed sign-ups. Every user of it in this process shares viem's nonce manager, so the sweeper,
// the subscription keeper and the relay can send at the same moment without reusing a nonce.
import { nonceManager, type Account } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import type { ServerConfig } from "./config.ts";

export function relayerAccount(relayer: ServerConfig["gateway"]["relayer"]): Account | undefined {
  if (!relayer) return undefined;
  return "privateKey" in relayer
    ? privateKeyToAccount(relayer.privateKey, { nonceManager })
    : mnemonicToAccount(relayer.mnemonic, { addressIndex: relayer.addressIndex, nonceManager });
}
