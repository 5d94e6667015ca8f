export { AmountError, formatAmount, parseAmount } from "./amounts.ts";
export { buildPaymentUri, parsePaymentUri, PaymentUriError, type PaymentRequest } from "./eip681.ts";
export { createCoinPaysClient, type CoinPaysClient, type CoinPaysClientOptions, type MutationOptions, type OrderListRequest } from "./client.ts";
export { CoinPaysApiError, CoinPaysError, CoinPaysNetworkError, CoinPaysWatchError, WebhookVerificationError, type ApiErrorDetail, type WebhookVerificationFailure } from "./errors.ts";
export { newIdempotencyKey, type FetchLike, type RetryOptions } from "./http.ts";
export { amountToDecimalString, moneyToBaseUnits } from "./money.ts";
export { paymentQrPngDataUrl, paymentQrSvg, type QrOptions } from "./qr.ts";
export { openWatch, webSocketUrlOf, type OrderUpdate, type Watch, type WatchHandlers, type WatchOptions, type WebSocketConstructor, type WebSocketLike } from "./realtime.ts";
export * from "./types.ts";
export {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  parseSignatureHeader,
  SIGNATURE_HEADER,
  signWebhookPayload,
  timingSafeEqualBytes,
  verifyWebhook,
  webhooks,
  type VerifyWebhookOptions,
  type WebhookPayload,
} from "./webhooks.ts";
export { SUBSCRIPTION_TERMS_TYPES, subscriptionTermsDomain, subscriptionTermsTypedData, type SubscriptionTerms } from "./subscription-terms.ts";
