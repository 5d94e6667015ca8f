import { ponder } from "ponder:registry";
import { escrow, escrowEvent, escrowWithdrawal } from "ponder:schema";
import type { HandlerContext } from "./context.ts";
import { logId } from "./ids.ts";

const escrowKey = (chainId: number, escrowId: bigint) => `${chainId}:${escrowId}`;
/** `IEscrow.RefundReason` by its ordinal. */
const refundReasons = ["seller_refunded", "deadline_passed", "arbiter_timed_out"] as const;

type EscrowStep = {
  kind: "funded" | "disputed" | "released" | "refunded" | "resolved";
  by?: `0x${string}`;
  amount?: bigint;
  toBuyer?: bigint;
  toSeller?: bigint;
  fee?: bigint;
  refundReason?: (typeof refundReasons)[number];
  rulingDeadline?: bigint;
};

async function recordStep(
  event: { args: { id: bigint }; block: { number: bigint; timestamp: bigint }; transaction: { hash: `0x${string}` }; log: { logIndex: number } },
  context: HandlerContext,
  step: EscrowStep,
) {
  const chainId = context.chain.id;
  await context.db.insert(escrowEvent).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    escrowId: event.args.id,
    kind: step.kind,
    by: step.by ?? null,
    amount: step.amount ?? null,
    toBuyer: step.toBuyer ?? null,
    toSeller: step.toSeller ?? null,
    fee: step.fee ?? null,
    refundReason: step.refundReason ?? null,
    rulingDeadline: step.rulingDeadline ?? null,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  });
}

ponder.on("Escrow:EscrowFunded", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(escrow).values({
    id: escrowKey(chainId, event.args.id),
    chainId,
    escrowId: event.args.id,
    buyer: event.args.buyer,
    seller: event.args.seller,
    arbiter: event.args.arbiter,
    token: event.args.token,
    amount: event.args.amount,
    deadline: BigInt(event.args.deadline),
    disputeWindow: event.args.disputeWindow,
    arbiterFeeBps: event.args.arbiterFeeBps,
    arbiterTimeout: event.args.arbiterTimeout,
    state: "funded",
    disputedBy: null,
    rulingDeadline: null,
    refundReason: null,
    toBuyer: null,
    toSeller: null,
    arbiterFee: null,
    fundedAtBlock: event.block.number,
    fundedAt: event.block.timestamp,
    updatedAtBlock: event.block.number,
    transactionHash: event.transaction.hash,
  });
  await recordStep(event, context, { kind: "funded", amount: event.args.amount });
});

ponder.on("Escrow:EscrowDisputed", async ({ event, context }) => {
  const rulingDeadline = BigInt(event.args.rulingDeadline);
  await context.db
    .update(escrow, { id: escrowKey(context.chain.id, event.args.id) })
    .set({ state: "disputed", disputedBy: event.args.by, rulingDeadline, updatedAtBlock: event.block.number });
  await recordStep(event, context, { kind: "disputed", by: event.args.by, rulingDeadline });
});

ponder.on("Escrow:EscrowReleased", async ({ event, context }) => {
  await context.db
    .update(escrow, { id: escrowKey(context.chain.id, event.args.id) })
    .set({ state: "released", toBuyer: 0n, toSeller: event.args.amount, arbiterFee: 0n, updatedAtBlock: event.block.number });
  await recordStep(event, context, { kind: "released", amount: event.args.amount, toBuyer: 0n, toSeller: event.args.amount });
});

ponder.on("Escrow:EscrowRefunded", async ({ event, context }) => {
  const refundReason = refundReasons[event.args.reason];
  if (!refundReason) throw new Error(`Unknown escrow refund reason ${event.args.reason}`);
  await context.db
    .update(escrow, { id: escrowKey(context.chain.id, event.args.id) })
    .set({ state: "refunded", refundReason, toBuyer: event.args.amount, toSeller: 0n, arbiterFee: 0n, updatedAtBlock: event.block.number });
  await recordStep(event, context, { kind: "refunded", amount: event.args.amount, toBuyer: event.args.amount, toSeller: 0n, refundReason });
});

ponder.on("Escrow:EscrowResolved", async ({ event, context }) => {
  const { toBuyer, toSeller, fee } = event.args;
  await context.db
    .update(escrow, { id: escrowKey(context.chain.id, event.args.id) })
    .set({ state: "resolved", toBuyer, toSeller, arbiterFee: fee, updatedAtBlock: event.block.number });
  await recordStep(event, context, { kind: "resolved", amount: toBuyer + toSeller + fee, toBuyer, toSeller, fee });
});

ponder.on("Escrow:Withdrawn", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(escrowWithdrawal).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    account: event.args.account,
    token: event.args.token,
    to: event.args.to,
    amount: event.args.amount,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
});
