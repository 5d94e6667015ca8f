/**
 * The CoinPays gateway client: orders and refunds over `/api/v1` (typed, with idempotent retries),
 * live status over WebSocket, webhook verification. Framework-free; Node 22+ and browsers.
 */
import { CoinPaysError } from "./errors.ts";
import { createHttp, newIdempotencyKey, type FetchLike, type RetryOptions } from "./http.ts";
import { amountToDecimalString } from "./money.ts";
import { openWatch, webSocketUrlOf, type Watch, type WatchHandlers, type WatchOptions } from "./realtime.ts";
import type { CreateOrderInput, ListOrdersQuery, Order, OrderList, Refund, RefundInput } from "./types.ts";
import { verifyWebhook } from "./webhooks.ts";

export type CoinPaysClientOptions = {
  /** The gateway's origin, e.g. "https://pay.example.com". */
  baseUrl: string;
  /** A secret API key (Authorization: Bearer). Not needed for `orders.watch` alone; never ship it to a browser. */
  apiKey?: string;
  /** A fetch implementation (default: the global fetch). */
  fetch?: FetchLike;
  /** Retries of idempotent requests on network errors and 5xx (default 2 retries, 250 ms doubling, ≤ 5 s). */
  retry?: RetryOptions;
  /** Per-attempt timeout in ms (default 30000). */
  timeoutMs?: number;
  /** Live-status options: URL (default ws(s)://<baseUrl host>/ws), WebSocket implementation, backoff. */
  realtime?: Partial<WatchOptions>;
};

export type MutationOptions = {
  /**
   * The Idempotency-Key. Without one, a random key is made per call and reused by that call's
   * retries, so a retry after a lost response never creates a second order. To retry across process
   * restarts (a job queue, a crash), pass your own key derived from your data, e.g. `purchase-${id}`.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
};

/** The first page when awaited; every order across all pages when iterated with `for await`. */
export type OrderListRequest = PromiseLike<OrderList> &
  AsyncIterable<Order> & {
    /** Page by page, following `nextCursor`. */
    pages(): AsyncIterable<OrderList>;
  };

function queryOf(query: ListOrdersQuery): Record<string, string | undefined> {
  const time = (value: Date | string | undefined) => (value instanceof Date ? value.toISOString() : value);
  return {
    status: Array.isArray(query.status) ? query.status.join(",") : query.status,
    reference: query.reference,
    createdFrom: time(query.createdFrom),
    createdTo: time(query.createdTo),
    limit: query.limit === undefined ? undefined : String(query.limit),
    cursor: query.cursor,
  };
}

const segment = (id: string) => {
  if (typeof id !== "string" || id.length === 0) throw new CoinPaysError("an order id is required");
  return encodeURIComponent(id);
};

export function createCoinPaysClient(options: CoinPaysClientOptions) {
  const http = createHttp(options);
  const watchOptions = (): WatchOptions => ({ ...options.realtime, url: options.realtime?.url ?? webSocketUrlOf(http.baseUrl) });

  function listOrders(query: ListOrdersQuery = {}, requestOptions: { signal?: AbortSignal } = {}): OrderListRequest {
    const fetchPage = (cursor: string | undefined) =>
      http.request<OrderList>({ method: "GET", path: "/api/v1/orders", query: queryOf({ ...query, cursor }), signal: requestOptions.signal });
    let first: Promise<OrderList> | undefined;
    async function* pages(): AsyncGenerator<OrderList> {
      let cursor = query.cursor;
      for (;;) {
        const page = await fetchPage(cursor);
        yield page;
        if (!page.hasMore || !page.nextCursor) return;
        cursor = page.nextCursor;
      }
    }
    return {
      then(onFulfilled, onRejected) {
        first ??= fetchPage(query.cursor);
        return first.then(onFulfilled, onRejected);
      },
      pages,
      async *[Symbol.asyncIterator]() {
        for await (const page of pages()) yield* page.data;
      },
    };
  }

  function watch(handlers: WatchHandlers, message: Record<string, unknown>, overrides?: Partial<WatchOptions>): Watch {
    return openWatch(message, handlers, { ...watchOptions(), ...overrides });
  }

  return {
    orders: {
      /** Creates an order (201): deposit address, EIP-681 `paymentUri`, `checkoutUrl` and the QR image URLs `qrSvgUrl`, `qrPngUrl`. */
      create(input: CreateOrderInput, requestOptions: MutationOptions = {}): Promise<Order> {
        const body = { ...input, amount: amountToDecimalString(input.amount) };
        return http.request<Order>({ method: "POST", path: "/api/v1/orders", body, idempotencyKey: requestOptions.idempotencyKey ?? newIdempotencyKey(), signal: requestOptions.signal });
      },
      get(orderId: string, requestOptions: { signal?: AbortSignal } = {}): Promise<Order> {
        return http.request<Order>({ method: "GET", path: `/api/v1/orders/${segment(orderId)}`, signal: requestOptions.signal });
      },
      /** `await orders.list(q)` → one page; `for await (const order of orders.list(q))` → all of them. */
      list: listOrders,
      /** Cancels an order that has no payment (409 order_not_cancellable otherwise). */
      cancel(orderId: string, requestOptions: MutationOptions = {}): Promise<Order> {
        return http.request<Order>({ method: "POST", path: `/api/v1/orders/${segment(orderId)}/cancel`, body: {}, idempotencyKey: requestOptions.idempotencyKey ?? newIdempotencyKey(), signal: requestOptions.signal });
      },
      /** Records a refund: on-chain (completed from the dashboard) or a claim link for the payer. */
      refund(orderId: string, input: RefundInput, requestOptions: MutationOptions = {}): Promise<Refund> {
        const body = { ...input, ...(input.amount !== undefined ? { amount: amountToDecimalString(input.amount) } : {}) };
        return http.request<Refund>({ method: "POST", path: `/api/v1/orders/${segment(orderId)}/refunds`, body, idempotencyKey: requestOptions.idempotencyKey ?? newIdempotencyKey(), signal: requestOptions.signal });
      },
      /** Live status of one order (no API key needed): a snapshot on every (re)subscription, then each event. */
      watch(orderId: string, handlers: WatchHandlers, overrides?: Partial<WatchOptions>): Watch {
        segment(orderId);
        return watch(handlers, { type: "subscribe", orderId }, overrides);
      },
    },
    merchant: {
      /** Every order event of the API key's account (server-side only: it needs the secret key). */
      watch(apiKeyOrHandlers: string | WatchHandlers, maybeHandlers?: WatchHandlers, overrides?: Partial<WatchOptions>): Watch {
        const apiKey = typeof apiKeyOrHandlers === "string" ? apiKeyOrHandlers : options.apiKey;
        const handlers = typeof apiKeyOrHandlers === "string" ? maybeHandlers : apiKeyOrHandlers;
        if (!apiKey) throw new CoinPaysError("merchant.watch needs an API key");
        if (!handlers) throw new CoinPaysError("merchant.watch needs handlers");
        return watch(handlers, { type: "subscribe_merchant", apiKey }, overrides);
      },
    },
    webhooks: { verify: verifyWebhook },
  };
}

export type CoinPaysClient = ReturnType<typeof createCoinPaysClient>;
