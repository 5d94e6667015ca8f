// Merchant accounts and their sub-accounts (tag "merchants").
import { json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import { payoutChallengeSchema, payoutProofSchema } from "../merchants/payout-proof.ts";
import { createMerchantSchema, createSubAccountSchema, updateMerchantSchema } from "../merchants/service.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error401, error403, error404 } from "./responses.ts";

/** Each challenge is a stored row; each proof may cost an on-chain signature check (ERC-1271 / ERC-6492). */
export const PAYOUT_CHALLENGE_LIMIT = { name: "payout-challenge", points: 30, durationSeconds: 60 };
export const PAYOUT_PROOF_LIMIT = { name: "payout-proof", points: 30, durationSeconds: 60 };

export function merchantRoutes({ merchants, payoutProofs }: GatewayServices): Route[] {
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
      method: "POST", path: "/api/merchants/{merchantId}/payout-address/challenge", operationId: "createPayoutAddressChallenge", tag: "merchants", auth: "session", body: payoutChallengeSchema,
      rateLimit: { rule: PAYOUT_CHALLENGE_LIMIT, by: "client" },
      summary: "A message for the payout wallet to sign (EIP-191; ERC-1271/6492 for contract wallets), naming this site, the account, the address and a single-use nonce, valid 10 minutes (owner). Analytics and subscription plans use proven payout addresses only.",
      responses: { 200: { description: "{ address, message, nonce, expiresAt }" }, 400: error400, 401: error401, 403: error403, 404: error404 },
      handler: async ({ user, params }) => json(await payoutProofs.challenge(user.userId, params.merchantId!)),
    }),
    route({
      method: "POST", path: "/api/merchants/{merchantId}/payout-address/proof", operationId: "provePayoutAddress", tag: "merchants", auth: "session", body: payoutProofSchema,
      rateLimit: { rule: PAYOUT_PROOF_LIMIT, by: "client" },
      summary: "Submits the signed challenge; verified through the chain, it proves the payout address for the account and its sub-accounts until the address changes (owner).",
      responses: {
        200: { description: "{ merchantId, payoutAddress, payoutAddressProof }" }, 400: error400, 401: error401, 403: error403, 404: error404,
        422: { description: "Refused: unknown, used, expired or other account's challenge, altered message, address changed, or not the payout wallet's signature (code payout_proof_*)" },
        503: { description: "The chain could not be asked (contract wallet signatures)" },
      },
      handler: async ({ user, params, body }) => json(await payoutProofs.prove(user.userId, params.merchantId!, body)),
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
