import { ponder } from "ponder:registry";
import { loyaltyBalance, loyaltyPayment, loyaltyPoints, loyaltyProgram, loyaltyRefund, payment } from "ponder:schema";
import { recordContractEvent } from "./admin.ts";
import { logId } from "./ids.ts";
import { usdValueE8 } from "./prices.ts";
import { recordPayment, settlementFields, rollUpRefund } from "./rollups.ts";

const zeroAddress = "0x0000000000000000000000000000000000000000";

const balanceId = (program: string, account: string) => `${program.toLowerCase()}:${account.toLowerCase()}`;

function newProgram(chainId: number, address: `0x${string}`, merchant: `0x${string}`, asset: `0x${string}`, event: { block: { number: bigint }; transaction: { hash: `0x${string}` } }) {
  return {
    address,
    chainId,
    merchant,
    asset,
    totalSupply: 0n,
    totalMinted: 0n,
    totalRedeemed: 0n,
    totalClawedBack: 0n,
    holderCount: 0,
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  };
}

/** Loyalty-checkout orders are unique per (merchant, orderRef) on a chain, like router payments. */
function loyaltyPaymentId(chainId: number, merchant: `0x${string}`, orderRef: `0x${string}`): string {
  return `${chainId}:loyalty:${merchant.toLowerCase()}:${orderRef.toLowerCase()}`;
}

// The clone initialises (ProgramInitialized) before the factory announces it (ProgramCreated) in the same
// call, so the row is created by whichever handler runs first; both events name the merchant and asset.
ponder.on("LoyaltyProgramFactory:ProgramCreated", async ({ event, context }) => {
  await context.db
    .insert(loyaltyProgram)
    .values({ ...newProgram(context.chain.id, event.args.program, event.args.merchant, event.args.asset, event), name: "", symbol: "", rewardBps: 0, nonTransferable: false })
    .onConflictDoNothing();
});

ponder.on("LoyaltyToken:ProgramInitialized", async ({ event, context }) => {
  const settings = { name: event.args.name, symbol: event.args.symbol, rewardBps: event.args.rewardBps, nonTransferable: event.args.nonTransferable };
  await context.db
    .insert(loyaltyProgram)
    .values({ ...newProgram(context.chain.id, event.log.address, event.args.merchant, event.args.asset, event), ...settings })
    .onConflictDoUpdate(settings);
});

ponder.on("LoyaltyToken:RewardRateUpdated", async ({ event, context }) => {
  await context.db.update(loyaltyProgram, { address: event.log.address }).set({ rewardBps: event.args.newBps });
  await recordContractEvent("LoyaltyToken:RewardRateUpdated", event, context);
});

ponder.on("LoyaltyToken:PointsMinted", async ({ event, context }) => {
  await context.db.update(loyaltyProgram, { address: event.log.address }).set((row) => ({ totalMinted: row.totalMinted + event.args.amount }));
});
ponder.on("LoyaltyToken:PointsRedeemed", async ({ event, context }) => {
  await context.db.update(loyaltyProgram, { address: event.log.address }).set((row) => ({ totalRedeemed: row.totalRedeemed + event.args.amount }));
});
ponder.on("LoyaltyToken:PointsClawedBack", async ({ event, context }) => {
  await context.db.update(loyaltyProgram, { address: event.log.address }).set((row) => ({ totalClawedBack: row.totalClawedBack + event.args.amount }));
});

/** Balances move by `Transfer`; mints and burns also move the supply, and holders come and go. */
ponder.on("LoyaltyToken:Transfer", async ({ event, context }) => {
  const chainId = context.chain.id;
  const program = event.log.address;
  const { from, to, value } = event.args;
  let holderChange = 0;
  if (from !== zeroAddress) {
    const row = await context.db.update(loyaltyBalance, { id: balanceId(program, from) }).set((r) => ({ balance: r.balance - value }));
    if (row.balance === 0n && value > 0n) holderChange -= 1;
  }
  if (to !== zeroAddress) {
    const before = await context.db.find(loyaltyBalance, { id: balanceId(program, to) });
    await context.db
      .insert(loyaltyBalance)
      .values({ id: balanceId(program, to), chainId, program, account: to, balance: value })
      .onConflictDoUpdate((r) => ({ balance: r.balance + value }));
    if ((before?.balance ?? 0n) === 0n && value > 0n) holderChange += 1;
  }
  const supplyChange = (from === zeroAddress ? value : 0n) - (to === zeroAddress ? value : 0n);
  if (supplyChange !== 0n || holderChange !== 0) {
    await context.db.update(loyaltyProgram, { address: program }).set((r) => ({ totalSupply: r.totalSupply + supplyChange, holderCount: r.holderCount + holderChange }));
  }
});

ponder.on("LoyaltyToken:Approval", async ({ event, context }) => recordContractEvent("LoyaltyToken:Approval", event, context));

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
    ...settlementFields(chainId, event),
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
  const valueUsdE8 = usdValueE8(chainId, event.args.token, event.args.amount, event.block.timestamp);
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
    valueUsdE8,
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
    valueUsdE8,
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
