// Merchant accounts and their sub-accounts (tag "merchants").
import { json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import { createMerchantSchema, createSubAccountSchema, updateMerchantSchema } from "../merchants/service.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error401, error403, error404 } from "./responses.ts";

export function merchantRoutes({ merchants }: GatewayServices): Route[] {
  return [
    route({
      method: "GET", path: "/api/merchants", operationId: "listMerchants", tag: "merchants", auth: "session",
      summary: "Accounts the signed-in user holds a role on.",
      responses: { 200: { description: "Merchants" }, 401: error401 },
      handler: async ({ user }) => json({ data: await merchants.listForUser(user.userId) }),
    }),
    route({
      method: "POST", path: "/api/merchants", operationId: "createMerchant", tag: "merchants", auth: "session", body: createMerchantSchema,
      summary: "Creates a merchant with the caller as owner.",
      responses: { 201: { description: "Merchant" }, 400: error400, 401: error401 },
      handler: async ({ user, body }) => json(await merchants.create(user.userId, body), 201),
    }),
    route({
      method: "GET", path: "/api/merchants/{merchantId}", operationId: "getMerchant", tag: "merchants", auth: "session",
      summary: "A merchant's profile (any role).",
      responses: { 200: { description: "Merchant" }, 401: error401, 404: error404 },
      handler: async ({ user, params }) => json(await merchants.get(user.userId, params.merchantId!)),
    }),
    route({
      method: "PATCH", path: "/api/merchants/{merchantId}", operationId: "updateMerchant", tag: "merchants", auth: "session", body: updateMerchantSchema,
      summary: "Updates the profile: name, payout address, accepted tokens and confirmations per chain, order expiry (owner).",
      responses: { 200: { description: "Merchant" }, 400: error400, 401: error401, 403: error403, 404: error404 },
      handler: async ({ user, params, body }) => json(await merchants.update(user.userId, params.merchantId!, body)),
    }),
    route({
      method: "GET", path: "/api/merchants/{merchantId}/sub-accounts", operationId: "listSubAccounts", tag: "merchants", auth: "session",
      summary: "Direct sub-accounts (stores, branches).",
      responses: { 200: { description: "Merchants" }, 401: error401, 404: error404 },
      handler: async ({ user, params }) => json({ data: await merchants.listSubAccounts(user.userId, params.merchantId!) }),
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/sub-accounts", operationId: "createSubAccount", tag: "merchants", auth: "session", body: createSubAccountSchema,
      summary: "Creates a sub-account; roles on the parent apply to it (owner).",
      responses: { 201: { description: "Merchant" }, 400: error400, 401: error401, 403: error403, 404: error404, 422: { description: "Too deep" } },
      handler: async ({ user, params, body }) => json(await merchants.createSubAccount(user.userId, params.merchantId!, body), 201),
    }),
  ];
}
