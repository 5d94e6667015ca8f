import { ponder } from "ponder:registry";
import { creditPayment, lendingEvent, lendingMarket, lendingPosition, lendingSettings, liquidation, payment } from "ponder:schema";
import type { Hex } from "viem";
import { recordContractEvent } from "./admin.ts";
import type { HandlerContext } from "./context.ts";
import { logId, routerPaymentId } from "./ids.ts";
import { rollUpPayer } from "./rollups.ts";

type Kind = "supply" | "withdraw" | "borrow" | "repay" | "supply_collateral" | "withdraw_collateral" | "liquidate" | "accrue_interest";
type LoggedEvent = { block: { number: bigint; timestamp: bigint }; transaction: { hash: Hex }; log: { logIndex: number } };

const marketKey = (chainId: number, marketId: Hex) => `${chainId}:${marketId.toLowerCase()}`;
const positionKey = (chainId: number, marketId: Hex, account: Hex) => `${chainId}:${marketId.toLowerCase()}:${account.toLowerCase()}`;
/** The contract floors borrow totals at zero where rounding up can make a repayment exceed them by 1 wei. */
const floorSub = (a: bigint, b: bigint) => (a > b ? a - b : 0n);

interface Delta {
  supplyShares?: bigint;
  borrowShares?: bigint;
  collateral?: bigint;
}

/** Adds `delta` to one account's position, creating it on first touch. */
async function movePosition(context: HandlerContext, marketId: Hex, account: Hex, delta: Delta, blockNumber: bigint) {
  const chainId = context.chain.id;
  await context.db
    .insert(lendingPosition)
    .values({
      id: positionKey(chainId, marketId, account),
      chainId,
      marketId,
      account,
      supplyShares: delta.supplyShares ?? 0n,
      borrowShares: delta.borrowShares ?? 0n,
      collateral: delta.collateral ?? 0n,
      updatedAtBlock: blockNumber,
    })
    .onConflictDoUpdate((row: { supplyShares: bigint; borrowShares: bigint; collateral: bigint }) => ({
      supplyShares: row.supplyShares + (delta.supplyShares ?? 0n),
      borrowShares: row.borrowShares + (delta.borrowShares ?? 0n),
      collateral: row.collateral + (delta.collateral ?? 0n),
      updatedAtBlock: blockNumber,
    }));
}

type MarketTotals = { totalSupplyAssets: bigint; totalSupplyShares: bigint; totalBorrowAssets: bigint; totalBorrowShares: bigint; totalCollateral: bigint };

async function moveMarket(context: HandlerContext, marketId: Hex, blockNumber: bigint, change: (row: MarketTotals) => Partial<MarketTotals>) {
  await context.db
    .update(lendingMarket, { id: marketKey(context.chain.id, marketId) })
    .set((row: MarketTotals) => ({ ...change(row), updatedAtBlock: blockNumber }));
}

async function recordMovement(
  context: HandlerContext,
  event: LoggedEvent,
  row: { marketId: Hex; kind: Kind; caller?: Hex; onBehalf?: Hex; receiver?: Hex; assets: bigint; shares?: bigint },
) {
  const chainId = context.chain.id;
  await context.db.insert(lendingEvent).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    marketId: row.marketId,
    kind: row.kind,
    caller: row.caller ?? null,
    onBehalf: row.onBehalf ?? null,
    receiver: row.receiver ?? null,
    assets: row.assets,
    shares: row.shares ?? null,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  });
}

ponder.on("CoinPaysLending:MarketCreated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const params = event.args.marketParams;
  await context.db.insert(lendingMarket).values({
    id: marketKey(chainId, event.args.id),
    chainId,
    marketId: event.args.id,
    loanToken: params.loanToken,
    collateralToken: params.collateralToken,
    oracle: params.oracle,
    rateModel: params.rateModel,
    lltv: params.lltv,
    fee: 0n,
    totalSupplyAssets: 0n,
    totalSupplyShares: 0n,
    totalBorrowAssets: 0n,
    totalBorrowShares: 0n,
    totalCollateral: 0n,
    blockNumber: event.block.number,
    updatedAtBlock: event.block.number,
    transactionHash: event.transaction.hash,
  });
});

ponder.on("CoinPaysLending:FeeSet", async ({ event, context }) => {
  await context.db.update(lendingMarket, { id: marketKey(context.chain.id, event.args.id) }).set({ fee: event.args.fee, updatedAtBlock: event.block.number });
  await recordContractEvent("CoinPaysLending:FeeSet", event, context);
});

ponder.on("CoinPaysLending:FeeRecipientSet", async ({ event, context }) => {
  const row = { contract: event.log.address, chainId: context.chain.id, feeRecipient: event.args.feeRecipient, updatedAtBlock: event.block.number };
  await context.db.insert(lendingSettings).values(row).onConflictDoUpdate({ feeRecipient: row.feeRecipient, updatedAtBlock: row.updatedAtBlock });
  await recordContractEvent("CoinPaysLending:FeeRecipientSet", event, context);
});

