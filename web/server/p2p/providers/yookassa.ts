// YooKassa API v3 adapter (https://yookassa.ru/developers/api): HTTP Basic auth with the seller's
// shopId:secretKey, an `Idempotence-Key` header on every POST, amounts as decimal strings in rubles,
// statuses pending / waiting_for_capture / succeeded / canceled. `GET /me` verifies credentials (its
// `account_id` is the shop, `test` the sandbox flag). Payments are created with `capture: true`
// (one stage); a payment found in `waiting_for_capture` is captured only while its reservation is
// still valid (see capture()).
//
// Notifications are not signed by YooKassa: verifyNotification only parses the event, and the desk
// confirms through GET /payments/{id} as it does for every provider, de-duplicating on what that
// call says (never on the notification's own words: a forgery must not make the real one a
// "duplicate"). The notify route accepts only YooKassa's published source addresses
// (notification-sources.ts), and the body is never stored.
import { formatMinor, parseMinor } from "../formats.ts";
import {
  ProviderError,
  type CreateInvoiceInput,
  type InvoiceStatus,
  type PaymentProvider,
  type ProviderCredentials,
  type ProviderPaymentStatus,
} from "./types.ts";

export type YooKassaOptions = {
  /** Default https://api.yookassa.ru/v3; tests point it at a local fake. */
  apiUrl?: string;
  /** Where YooKassa sends the buyer back after paying. */
  returnUrl?: string;
  timeoutMs?: number;
};

type Payment = {
  id: string;
  status: InvoiceStatus;
  amount: { value: string; currency: string };
  test: boolean;
  recipient?: { account_id?: string };
  /** Present once (part of) a succeeded payment has been refunded. */
  refunded_amount?: { value: string; currency: string };
  confirmation?: { confirmation_url?: string };
};

export type YooKassaProvider = PaymentProvider & {
  capture(credentials: ProviderCredentials, invoiceId: string, amount: bigint): Promise<void>;
};

