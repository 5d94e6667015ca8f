// The live-status hub at /ws. Clients send JSON messages:
//   { "type": "subscribe", "orderId": "ord_…" }             public: the order id is unguessable
//   { "type": "subscribe_merchant", "apiKey": "sk_…" }       a merchant's whole stream (API key)
// and receive { type: "subscribed", … , order? } then { type: "order.event", event, order } per event,
// where `order` is the order's current state (status and amounts as decimal strings).
//
// Fan-out across processes: every process LISTENs on ORDER_EVENTS_CHANNEL, which appendOrderEvent
// NOTIFYs in the transaction of the change, so a change committed by any process reaches the
// subscribers of every process. Embedded PGlite: its in-process `listen` does the same.
import { createHash } from "node:crypto";
import type http from "node:http";
import type { Duplex } from "node:stream";
import { and, eq, isNull } from "drizzle-orm";
import pg from "pg";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import type { AppDatabase } from "../db/index.ts";
import { apiKeys, orders } from "../db/schema.ts";
import { ORDER_EVENTS_CHANNEL, type OrderEventNotification } from "../gateway/events.ts";
import { orderSnapshot } from "../gateway/settlement/order-sync.ts";

export const WS_PATH = "/ws";
const MAX_SUBSCRIPTIONS_PER_SOCKET = 50;

export type RealtimeHub = {
  /** Claims upgrades for /ws; returns false for other paths (the caller hands them to Next). */
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  clientCount(): number;
  close(): Promise<void>;
};

type Listener = { close(): Promise<void> };

