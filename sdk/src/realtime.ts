/**
 * Live order status over the gateway's WebSocket (`/ws`, web/server/realtime/hub.ts):
 *   → { type: "subscribe", orderId }          one order, public (the id is unguessable)
 *   → { type: "subscribe_merchant", apiKey }  every order of the API key's account
 *   ← { type: "subscribed", orderId, order } | { type: "subscribed", merchantId }
 *   ← { type: "order.event", event: { id, type, status }, order }
 *   ← { type: "error", error: { code, message } }
 * The connection is re-opened after any drop, with exponential backoff and full jitter, and the
 * subscription sent again; an order subscription then delivers the current state, so a change made
 * while disconnected is never missed. A merchant stream has no such catch-up: use webhooks (or
 * `onReconnect` + `orders.list`) where every event matters.
 */
import { CoinPaysWatchError } from "./errors.ts";
import type { OrderSnapshot, OrderStatus } from "./types.ts";

/** The WHATWG WebSocket surface this module uses (browsers, Node 22's global, and `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type OrderUpdate =
  /** The order's current state: on (re)subscribing. */
  | { kind: "snapshot"; order: OrderSnapshot }
  /** A change: `event.type` is "order.settled", "payment.detected", …; `order` is the state after it. */
  | { kind: "event"; event: { id: string; type: string; status: OrderStatus | null }; order: OrderSnapshot };

export type WatchHandlers = {
  onUpdate: (update: OrderUpdate) => void;
  /** Server error messages (CoinPaysWatchError; `fatal` ones end the watch) and connection errors. */
  onError?: (error: Error) => void;
  /** Called each time the subscription is confirmed again after a reconnect. */
  onReconnect?: () => void;
  onStatusChange?: (status: "connecting" | "open" | "reconnecting" | "closed") => void;
};

export type WatchOptions = {
  /** ws(s)://…/ws; default: derived from the client's baseUrl. */
  url: string;
  /** Default: globalThis.WebSocket, else the `ws` package. */
  WebSocket?: WebSocketConstructor;
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  /**
   * Sends `{type:"ping"}` this often and reconnects when nothing arrives for as long again: it
   * notices a half-open connection (a laptop waking up). Default 25 s; 0 disables it.
   */
  heartbeatMs?: number;
};

export type Watch = { close(): void };

const FATAL_CODES = new Set(["order_not_found", "unauthorized"]);
const OPEN = 1;

let wsFallback: Promise<WebSocketConstructor> | undefined;
async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  // Older Node without a global WebSocket: the `ws` package (never loaded where a global exists).
  wsFallback ??= import("ws").then((module) => (module.WebSocket ?? module.default) as unknown as WebSocketConstructor);
  return wsFallback;
}

/** http(s)://host/base → ws(s)://host/ws */
export function webSocketUrlOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = "/ws";
  url.search = "";
  url.hash = "";
  return url.toString();
}

/** Opens a watch that (re)sends `subscribeMessage` on every connection. */
export function openWatch(subscribeMessage: Record<string, unknown>, handlers: WatchHandlers, options: WatchOptions): Watch {
  const minDelayMs = options.reconnect?.minDelayMs ?? 500;
  const maxDelayMs = options.reconnect?.maxDelayMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? 25_000;
  let socket: WebSocketLike | undefined;
  let closed = false;
  let attempt = 0;
  let subscribedOnce = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  let lastMessageAt = 0;

  const report = (error: Error) => {
    try {
      handlers.onError?.(error);
    } catch {
      // a throwing handler must not break the connection logic
    }
  };
  const status = (value: "connecting" | "open" | "reconnecting" | "closed") => handlers.onStatusChange?.(value);

  function stopHeartbeat() {
    if (heartbeatTimer !== undefined) clearInterval(heartbeatTimer);
    heartbeatTimer = undefined;
  }

  function scheduleReconnect() {
    stopHeartbeat();
    if (closed || reconnectTimer !== undefined) return;
    status("reconnecting");
    const delay = Math.random() * Math.min(maxDelayMs, minDelayMs * 2 ** attempt);
    attempt = Math.min(attempt + 1, 30);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, delay);
  }

  function handleMessage(raw: unknown) {
    lastMessageAt = Date.now();
    if (typeof raw !== "string") return;
    let message: { type?: string; order?: OrderSnapshot; event?: { id: string; type: string; status: OrderStatus | null }; error?: { code?: string; message?: string } };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return;
    }
    if (message.type === "subscribed") {
      attempt = 0; // a confirmed subscription resets the backoff
      if (subscribedOnce) handlers.onReconnect?.();
      subscribedOnce = true;
      if (message.order) handlers.onUpdate({ kind: "snapshot", order: message.order });
    } else if (message.type === "order.event" && message.event && message.order) {
      handlers.onUpdate({ kind: "event", event: message.event, order: message.order });
    } else if (message.type === "error") {
      const code = message.error?.code ?? "error";
      const fatal = FATAL_CODES.has(code);
      report(new CoinPaysWatchError(code, message.error?.message ?? code, fatal));
      if (fatal) close();
    }
  }

  async function connect(): Promise<void> {
    if (closed) return;
    status("connecting");
    let WS: WebSocketConstructor;
    let next: WebSocketLike;
    try {
      WS = options.WebSocket ?? (await defaultWebSocket());
      if (closed) return;
      next = new WS(options.url);
    } catch (error) {
      report(error as Error);
      return scheduleReconnect();
    }
    socket = next;
    next.onopen = () => {
      if (closed || socket !== next) return next.close();
      status("open");
      lastMessageAt = Date.now();
      next.send(JSON.stringify(subscribeMessage));
      if (heartbeatMs > 0) {
        stopHeartbeat();
        heartbeatTimer = setInterval(() => {
          if (Date.now() - lastMessageAt > 2 * heartbeatMs) {
            // Nothing (not even a pong) for two intervals: the connection is dead without knowing it.
            next.close(4000, "heartbeat timeout");
            onGone();
          } else if (next.readyState === OPEN) next.send(JSON.stringify({ type: "ping" }));
        }, heartbeatMs);
      }
    };
    next.onmessage = (event) => {
      if (socket === next) handleMessage(event.data);
    };
    const onGone = () => {
      if (socket !== next) return;
      socket = undefined;
      scheduleReconnect();
    };
    next.onclose = onGone;
    // WebSockets expose no error details. `close` should follow an error, but Node 22's global
    // WebSocket (undici) fires only `error` when the connection cannot be made: treat either as gone.
    next.onerror = () => {
      if (socket !== next) return;
      onGone(); // first: closing may fire `error` again, synchronously
      try {
        next.close();
      } catch {
        // already closed
      }
    };
  }

  function close() {
    if (closed) return;
    closed = true;
    stopHeartbeat();
    if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    const current = socket;
    socket = undefined;
    try {
      current?.close(1000, "closed by client");
    } catch {
      // already closing
    }
    status("closed");
  }

  void connect();
  return { close };
}