export function createYooKassaProvider(options: YooKassaOptions = {}): YooKassaProvider {
  const base = (options.apiUrl ?? "https://api.yookassa.ru/v3").replace(/\/+$/, "");

  async function call<T>(credentials: ProviderCredentials, method: "GET" | "POST", path: string, body?: unknown, idempotenceKey?: string): Promise<T> {
    const shopId = credentials.shopId ?? "";
    const secretKey = credentials.secretKey ?? "";
    if (!/^\d{1,20}$/.test(shopId) || secretKey.length < 8) {
      throw new ProviderError("yookassa: shopId must be digits and secretKey non-empty", { credentialsRejected: true });
    }
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Basic ${Buffer.from(`${shopId}:${secretKey}`).toString("base64")}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(idempotenceKey ? { "idempotence-key": idempotenceKey } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new ProviderError(`yookassa: ${method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error, failure: "unreachable" });
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new ProviderError(`yookassa: credentials rejected (${response.status})`, { credentialsRejected: true });
    }
    if (!response.ok) throw new ProviderError(`yookassa: ${method} ${path} → ${response.status} ${text.slice(0, 200)}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ProviderError(`yookassa: ${method} ${path} returned non-JSON`, { failure: "bad_response" });
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ProviderError(`yookassa: ${method} ${path} returned no object`, { failure: "bad_response" });
    return parsed as T;
  }

  function toStatus(payment: Payment): ProviderPaymentStatus {
    if (typeof payment.id !== "string") throw new ProviderError("yookassa: payment without id", { failure: "bad_response" });
    if (payment.amount?.currency === undefined || typeof payment.amount.value !== "string") throw new ProviderError("yookassa: payment without amount", { failure: "bad_response" });
    let amount: bigint;
    try {
      amount = parseMinor(payment.amount.value);
    } catch {
      throw new ProviderError(`yookassa: bad amount ${payment.amount.value}`, { failure: "bad_response" });
    }
    const known: InvoiceStatus[] = ["pending", "waiting_for_capture", "succeeded", "canceled"];
    if (!known.includes(payment.status)) throw new ProviderError(`yookassa: unknown status ${payment.status}`, { failure: "bad_response" });
    // A refund leaves the payment `succeeded` and reports `refunded_amount`: for the desk that is a
    // reversal (claw-back), partial or full.
    let reversedAmount: bigint | undefined;
    if (payment.refunded_amount?.value !== undefined) {
      try {
        reversedAmount = parseMinor(payment.refunded_amount.value);
      } catch {
        throw new ProviderError(`yookassa: bad refunded amount ${payment.refunded_amount.value}`, { failure: "bad_response" });
      }
    }
    const refunded = payment.status === "succeeded" && reversedAmount !== undefined && reversedAmount > 0n;
    return {
      invoiceId: payment.id,
      status: refunded ? "refunded" : payment.status,
      ...(reversedAmount !== undefined ? { reversedAmount } : {}),
      amount,
      currency: payment.amount.currency,
      shopId: String(payment.recipient?.account_id ?? ""),
      live: payment.test === false,
    };
  }

  return {
    id: "yookassa",
    async verifyCredentials(credentials) {
      const me = await call<{ account_id?: string | number; test?: boolean; status?: string }>(credentials, "GET", "/me");
      if (me.status && me.status !== "enabled") throw new ProviderError(`yookassa: shop is ${me.status}`, { credentialsRejected: true });
      return { shopId: String(me.account_id ?? credentials.shopId), live: me.test === false };
    },
    async createInvoice(credentials, input: CreateInvoiceInput) {
      const payment = await call<Payment>(
        credentials,
        "POST",
        "/payments",
        {
          amount: { value: formatMinor(input.amount), currency: input.currency },
          capture: true,
          confirmation: { type: "redirect", return_url: options.returnUrl ?? "https://coinpays.local/p2p/buy" },
          description: input.description.slice(0, 128),
          metadata: { reference: input.reference },
        },
        `coinpays-${input.reference}`,
      );
      const url = payment.confirmation?.confirmation_url;
      if (!payment.id || !url) throw new ProviderError("yookassa: payment created without a confirmation URL", { failure: "bad_response" });
      return { invoiceId: payment.id, paymentUrl: url };
    },
    async getStatus(credentials, invoiceId) {
      if (!/^[A-Za-z0-9-]{1,64}$/.test(invoiceId)) throw new ProviderError("yookassa: bad payment id", { failure: "bad_response" });
      return toStatus(await call<Payment>(credentials, "GET", `/payments/${invoiceId}`));
    },
    async capture(credentials, invoiceId, amount) {
      await call(credentials, "POST", `/payments/${invoiceId}/capture`, { amount: { value: formatMinor(amount), currency: "RUB" } }, `coinpays-capture-${invoiceId}`);
    },
    async cancel(credentials, invoiceId) {
      // YooKassa cancels only waiting_for_capture payments; a pending one simply expires there.
      const status = toStatus(await call<Payment>(credentials, "GET", `/payments/${invoiceId}`));
      if (status.status === "waiting_for_capture") await call(credentials, "POST", `/payments/${invoiceId}/cancel`, {}, `coinpays-cancel-${invoiceId}`);
    },
    async refund(credentials, invoiceId, amount) {
      await call(
        credentials,
        "POST",
        "/refunds",
        { payment_id: invoiceId, amount: { value: formatMinor(amount), currency: "RUB" } },
        `coinpays-refund-${invoiceId}`,
      );
    },
    verifyNotification(_headers, rawBody) {
      let body: { type?: unknown; event?: unknown; object?: { id?: unknown; status?: unknown; payment_id?: unknown } };
      try {
        body = JSON.parse(rawBody) as typeof body;
      } catch {
        throw new ProviderError("yookassa: notification is not JSON", { failure: "bad_notification" });
      }
      if (body.type !== "notification" || typeof body.event !== "string" || typeof body.object?.id !== "string") {
        throw new ProviderError("yookassa: malformed notification", { failure: "bad_notification" });
      }
      // refund.succeeded carries the refund object; the payment it belongs to is `payment_id`.
      if (body.event.startsWith("refund.")) {
        if (typeof body.object.payment_id !== "string") throw new ProviderError("yookassa: refund notification without payment_id", { failure: "bad_notification" });
        return { eventId: `${body.event}:${body.object.id}`, invoiceId: body.object.payment_id };
      }
      return { eventId: `${body.event}:${body.object.id}:${String(body.object.status)}`, invoiceId: body.object.id };
    },
  };
}
