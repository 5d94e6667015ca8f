import { ponder } from "ponder:registry";
import { split, splitDistribution, splitRuleSet, splitWithdrawal } from "ponder:schema";
import { recordContractEvent } from "./admin.ts";
import type { Db } from "./context.ts";
import { logId } from "./ids.ts";
import type { Address, Hex } from "viem";

const zeroAddress = "0x0000000000000000000000000000000000000000";

type RuleSetArgs = {
  split: Address;
  ruleSetId: Hex;
  version: number;
  recipients: readonly Address[];
  allocations: readonly number[];
  distributorFeePpm: number;
};

/** The rules a SplitCreated or SplitUpdated announces, as both the split row and its history store them. */
function rulesOf(args: RuleSetArgs) {
  return {
    ruleSetId: args.ruleSetId,
    version: args.version,
    recipients: [...args.recipients],
    allocations: [...args.allocations],
    distributorFeePpm: args.distributorFeePpm,
  };
}

/** Every version of a split's rules, as created or updated: its history page reads these rows. */
async function recordRuleSet(db: Db, chainId: number, event: { args: RuleSetArgs; block: { number: bigint }; transaction: { hash: Hex } }) {
  await db.insert(splitRuleSet).values({
    id: `${chainId}:${event.args.split.toLowerCase()}:${event.args.version}`,
    chainId,
    split: event.args.split,
    ...rulesOf(event.args),
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  });
}

ponder.on("SplitMain:SplitCreated", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(split).values({
    address: event.args.split,
    chainId,
    controller: event.args.controller === zeroAddress ? null : event.args.controller,
    pendingController: null,
    ...rulesOf(event.args),
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  });
  await recordRuleSet(context.db, chainId, event);
});

ponder.on("SplitMain:SplitUpdated", async ({ event, context }) => {
  await context.db.update(split, { address: event.args.split }).set(rulesOf(event.args));
  await recordRuleSet(context.db, context.chain.id, event);
});

ponder.on("SplitMain:SplitDistributed", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(splitDistribution).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    split: event.args.split,
    ruleSetId: event.args.ruleSetId,
    token: event.args.token,
    distributor: event.args.distributor,
    amount: event.args.amount,
    credited: event.args.credited,
    distributorFee: event.args.distributorFee,
    dust: event.args.dust,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
});

ponder.on("SplitMain:Withdrawn", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(splitWithdrawal).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    account: event.args.account,
    token: event.args.token,
    amount: event.args.amount,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
});

ponder.on("SplitMain:ControlTransferStarted", async ({ event, context }) => {
  const pending = event.args.pendingController === zeroAddress ? null : event.args.pendingController;
  await context.db.update(split, { address: event.args.split }).set({ pendingController: pending });
  await recordContractEvent("SplitMain:ControlTransferStarted", event, context);
});

ponder.on("SplitMain:ControlTransferred", async ({ event, context }) => {
  const controller = event.args.newController === zeroAddress ? null : event.args.newController;
  await context.db.update(split, { address: event.args.split }).set({ controller, pendingController: null });
  await recordContractEvent("SplitMain:ControlTransferred", event, context);
});
