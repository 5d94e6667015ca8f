// API keys of an account (tag "api-keys").
import { createApiKeySchema } from "../api-keys/service.ts";
import { json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error401, error403, error404 } from "./responses.ts";

export function apiKeyRoutes({ keys }: GatewayServices): Route[] {
  return [
    route({
      method: "GET", path: "/api/merchants/{merchantId}/api-keys", operationId: "listApiKeys", tag: "api-keys", auth: "session",
      summary: "API keys of the account: prefix, name, created, last used (never the secret).",
      responses: { 200: { description: "Keys" }, 401: error401, 404: error404 },
      handler: async ({ user, params }) => json({ data: await keys.list(user.userId, params.merchantId!) }),
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/api-keys", operationId: "createApiKey", tag: "api-keys", auth: "session", body: createApiKeySchema,
      summary: "Creates an API key scoped to this account; the secret is in this response only (manager).",
      responses: { 201: { description: "Key with its secret" }, 400: error400, 401: error401, 403: error403, 404: error404 },
      handler: async ({ user, params, body }) => json(await keys.create(user.userId, params.merchantId!, body), 201),
    }),
    route({
      method: "DELETE", path: "/api/merchants/{merchantId}/api-keys/{keyId}", operationId: "revokeApiKey", tag: "api-keys", auth: "session",
      summary: "Revokes an API key at once (manager).",
      responses: { 200: { description: "Revoked key" }, 401: error401, 403: error403, 404: error404 },
      handler: async ({ user, params }) => json(await keys.revoke(user.userId, params.merchantId!, params.keyId!)),
    }),
  ];
}
