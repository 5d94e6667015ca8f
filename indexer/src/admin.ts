import { ponder } from "ponder:registry";
import { contractEvent } from "ponder:schema";
import type { Hex } from "viem";
import type { HandlerContext } from "./context.ts";
import { logId } from "./ids.ts";

/** Bigints become decimal strings so the arguments fit a JSON column. */
function jsonArgs(args: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(args ?? {}, (_key, value) => (typeof value === "bigint" ? value.toString() : value)));
}

/**
 * Configuration and ownership events with no table of their own, kept as name + arguments so the history of
 * who could change what is complete. Events that shape merchant-facing rows are handled in their domain file.
 */
const adminEvents = [
  "Subscriptions:OwnershipTransferStarted",
  "Subscriptions:OwnershipTransferred",
  "Subscriptions:EIP712DomainChanged",
  "Subscriptions:NonceInvalidated",
  "LoyaltyCheckout:OwnershipTransferStarted",
  "LoyaltyCheckout:OwnershipTransferred",
  "CoinPaysLending:OwnershipTransferStarted",
  "CoinPaysLending:OwnershipTransferred",
  "CoinPaysLending:LltvEnabled",
  "CoinPaysLending:RateModelEnabled",
  "CoinPaysLending:MinBorrowSet",
  "CoinPaysLending:AuthorizationSet",
] as const;

interface LoggedEvent {
  args?: unknown;
  block: { number: bigint };
  log: { address: Hex; logIndex: number };
  transaction: { hash: Hex };
}

/** Records one event in `contract_event`; domain handlers call it too for the settings they also apply. */
export async function recordContractEvent(name: string, event: LoggedEvent, context: HandlerContext): Promise<void> {
  const chainId = context.chain.id;
  const [contractName, eventName] = name.split(":") as [string, string];
  await context.db.insert(contractEvent).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    contract: event.log.address,
    contractName,
    event: eventName,
    args: jsonArgs(event.args),
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  });
}

for (const name of adminEvents) {
  ponder.on(name, async ({ event, context }) => recordContractEvent(name, event, context));
}
