// The live-status hub at /ws. Clients send JSON messages:
//   { "type": "subscribe", "orderId": "ord_…" }                public: the order id is unguessable
//   { "type": "subscribe_merchant", "apiKey": "cp_live_…" }     the key's account stream (a pos key:
//                                                               only the orders it created)
//   { "type": "subscribe_merchant", "merchantId": "<uuid>" }   the dashboard: the signed-in session
//                                                               (httpOnly cookie sent with the upgrade)
//                                                               of a member of that account (any role)
// and receive { type: "subscribed", … , order? } then { type: "order.event", event, order } per event,
// where `order` is the order's current state (status and amounts as decimal strings).
//
// Account hierarchy: an account's stream also carries the events of its sub-accounts (and theirs);
// `order.merchantId` says whose order it is.
//
// Fan-out across processes: every process LISTENs on ORDER_EVENTS_CHANNEL, which appendOrderEvent
// NOTIFYs in the transaction of the change, so a change committed by any process reaches the
// subscribers of every process. Embedded PGlite: its in-process `listen` does the same.
import type http from "node:http";
import type { Duplex } from "node:stream";
import { eq } from "drizzle-orm";
import pg from "pg";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import type { AppDatabase } from "../db/index.ts";
import { orders } from "../db/schema.ts";
import { cookieFrom } from "../gateway/http/request.ts";
import type { Site } from "../site.ts";
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

/** The gateway's own session, API key, role and hierarchy services, as the hub uses them. */
export type AccountAccess = {
  /** The session cookie's name (it differs between production and development). */
  sessionCookie: string;
  authenticate(token: string | undefined): Promise<{ userId: string } | undefined>;
  /** The key's principal (the API's own verification and cache, so revoking works alike); throws when invalid or revoked. */
  authenticateApiKey(authorization: string | null): Promise<{ keyId: string; merchantId: string; scope: string }>;
  effectiveRole(userId: string, merchantId: string): Promise<string | undefined>;
  /** The account and its ancestors, nearest first. */
  lineage(merchantId: string): Promise<string[]>;
};

/**
 * A socket's subscription to an account stream; `apiKeyId` set: only that key's orders (a pos key).
 * Whatever opened it (a dashboard session or an API key) is asked again before delivery once
 * `checkedAt` is older than CREDENTIAL_RECHECK_MS: a signed-out or removed member, or a revoked key,
 * stops hearing the account within seconds.
 */
type MerchantSubscription = { credential: "session" | "apiKey"; apiKeyId?: string; stillAllowed: () => Promise<boolean>; checkedAt: number };
type SocketState = {
  orders: Set<string>;
  merchants: Map<string, MerchantSubscription>;
  /** The session cookie sent with the upgrade, when it came from this site's own pages. */
  sessionToken?: string;
};

export const CREDENTIAL_RECHECK_MS = 5_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Browsers send cookies with a WebSocket upgrade from any page (there is no CORS for WebSockets), so a
 * session is honoured only when the upgrade's Origin is one of the site's configured origins (never
 * compared with the Host header, which the client chooses); clients without an Origin header are not
 * browsers and cannot have been tricked into sending somebody's cookie.
 */
function sameOriginSession(request: http.IncomingMessage, cookieName: string, site: Pick<Site, "isOwnOrigin">): string | undefined {
  const token = cookieFrom(request.headers.cookie, cookieName);
  if (!token) return undefined;
  const origin = request.headers.origin;
  if (origin === undefined) return token;
  return site.isOwnOrigin(origin) ? token : undefined;
}

