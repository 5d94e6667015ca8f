// Refund claim links (tag "refunds"; public: the unguessable token in the link is the credential).
import { json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import { claimRefundSchema } from "../orders/schemas.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error404, error429 } from "./responses.ts";

/** A claim token has 128+ random bits; the limit is against hammering the lookup, not guessing. */
export const REFUND_CLAIM_LIMIT = { name: "refund-claim", points: 60, durationSeconds: 60 };

export function refundClaimRoutes({ orders }: GatewayServices): Route[] {
  return [
    route({
      method: "GET", path: "/api/refunds/claim/{claimToken}", operationId: "getRefundClaim", tag: "refunds", auth: "none",
      rateLimit: { rule: REFUND_CLAIM_LIMIT, by: "client" },
      summary: "The refund a claim link offers: amount, token and order.",
      responses: { 200: { description: "Claim" }, 404: error404, 429: error429 },
      handler: async ({ params }) => json(await orders.getClaim(params.claimToken!)),
    }),
    route({
      method: "POST", path: "/api/refunds/claim/{claimToken}", operationId: "claimRefund", tag: "refunds", auth: "none", body: claimRefundSchema,
      rateLimit: { rule: REFUND_CLAIM_LIMIT, by: "client" },
      summary: "The payer gives the address to refund to (once); the merchant then sends it on chain.",
      responses: { 200: { description: "Claimed" }, 400: error400, 404: error404, 409: { description: "Already claimed, completed or cancelled" }, 429: error429 },
      handler: async ({ params, body }) => json(await orders.claimRefund(params.claimToken!, body.toAddress)),
    }),
  ];
}