ponder.on("CoinPaysLending:InterestAccrued", async ({ event, context }) => {
  const { id, interest, feeShares } = event.args;
  await moveMarket(context, id, event.block.number, (m) => ({
    totalSupplyAssets: m.totalSupplyAssets + interest,
    totalBorrowAssets: m.totalBorrowAssets + interest,
    totalSupplyShares: m.totalSupplyShares + feeShares,
  }));
  if (feeShares > 0n) {
    const settings = await context.db.find(lendingSettings, { contract: event.log.address });
    if (!settings) throw new Error("Fee shares minted before any FeeRecipientSet");
    await movePosition(context, id, settings.feeRecipient, { supplyShares: feeShares }, event.block.number);
  }
  await recordMovement(context, event, { marketId: id, kind: "accrue_interest", assets: interest, shares: feeShares });
});

ponder.on("CoinPaysLending:Supplied", async ({ event, context }) => {
  const { id, caller, onBehalf, assets, shares } = event.args;
  await moveMarket(context, id, event.block.number, (m) => ({ totalSupplyAssets: m.totalSupplyAssets + assets, totalSupplyShares: m.totalSupplyShares + shares }));
  await movePosition(context, id, onBehalf, { supplyShares: shares }, event.block.number);
  await recordMovement(context, event, { marketId: id, kind: "supply", caller, onBehalf, assets, shares });
});

ponder.on("CoinPaysLending:Withdrawn", async ({ event, context }) => {
  const { id, caller, onBehalf, receiver, assets, shares } = event.args;
  await moveMarket(context, id, event.block.number, (m) => ({ totalSupplyAssets: m.totalSupplyAssets - assets, totalSupplyShares: m.totalSupplyShares - shares }));
  await movePosition(context, id, onBehalf, { supplyShares: -shares }, event.block.number);
  await recordMovement(context, event, { marketId: id, kind: "withdraw", caller, onBehalf, receiver, assets, shares });
});

ponder.on("CoinPaysLending:Borrowed", async ({ event, context }) => {
  const { id, caller, onBehalf, receiver, assets, shares } = event.args;
  await moveMarket(context, id, event.block.number, (m) => ({ totalBorrowAssets: m.totalBorrowAssets + assets, totalBorrowShares: m.totalBorrowShares + shares }));
  await movePosition(context, id, onBehalf, { borrowShares: shares }, event.block.number);
  await recordMovement(context, event, { marketId: id, kind: "borrow", caller, onBehalf, receiver, assets, shares });
});

ponder.on("CoinPaysLending:Repaid", async ({ event, context }) => {
  const { id, caller, onBehalf, assets, shares } = event.args;
  await moveMarket(context, id, event.block.number, (m) => ({ totalBorrowAssets: floorSub(m.totalBorrowAssets, assets), totalBorrowShares: m.totalBorrowShares - shares }));
  await movePosition(context, id, onBehalf, { borrowShares: -shares }, event.block.number);
  await recordMovement(context, event, { marketId: id, kind: "repay", caller, onBehalf, assets, shares });
});

ponder.on("CoinPaysLending:CollateralSupplied", async ({ event, context }) => {
  const { id, caller, onBehalf, assets } = event.args;
  await moveMarket(context, id, event.block.number, (m) => ({ totalCollateral: m.totalCollateral + assets }));
  await movePosition(context, id, onBehalf, { collateral: assets }, event.block.number);
  await recordMovement(context, event, { marketId: id, kind: "supply_collateral", caller, onBehalf, assets });
});

ponder.on("CoinPaysLending:CollateralWithdrawn", async ({ event, context }) => {
  const { id, caller, onBehalf, receiver, assets } = event.args;
  await moveMarket(context, id, event.block.number, (m) => ({ totalCollateral: m.totalCollateral - assets }));
  await movePosition(context, id, onBehalf, { collateral: -assets }, event.block.number);
  await recordMovement(context, event, { marketId: id, kind: "withdraw_collateral", caller, onBehalf, receiver, assets });
});

ponder.on("CoinPaysLending:Liquidated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { id, caller, borrower, repaidAssets, repaidShares, seizedAssets, badDebtAssets, badDebtShares } = event.args;
  // The same order as the contract: repay and seize, then write off what no collateral covers.
  await moveMarket(context, id, event.block.number, (m) => ({
    totalBorrowShares: m.totalBorrowShares - repaidShares - badDebtShares,
    totalBorrowAssets: floorSub(m.totalBorrowAssets, repaidAssets) - badDebtAssets,
    totalSupplyAssets: m.totalSupplyAssets - badDebtAssets,
    totalCollateral: m.totalCollateral - seizedAssets,
  }));
  await movePosition(context, id, borrower, { borrowShares: -(repaidShares + badDebtShares), collateral: -seizedAssets }, event.block.number);
  await context.db.insert(liquidation).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    marketId: id,
    liquidator: caller,
    borrower,
    repaidAssets,
    repaidShares,
    seizedAssets,
    badDebtAssets,
    badDebtShares,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
  await recordMovement(context, event, { marketId: id, kind: "liquidate", caller, onBehalf: borrower, assets: repaidAssets, shares: repaidShares });
});

ponder.on("CreditPayment:CreditPaid", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(creditPayment).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    orderRef: event.args.orderRef,
    merchant: event.args.merchant,
    payer: event.args.payer,
    marketId: event.args.marketId,
    amount: event.args.amount,
    borrowShares: event.args.borrowShares,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
  // The router's PaymentSettled (earlier in this call) recorded the payment with the CreditPayment contract
  // as its caller; the borrower is the payer the merchant cares about.
  const paid = await context.db.update(payment, { id: routerPaymentId(chainId, event.args.merchant, event.args.orderRef) }).set({ payer: event.args.payer });
  await rollUpPayer(context.db, paid, event.args.payer);
});
