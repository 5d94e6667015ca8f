// The gateway's HTTP API as one framework-free router over Fetch API Request/Response. The custom
// server answers /api/v1 with `handle` directly (server/app.ts); Next.js route handlers
// (app/api/{auth,merchants,refunds}/…) only forward to it. The same route table drives dispatch and the
// OpenAPI document, so every served route is documented.
import type { Logger } from "pino";
import type { PublicClient } from "viem";
import { z } from "zod";
import type { AppDatabase } from "../db/index.ts";
import type { Site } from "../site.ts";
import { analyticsQuerySchema, createAnalyticsService, METRICS, type Metric } from "./analytics/service.ts";
import { createApiKeySchema, createApiKeyService, type ApiKeyPrincipal, type ApiKeyScope } from "./api-keys/service.ts";
import { createAuthService, SESSION_COOKIE, type SessionUser } from "./auth/service.ts";
import { ApiError, errorResponse, json, notFound, unauthorized, validationError } from "./http/errors.ts";
import type { OrderAccess } from "./orders/service.ts";
import { cookieFrom, parseBody, parseQuery, readJson } from "./http/request.ts";
import { addMemberSchema, createMerchantSchema, createMerchantService, createSubAccountSchema, updateMemberSchema, updateMerchantSchema } from "./merchants/service.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { claimRefundSchema, createOrderSchema, dashboardOrdersQuerySchema, listOrdersQuerySchema, refundSchema, refundTransactionSchema } from "./orders/schemas.ts";
import { createQrRenderer, etagMatches, QR_CACHE_CONTROL, QR_CONTENT_TYPE, qrEtag } from "./orders/qr.ts";
import { createOrderService, paymentUriOf, type StoredResponse } from "./orders/service.ts";
import { signedSubscriptionSchema, type SubscriptionRelay } from "./subscriptions/relay.ts";
import { createSubscriptionService } from "./subscriptions/service.ts";
import type { WebhookService } from "./webhooks/delivery.ts";
import { createWebhookEndpointSchema, createWebhookEndpointService, updateWebhookEndpointSchema } from "./webhooks/endpoints.ts";

export type GatewayDeps = {
  db: AppDatabase;
  chainClient: PublicClient;
  chainId: number;
  production: boolean;
  /** The public origin(s): SIWE's domain, Origin checks and every link come from it, never from Host. */
  site: Site;
  logger: Logger;
  /** Base URL of the Ponder indexer, whose analytics API answers the dashboard's on-chain figures. */
  indexerUrl: string;
  /** The indexer API's shared secret (INDEXER_API_SECRET), sent with every call to it. */
  indexerApiSecret: string;
  /** Webhook delivery of this process (queues redeliveries and test events), once the job queue runs. */
  webhookDelivery?: () => WebhookService | undefined;
  /** Submits signed subscription terms with the relayer key; absent without a deployment or relayer. */
  subscriptionRelay?: SubscriptionRelay;
};

type Method = "GET" | "POST" | "PATCH" | "DELETE";
/** `origin` is the site's configured public origin, for the links a handler builds. */
export type RouteContext = { request: Request; url: URL; params: Record<string, string>; origin: string; route: Route };
export type RouteDoc = {
  summary: string;
  tag: string;
  auth: "none" | "session" | "apiKey";
  /** apiKey routes: the key scopes allowed to call it (default: `full` only), enforced on every call. */
  scopes?: readonly ApiKeyScope[];
  body?: z.ZodType;
  query?: z.ZodObject;
  idempotent?: boolean;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
};
export type Route = RouteDoc & { method: Method; path: string; operationId: string; handler: (ctx: RouteContext) => Promise<Response> };

const siweVerifySchema = z
  .object({
    message: z.string().min(1).max(4_000).meta({ description: "The EIP-4361 message as signed" }),
    signature: z.string().regex(/^0x[0-9a-fA-F]{2,4000}$/, { error: "must be 0x-prefixed hex" }),
  })
  .strict()
  .meta({ id: "SiweVerifyRequest" });

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKeyOf(request: Request): string | undefined {
  const key = request.headers.get("idempotency-key");
  if (key === null) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ApiError(400, "validation_failed", "Idempotency-Key must be 1 to 255 visible ASCII characters", [{ field: "Idempotency-Key", message: "invalid" }]);
  }
  return key;
}

function stored(result: StoredResponse): Response {
  return json(result.body, result.status, result.replayed ? { "idempotent-replayed": "true" } : {});
}

