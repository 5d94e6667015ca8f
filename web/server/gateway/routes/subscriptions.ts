// Relayed subscription sign-ups (tag "subscriptions").
import { ApiError, json } from "../http/errors.ts";
import { route, type Route } from "../http/router.ts";
import { signedSubscriptionSchema } from "../subscriptions/relay.ts";
import type { GatewayServices } from "./context.ts";
import { error400, error429 } from "./responses.ts";

/** Each relay spends the relayer's gas: a stranger must not be able to drain it. */
export const SUBSCRIPTION_RELAY_LIMIT = { name: "subscription-relay", points: 10, durationSeconds: 60 };

export function subscriptionRoutes({ subscriptionRelay }: GatewayServices): Route[] {
  return [
    route({
      method: "POST", path: "/api/v1/subscriptions/signed", operationId: "relaySignedSubscription", tag: "subscriptions", auth: "none", body: signedSubscriptionSchema,
      rateLimit: { rule: SUBSCRIPTION_RELAY_LIMIT, by: "client" },
      summary: "Submits EIP-712 signed SubscriptionTerms (subscribeWithSignature) with CoinPays' relayer paying the gas; for plans of gateway merchants, and only when the subscriber has approved and holds one period's price.",
      responses: {
        201: { description: "Subscribed: { subscriptionId, transactionHash }" },
        400: error400,
        404: { description: "No such plan" },
        422: { description: "Not relayed (plan not a gateway merchant's, allowance or balance below one period) or refused by the contract (error name in details)" },
        429: error429,
        503: { description: "No relayer in this server" },
      },
      handler: async ({ body }) => {
        if (!subscriptionRelay) throw new ApiError(503, "relay_unavailable", "This server has no relayer for sign-ups");
        return json(await subscriptionRelay.relay(body), 201);
      },
    }),
  ];
}
