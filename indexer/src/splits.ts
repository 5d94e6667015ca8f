import { ponder } from "ponder:registry";
import { split, splitDistribution, splitRuleSet, splitWithdrawal } from "ponder:schema";
import { recordContractEvent } from "./admin.ts";
import { logId } from "./ids.ts";
import type { Address, Hex } from "viem";

const zeroAddress = "0x0000000000000000000000000000000000000000";

/** Every version of a split's rules, as created or updated: its history page reads these rows. */
async function recordRuleSet(
  db: any,
  chainId: number,
  event: { args: { split: Address }; block: { number: bigint }; transaction: { hash: Hex } },
  rules: { version: number } & Record<string, unknown>,
) {
  await db.insert(splitRuleSet).values({
    id: `${chainId}:${event.args.split.toLowerCase()}:${rules.version}`,
    chainId,
    split: event.args.split,
    ...rules,
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  });
}

ponder.on("SplitMain:SplitCreated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const rules = {
    ruleSetId: event.args.ruleSetId,
    version: event.args.version,
    recipients: [...event.args.recipients],
    allocations: [...event.args.allocations],
    distributorFeePpm: event.args.distributorFeePpm,
  };
  await context.db.insert(split).values({
    address: event.args.split,
    chainId,
    controller: event.args.controller === zeroAddress ? null : event.args.controller,
    pendingController: null,
    ...rules,
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  });
  await recordRuleSet(context.db, chainId, event, rules);
});

ponder.on("SplitMain:SplitUpdated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const rules = {
    ruleSetId: event.args.ruleSetId,
    version: event.args.version,
    recipients: [...event.args.recipients],
    allocations: [...event.args.allocations],
    distributorFeePpm: event.args.distributorFeePpm,
  };
  await context.db.update(split, { address: event.args.split }).set(rules);
  await recordRuleSet(context.db, chainId, event, rules);
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
