import type { Address, Hex } from "viem";

/** Router payments are unique per (merchant, orderRef) on a chain, by the router's own rule. */
export function routerPaymentId(chainId: number, merchant: Address, orderRef: Hex): string {
  return `${chainId}:router:${merchant.toLowerCase()}:${orderRef.toLowerCase()}`;
}

/** Anything that can repeat is keyed by the log that recorded it. */
export function logId(chainId: number, transactionHash: Hex, logIndex: number): string {
  return `${chainId}:${transactionHash.toLowerCase()}:${logIndex}`;
}
