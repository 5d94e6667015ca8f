// What every route table of the gateway is built from: the framework-free services and the few
// settings the handlers need. Each file in this folder is one tag of the API.
import type { AnalyticsService } from "../analytics/service.ts";
import type { ApiKeyService } from "../api-keys/service.ts";
import type { AuthService } from "../auth/service.ts";
import type { PayoutProofService } from "../merchants/payout-proof.ts";
import type { MerchantService } from "../merchants/service.ts";
import type { OrderService } from "../orders/service.ts";
import type { QrRenderer } from "../orders/qr.ts";
import type { SubscriptionRelay } from "../subscriptions/relay.ts";
import type { SubscriptionService } from "../subscriptions/service.ts";
import type { WebhookEndpointService } from "../webhooks/endpoints.ts";

export type GatewayServices = {
  auth: AuthService;
  merchants: MerchantService;
  /** Payout-address challenges and proofs (merchants/payout-proof.ts). */
  payoutProofs: PayoutProofService;
  keys: ApiKeyService;
  webhookEndpoints: WebhookEndpointService;
  orders: OrderService;
  qr: QrRenderer;
  subscriptions: SubscriptionService;
  analytics: AnalyticsService;
  /** Submits signed subscription terms with the relayer key; absent without a deployment or relayer. */
  subscriptionRelay?: SubscriptionRelay;
  /** `Set-Cookie` value for a session token (empty token and null expiry: the cookie is cleared). */
  sessionCookie(token: string, expiresAt: Date | null): string;
};
