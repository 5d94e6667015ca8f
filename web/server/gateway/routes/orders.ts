// The orders API for integrators' backends and tills (tag "orders"; API key).
import { z } from "zod";
import type { ApiKeyPrincipal } from "../api-keys/service.ts";
import { json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import { createOrderSchema, listOrdersQuerySchema, refundSchema } from "../orders/schemas.ts";
import { etagMatches, QR_CACHE_CONTROL, QR_CONTENT_TYPE, qrEtag } from "../orders/qr.ts";
import { paymentUriOf, type OrderAccess } from "../orders/service.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error401, error404, error429 } from "./responses.ts";
import { stored } from "./stored.ts";

/**
 * Per API key: 100 creations a second (6,000 a minute), what a busy game backend needs at peak and the
 * order of what payment APIs allow per account; a leaked key still cannot flood the table unbounded.
 */
export const ORDER_CREATION_LIMIT = { name: "order-create", points: 6_000, durationSeconds: 60 };

/** A `pos` key reaches only the orders it created. */
const orderAccess = (key: ApiKeyPrincipal): OrderAccess => ({ merchantId: key.merchantId, ...(key.scope === "pos" ? { apiKeyId: key.keyId } : {}) });

export function orderRoutes({ orders, qr }: GatewayServices): Route[] {
  return [
    route({
      method: "POST", path: "/api/v1/orders", operationId: "createOrder", tag: "orders", auth: "apiKey", scopes: ["full", "pos"], body: createOrderSchema, idempotent: true,
      rateLimit: { rule: ORDER_CREATION_LIMIT, by: "apiKey" },
      summary: "Creates an order: deposit address, EIP-681 URI, checkout URL and the URLs of its QR code as SVG and PNG.",
      responses: {
        201: { description: "The order", schema: undefined },
        400: error400, 401: error401, 403: { description: "The key's scope does not allow this" },
        409: { description: "Reference already used" },
        422: { description: "Token not deployed/accepted, chain not served, or Idempotency-Key reused with another body" },
        429: error429,
      },
      handler: async ({ apiKey, body, origin, idempotency }) =>
        stored(await orders.create(apiKey.merchantId, body, { origin, idempotencyKey: idempotency.key, requestHash: idempotency.requestHash, apiKeyId: apiKey.keyId, ownKeyOnly: apiKey.scope === "pos" })),
    }),
    route({
      method: "GET", path: "/api/v1/orders", operationId: "listOrders", tag: "orders", auth: "apiKey", scopes: ["full", "pos"], query: listOrdersQuerySchema,
      summary: "Lists orders, newest first, with filters and an opaque cursor (a pos key: the orders it created).",
      responses: { 200: { description: "Page" }, 400: error400, 401: error401 },
      handler: async ({ apiKey, query, origin }) => {
        const access = orderAccess(apiKey);
        return json(await orders.list({ merchantIds: [access.merchantId], apiKeyId: access.apiKeyId }, query, origin));
      },
    }),
    route({
      method: "GET", path: "/api/v1/orders/{orderId}", operationId: "getOrder", tag: "orders", auth: "apiKey", scopes: ["full", "pos"],
      summary: "One order (a pos key: only one it created).",
      responses: { 200: { description: "Order" }, 401: error401, 404: error404 },
      handler: async ({ apiKey, params, origin }) => json(await orders.get(orderAccess(apiKey), params.orderId!, origin)),
    }),
    route({
      method: "POST", path: "/api/v1/orders/{orderId}/cancel", operationId: "cancelOrder", tag: "orders", auth: "apiKey", scopes: ["full", "pos"], body: z.object({}).strict(), idempotent: true,
      summary: "Cancels an order before any payment (a pos key: only one it created, e.g. a sale the customer walked away from).",
      responses: { 200: { description: "Order" }, 401: error401, 404: error404, 409: { description: "Paid, in flight or final" } },
      handler: async ({ apiKey, params, origin, idempotency }) =>
        stored(await orders.cancel(orderAccess(apiKey), params.orderId!, { origin, idempotencyKey: idempotency.key, requestHash: idempotency.requestHash })),
    }),
    route({
      method: "POST", path: "/api/v1/orders/{orderId}/refunds", operationId: "createRefund", tag: "orders", auth: "apiKey", body: refundSchema, idempotent: true,
      summary: "Records a refund: on-chain (completed from the dashboard through PaymentRouter.refund) or a claim link for the payer.",
      responses: { 201: { description: "Refund" }, 400: error400, 401: error401, 403: { description: "A pos key cannot refund" }, 404: error404, 409: { description: "Nothing to refund" }, 422: { description: "More than refundable, or no payer address" } },
      handler: async ({ apiKey, params, body, origin, idempotency }) =>
        stored(await orders.createRefund(apiKey.merchantId, params.orderId!, body, { origin, idempotencyKey: idempotency.key, requestHash: idempotency.requestHash })),
    }),
    ...(["svg", "png"] as const).map((format) =>
      route({
        method: "GET", path: `/api/v1/orders/{orderId}/qr.${format}`, operationId: format === "svg" ? "getOrderQrSvg" : "getOrderQrPng", tag: "orders", auth: "none",
        summary: `The order's payment QR code (EIP-681) as ${format.toUpperCase()}; public, like the checkout page. Immutable: cache it; revalidate with If-None-Match.`,
        responses: { 200: { description: format.toUpperCase(), contentType: QR_CONTENT_TYPE[format] }, 304: { description: "Not modified (If-None-Match)" }, 404: error404 },
        handler: async ({ params, request }) => {
          const paymentUri = paymentUriOf(await orders.getPublic(params.orderId!));
          const etag = qrEtag(format, paymentUri);
          const caching = { etag, "cache-control": QR_CACHE_CONTROL };
          if (etagMatches(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers: caching });
          const image = await qr.render(format, paymentUri);
          return new Response(image, { headers: { "content-type": QR_CONTENT_TYPE[format], ...caching } });
        },
      }),
    ),
  ];
}
