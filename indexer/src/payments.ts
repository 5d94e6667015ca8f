import { ponder } from "ponder:registry";
import { acceptedToken, depositAddress, depositRescue, feeUpdate, payment, refund } from "ponder:schema";
import { getDeployment, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { toFunctionSelector, zeroAddress, type Address, type Hex } from "viem";
import { logId, routerPaymentId } from "./ids.ts";
import { usdValueE8 } from "./prices.ts";
import { recordPayment, settlementFields, rollUpRefund } from "./rollups.ts";

const payWithPermitSelector = toFunctionSelector(paymentRouterAbi.find((item) => item.type === "function" && item.name === "payWithPermit")!);

/** The CreditPayment contract pays through the router as `payer`; its `CreditPaid` names the borrower. */
function creditPaymentAddress(chainId: number): string | undefined {
  return getDeployment(chainId)?.contracts.CreditPayment?.address.toLowerCase();
}

/** Which path a router payment took, from the payer, the token and the transaction's own call. */
function routerMethod(chainId: number, payer: Address, token: Address, transaction: { to: Address | null; input: Hex }, router: Address) {
  if (payer.toLowerCase() === creditPaymentAddress(chainId)) return "credit" as const;
  if (token === zeroAddress) return "native" as const;
  if (transaction.to?.toLowerCase() === router.toLowerCase() && transaction.input.slice(0, 10) === payWithPermitSelector) return "permit" as const;
  return "router" as const;
}

ponder.on("PaymentRouter:PaymentSettled", async ({ event, context }) => {
  const chainId = context.chain.id;
  const method = routerMethod(chainId, event.args.payer, event.args.token, event.transaction, event.log.address);
  await recordPayment(context.db, {
    id: routerPaymentId(chainId, event.args.merchant, event.args.orderRef),
    chainId,
    method,
    orderRef: event.args.orderRef,
    merchant: event.args.merchant,
    // A credit payment's payer is set (and counted) by CreditPaid, emitted right after in the same call.
    payer: method === "credit" ? null : event.args.payer,
    depositAddress: null,
    ...settlementFields(chainId, event),
  });
});

ponder.on("PaymentRouter:PaymentRefunded", async ({ event, context }) => {
  const chainId = context.chain.id;
  const paymentId = routerPaymentId(chainId, event.args.merchant, event.args.orderRef);
  const valueUsdE8 = usdValueE8(chainId, event.args.token, event.args.amount, event.block.timestamp);
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
    valueUsdE8,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
  await rollUpRefund(context.db, { chainId, merchant: event.args.merchant, token: event.args.token, amount: event.args.amount, valueUsdE8, timestamp: event.block.timestamp });
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
  await recordPayment(context.db, {
    id: logId(chainId, event.transaction.hash, event.log.logIndex),
    chainId,
    method: "deposit_address",
    orderRef: event.args.orderRef,
    merchant: event.args.destination,
    // Whoever transferred to the deposit address is not in the sweep; the gateway's watcher knows it.
    payer: null,
    depositAddress: event.args.depositAddress,
    ...settlementFields(chainId, event),
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