const ANALYTICS_SUMMARIES: Record<Metric, string> = {
  revenue: "Revenue per hour or day, chain and token: payments, volume, fees, USD value at payment time, unique payers, refunds.",
  "top-payers": "The biggest payers in the range by USD value, with what each paid per token.",
  "payment-methods": "Payments per method (router, permit, native, deposit address, credit, loyalty, subscription) and token, with shares.",
  conversion: "Orders created per bucket and how many of them were paid (settled, overpaid, paid late or later refunded).",
  refunds: "Refunds newest first, and totals per chain and token.",
  "split-payouts": "Distributions of splits that pay this account, its share of each, and its withdrawals.",
  loyalty: "Loyalty points issued, redeemed and clawed back per bucket and program, and each program's totals.",
  lending: "Utilisation of every lending market, beside the orders paid to this account on credit and its own positions.",
};

export function createGatewayApi(deps: GatewayDeps) {
  const { db } = deps;
  const auth = createAuthService({ db, chainClient: deps.chainClient, chainId: deps.chainId, site: deps.site });
  const merchants = createMerchantService({ db });
  const keys = createApiKeyService({ db, merchants });
  const webhookEndpoints = createWebhookEndpointService({ db, merchants, delivery: deps.webhookDelivery ?? (() => undefined) });
  const orders = createOrderService({ db, chainId: deps.chainId, chainClient: deps.chainClient });
  const qr = createQrRenderer();
  const subscriptionsView = createSubscriptionService({ db, chainId: deps.chainId });
  const analytics = createAnalyticsService({ db, merchants, indexerUrl: deps.indexerUrl, indexerApiSecret: deps.indexerApiSecret });

  async function session(ctx: RouteContext): Promise<SessionUser> {
    const user = await auth.authenticate(cookieFrom(ctx.request.headers.get("cookie"), SESSION_COOKIE));
    if (!user) throw unauthorized("Sign in first");
    return user;
  }
  /** The route's API key, refused with 403 when its scope is not among the route's `scopes`. */
  async function apiKey(ctx: RouteContext): Promise<ApiKeyPrincipal> {
    const principal = await keys.authenticate(ctx.request.headers.get("authorization"));
    const allowed = ctx.route.scopes ?? ["full"];
    if (!allowed.includes(principal.scope)) {
      throw new ApiError(403, "insufficient_scope", `This API key has the ${principal.scope} scope; ${ctx.route.operationId} needs ${allowed.join(" or ")}`);
    }
    return principal;
  }
  /** A `pos` key reaches only the orders it created. */
  const orderAccess = (principal: ApiKeyPrincipal): OrderAccess => ({ merchantId: principal.merchantId, ...(principal.scope === "pos" ? { apiKeyId: principal.keyId } : {}) });

  function sessionCookie(token: string, expiresAt: Date | null): string {
    const attributes = [`${SESSION_COOKIE}=${token}`, "Path=/", "HttpOnly", "SameSite=Lax"];
    attributes.push(expiresAt ? `Expires=${expiresAt.toUTCString()}` : "Max-Age=0");
    if (deps.production) attributes.push("Secure");
    return attributes.join("; ");
  }

  /** The body parsed once: validated for the handler, hashed as sent for Idempotency-Key. */
  async function bodyAndHash<S extends z.ZodType>(ctx: RouteContext, schema: S) {
    const raw = await readJson(ctx.request);
    const result = schema.safeParse(raw);
    if (!result.success) throw validationError(result.error, "body");
    return { body: result.data as z.output<S>, hash: orders.requestHash(ctx.request.method, ctx.url.pathname, raw) };
  }

  const error400 = { description: "Invalid input (field details in error.details)" };
  const error401 = { description: "Not signed in / API key missing, malformed, unknown or revoked" };
  const error403 = { description: "Your role does not allow this" };
  const error404 = { description: "Not found (or not yours)" };

  const routes: Route[] = [
    // ── Sign-In with Ethereum ───────────────────────────────────────────────────────────────
    {
      method: "GET", path: "/api/auth/nonce", operationId: "getSiweNonce", tag: "auth", auth: "none",
      summary: "A fresh single-use nonce for a Sign-In with Ethereum message (valid 10 minutes).",
      responses: { 200: { description: "Nonce" } },
      handler: async () => {
        const { nonce, expiresAt } = await auth.createNonce();
        return json({ nonce, expiresAt: expiresAt.toISOString() });
      },
    },
    {
      method: "POST", path: "/api/auth/verify", operationId: "verifySiwe", tag: "auth", auth: "none",
      summary: "Verifies a signed EIP-4361 message and starts a session (httpOnly cookie).",
      body: siweVerifySchema,
      responses: { 200: { description: "Signed in" }, 400: error400, 401: { description: "Wrong domain or chain, unknown/used/expired nonce, or bad signature" } },
      handler: async (ctx) => {
        const input = await parseBody(ctx.request, siweVerifySchema);
        const result = await auth.signIn({ message: input.message, signature: input.signature as `0x${string}` });
        return json(
          { user: { id: result.user.userId, address: result.user.address }, created: result.created, expiresAt: result.expiresAt.toISOString() },
          200,
          { "set-cookie": sessionCookie(result.token, result.expiresAt) },
        );
      },
    },
    {
      method: "POST", path: "/api/auth/logout", operationId: "logout", tag: "auth", auth: "session",
      summary: "Ends the current session.",
      responses: { 200: { description: "Signed out" }, 401: error401 },
      handler: async (ctx) => {
        const user = await session(ctx);
        await auth.signOut(user.sessionId);
        return json({ signedOut: true }, 200, { "set-cookie": sessionCookie("", null) });
      },
    },
    {
      method: "GET", path: "/api/auth/me", operationId: "getMe", tag: "auth", auth: "session",
      summary: "The signed-in user and the accounts they belong to.",
      responses: { 200: { description: "User" }, 401: error401 },
      handler: async (ctx) => {
        const user = await session(ctx);
        return json({ user: { id: user.userId, address: user.address }, merchants: await merchants.listForUser(user.userId) });
      },
    },
    // ── Merchants, sub-accounts, team ───────────────────────────────────────────────────────
    {
      method: "GET", path: "/api/merchants", operationId: "listMerchants", tag: "merchants", auth: "session",
      summary: "Accounts the signed-in user holds a role on.",
      responses: { 200: { description: "Merchants" }, 401: error401 },
      handler: async (ctx) => json({ data: await merchants.listForUser((await session(ctx)).userId) }),
    },
    {
      method: "POST", path: "/api/merchants", operationId: "createMerchant", tag: "merchants", auth: "session", body: createMerchantSchema,
      summary: "Creates a merchant with the caller as owner.",
      responses: { 201: { description: "Merchant" }, 400: error400, 401: error401 },
      handler: async (ctx) => {
        const user = await session(ctx);
        return json(await merchants.create(user.userId, await parseBody(ctx.request, createMerchantSchema)), 201);
      },
    },
    {
      method: "GET", path: "/api/merchants/{merchantId}", operationId: "getMerchant", tag: "merchants", auth: "session",
      summary: "A merchant's profile (any role).",
      responses: { 200: { description: "Merchant" }, 401: error401, 404: error404 },
      handler: async (ctx) => json(await merchants.get((await session(ctx)).userId, ctx.params.merchantId!)),
    },
    {
      method: "PATCH", path: "/api/merchants/{merchantId}", operationId: "updateMerchant", tag: "merchants", auth: "session", body: updateMerchantSchema,
      summary: "Updates the profile: name, payout address, accepted tokens and confirmations per chain, order expiry (owner).",
      responses: { 200: { description: "Merchant" }, 400: error400, 401: error401, 403: error403, 404: error404 },
      handler: async (ctx) => {
        const user = await session(ctx);
        const input = await parseBody(ctx.request, updateMerchantSchema);
        return json(await merchants.update(user.userId, ctx.params.merchantId!, input));
      },
    },
    {
      method: "GET", path: "/api/merchants/{merchantId}/sub-accounts", operationId: "listSubAccounts", tag: "merchants", auth: "session",
      summary: "Direct sub-accounts (stores, branches).",
      responses: { 200: { description: "Merchants" }, 401: error401, 404: error404 },
      handler: async (ctx) => json({ data: await merchants.listSubAccounts((await session(ctx)).userId, ctx.params.merchantId!) }),
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/sub-accounts", operationId: "createSubAccount", tag: "merchants", auth: "session", body: createSubAccountSchema,
      summary: "Creates a sub-account; roles on the parent apply to it (owner).",
      responses: { 201: { description: "Merchant" }, 400: error400, 401: error401, 403: error403, 404: error404, 422: { description: "Too deep" } },
      handler: async (ctx) => {
        const user = await session(ctx);
        const input = await parseBody(ctx.request, createSubAccountSchema);
        return json(await merchants.createSubAccount(user.userId, ctx.params.merchantId!, input), 201);
      },
    },
    {
      method: "GET", path: "/api/merchants/{merchantId}/members", operationId: "listMembers", tag: "team", auth: "session",
      summary: "Team members with their roles.",
      responses: { 200: { description: "Members" }, 401: error401, 404: error404 },
      handler: async (ctx) => json({ data: await merchants.listMembers((await session(ctx)).userId, ctx.params.merchantId!) }),
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/members", operationId: "addMember", tag: "team", auth: "session", body: addMemberSchema,
      summary: "Adds a member by wallet address (owner).",
      responses: { 201: { description: "Member" }, 400: error400, 401: error401, 403: error403, 404: error404, 409: { description: "Already a member" } },
      handler: async (ctx) => {
        const user = await session(ctx);
        const input = await parseBody(ctx.request, addMemberSchema);
        return json(await merchants.addMember(user.userId, ctx.params.merchantId!, input), 201);
      },
    },
    {
      method: "PATCH", path: "/api/merchants/{merchantId}/members/{userId}", operationId: "updateMember", tag: "team", auth: "session", body: updateMemberSchema,
      summary: "Changes a member's role (owner; the last owner of a top-level account stays).",
      responses: { 200: { description: "Member" }, 400: error400, 401: error401, 403: error403, 404: error404, 409: { description: "Last owner" } },
      handler: async (ctx) => {
        const user = await session(ctx);
        const input = await parseBody(ctx.request, updateMemberSchema);
        return json(await merchants.updateMember(user.userId, ctx.params.merchantId!, ctx.params.userId!, input));
      },
    },
    {
      method: "DELETE", path: "/api/merchants/{merchantId}/members/{userId}", operationId: "removeMember", tag: "team", auth: "session",
      summary: "Removes a member (owner).",
      responses: { 200: { description: "Removed" }, 401: error401, 403: error403, 404: error404, 409: { description: "Last owner" } },
      handler: async (ctx) => {
        const user = await session(ctx);
        await merchants.removeMember(user.userId, ctx.params.merchantId!, ctx.params.userId!);
        return json({ removed: true });
      },
    },
    // ── API keys ────────────────────────────────────────────────────────────────────────────
    {
      method: "GET", path: "/api/merchants/{merchantId}/api-keys", operationId: "listApiKeys", tag: "api-keys", auth: "session",
      summary: "API keys of the account: prefix, name, created, last used (never the secret).",
      responses: { 200: { description: "Keys" }, 401: error401, 404: error404 },
      handler: async (ctx) => json({ data: await keys.list((await session(ctx)).userId, ctx.params.merchantId!) }),
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/api-keys", operationId: "createApiKey", tag: "api-keys", auth: "session", body: createApiKeySchema,
      summary: "Creates an API key scoped to this account; the secret is in this response only (manager).",
      responses: { 201: { description: "Key with its secret" }, 400: error400, 401: error401, 403: error403, 404: error404 },
      handler: async (ctx) => {
        const user = await session(ctx);
        const input = await parseBody(ctx.request, createApiKeySchema);
        return json(await keys.create(user.userId, ctx.params.merchantId!, input), 201);
      },
    },
    {
      method: "DELETE", path: "/api/merchants/{merchantId}/api-keys/{keyId}", operationId: "revokeApiKey", tag: "api-keys", auth: "session",
      summary: "Revokes an API key at once (manager).",
      responses: { 200: { description: "Revoked key" }, 401: error401, 403: error403, 404: error404 },
      handler: async (ctx) => json(await keys.revoke((await session(ctx)).userId, ctx.params.merchantId!, ctx.params.keyId!)),
    },
    // ── Webhook endpoints and deliveries ────────────────────────────────────────────────────
    {
      method: "GET", path: "/api/merchants/{merchantId}/webhooks", operationId: "listWebhookEndpoints", tag: "webhooks", auth: "session",
      summary: "Webhook endpoints of the account (the signing secret is never listed).",
      responses: { 200: { description: "Endpoints" }, 401: error401, 404: error404 },
      handler: async (ctx) => json({ data: await webhookEndpoints.list((await session(ctx)).userId, ctx.params.merchantId!) }),
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/webhooks", operationId: "createWebhookEndpoint", tag: "webhooks", auth: "session", body: createWebhookEndpointSchema,
      summary: "Adds an endpoint with optional event filters; its signing secret is in this response only (manager).",
      responses: { 201: { description: "Endpoint with its secret" }, 400: error400, 401: error401, 403: error403, 404: error404 },
      handler: async (ctx) => {
        const user = await session(ctx);
        const input = await parseBody(ctx.request, createWebhookEndpointSchema);
        return json(await webhookEndpoints.create(user.userId, ctx.params.merchantId!, input), 201);
      },
    },
    {
      method: "PATCH", path: "/api/merchants/{merchantId}/webhooks/{endpointId}", operationId: "updateWebhookEndpoint", tag: "webhooks", auth: "session", body: updateWebhookEndpointSchema,
      summary: "Changes an endpoint's URL, event filters or enabled flag (manager).",
      responses: { 200: { description: "Endpoint" }, 400: error400, 401: error401, 403: error403, 404: error404 },
      handler: async (ctx) => {
        const user = await session(ctx);
        const input = await parseBody(ctx.request, updateWebhookEndpointSchema);
        return json(await webhookEndpoints.update(user.userId, ctx.params.merchantId!, ctx.params.endpointId!, input));
      },
    },
    {
      method: "DELETE", path: "/api/merchants/{merchantId}/webhooks/{endpointId}", operationId: "deleteWebhookEndpoint", tag: "webhooks", auth: "session",
      summary: "Deletes an endpoint and its delivery log (manager).",
      responses: { 200: { description: "Deleted" }, 401: error401, 403: error403, 404: error404 },
      handler: async (ctx) => json(await webhookEndpoints.remove((await session(ctx)).userId, ctx.params.merchantId!, ctx.params.endpointId!)),
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/webhooks/{endpointId}/test", operationId: "testWebhookEndpoint", tag: "webhooks", auth: "session",
      summary: "Sends a signed webhook.test event to the endpoint (manager).",
      responses: { 202: { description: "Queued" }, 401: error401, 403: error403, 404: error404, 503: { description: "Delivery not running in this process" } },
      handler: async (ctx) => json(await webhookEndpoints.testSend((await session(ctx)).userId, ctx.params.merchantId!, ctx.params.endpointId!), 202),
    },
    {
      method: "GET", path: "/api/merchants/{merchantId}/webhooks/{endpointId}/deliveries", operationId: "listEndpointDeliveries", tag: "webhooks", auth: "session",
      summary: "The endpoint's latest 20 delivery attempts with event type and HTTP status, test events included (any role).",
      responses: { 200: { description: "Attempts, newest first" }, 401: error401, 404: error404 },
      handler: async (ctx) => json({ data: await webhookEndpoints.deliveriesOfEndpoint((await session(ctx)).userId, ctx.params.merchantId!, ctx.params.endpointId!) }),
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/events/{eventId}/redeliver", operationId: "redeliverEvent", tag: "webhooks", auth: "session",
      summary: "Queues the event again, to one endpoint (?endpointId=) or to every endpoint that wants it (manager).",
      responses: { 202: { description: "Queued" }, 401: error401, 403: error403, 404: error404, 503: { description: "Delivery not running in this process" } },
      handler: async (ctx) => {
        const user = await session(ctx);
        const endpointId = ctx.url.searchParams.get("endpointId") ?? undefined;
        return json(await webhookEndpoints.redeliver(user.userId, ctx.params.merchantId!, ctx.params.eventId!, endpointId), 202);
      },
    },
    {
      method: "GET", path: "/api/merchants/{merchantId}/orders/{orderId}/deliveries", operationId: "listOrderDeliveries", tag: "webhooks", auth: "session",
      summary: "The order's events and every webhook delivery attempt with its HTTP status (any role).",
      responses: { 200: { description: "Events with attempts" }, 401: error401, 404: error404 },
      handler: async (ctx) => json({ data: await webhookEndpoints.deliveriesOfOrder((await session(ctx)).userId, ctx.params.merchantId!, ctx.params.orderId!) }),
    },
    // ── Orders for the dashboard (session, by role) ─────────────────────────────────────────
    {
      method: "GET", path: "/api/merchants/{merchantId}/orders", operationId: "dashboardListOrders", tag: "dashboard", auth: "session", query: dashboardOrdersQuerySchema,
      summary: "Orders of the account and its sub-accounts for the dashboard (any role), or of one of them (?account=); same filters and cursor as /api/v1/orders.",
      responses: { 200: { description: "Page", schema: undefined }, 400: error400, 401: error401, 404: error404 },
      handler: async (ctx) => {
        const user = await session(ctx);
        await merchants.authorize(user.userId, ctx.params.merchantId!, "viewer");
        const { account, ...query } = parseQuery(ctx.url, dashboardOrdersQuerySchema);
        const tree = await merchants.accountTree(ctx.params.merchantId!);
        if (account !== undefined && !tree.includes(account)) throw notFound("Sub-account");
        return json(await orders.list({ merchantIds: account ? [account] : tree }, query, ctx.origin));
      },
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/orders/{orderId}/cancel", operationId: "dashboardCancelOrder", tag: "dashboard", auth: "session",
      summary: "Cancels an order without payment (manager).",
      responses: { 200: { description: "Order" }, 401: error401, 403: error403, 404: error404, 409: { description: "Already paid or final" } },
      handler: async (ctx) => {
        const user = await session(ctx);
        await merchants.authorize(user.userId, ctx.params.merchantId!, "manager");
        const { hash } = await bodyAndHash(ctx, z.object({}).strict());
        return stored(await orders.cancel({ merchantId: ctx.params.merchantId! }, ctx.params.orderId!, { origin: ctx.origin, requestHash: hash, idempotencyKey: idempotencyKeyOf(ctx.request) }));
      },
    },
    {
      method: "GET", path: "/api/merchants/{merchantId}/orders/{orderId}/refunds", operationId: "dashboardListRefunds", tag: "dashboard", auth: "session",
      summary: "The order's refunds, and what the merchant's wallet needs to send an on-chain refund through the PaymentRouter (any role).",
      responses: { 200: { description: "Refunds" }, 401: error401, 404: error404 },
      handler: async (ctx) => {
        const user = await session(ctx);
        await merchants.authorize(user.userId, ctx.params.merchantId!, "viewer");
        return json(await orders.listRefunds(ctx.params.merchantId!, ctx.params.orderId!));
      },
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/orders/{orderId}/refunds", operationId: "dashboardCreateRefund", tag: "dashboard", auth: "session", body: refundSchema,
      summary: "Starts a refund from the dashboard: on-chain (then sent by the merchant's wallet) or a claim link (manager).",
      responses: { 201: { description: "Refund" }, 400: error400, 401: error401, 403: error403, 404: error404, 409: { description: "Nothing to refund" }, 422: { description: "More than refundable, or no payer address" } },
      handler: async (ctx) => {
        const user = await session(ctx);
        await merchants.authorize(user.userId, ctx.params.merchantId!, "manager");
        const idempotencyKey = idempotencyKeyOf(ctx.request);
        const { body, hash } = await bodyAndHash(ctx, refundSchema);
        return stored(await orders.createRefund(ctx.params.merchantId!, ctx.params.orderId!, body, { origin: ctx.origin, idempotencyKey, requestHash: hash }));
      },
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/orders/{orderId}/refunds/{refundId}/transaction", operationId: "dashboardRecordRefundTransaction", tag: "dashboard", auth: "session", body: refundTransactionSchema,
      summary: "Reports the wallet's PaymentRouter.refund transaction; the server checks it on chain: completed, failed, or still pending until mined (manager).",
      responses: { 200: { description: "Refund and order" }, 400: error400, 401: error401, 403: error403, 404: error404, 409: { description: "Not an on-chain refund, or no longer pending" }, 503: { description: "Chain unreachable" } },
      handler: async (ctx) => {
        const user = await session(ctx);
        await merchants.authorize(user.userId, ctx.params.merchantId!, "manager");
        const input = await parseBody(ctx.request, refundTransactionSchema);
        return json(await orders.recordRefundTransaction(ctx.params.merchantId!, ctx.params.orderId!, ctx.params.refundId!, input.transactionHash as `0x${string}`, ctx.origin));
      },
    },
    {
      method: "POST", path: "/api/merchants/{merchantId}/orders/{orderId}/refunds/{refundId}/cancel", operationId: "dashboardCancelRefund", tag: "dashboard", auth: "session",
      summary: "Withdraws a refund not sent yet (awaiting its claim, or pending without a transaction); its amount becomes refundable again (manager).",
      responses: { 200: { description: "Refund" }, 401: error401, 403: error403, 404: error404, 409: { description: "Already sent, completed, failed or cancelled" } },
      handler: async (ctx) => {
        const user = await session(ctx);
        await merchants.authorize(user.userId, ctx.params.merchantId!, "manager");
        await bodyAndHash(ctx, z.object({}).strict());
        return json(await orders.cancelRefund(ctx.params.merchantId!, ctx.params.orderId!, ctx.params.refundId!));
      },
    },
    // ── Refund claim links (public: the unguessable token in the link is the credential) ──────
    {
      method: "GET", path: "/api/refunds/claim/{claimToken}", operationId: "getRefundClaim", tag: "refunds", auth: "none",
      summary: "The refund a claim link offers: amount, token and order.",
      responses: { 200: { description: "Claim" }, 404: error404 },
      handler: async (ctx) => json(await orders.getClaim(ctx.params.claimToken!)),
    },
    {
      method: "POST", path: "/api/refunds/claim/{claimToken}", operationId: "claimRefund", tag: "refunds", auth: "none", body: claimRefundSchema,
      summary: "The payer gives the address to refund to (once); the merchant then sends it on chain.",
      responses: { 200: { description: "Claimed" }, 400: error400, 404: error404, 409: { description: "Already claimed, completed or cancelled" } },
      handler: async (ctx) => {
        const input = await parseBody(ctx.request, claimRefundSchema);
        return json(await orders.claimRefund(ctx.params.claimToken!, input.toAddress));
      },
    },
    {
      method: "GET", path: "/api/merchants/{merchantId}/subscriptions", operationId: "dashboardListSubscriptions", tag: "dashboard", auth: "session",
      summary: "Subscriptions to the account's on-chain plans (plans whose merchant is the payout address) with their charges and orders (any role).",
      responses: { 200: { description: "Subscriptions, newest first" }, 401: error401, 404: error404 },
      handler: async (ctx) => {
        const user = await session(ctx);
        await merchants.authorize(user.userId, ctx.params.merchantId!, "viewer");
        return json(await subscriptionsView.listForMerchant(ctx.params.merchantId!));
      },
    },
    {
      method: "POST", path: "/api/v1/subscriptions/signed", operationId: "relaySignedSubscription", tag: "subscriptions", auth: "none", body: signedSubscriptionSchema,
      summary: "Submits EIP-712 signed SubscriptionTerms (subscribeWithSignature) with CoinPays' relayer paying the gas; for plans of gateway merchants, and only when the subscriber has approved and holds one period's price.",
      responses: {
        201: { description: "Subscribed: { subscriptionId, transactionHash }" },
        400: error400,
        404: { description: "No such plan" },
        422: { description: "Not relayed (plan not a gateway merchant's, allowance or balance below one period) or refused by the contract (error name in details)" },
        503: { description: "No relayer in this server" },
      },
      handler: async (ctx) => {
        const body = await parseBody(ctx.request, signedSubscriptionSchema);
        if (!deps.subscriptionRelay) throw new ApiError(503, "relay_unavailable", "This server has no relayer for sign-ups");
        return json(await deps.subscriptionRelay.relay(body), 201);
      },
    },
    // ── Analytics for the dashboard (session, any role) ─────────────────────────────────────
    ...METRICS.map((metric): Route => ({
      method: "GET", path: `/api/merchants/{merchantId}/analytics/${metric}`, operationId: `analytics${metric.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
      tag: "analytics", auth: "session", query: analyticsQuerySchema.in as z.ZodObject,
      summary: ANALYTICS_SUMMARIES[metric],
      responses: {
        200: { description: "Rows (`data`) with the accounts and range they cover; `format=csv` returns the rows as a CSV download" },
        400: error400, 401: error401, 404: error404,
        422: { description: "More than 100 payout addresses in the account tree" },
        502: { description: "The indexer failed" }, 503: { description: "The indexer did not answer" },
      },
      handler: async (ctx) => {
        const user = await session(ctx);
        const result = await analytics.get(user.userId, ctx.params.merchantId!, metric, parseQuery(ctx.url, analyticsQuerySchema));
        const timing: Record<string, string> = result.indexerMs === undefined ? {} : { "server-timing": `indexer;dur=${result.indexerMs.toFixed(1)}` };
        if (result.kind === "json") return json(result.body, 200, timing);
        return new Response(result.body, {
          headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${result.filename}"`, "cache-control": "no-store", ...timing },
        });
      },
    })),
    // ── Orders API (API key) ────────────────────────────────────────────────────────────────
    {
      method: "POST", path: "/api/v1/orders", operationId: "createOrder", tag: "orders", auth: "apiKey", scopes: ["full", "pos"], body: createOrderSchema, idempotent: true,
      summary: "Creates an order: deposit address, EIP-681 URI, checkout URL and the URLs of its QR code as SVG and PNG.",
      responses: {
        201: { description: "The order", schema: undefined },
        400: error400, 401: error401, 403: { description: "The key's scope does not allow this" },
        409: { description: "Reference already used" },
        422: { description: "Token not deployed/accepted, chain not served, or Idempotency-Key reused with another body" },
      },
      handler: async (ctx) => {
        const principal = await apiKey(ctx);
        const idempotencyKey = idempotencyKeyOf(ctx.request);
        const { body, hash } = await bodyAndHash(ctx, createOrderSchema);
        return stored(await orders.create(principal.merchantId, body, { origin: ctx.origin, idempotencyKey, requestHash: hash, apiKeyId: principal.keyId, ownKeyOnly: principal.scope === "pos" }));
      },
    },
    {
      method: "GET", path: "/api/v1/orders", operationId: "listOrders", tag: "orders", auth: "apiKey", scopes: ["full", "pos"], query: listOrdersQuerySchema,
      summary: "Lists orders, newest first, with filters and an opaque cursor (a pos key: the orders it created).",
      responses: { 200: { description: "Page" }, 400: error400, 401: error401 },
      handler: async (ctx) => {
        const principal = await apiKey(ctx);
        const access = orderAccess(principal);
        return json(await orders.list({ merchantIds: [access.merchantId], apiKeyId: access.apiKeyId }, parseQuery(ctx.url, listOrdersQuerySchema), ctx.origin));
      },
    },
    {
      method: "GET", path: "/api/v1/orders/{orderId}", operationId: "getOrder", tag: "orders", auth: "apiKey", scopes: ["full", "pos"],
      summary: "One order (a pos key: only one it created).",
      responses: { 200: { description: "Order" }, 401: error401, 404: error404 },
      handler: async (ctx) => {
        const principal = await apiKey(ctx);
        return json(await orders.get(orderAccess(principal), ctx.params.orderId!, ctx.origin));
      },
    },
    {
      method: "POST", path: "/api/v1/orders/{orderId}/cancel", operationId: "cancelOrder", tag: "orders", auth: "apiKey", scopes: ["full", "pos"], idempotent: true,
      summary: "Cancels an order before any payment (a pos key: only one it created, e.g. a sale the customer walked away from).",
      responses: { 200: { description: "Order" }, 401: error401, 404: error404, 409: { description: "Paid, in flight or final" } },
      handler: async (ctx) => {
        const principal = await apiKey(ctx);
        const idempotencyKey = idempotencyKeyOf(ctx.request);
        const { hash } = await bodyAndHash(ctx, z.object({}).strict());
        return stored(await orders.cancel(orderAccess(principal), ctx.params.orderId!, { origin: ctx.origin, idempotencyKey, requestHash: hash }));
      },
    },
    {
      method: "POST", path: "/api/v1/orders/{orderId}/refunds", operationId: "createRefund", tag: "orders", auth: "apiKey", body: refundSchema, idempotent: true,
      summary: "Records a refund: on-chain (completed from the dashboard through PaymentRouter.refund) or a claim link for the payer.",
      responses: { 201: { description: "Refund" }, 400: error400, 401: error401, 403: { description: "A pos key cannot refund" }, 404: error404, 409: { description: "Nothing to refund" }, 422: { description: "More than refundable, or no payer address" } },
      handler: async (ctx) => {
        const principal = await apiKey(ctx);
        const idempotencyKey = idempotencyKeyOf(ctx.request);
        const { body, hash } = await bodyAndHash(ctx, refundSchema);
        return stored(await orders.createRefund(principal.merchantId, ctx.params.orderId!, body, { origin: ctx.origin, idempotencyKey, requestHash: hash }));
      },
    },
    ...(["svg", "png"] as const).map((format): Route => ({
      method: "GET", path: `/api/v1/orders/{orderId}/qr.${format}`, operationId: format === "svg" ? "getOrderQrSvg" : "getOrderQrPng", tag: "orders", auth: "none",
      summary: `The order's payment QR code (EIP-681) as ${format.toUpperCase()}; public, like the checkout page. Immutable: cache it; revalidate with If-None-Match.`,
      responses: { 200: { description: format.toUpperCase(), contentType: QR_CONTENT_TYPE[format] }, 304: { description: "Not modified (If-None-Match)" }, 404: error404 },
      handler: async (ctx) => {
        const paymentUri = paymentUriOf(await orders.getPublic(ctx.params.orderId!));
        const etag = qrEtag(format, paymentUri);
        const caching = { etag, "cache-control": QR_CACHE_CONTROL };
        if (etagMatches(ctx.request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers: caching });
        const image = await qr.render(format, paymentUri);
        return new Response(image, { headers: { "content-type": QR_CONTENT_TYPE[format], ...caching } });
      },
    })),
    {
      method: "GET", path: "/api/v1/openapi.json", operationId: "getOpenApi", tag: "meta", auth: "none",
      summary: "This document.",
      responses: { 200: { description: "OpenAPI 3.1 document" } },
      handler: async (ctx) => json(buildOpenApiDocument(routes, ctx.origin), 200, { "cache-control": "public, max-age=60" }),
    },
  ];

  const compiled = routes.map((route) => {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${route.path.replace(/[.]/g, "\\.").replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return "([^/]+)";
      })}/?$`,
    );
    return { route, pattern, names };
  });

  async function handle(request: Request): Promise<Response> {
    try {
      const url = new URL(request.url);
      const matches = compiled
        .map((entry) => ({ entry, match: entry.pattern.exec(url.pathname) }))
        .filter((candidate) => candidate.match);
      if (matches.length === 0) throw notFound("Route");
      const found = matches.find((candidate) => candidate.entry.route.method === request.method);
      if (!found) {
        const allowed = [...new Set(matches.map((candidate) => candidate.entry.route.method))].join(", ");
        throw new ApiError(405, "method_not_allowed", `Use ${allowed} on this path`, undefined, { allow: allowed });
      }
      const params: Record<string, string> = {};
      found.entry.names.forEach((name, index) => {
        let value = found.match![index + 1]!;
        try {
          value = decodeURIComponent(value);
        } catch {
          // keep it encoded; it will not match anything
        }
        params[name] = value;
      });
      return await found.entry.route.handler({ request, url, params, origin: deps.site.origin(), route: found.entry.route });
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      deps.logger.error({ err: error, path: request.url }, "gateway request failed");
      return json({ error: { code: "internal_error", message: "Internal server error" } }, 500);
    }
  }

  return { routes, handle, services: { auth, merchants, keys, orders } };
}

export type GatewayApi = ReturnType<typeof createGatewayApi>;