export async function startRealtimeHub(options: {
  db: AppDatabase;
  logger: Logger;
  /** PostgreSQL URL for the dedicated LISTEN connection; absent for PGlite (uses its in-process listen). */
  listenUrl?: string;
  pglite?: { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> };
}): Promise<RealtimeHub> {
  const { db } = options;
  const logger = options.logger.child({ component: "realtime" });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
  const byOrder = new Map<string, Set<WebSocket>>();
  const byMerchant = new Map<string, Set<WebSocket>>();
  const socketSubscriptions = new Map<WebSocket, { orders: Set<string>; merchants: Set<string> }>();
  // Notifications are handled one at a time, so each socket sees an order's events in commit order.
  let queue: Promise<void> = Promise.resolve();

  const add = (map: Map<string, Set<WebSocket>>, key: string, socket: WebSocket) => {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(socket);
  };
  const remove = (map: Map<string, Set<WebSocket>>, key: string, socket: WebSocket) => {
    const set = map.get(key);
    set?.delete(socket);
    if (set?.size === 0) map.delete(key);
  };
  const send = (socket: WebSocket, message: unknown) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };

  async function onNotification(payload: string): Promise<void> {
    let note: OrderEventNotification;
    try {
      note = JSON.parse(payload) as OrderEventNotification;
    } catch {
      return;
    }
    const targets = new Set([...(byOrder.get(note.orderId) ?? []), ...(byMerchant.get(note.merchantId) ?? [])]);
    if (targets.size === 0) return;
    const [order] = await db.select().from(orders).where(eq(orders.id, note.orderId));
    if (!order) return;
    const message = { type: "order.event", event: { id: note.eventId, type: note.type, status: note.status }, order: orderSnapshot(order) };
    for (const socket of targets) send(socket, message);
  }
  const enqueue = (payload: string) => {
    queue = queue.then(() => onNotification(payload)).catch((error: unknown) => logger.warn({ err: error }, "live status fan-out failed"));
  };

  const listener = options.pglite ? await listenPglite(options.pglite, enqueue) : await listenPostgres(options.listenUrl!, enqueue, logger);

  async function handleMessage(socket: WebSocket, raw: string): Promise<void> {
    let message: { type?: unknown; orderId?: unknown; apiKey?: unknown };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return send(socket, { type: "error", error: { code: "invalid_json", message: "Messages must be JSON" } });
    }
    const subscriptions = socketSubscriptions.get(socket)!;
    if (subscriptions.orders.size + subscriptions.merchants.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
      return send(socket, { type: "error", error: { code: "too_many_subscriptions", message: `At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection` } });
    }
    if (message.type === "subscribe" && typeof message.orderId === "string" && /^ord_[0-9a-zA-Z]{8,64}$/.test(message.orderId)) {
      const [order] = await db.select().from(orders).where(eq(orders.id, message.orderId));
      if (!order) return send(socket, { type: "error", error: { code: "order_not_found", message: "No such order" } });
      subscriptions.orders.add(order.id);
      add(byOrder, order.id, socket);
      return send(socket, { type: "subscribed", orderId: order.id, order: orderSnapshot(order) });
    }
    if (message.type === "subscribe_merchant" && typeof message.apiKey === "string" && message.apiKey.length <= 256) {
      const secretHash = createHash("sha256").update(message.apiKey).digest("hex");
      const [key] = await db
        .select({ merchantId: apiKeys.merchantId })
        .from(apiKeys)
        .where(and(eq(apiKeys.secretHash, secretHash), isNull(apiKeys.revokedAt)));
      if (!key) return send(socket, { type: "error", error: { code: "unauthorized", message: "Invalid or revoked API key" } });
      subscriptions.merchants.add(key.merchantId);
      add(byMerchant, key.merchantId, socket);
      return send(socket, { type: "subscribed", merchantId: key.merchantId });
    }
    if (message.type === "ping") return send(socket, { type: "pong" });
    send(socket, { type: "error", error: { code: "invalid_message", message: 'Expected {"type":"subscribe","orderId"} or {"type":"subscribe_merchant","apiKey"}' } });
  }

  wss.on("connection", (socket: WebSocket) => {
    socketSubscriptions.set(socket, { orders: new Set(), merchants: new Set() });
    let alive = true;
    socket.on("pong", () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, 30_000);
    socket.on("message", (data) => {
      handleMessage(socket, data.toString()).catch((error: unknown) => {
        logger.warn({ err: error }, "websocket message failed");
        send(socket, { type: "error", error: { code: "internal_error", message: "Internal error" } });
      });
    });
    socket.on("close", () => {
      clearInterval(heartbeat);
      const subscriptions = socketSubscriptions.get(socket);
      for (const orderId of subscriptions?.orders ?? []) remove(byOrder, orderId, socket);
      for (const merchantId of subscriptions?.merchants ?? []) remove(byMerchant, merchantId, socket);
      socketSubscriptions.delete(socket);
    });
  });

  return {
    handleUpgrade(request, socket, head) {
      const path = (request.url ?? "").split("?")[0];
      if (path !== WS_PATH) return false;
      wss.handleUpgrade(request, socket, head, (client) => wss.emit("connection", client, request));
      return true;
    },
    clientCount: () => wss.clients.size,
    async close() {
      for (const client of wss.clients) client.close(1001, "server shutting down");
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await listener.close();
      await queue;
    },
  };
}

async function listenPglite(client: NonNullable<Parameters<typeof startRealtimeHub>[0]["pglite"]>, onPayload: (payload: string) => void): Promise<Listener> {
  const unlisten = await client.listen(ORDER_EVENTS_CHANNEL, onPayload);
  return { close: () => unlisten() };
}

/** A dedicated connection holding LISTEN, reconnected with backoff when it drops. */
async function listenPostgres(url: string, onPayload: (payload: string) => void, logger: Logger): Promise<Listener> {
  let client: pg.Client | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let attempt = 0;

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: url, application_name: "coinpays-realtime" });
    next.on("notification", (message) => {
      if (message.channel === ORDER_EVENTS_CHANNEL && message.payload) onPayload(message.payload);
    });
    next.on("error", (error) => {
      logger.warn({ err: error }, "live status LISTEN connection lost");
      reconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${ORDER_EVENTS_CHANNEL}`);
    client = next;
    attempt = 0;
  }
  function reconnect(): void {
    const broken = client;
    client = undefined;
    broken?.end().catch(() => undefined);
    if (closed || retryTimer) return;
    const delay = Math.min(10_000, 100 * 2 ** attempt++);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().catch((error: unknown) => {
        logger.warn({ err: error }, "live status LISTEN reconnect failed");
        reconnect();
      });
    }, delay);
  }

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      await client?.end().catch(() => undefined);
    },
  };
}
