import { ponder } from "ponder:registry";
import { loyaltyPayment, loyaltyPoints, loyaltyProgram, loyaltyRefund, payment } from "ponder:schema";
import { logId } from "./ids.ts";
import { usdValueE8 } from "./prices.ts";
import { recordPayment, rollUpRefund } from "./rollups.ts";

const zeroAddress = "0x0000000000000000000000000000000000000000";

/** Loyalty-checkout orders are unique per (merchant, orderRef) on a chain, like router payments. */
function loyaltyPaymentId(chainId: number, merchant: `0x${string}`, orderRef: `0x${string}`): string {
  return `${chainId}:loyalty:${merchant.toLowerCase()}:${orderRef.toLowerCase()}`;
}

ponder.on("LoyaltyProgramFactory:ProgramCreated", async ({ event, context }) => {
  await context.db.insert(loyaltyProgram).values({
    address: event.args.program,
    chainId: context.chain.id,
    merchant: event.args.merchant,
    asset: event.args.asset,
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  });
});

// Points are minted, redeemed and clawed back only by the checkout, and its events carry every amount, so
// the points ledger is derived from them rather than from the program clones' own Transfer events.
ponder.on("LoyaltyCheckout:PaymentSettled", async ({ event, context }) => {
  const chainId = context.chain.id;
  const program = event.args.program === zeroAddress ? null : event.args.program;
  await context.db.insert(loyaltyPayment).values({
    id: loyaltyPaymentId(chainId, event.args.merchant, event.args.orderRef),
    chainId,
    orderRef: event.args.orderRef,
    merchant: event.args.merchant,
    payer: event.args.payer,
    token: event.args.token,
    amount: event.args.amount,
    discount: event.args.discount,
    merchantAmount: event.args.merchantAmount,
    fee: event.args.fee,
    program,
    pointsMinted: event.args.pointsMinted,
    refundedAmount: 0n,
    cashRefunded: 0n,
    pointsClawedBack: 0n,
    pointsShortfall: 0n,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
  // In the revenue ledger too: `amount` is the order's gross value (points discount included),
  // `merchantAmount` the cash the merchant received.
  await recordPayment(context.db, {
    id: loyaltyPaymentId(chainId, event.args.merchant, event.args.orderRef),
    chainId,
    method: "loyalty",
    orderRef: event.args.orderRef,
    merchant: event.args.merchant,
    payer: event.args.payer,
    depositAddress: null,
    token: event.args.token,
    amount: event.args.amount,
    merchantAmount: event.args.merchantAmount,
    fee: event.args.fee,
    refundedAmount: 0n,
    valueUsdE8: usdValueE8(chainId, event.args.token, event.args.amount, event.block.timestamp),
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  });
  if (!program) return;
  const base = {
    chainId,
    program,
    merchant: event.args.merchant,
    account: event.args.payer,
    orderRef: event.args.orderRef,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  };
  const id = logId(chainId, event.transaction.hash, event.log.logIndex);
  if (event.args.discount > 0n) await context.db.insert(loyaltyPoints).values({ ...base, id: `${id}:redeemed`, kind: "redeemed", amount: event.args.discount });
  if (event.args.pointsMinted > 0n) await context.db.insert(loyaltyPoints).values({ ...base, id: `${id}:minted`, kind: "minted", amount: event.args.pointsMinted });
});

ponder.on("LoyaltyCheckout:PaymentRefunded", async ({ event, context }) => {
  const chainId = context.chain.id;
  const paymentId = loyaltyPaymentId(chainId, event.args.merchant, event.args.orderRef);
  const id = logId(chainId, event.transaction.hash, event.log.logIndex);
  await context.db.insert(loyaltyRefund).values({
    id,
    chainId,
    paymentId,
    orderRef: event.args.orderRef,
    merchant: event.args.merchant,
    recipient: event.args.to,
    token: event.args.token,
    amount: event.args.amount,
    cashRefunded: event.args.cashRefunded,
    totalRefunded: event.args.totalRefunded,
    pointsClawedBack: event.args.pointsClawedBack,
    pointsShortfall: event.args.pointsShortfall,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
  await context.db.update(payment, { id: paymentId }).set({ refundedAmount: event.args.totalRefunded });
  await rollUpRefund(context.db, {
    chainId,
    merchant: event.args.merchant,
    token: event.args.token,
    amount: event.args.amount,
    valueUsdE8: usdValueE8(chainId, event.args.token, event.args.amount, event.block.timestamp),
    timestamp: event.block.timestamp,
  });
  const paid = await context.db.update(loyaltyPayment, { id: paymentId }).set((row) => ({
    refundedAmount: event.args.totalRefunded,
    cashRefunded: row.cashRefunded + event.args.cashRefunded,
    pointsClawedBack: row.pointsClawedBack + event.args.pointsClawedBack,
    pointsShortfall: row.pointsShortfall + event.args.pointsShortfall,
  }));
  if (paid.program && event.args.pointsClawedBack > 0n) {
    await context.db.insert(loyaltyPoints).values({
      id: `${id}:clawed_back`,
      chainId,
      program: paid.program,
      merchant: event.args.merchant,
      account: paid.payer,
      orderRef: event.args.orderRef,
      kind: "clawed_back",
      amount: event.args.pointsClawedBack,
      blockNumber: event.block.number,
      timestamp: event.block.timestamp,
      transactionHash: event.transaction.hash,
    });
  }
});
