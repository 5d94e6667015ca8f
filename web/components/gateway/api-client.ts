// The browser's client for the gateway REST API (fetch, same origin): session routes of the
// dashboard through `gatewayFetch`, and the orders API through the @coinpays/sdk client (as a
// merchant's own system would call it). Errors carry the API's message.
import { createCoinPaysClient } from "@coinpays/sdk";

export class GatewayError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

type Options = { method?: string; body?: unknown; apiKey?: string; idempotencyKey?: string };

export async function gatewayFetch<T>(path: string, options: Options = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
  const response = await fetch(path, {
    method: options.method ?? (options.body !== undefined ? "POST" : "GET"),
    headers,
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    credentials: "same-origin",
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new GatewayError(response.status, error?.code ?? "http_error", error?.message ?? `HTTP ${response.status}`);
  }
  return data as T;
}

export type Money = { baseUnits: string; formatted: string };
export type ApiOrder = {
  id: string;
  merchantId: string;
  reference: string | null;
  status: string;
  chainId: number;
  token: { address: string; symbol: string; decimals: number };
  amount: Money;
  amountPaid: Money;
  amountPending: Money;
  amountRefunded: Money;
  amountDue: Money;
  depositAddress: string;
  paymentUri: string;
  checkoutUrl: string;
  qrSvgUrl: string;
  expiresAt: string;
  settledAt: string | null;
  createdAt: string;
  updatedAt: string;
  redirectUrl: string | null;
  metadata: Record<string, unknown>;
};
export type OrderPage = { data: ApiOrder[]; nextCursor: string | null };

const sdk = (apiKey: string) => createCoinPaysClient({ baseUrl: location.origin, apiKey });

/** The till's orders calls, through the SDK (Idempotency-Key passed explicitly so a retried sale is one order). */
export const ordersApi = {
  create: (apiKey: string, body: { amount: string; token: string; chainId: number; reference?: string; metadata?: Record<string, unknown> }, idempotencyKey: string) =>
    sdk(apiKey).orders.create(body, { idempotencyKey }) as unknown as Promise<ApiOrder>,
  get: (apiKey: string, orderId: string) => sdk(apiKey).orders.get(orderId) as unknown as Promise<ApiOrder>,
};

/** The live-status message the /ws hub sends (amounts in base units, as decimal strings). */
export type OrderSnapshot = {
  id: string;
  status: string;
  amount: string;
  amountPaid: string;
  amountPending: string;
  amountRefunded: string;
  amountDue: string;
  expiresAt: string;
  settledAt: string | null;
};
