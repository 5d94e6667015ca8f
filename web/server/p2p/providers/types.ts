// One interface for every payment provider a seller can connect (sandbox, YooKassa, T-Bank, …).
// The desk never trusts a notification by itself: it is only a hint to call getStatus.

export type ProviderCredentials = Record<string, string>;

/** refunded / charged_back: money went back to the payer after the payment had succeeded (in full or in part). */
export type InvoiceStatus = "pending" | "waiting_for_capture" | "succeeded" | "canceled" | "refunded" | "charged_back";

export type ProviderInvoice = { invoiceId: string; paymentUrl: string };

/** What the provider itself says about an invoice; checked field by field against the reservation. */
export type ProviderPaymentStatus = {
  invoiceId: string;
  status: InvoiceStatus;
  amount: bigint;
  currency: string;
  shopId: string;
  live: boolean;
  /** Refunded or charged back so far (fiat minor units), when the provider reports it. */
  reversedAmount?: bigint;
};

export type VerifiedNotification = { eventId: string; invoiceId: string };

export type NotificationContext = { credentialsFor(shopId: string): Promise<ProviderCredentials | undefined> };

/**
 * What kind of failure, in our words. The message of a ProviderError may carry the provider's own
 * text (an upstream error body, a network error): it goes to the server log only. People see
 * providerFailureMessage(), built from the kind.
 */
export type ProviderFailure = "credentials" | "unreachable" | "refused" | "bad_response" | "bad_notification";

export class ProviderError extends Error {
  /** true: the credentials are dead (auth failure) — the seller is flagged. */
  readonly credentialsRejected: boolean;
  readonly failure: ProviderFailure;
  constructor(message: string, options: { credentialsRejected?: boolean; failure?: ProviderFailure; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "ProviderError";
    this.credentialsRejected = options.credentialsRejected ?? false;
    this.failure = options.failure ?? (this.credentialsRejected ? "credentials" : "refused");
  }
}

const FAILURE_MESSAGES: Record<ProviderFailure, string> = {
  credentials: "the payment provider rejected the shop credentials",
  unreachable: "the payment provider could not be reached",
  refused: "the payment provider refused the request",
  bad_response: "the payment provider gave an answer we could not use",
  bad_notification: "the notification could not be verified",
};

/** Our own message for a provider failure, safe to show (never the provider's text). */
export function providerFailureMessage(error: unknown): string {
  return error instanceof ProviderError ? FAILURE_MESSAGES[error.failure] : FAILURE_MESSAGES.unreachable;
}

export type CreateInvoiceInput = {
  /** Our reservation id: also the provider-side idempotency key. */
  reference: string;
  amount: bigint;
  currency: string;
  description: string;
  expiresAt: Date;
};

export interface PaymentProvider {
  readonly id: string;
  /** Checks the credentials against the provider; returns the shop/terminal and live flag. */
  verifyCredentials(credentials: ProviderCredentials): Promise<{ shopId: string; live: boolean }>;
  createInvoice(credentials: ProviderCredentials, input: CreateInvoiceInput): Promise<ProviderInvoice>;
  getStatus(credentials: ProviderCredentials, invoiceId: string): Promise<ProviderPaymentStatus>;
  /** Cancels an unpaid invoice (best effort). */
  cancel(credentials: ProviderCredentials, invoiceId: string): Promise<void>;
  refund(credentials: ProviderCredentials, invoiceId: string, amount: bigint): Promise<void>;
  /**
   * Verifies a notification's signature; throws on a forged one. Returns what it claims about.
   * Providers that sign with the seller's own secret (T-Bank) look the credentials up by shop.
   */
  verifyNotification(headers: Headers, rawBody: string, context: NotificationContext): Promise<VerifiedNotification> | VerifiedNotification;
}
