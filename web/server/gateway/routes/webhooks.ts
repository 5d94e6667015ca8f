// Webhook endpoints, their delivery logs and redeliveries (tag "webhooks").
import { z } from "zod";
import { json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import { createWebhookEndpointSchema, updateWebhookEndpointSchema } from "../webhooks/endpoints.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error401, error403, error404 } from "./responses.ts";

const unavailable = { description: "Delivery not running in this process" };
const targetRefused = { description: "Receiver refused: webhook_url_insecure (not https), webhook_url_not_public or webhook_url_unresolvable (production)" };

export function webhookRoutes({ webhookEndpoints }: GatewayServices): Route[] {
  return [
    route({
      method: "GET", path: "/api/merchants/{merchantId}/webhooks", operationId: "listWebhookEndpoints", tag: "webhooks", auth: "session",
      summary: "Webhook endpoints of the account (the signing secret is never listed).",
      responses: { 200: { description: "Endpoints" }, 401: error401, 404: error404 },
      handler: async ({ user, params }) => json({ data: await webhookEndpoints.list(user.userId, params.merchantId!) }),
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/webhooks", operationId: "createWebhookEndpoint", tag: "webhooks", auth: "session", body: createWebhookEndpointSchema,
      summary: "Adds an endpoint with optional event filters; its signing secret is in this response only (manager).",
      responses: { 201: { description: "Endpoint with its secret" }, 400: error400, 401: error401, 403: error403, 404: error404, 422: targetRefused },
      handler: async ({ user, params, body }) => json(await webhookEndpoints.create(user.userId, params.merchantId!, body), 201),
    }),
    route({
      method: "PATCH", path: "/api/merchants/{merchantId}/webhooks/{endpointId}", operationId: "updateWebhookEndpoint", tag: "webhooks", auth: "session", body: updateWebhookEndpointSchema,
      summary: "Changes an endpoint's URL, event filters or enabled flag (manager).",
      responses: { 200: { description: "Endpoint" }, 400: error400, 401: error401, 403: error403, 404: error404, 422: targetRefused },
      handler: async ({ user, params, body }) => json(await webhookEndpoints.update(user.userId, params.merchantId!, params.endpointId!, body)),
    }),
    route({
      method: "DELETE", path: "/api/merchants/{merchantId}/webhooks/{endpointId}", operationId: "deleteWebhookEndpoint", tag: "webhooks", auth: "session",
      summary: "Deletes an endpoint and its delivery log (manager).",
      responses: { 200: { description: "Deleted" }, 401: error401, 403: error403, 404: error404 },
      handler: async ({ user, params }) => json(await webhookEndpoints.remove(user.userId, params.merchantId!, params.endpointId!)),
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/webhooks/{endpointId}/test", operationId: "testWebhookEndpoint", tag: "webhooks", auth: "session",
      summary: "Sends a signed webhook.test event to the endpoint (manager).",
      responses: { 202: { description: "Queued" }, 401: error401, 403: error403, 404: error404, 503: unavailable },
      handler: async ({ user, params }) => json(await webhookEndpoints.testSend(user.userId, params.merchantId!, params.endpointId!), 202),
    }),
    route({
      method: "GET", path: "/api/merchants/{merchantId}/webhooks/{endpointId}/deliveries", operationId: "listEndpointDeliveries", tag: "webhooks", auth: "session",
      summary: "The endpoint's latest 20 delivery attempts with event type and HTTP status, test events included (any role).",
      responses: { 200: { description: "Attempts, newest first" }, 401: error401, 404: error404 },
      handler: async ({ user, params }) => json({ data: await webhookEndpoints.deliveriesOfEndpoint(user.userId, params.merchantId!, params.endpointId!) }),
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/events/{eventId}/redeliver", operationId: "redeliverEvent", tag: "webhooks", auth: "session",
      query: z.object({ endpointId: z.string().max(100).optional().meta({ description: "Only to this endpoint (default: every endpoint that wants the event)" }) }).strict(),
      summary: "Queues the event again, to one endpoint (?endpointId=) or to every endpoint that wants it (manager).",
      responses: { 202: { description: "Queued" }, 400: error400, 401: error401, 403: error403, 404: error404, 503: unavailable },
      handler: async ({ user, params, query }) => json(await webhookEndpoints.redeliver(user.userId, params.merchantId!, params.eventId!, query.endpointId), 202),
    }),
    route({
      method: "GET", path: "/api/merchants/{merchantId}/orders/{orderId}/deliveries", operationId: "listOrderDeliveries", tag: "webhooks", auth: "session",
      summary: "The order's events and every webhook delivery attempt with its HTTP status (any role).",
      responses: { 200: { description: "Events with attempts" }, 401: error401, 404: error404 },
      handler: async ({ user, params }) => json({ data: await webhookEndpoints.deliveriesOfOrder(user.userId, params.merchantId!, params.orderId!) }),
    }),
  ];
}
