// The gateway's HTTP API: its services, and the route tables (routes/, one file per tag) behind the
// one router (http/router.ts) that enforces what each route declares. The custom server answers
// /api/v1 with `handle` directly (server/app.ts); Next.js route handlers (app/api/{auth,merchants,
// refunds}/…) only forward to it. The same table drives the OpenAPI document, so every served route
// is documented.
import type { Logger } from "pino";
import type { PublicClient } from "viem";
import type { AppDatabase } from "../db/index.ts";
import type { RateLimits } from "../security/rate-limit.ts";
import type { Site } from "../site.ts";
import { createAnalyticsService } from "./analytics/service.ts";
import { createApiKeyService } from "./api-keys/service.ts";
import { createAuthService, sessionCookieName } from "./auth/service.ts";
import { json } from "./http/errors.ts";
import { createRouter, route, type Route } from "./http/router.ts";
import { createPayoutProofService } from "./merchants/payout-proof.ts";
import { createMerchantService } from "./merchants/service.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { createQrRenderer } from "./orders/qr.ts";
import { createOrderService } from "./orders/service.ts";
import { analyticsRoutes } from "./routes/analytics.ts";
import { apiKeyRoutes } from "./routes/api-keys.ts";
import { authRoutes } from "./routes/auth.ts";
import type { GatewayServices } from "./routes/context.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { merchantRoutes } from "./routes/merchants.ts";
import { orderRoutes } from "./routes/orders.ts";
import { refundClaimRoutes } from "./routes/refunds.ts";
import { subscriptionRoutes } from "./routes/subscriptions.ts";
import { teamRoutes } from "./routes/team.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import type { SubscriptionRelay } from "./subscriptions/relay.ts";
import { createSubscriptionService } from "./subscriptions/service.ts";
import type { Keyring } from "../secrets/keyring.ts";
import type { WebhookService } from "./webhooks/delivery.ts";
import type { TargetPolicy } from "./webhooks/targets.ts";
import { createWebhookEndpointService } from "./webhooks/endpoints.ts";

export type GatewayDeps = {
  db: AppDatabase;
  chainClient: PublicClient;
  chainId: number;
  production: boolean;
  /** The public origin(s): SIWE's domain, Origin checks and every link come from it, never from Host. */
  site: Site;
  /** Shared rate limits (absent: nothing is limited, as in unit tests of the services). */
  rateLimits?: RateLimits;
  logger: Logger;
  /** Base URL of the Ponder indexer, whose analytics API answers the dashboard's on-chain figures. */
  indexerUrl: string;
  /** The indexer API's shared secret (INDEXER_API_SECRET), sent with every call to it. */
  indexerApiSecret: string;
  /** Webhook delivery of this process (queues redeliveries and test events), once the job queue runs. */
  webhookDelivery?: () => WebhookService | undefined;
  /** Seals webhook signing secrets (and opens them for their prefix). */
  keyring: Keyring;
  /** Which webhook receivers may be registered (https and public addresses only in production). */
  webhookTargets: TargetPolicy;
  /** Submits signed subscription terms with the relayer key; absent without a deployment or relayer. */
  subscriptionRelay?: SubscriptionRelay;
};

export function createGatewayApi(deps: GatewayDeps) {
  const { db } = deps;
  const auth = createAuthService({ db, chainClient: deps.chainClient, chainId: deps.chainId, site: deps.site });
  const merchants = createMerchantService({ db });
  const keys = createApiKeyService({ db, merchants });
  const cookieName = sessionCookieName(deps.production);

  const services: GatewayServices = {
    auth,
    merchants,
    payoutProofs: createPayoutProofService({ db, chainClient: deps.chainClient, chainId: deps.chainId, site: deps.site, merchants }),
    keys,
    webhookEndpoints: createWebhookEndpointService({ db, merchants, delivery: deps.webhookDelivery ?? (() => undefined), keyring: deps.keyring, targets: deps.webhookTargets }),
    orders: createOrderService({ db, chainId: deps.chainId, chainClient: deps.chainClient }),
    qr: createQrRenderer(),
    subscriptions: createSubscriptionService({ db, chainId: deps.chainId }),
    analytics: createAnalyticsService({ db, merchants, indexerUrl: deps.indexerUrl, indexerApiSecret: deps.indexerApiSecret }),
    subscriptionRelay: deps.subscriptionRelay,
    sessionCookie(token, expiresAt) {
      // Production: `__Host-` (Secure, Path=/, no Domain), so no sibling subdomain can plant or overwrite it.
      const attributes = [`${cookieName}=${token}`, "Path=/", "HttpOnly", "SameSite=Lax"];
      attributes.push(expiresAt ? `Expires=${expiresAt.toUTCString()}` : "Max-Age=0");
      if (deps.production) attributes.push("Secure");
      return attributes.join("; ");
    },
  };

  const routes: Route[] = [
    ...authRoutes(services),
    ...merchantRoutes(services),
    ...teamRoutes(services),
    ...apiKeyRoutes(services),
    ...webhookRoutes(services),
    ...dashboardRoutes(services),
    ...refundClaimRoutes(services),
    ...subscriptionRoutes(services),
    ...analyticsRoutes(services),
    ...orderRoutes(services),
    route({
      method: "GET", path: "/api/v1/openapi.json", operationId: "getOpenApi", tag: "meta", auth: "none",
      summary: "This document.",
      responses: { 200: { description: "OpenAPI 3.1 document" } },
      handler: async ({ origin }) => json(buildOpenApiDocument(routes, origin), 200, { "cache-control": "public, max-age=60" }),
    }),
  ];

  const router = createRouter(routes, {
    site: deps.site,
    logger: deps.logger,
    rateLimits: deps.rateLimits,
    sessionCookie: cookieName,
    authenticateSession: auth.authenticate,
    authenticateApiKey: keys.authenticate,
  });

  return { routes, handle: router.handle, sessionCookieName: cookieName, services: { auth, merchants, keys, orders: services.orders } };
}

export type GatewayApi = ReturnType<typeof createGatewayApi>;
