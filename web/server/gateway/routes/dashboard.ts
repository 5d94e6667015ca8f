// The dashboard's view of an account's orders and refunds (tag "dashboard"; session, by role).
import { z } from "zod";
import { json, notFound } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import { dashboardOrdersQuerySchema, refundSchema, refundTransactionSchema } from "../orders/schemas.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error401, error403, error404 } from "./responses.ts";
import { stored } from "./stored.ts";

const noBody = z.object({}).strict();

export function dashboardRoutes({ merchants, orders, subscriptions }: GatewayServices): Route[] {
  return [
    route({
      method: "GET", path: "/api/merchants/{merchantId}/orders", operationId: "dashboardListOrders", tag: "dashboard", auth: "session", query: dashboardOrdersQuerySchema,
      summary: "Orders of the account and its sub-accounts for the dashboard (any role), or of one of them (?account=); same filters and cursor as /api/v1/orders.",
      responses: { 200: { description: "Page", schema: undefined }, 400: error400, 401: error401, 404: error404 },
      handler: async ({ user, params, query, origin }) => {
        await merchants.authorize(user.userId, params.merchantId!, "viewer");
        const { account, ...filters } = query;
        const tree = await merchants.accountTree(params.merchantId!);
        if (account !== undefined && !tree.includes(account)) throw notFound("Sub-account");
        return json(await orders.list({ merchantIds: account ? [account] : tree }, filters, origin));
      },
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/orders/{orderId}/cancel", operationId: "dashboardCancelOrder", tag: "dashboard", auth: "session", body: noBody, idempotent: true,
      summary: "Cancels an order without payment (manager).",
      responses: { 200: { description: "Order" }, 401: error401, 403: error403, 404: error404, 409: { description: "Already paid or final" } },
      handler: async ({ user, params, origin, idempotency }) => {
        await merchants.authorize(user.userId, params.merchantId!, "manager");
        return stored(await orders.cancel({ merchantId: params.merchantId! }, params.orderId!, { origin, requestHash: idempotency.requestHash, idempotencyKey: idempotency.key }));
      },
    }),
    route({
      method: "GET", path: "/api/merchants/{merchantId}/orders/{orderId}/refunds", operationId: "dashboardListRefunds", tag: "dashboard", auth: "session",
      summary: "The order's refunds, and what the merchant's wallet needs to send an on-chain refund through the PaymentRouter (any role).",
      responses: { 200: { description: "Refunds" }, 401: error401, 404: error404 },
      handler: async ({ user, params }) => {
        await merchants.authorize(user.userId, params.merchantId!, "viewer");
        return json(await orders.listRefunds(params.merchantId!, params.orderId!));
      },
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/orders/{orderId}/refunds", operationId: "dashboardCreateRefund", tag: "dashboard", auth: "session", body: refundSchema, idempotent: true,
      summary: "Starts a refund from the dashboard: on-chain (then sent by the merchant's wallet) or a claim link (manager).",
      responses: { 201: { description: "Refund" }, 400: error400, 401: error401, 403: error403, 404: error404, 409: { description: "Nothing to refund" }, 422: { description: "More than refundable, or no payer address" } },
      handler: async ({ user, params, body, origin, idempotency }) => {
        await merchants.authorize(user.userId, params.merchantId!, "manager");
        return stored(await orders.createRefund(params.merchantId!, params.orderId!, body, { origin, idempotencyKey: idempotency.key, requestHash: idempotency.requestHash }));
      },
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/orders/{orderId}/refunds/{refundId}/transaction", operationId: "dashboardRecordRefundTransaction", tag: "dashboard", auth: "session", body: refundTransactionSchema,
      summary: "Reports the wallet's PaymentRouter.refund transaction; the server checks it on chain: completed, failed, or still pending until mined (manager).",
      responses: { 200: { description: "Refund and order" }, 400: error400, 401: error401, 403: error403, 404: error404, 409: { description: "Not an on-chain refund, or no longer pending" }, 503: { description: "Chain unreachable" } },
      handler: async ({ user, params, body, origin }) => {
        await merchants.authorize(user.userId, params.merchantId!, "manager");
        return json(await orders.recordRefundTransaction(params.merchantId!, params.orderId!, params.refundId!, body.transactionHash as `0x${string}`, origin));
      },
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/orders/{orderId}/refunds/{refundId}/cancel", operationId: "dashboardCancelRefund", tag: "dashboard", auth: "session", body: noBody,
      summary: "Withdraws a refund not sent yet (awaiting its claim, or pending without a transaction); its amount becomes refundable again (manager).",
      responses: { 200: { description: "Refund" }, 401: error401, 403: error403, 404: error404, 409: { description: "Already sent, completed, failed or cancelled" } },
      handler: async ({ user, params }) => {
        await merchants.authorize(user.userId, params.merchantId!, "manager");
        return json(await orders.cancelRefund(params.merchantId!, params.orderId!, params.refundId!));
      },
    }),
    route({
      method: "GET", path: "/api/merchants/{merchantId}/subscriptions", operationId: "dashboardListSubscriptions", tag: "dashboard", auth: "session",
      summary: "Subscriptions to the account's on-chain plans (plans whose merchant is the payout address) with their charges and orders (any role).",
      responses: { 200: { description: "Subscriptions, newest first" }, 401: error401, 404: error404 },
      handler: async ({ user, params }) => {
        await merchants.authorize(user.userId, params.merchantId!, "viewer");
        return json(await subscriptions.listForMerchant(params.merchantId!));
      },
    }),
  ];
}
