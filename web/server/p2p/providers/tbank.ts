// T-Bank (Tinkoff) acquiring API v2 adapter: JSON POSTs to Init / GetState / Confirm / Cancel, amounts
// in kopecks, and a `Token` on every request and notification: SHA-256 (hex) over the values of the
// root-level scalar fields plus `Password`, concatenated in key order (nested objects such as DATA
// or Receipt and the Token itself are left out). Notifications are verified the same way with the
// terminal's password and answered with the plain text `OK`. A terminal key ending in `DEMO` is a
// test terminal (its payments never count).
import { createHash, timingSafeEqual } from "node:crypto";
import {
  ProviderError,
  type CreateInvoiceInput,
  type InvoiceStatus,
  type PaymentProvider,
  type ProviderCredentials,
  type ProviderPaymentStatus,
} from "./types.ts";

export type TBankOptions = { apiUrl?: string; notificationUrl?: string; timeoutMs?: number };

/** The request/notification token: values of root-level scalars + Password, sorted by key, SHA-256 hex. */
export function tbankToken(fields: Record<string, unknown>, password: string): string {
  const entries = Object.entries({ ...fields, Password: password })
    .filter(([k, v]) => k !== "Token" && v !== null && v !== undefined && typeof v !== "object")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256").update(entries.map(([, v]) => String(v)).join("")).digest("hex");
}

const STATUS: Record<string, InvoiceStatus> = {
  CONFIRMED: "succeeded",
  AUTHORIZED: "waiting_for_capture",
  REJECTED: "canceled",
  CANCELED: "canceled",
  DEADLINE_EXPIRED: "canceled",
  AUTH_FAIL: "canceled",
  REVERSED: "canceled",
  REFUNDED: "refunded",
  PARTIAL_REFUNDED: "refunded",
};

// Token and terminal errors: the credentials themselves are bad.
const CREDENTIAL_ERRORS = new Set(["202", "204", "205", "501"]);

export type TBankProvider = PaymentProvider & {
  capture(credentials: ProviderCredentials, invoiceId: string, amount: bigint): Promise<void>;
};

export function createTBankProvider(options: TBankOptions = {}): TBankProvider {
  const base = (options.apiUrl ?? "https://securepay.tinkoff.ru/v2").replace(/\/+$/, "");

  function keys(credentials: ProviderCredentials): { terminalKey: string; password: string } {
    const terminalKey = credentials.terminalKey ?? credentials.shopId ?? "";
    const password = credentials.password ?? credentials.secretKey ?? "";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(terminalKey) || !password) {
      throw new ProviderError("tbank: terminalKey and password are required", { credentialsRejected: true });
    }
    return { terminalKey, password };
  }

  async function call<T extends Record<string, unknown>>(credentials: ProviderCredentials, method: string, fields: Record<string, unknown>): Promise<T> {
    const { terminalKey, password } = keys(credentials);
    const body = { TerminalKey: terminalKey, ...fields };
    let response: Response;
    try {
      response = await fetch(`${base}/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...body, Token: tbankToken(body, password) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new ProviderError(`tbank: ${method} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error, failure: "unreachable" });
    }
    let json: T & { Success?: boolean; ErrorCode?: string; Message?: string; Details?: string };
    try {
      json = (await response.json()) as typeof json;
    } catch {
      throw new ProviderError(`tbank: ${method} returned non-JSON (${response.status})`, { failure: "bad_response" });
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ProviderError(`tbank: ${method} returned no object`, { failure: "bad_response" });
    if (!response.ok || json.Success !== true || (json.ErrorCode && json.ErrorCode !== "0")) {
      const code = String(json.ErrorCode ?? response.status);
      throw new ProviderError(`tbank: ${method} error ${code}: ${json.Message ?? ""} ${json.Details ?? ""}`.trim(), {
        credentialsRejected: CREDENTIAL_ERRORS.has(code),
      });
    }
    return json;
  }

  return {
    id: "tbank",
    async verifyCredentials(credentials) {
      const { terminalKey } = keys(credentials);
      try {
        await call(credentials, "GetState", { PaymentId: "0" });
      } catch (error) {
        // "Payment not found" means the token was accepted: the credentials work.
        if (error instanceof ProviderError && error.credentialsRejected) throw error;
        if (!(error instanceof ProviderError) || error.failure === "unreachable" || error.failure === "bad_response") throw error;
      }
      return { shopId: terminalKey, live: !terminalKey.endsWith("DEMO") };
    },
    async createInvoice(credentials, input: CreateInvoiceInput) {
      if (input.currency !== "RUB") throw new ProviderError("tbank: only RUB", { failure: "refused" });
      const result = await call<{ PaymentId?: string | number; PaymentURL?: string }>(credentials, "Init", {
        Amount: Number(input.amount),
        OrderId: input.reference,
        Description: input.description.slice(0, 140),
        RedirectDueDate: input.expiresAt.toISOString().replace(/\.\d{3}Z$/, "+00:00"),
        ...(options.notificationUrl ? { NotificationURL: options.notificationUrl } : {}),
      });
      if (result.PaymentId === undefined || !result.PaymentURL) throw new ProviderError("tbank: Init without PaymentId/PaymentURL", { failure: "bad_response" });
      return { invoiceId: String(result.PaymentId), paymentUrl: result.PaymentURL };
    },
    async getStatus(credentials, invoiceId): Promise<ProviderPaymentStatus> {
      const { terminalKey } = keys(credentials);
      const state = await call<{ Status?: string; Amount?: number | string; PaymentId?: string | number; TerminalKey?: string }>(credentials, "GetState", {
        PaymentId: invoiceId,
      });
      // Kopecks as an integer; anything else is an answer we cannot use (not a crash).
      const amount = String(state.Amount ?? "0");
      if (!/^\d{1,20}$/.test(amount)) throw new ProviderError(`tbank: GetState amount ${amount.slice(0, 40)} is not whole kopecks`, { failure: "bad_response" });
      return {
        invoiceId: String(state.PaymentId ?? invoiceId),
        status: STATUS[String(state.Status)] ?? "pending",
        amount: BigInt(amount),
        currency: "RUB",
        shopId: String(state.TerminalKey ?? terminalKey),
        live: !String(state.TerminalKey ?? terminalKey).endsWith("DEMO"),
      };
    },
    async capture(credentials, invoiceId, amount) {
      await call(credentials, "Confirm", { PaymentId: invoiceId, Amount: Number(amount) });
    },
    async cancel(credentials, invoiceId) {
      await call(credentials, "Cancel", { PaymentId: invoiceId });
    },
    async refund(credentials, invoiceId, amount) {
      await call(credentials, "Cancel", { PaymentId: invoiceId, Amount: Number(amount) });
    },
    async verifyNotification(_headers, rawBody, context) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(rawBody) as Record<string, unknown>;
      } catch {
        throw new ProviderError("tbank: notification is not JSON", { failure: "bad_notification" });
      }
      const terminalKey = body.TerminalKey;
      if (typeof terminalKey !== "string" || typeof body.Token !== "string" || body.PaymentId === undefined) {
        throw new ProviderError("tbank: malformed notification", { failure: "bad_notification" });
      }
      const credentials = await context.credentialsFor(terminalKey);
      if (!credentials) throw new ProviderError("tbank: unknown terminal", { failure: "bad_notification" });
      const expected = Buffer.from(tbankToken(body, keys(credentials).password));
      const given = Buffer.from(body.Token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ProviderError("tbank: bad token", { failure: "bad_notification" });
      return { eventId: `${String(body.PaymentId)}:${String(body.Status)}`, invoiceId: String(body.PaymentId) };
    },
  };
}