export async function startRealtimeHub(options: {
  db: AppDatabase;
  logger: Logger;
  /** PostgreSQL URL for the dedicated LISTEN connection; absent for PGlite (uses its in-process listen). */
  listenUrl?: string;
  pglite?: { listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> };
  /** Sessions (the dashboard subscribes with its cookie), API keys, roles, and the account hierarchy. */
  accounts: AccountAccess;
  /** The site's configured origins: the only pages whose upgrades may carry the session cookie. */
  site: Pick<Site, "isOwnOrigin">;
}): Promise<RealtimeHub> {
  const { db } = options;
  const logger = options.logger.child({ component: "realtime" });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
  const byOrder = new Map<string, Set<WebSocket>>();
  const byMerchant = new Map<string, Set<WebSocket>>();
  const socketSubscriptions = new Map<WebSocket, SocketState>();
  // An account's ancestors never change (no route moves an account), so they are cached for good.
  const lineageCache = new Map<string, string[]>();
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
    const accounts = byMerchant.size > 0 ? await lineageOf(note.merchantId) : [];
    const streamSockets = accounts.flatMap((account) => [...(byMerchant.get(account) ?? [])].map((socket) => ({ socket, account })));
    if (!byOrder.has(note.orderId) && streamSockets.length === 0) return;
    const [order] = await db.select().from(orders).where(eq(orders.id, note.orderId));
    if (!order) return;
    const targets = new Set(byOrder.get(note.orderId) ?? []);
    for (const { socket, account } of streamSockets) {
      const filter = socketSubscriptions.get(socket)?.merchants.get(account);
      if (!filter || (filter.apiKeyId !== undefined && filter.apiKeyId !== order.apiKeyId)) continue;
      if (!(await stillAllows(socket, account, filter))) continue;
      targets.add(socket);
    }
    const message = { type: "order.event", event: { id: note.eventId, type: note.type, status: note.status }, order: orderSnapshot(order) };
    for (const socket of targets) send(socket, message);
  }

  /** The account and its ancestors, nearest first. */
  async function lineageOf(merchantId: string): Promise<string[]> {
    const cached = lineageCache.get(merchantId);
    if (cached) return cached;
    const lineage = await options.accounts.lineage(merchantId);
    if (lineage.length > 0) lineageCache.set(merchantId, lineage);
    return lineage;
  }

  /** Re-checks a subscription's credential at most every CREDENTIAL_RECHECK_MS; ends it when the credential or the role is gone. */
  async function stillAllows(socket: WebSocket, account: string, subscription: MerchantSubscription): Promise<boolean> {
    if (Date.now() - subscription.checkedAt < CREDENTIAL_RECHECK_MS) return true;
    if (await subscription.stillAllowed().catch(() => false)) {
      subscription.checkedAt = Date.now();
      return true;
    }
    socketSubscriptions.get(socket)?.merchants.delete(account);
    remove(byMerchant, account, socket);
    const error = subscription.credential === "session"
      ? { code: "session_ended", message: "Your session ended or you are no longer a member of this account; sign in and subscribe again" }
      : { code: "api_key_revoked", message: "This API key was revoked; subscribe again with a valid key" };
    send(socket, { type: "error", error, merchantId: account });
    return false;
  }

  function subscribeMerchant(socket: WebSocket, state: SocketState, merchantId: string, filter: MerchantSubscription) {
    state.merchants.set(merchantId, filter);
    add(byMerchant, merchantId, socket);
    send(socket, { type: "subscribed", merchantId, ...(filter.apiKeyId ? { only: "orders created by this key" } : {}) });
  }
  const enqueue = (payload: string) => {
    queue = queue.then(() => onNotification(payload)).catch((error: unknown) => logger.warn({ err: error }, "live status fan-out failed"));
  };

  const listener = options.pglite ? await listenPglite(options.pglite, enqueue) : await listenPostgres(options.listenUrl!, enqueue, logger);

  async function handleMessage(socket: WebSocket, raw: string): Promise<void> {
    let message: { type?: unknown; orderId?: unknown; apiKey?: unknown; merchantId?: unknown };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return send(socket, { type: "error", error: { code: "invalid_json", message: "Messages must be JSON" } });
    }
    const subscriptions = socketSubscriptions.get(socket)!;
    if (message.type !== "ping" && subscriptions.orders.size + subscriptions.merchants.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
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
      const authorization = `Bearer ${message.apiKey}`;
      const key = await options.accounts.authenticateApiKey(authorization).catch(() => undefined);
      if (!key) return send(socket, { type: "error", error: { code: "unauthorized", message: "Invalid or revoked API key" } });
      const stillAllowed = async () => (await options.accounts.authenticateApiKey(authorization)).keyId === key.keyId;
      return subscribeMerchant(socket, subscriptions, key.merchantId, { credential: "apiKey", ...(key.scope === "pos" ? { apiKeyId: key.keyId } : {}), stillAllowed, checkedAt: Date.now() });
    }
    if (message.type === "subscribe_merchant" && typeof message.merchantId === "string" && message.apiKey === undefined) {
      const user = subscriptions.sessionToken ? await options.accounts.authenticate(subscriptions.sessionToken) : undefined;
      if (!user) return send(socket, { type: "error", error: { code: "unauthorized", message: "Sign in on this site first (session cookie), or subscribe with an API key" } });
      // Not a member and no such account look the same, as on the REST API: account ids do not leak.
      const role = UUID.test(message.merchantId) ? await options.accounts.effectiveRole(user.userId, message.merchantId) : undefined;
      if (!role) return send(socket, { type: "error", error: { code: "merchant_not_found", message: "No such account among yours" } });
      const merchantId = message.merchantId;
      const stillAllowed = async () => {
        const current = subscriptions.sessionToken ? await options.accounts.authenticate(subscriptions.sessionToken) : undefined;
        return current?.userId === user.userId && Boolean(await options.accounts.effectiveRole(user.userId, merchantId));
      };
      return subscribeMerchant(socket, subscriptions, merchantId, { credential: "session", stillAllowed, checkedAt: Date.now() });
    }
    if (message.type === "ping") return send(socket, { type: "pong" });
    send(socket, { type: "error", error: { code: "invalid_message", message: 'Expected {"type":"subscribe","orderId"}, {"type":"subscribe_merchant","apiKey"} or {"type":"subscribe_merchant","merchantId"}' } });
  }

  wss.on("connection", (socket: WebSocket, request: http.IncomingMessage) => {
    socketSubscriptions.set(socket, { orders: new Set(), merchants: new Map(), sessionToken: sameOriginSession(request, options.accounts.sessionCookie, options.site) });
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
      for (const merchantId of subscriptions?.merchants.keys() ?? []) remove(byMerchant, merchantId, socket);
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
