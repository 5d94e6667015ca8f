// The EIP-712 typed data a subscriber signs to subscribe without sending a transaction
// (Subscriptions.subscribeWithSignature). Wallet pages, the gateway's tests and the gas benchmark sign
// with these, so a change to the contract's struct breaks them in one place.
import type { Address } from "viem";

export const SUBSCRIPTION_TERMS_TYPES = {
  SubscriptionTerms: [
    { name: "subscriber", type: "address" },
    { name: "planId", type: "uint256" },
    { name: "maxAmount", type: "uint256" },
    { name: "period", type: "uint32" },
    { name: "start", type: "uint40" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** What a subscriber agrees to: at most `maxAmount` per `period` seconds of `planId`, from `start`. */
export type SubscriptionTerms = {
  subscriber: Address;
  planId: bigint;
  maxAmount: bigint;
  period: number;
  start: number;
  nonce: bigint;
  deadline: bigint;
};

/** The contract's EIP-712 domain on one chain. */
export function subscriptionTermsDomain(chainId: number, subscriptions: Address) {
  return { name: "CoinPays Subscriptions", version: "1", chainId, verifyingContract: subscriptions } as const;
}

/** Typed data ready for viem's / wagmi's `signTypedData`. */
export function subscriptionTermsTypedData(chainId: number, subscriptions: Address, terms: SubscriptionTerms) {
  return { domain: subscriptionTermsDomain(chainId, subscriptions), types: SUBSCRIPTION_TERMS_TYPES, primaryType: "SubscriptionTerms", message: terms } as const;
}
