import { ponder } from "ponder:registry";
import { acceptedToken, depositAddress, depositRescue, feeUpdate, payment, refund } from "ponder:schema";
import { logId, routerPaymentId } from "./ids.ts";

ponder.on("PaymentRouter:PaymentSettled", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(payment).values({
    id: routerPaymentId(chainId, event.args.merchant, event.args.orderRef),
    chainId,
    method: "router",
    orderRef: event.args.orderRef,
    merchant: event.args.merchant,
    payer: event.args.payer,
    depositAddress: null,
    token: event.args.token,
    amount: event.args.amount,
    merchantAmount: event.args.merchantAmount,
    fee: event.args.fee,
    refundedAmount: 0n,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  });
});

ponder.on("PaymentRouter:PaymentRefunded", async ({ event, context }) => {
  const chainId = context.chain.id;
  const paymentId = routerPaymentId(chainId, event.args.merchant, event.args.orderRef);
  await context.db.insert(refund).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    paymentId,
    orderRef: event.args.orderRef,
    merchant: event.args.merchant,
    recipient: event.args.to,
    token: event.args.token,
    amount: event.args.amount,
    totalRefunded: event.args.totalRefunded,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
  // The event carries the running total, so the row is set from it rather than incremented: replaying
  // the same event can never double-count a refund.
  await context.db.update(payment, { id: paymentId }).set({ refundedAmount: event.args.totalRefunded });
});

ponder.on("DepositAddressFactory:DepositAddressDeployed", async ({ event, context }) => {
  await context.db.insert(depositAddress).values({
    address: event.args.depositAddress,
    chainId: context.chain.id,
    orderRef: event.args.orderRef,
    destination: event.args.destination,
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  });
});

ponder.on("DepositAddressFactory:DepositSwept", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(payment).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    method: "deposit_address",
    orderRef: event.args.orderRef,
    merchant: event.args.destination,
    // Whoever transferred to the deposit address is not in the sweep; the gateway's watcher knows it.
    payer: null,
    depositAddress: event.args.depositAddress,
    token: event.args.token,
    amount: event.args.amount,
    merchantAmount: event.args.merchantAmount,
    fee: event.args.fee,
    refundedAmount: 0n,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  });
});

ponder.on("DepositAddressFactory:DepositRescued", async ({ event, context }) => {
  const chainId = context.chain.id;
  await context.db.insert(depositRescue).values({
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    orderRef: event.args.orderRef,
    destination: event.args.destination,
    depositAddress: event.args.depositAddress,
    token: event.args.token,
    amount: event.args.amount,
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  });
});

// Every contract built on PlatformFees: the two payment paths, subscriptions and the loyalty checkout.
for (const contract of ["PaymentRouter", "DepositAddressFactory", "Subscriptions", "LoyaltyCheckout"] as const) {
  ponder.on(`${contract}:FeeUpdated`, async ({ event, context }) => {
    const chainId = context.chain.id;
    await context.db.insert(feeUpdate).values({
      id: logId(chainId, event.transaction.hash, event.log.logIndex),
      chainId,
      contract: event.log.address,
      recipient: event.args.recipient,
      feeBps: event.args.feeBps,
      blockNumber: event.block.number,
      transactionHash: event.transaction.hash,
    });
  });

  ponder.on(`${contract}:TokenAcceptanceUpdated`, async ({ event, context }) => {
    const chainId = context.chain.id;
    const row = {
      id: `${chainId}:${event.log.address.toLowerCase()}:${event.args.token.toLowerCase()}`,
      chainId,
      contract: event.log.address,
      token: event.args.token,
      accepted: event.args.accepted,
      updatedAtBlock: event.block.number,
    };
    await context.db.insert(acceptedToken).values(row).onConflictDoUpdate({ accepted: row.accepted, updatedAtBlock: row.updatedAtBlock });
  });
}
