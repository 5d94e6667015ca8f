// Relayed sign-ups: a subscriber signs the EIP-712 SubscriptionTerms in the wallet (no transaction) and
// the gateway submits `subscribeWithSignature`, paying the gas from the relayer key.
//
// The relayer's gas is only spent where it is the gateway's business and the sign-up is real: the plan
// must belong to a gateway merchant (its merchant address is a merchant's proven payout address:
// merchants/payout-proof.ts, so typing a wallet in does not make its plans ours), and the
// subscriber must already hold and have approved at least one period's price, so a stranger cannot make
// the relayer pay for sign-ups from throwaway keys. Everything the contract would refuse (bad signature,
// used nonce, expired deadline, closed plan, price above the signed maximum) is found by simulating first
// and answered as a 422 naming the contract's error, before any gas is spent.
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, erc20Abi, parseEventLogs, zeroAddress, type Account, type Address, type Hex } from "viem";
import { z } from "zod";
import { subscriptionsAbi } from "@coinpays/sdk/contracts";
import { rpcTransport, rpcUrlList, type RpcUrls } from "../../chain.ts";
import type { AppDatabase } from "../../db/index.ts";
import { merchants } from "../../db/schema.ts";
import { ApiError, notFound, unprocessable } from "../http/errors.ts";
import { provenPayoutAddress } from "../merchants/payout-proof.ts";
import { addressSchema } from "../merchants/service.ts";

const uint = (bits: number) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,77})$/, { error: "must be a non-negative integer as a decimal string" })
    .transform((value) => BigInt(value))
    .refine((value) => value < 1n << BigInt(bits), { error: `must fit ${bits} bits` });

export const signedSubscriptionSchema = z
  .object({
    terms: z
      .object({
        subscriber: addressSchema,
        planId: uint(256),
        maxAmount: uint(256),
        period: z.number().int().min(0).max(2 ** 32 - 1),
        start: z.number().int().min(0).max(2 ** 40 - 1),
        nonce: uint(256),
        deadline: uint(256),
      })
      .strict(),
    signature: z.string().regex(/^0x([0-9a-fA-F]{2}){64,2048}$/, { error: "must be a 0x-prefixed hex signature" }),
  })
  .strict()
  .meta({ id: "SignedSubscriptionRequest" });

export type SignedSubscription = z.output<typeof signedSubscriptionSchema>;

export type SubscriptionRelay = { relay(input: SignedSubscription): Promise<{ subscriptionId: string; transactionHash: Hex }> };

export function createSubscriptionRelay(options: { db: AppDatabase; logger: Logger; chainId: number; rpcUrls: RpcUrls; contract: Address; relayer: Account }): SubscriptionRelay {
  const { db, logger, contract, relayer } = options;
  // The same fail-over transport as every other server-side client (server/chain.ts).
  const transport = rpcTransport(options.rpcUrls, { chainId: options.chainId, timeout: 10_000, retryCount: 1, logger });
  const chain = { id: options.chainId, name: `chain-${options.chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: rpcUrlList(options.rpcUrls) } } };
  const client = createPublicClient({ chain, transport });
  const wallet = createWalletClient({ account: relayer, chain, transport });

  return {
    async relay({ terms, signature }) {
      const plan = await client.readContract({ address: contract, abi: subscriptionsAbi, functionName: "getPlan", args: [terms.planId] });
      if (plan.merchant === zeroAddress) throw notFound("Plan");
      const [owner] = await db.select({ id: merchants.id }).from(merchants).where(sql`lower(${merchants.payoutAddress}) = lower(${plan.merchant}) and ${provenPayoutAddress(`"merchants"`)}`).limit(1);
      if (!owner) {
        throw unprocessable("plan_not_relayed", "This plan's merchant is not a CoinPays gateway merchant: submit subscribeWithSignature from a wallet instead", [{ field: "terms.planId", message: "not relayed" }]);
      }
      const [allowance, balance] = await Promise.all([
        client.readContract({ address: plan.token, abi: erc20Abi, functionName: "allowance", args: [terms.subscriber, contract] }),
        client.readContract({ address: plan.token, abi: erc20Abi, functionName: "balanceOf", args: [terms.subscriber] }),
      ]);
      if (allowance < plan.amount) {
        throw unprocessable("insufficient_allowance", `Approve the Subscriptions contract for at least one period (${plan.amount} base units) before signing up`, [{ field: "terms.subscriber", message: "allowance below one period" }]);
      }
      if (balance < plan.amount) {
        throw unprocessable("insufficient_balance", `The subscriber holds less than one period (${plan.amount} base units)`, [{ field: "terms.subscriber", message: "balance below one period" }]);
      }

      const args = [{ ...terms, subscriber: terms.subscriber as Address }, signature as Hex] as const;
      try {
        await client.simulateContract({ address: contract, abi: subscriptionsAbi, functionName: "subscribeWithSignature", args, account: relayer });
      } catch (error) {
        const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
        const name = reverted instanceof ContractFunctionRevertedError ? reverted.data?.errorName : undefined;
        if (name) throw unprocessable("subscription_rejected", `The Subscriptions contract refuses these terms: ${name}`, [{ field: "terms", message: name }]);
        throw error;
      }
      const transactionHash = await wallet.writeContract({ address: contract, abi: subscriptionsAbi, functionName: "subscribeWithSignature", args, account: relayer, chain });
      const receipt = await client.waitForTransactionReceipt({ hash: transactionHash, pollingInterval: 100, timeout: 60_000 });
      const [subscribed] = parseEventLogs({ abi: subscriptionsAbi, eventName: "Subscribed", logs: receipt.logs });
      if (receipt.status !== "success" || !subscribed) throw new ApiError(502, "relay_failed", `subscribeWithSignature did not succeed (${transactionHash})`);
      logger.info({ subscriptionId: subscribed.args.subscriptionId.toString(), planId: terms.planId.toString(), transactionHash }, "subscription sign-up relayed");
      return { subscriptionId: subscribed.args.subscriptionId.toString(), transactionHash };
    },
  };
}
