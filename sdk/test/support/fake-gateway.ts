/**
 * A small stand-in for the CoinPays gateway over real HTTP and WebSocket (node:http + ws), speaking
 * the documented formats of web/server/gateway/api.ts and web/server/realtime/hub.ts: JSON bodies,
 * `{ error: { code, message, details? } }` errors, Idempotency-Key replay, opaque cursors, and the
 * /ws subscribe protocol. Faults can be queued to test retries and reconnects.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { Order, OrderSnapshot, OrderStatus } from "../../src/types.ts";

export const API_KEY = "sk_test_4f9b2c";
export const MERCHANT_ID = "6a1c3d1e-8d2f-4c59-9a2b-6f0e4b1c7d21";
const TOKEN = { address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", symbol: "USDC", decimals: 6 };

export type RecordedRequest = { method: string; path: string; query: URLSearchParams; headers: http.IncomingHttpHeaders; body: string };
/** "drop": process the request, then destroy the socket (the response is lost). "503"/"502html": fail before processing. "reset": destroy without processing. */
export type Fault = "drop" | "503" | "502html" | "reset";

function money(baseUnits: bigint, decimals: number) {
  const scale = 10n ** BigInt(decimals);
  const fraction = (baseUnits % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return { baseUnits: baseUnits.toString(), formatted: `${baseUnits / scale}${fraction ? `.${fraction}` : ""}` };
}

function units6(value: string): bigint {
  const [whole, fraction = ""] = value.split(".");
  return BigInt(whole!) * 10n ** 6n + BigInt(fraction.padEnd(6, "0") || "0");
}

export async function startFakeGateway() {
  const orders: Order[] = []; // oldest first
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const idempotency = new Map<string, { hash: string; status: number; body: unknown }>();
  let sequence = 0;
  let origin = "";

  const snapshot = (order: Order): OrderSnapshot => ({
    id: order.id,
    merchantId: order.merchantId,
    reference: order.reference,
    status: order.status,
    chainId: order.chainId,
    token: order.token.address,
    amount: order.amount.baseUnits,
    amountPaid: order.amountPaid.baseUnits,
    amountPending: order.amountPending.baseUnits,
    amountRefunded: order.amountRefunded.baseUnits,
    amountDue: order.amountDue.baseUnits,
    depositAddress: order.depositAddress,
    expiresAt: order.expiresAt,
    settledAt: order.settledAt,
  });

  function makeOrder(input: { amount: string; reference?: string; metadata?: Record<string, unknown> }): Order {
    const amount = units6(input.amount);
    const id = `ord_${String(++sequence).padStart(10, "0")}abcdEFGH`;
    const now = new Date(Date.UTC(2025, 0, 1, 0, 0, sequence)).toISOString();
    const depositAddress = `0x${createHash("sha256").update(id).digest("hex").slice(0, 40)}`;
    return {
      id,
      object: "order",
      merchantId: MERCHANT_ID,
      reference: input.reference ?? null,
      status: "new",
      chainId: 31337,
      token: TOKEN,
      amount: money(amount, 6),
      amountPaid: money(0n, 6),
      amountPending: money(0n, 6),
      amountRefunded: money(0n, 6),
      amountDue: money(amount, 6),
      orderRef: `0x${createHash("sha256").update(`ref:${id}`).digest("hex")}`,
      destination: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      depositAddress,
      paymentUri: `ethereum:${TOKEN.address}@31337/transfer?address=${depositAddress}&uint256=${amount}`,
      checkoutUrl: `${origin}/pay/${id}`,
      qrSvgUrl: `${origin}/api/v1/orders/${id}/qr.svg`,
      qrPngUrl: `${origin}/api/v1/orders/${id}/qr.png`,
      metadata: input.metadata ?? {},
      redirectUrl: null,
      expiresAt: now,
      monitorUntil: now,
      settledAt: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  };
  const fail = (res: http.ServerResponse, status: number, code: string, message: string, details?: { field: string; message: string }[]) =>
    send(res, status, { error: { code, message, ...(details ? { details } : {}) } });

  /** Runs a POST under its Idempotency-Key like the gateway: replay, or 422 when the body differs. */
  function idempotent(req: RecordedRequest, res: http.ServerResponse, work: () => { status: number; body: unknown } | undefined): { status: number; body: unknown } | undefined {
    const key = req.headers["idempotency-key"] as string | undefined;
    const hash = createHash("sha256").update(`${req.method} ${req.path}\n${req.body}`).digest("hex");
    if (key !== undefined) {
      const existing = idempotency.get(key);
      if (existing) {
        if (existing.hash !== hash) {
          fail(res, 422, "idempotency_key_reused", "This Idempotency-Key was used with a different request; use a new key");
          return undefined;
        }
        return { ...existing, replayed: true } as { status: number; body: unknown };
      }
    }
    const result = work();
    if (result && key !== undefined) idempotency.set(key, { hash, ...result });
    return result;
  }

  function route(req: RecordedRequest, res: http.ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${API_KEY}`) return fail(res, 401, "unauthorized", "API key missing, malformed, unknown or revoked");
    const orderPath = /^\/api\/v1\/orders\/([^/]+)(\/cancel|\/refunds)?$/.exec(req.path);
    if (req.method === "POST" && req.path === "/api/v1/orders") {
      const input = JSON.parse(req.body) as { amount?: unknown; reference?: string; metadata?: Record<string, unknown> };
      if (typeof input.amount !== "string" || !/^\d{1,78}(\.\d{1,77})?$/.test(input.amount)) {
        return fail(res, 400, "validation_failed", 'Invalid body: amount: must be a decimal string such as "12.50"', [{ field: "amount", message: "must be a decimal string" }]);
      }
      if (input.reference && orders.some((order) => order.reference === input.reference) && !idempotency.has(req.headers["idempotency-key"] as string)) {
        return fail(res, 409, "reference_taken", `An order with reference "${input.reference}" already exists`);
      }
      const result = idempotent(req, res, () => {
        const order = makeOrder(input as { amount: string });
        orders.push(order);
        return { status: 201, body: order };
      });
      if (result) send(res, result.status, result.body);
      return;
    }
    if (req.method === "GET" && req.path === "/api/v1/orders") {
      const limit = Number(req.query.get("limit") ?? "20");
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(res, 400, "validation_failed", "limit: must be an integer from 1 to 100", [{ field: "limit", message: "invalid" }]);
      const statuses = req.query.get("status")?.split(",");
      let list = [...orders].reverse().filter((order) => !statuses || statuses.includes(order.status));
      const cursor = req.query.get("cursor");
      if (cursor) {
        let afterId: string;
        try {
          afterId = (JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { id: string }).id;
        } catch {
          return fail(res, 400, "invalid_request", "cursor is not one this API returned");
        }
        const at = list.findIndex((order) => order.id === afterId);
        if (at < 0) return fail(res, 400, "invalid_request", "cursor is not one this API returned");
        list = list.slice(at + 1);
      }
      const page = list.slice(0, limit);
      const hasMore = list.length > limit;
      return send(res, 200, { object: "list", data: page, hasMore, nextCursor: hasMore ? Buffer.from(JSON.stringify({ v: 1, id: page.at(-1)!.id })).toString("base64url") : null });
    }
    if (orderPath) {
      const order = orders.find((candidate) => candidate.id === decodeURIComponent(orderPath[1]!));
      if (!order) return fail(res, 404, "not_found", "Order not found");
      if (req.method === "GET" && !orderPath[2]) return send(res, 200, order);
      if (req.method === "POST" && orderPath[2] === "/cancel") {
        const result = idempotent(req, res, () => {
          if (order.status === "cancelled") return undefined;
          order.status = "cancelled";
          return { status: 200, body: order };
        });
        if (result) send(res, result.status, result.body);
        else if (!res.headersSent) fail(res, 409, "order_not_cancellable", "The order is already cancelled");
        return;
      }
      if (req.method === "POST" && orderPath[2] === "/refunds") {
        const input = JSON.parse(req.body) as { kind: "onchain" | "claim_link"; amount?: string; toAddress?: string };
        const result = idempotent(req, res, () => ({
          status: 201,
          body: {
            id: "9b6f0c1e-2d3a-4b5c-8d7e-0f1a2b3c4d5e",
            object: "refund",
            orderId: order.id,
            kind: input.kind,
            status: input.kind === "onchain" ? "pending" : "awaiting_claim",
            amount: input.amount ? money(units6(input.amount), 6) : order.amountPaid,
            toAddress: input.toAddress ?? null,
            ...(input.kind === "claim_link" ? { claimUrl: `${origin}/refunds/claim/abc` } : {}),
            createdAt: order.createdAt,
          },
        }));
        if (result) send(res, result.status, result.body);
        return;
      }
    }
    fail(res, 404, "not_found", "Route not found");
  }

  const server = http.createServer((incoming, res) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const url = new URL(incoming.url ?? "/", "http://localhost");
      const req: RecordedRequest = { method: incoming.method ?? "GET", path: url.pathname, query: url.searchParams, headers: incoming.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(req);
      const fault = faults.shift();
      if (fault === "reset") return void incoming.socket.destroy();
      if (fault === "503") return fail(res, 503, "unavailable", "Try again");
      if (fault === "502html") {
        res.writeHead(502, { "content-type": "text/html" });
        return void res.end("<html><body>Bad Gateway</body></html>");
      }
      if (fault === "drop") {
        // Do the work, then lose the response: what a client sees when a connection dies mid-reply.
        const sink = Object.create(res) as http.ServerResponse;
        sink.writeHead = (() => sink) as never;
        sink.end = (() => {
          incoming.socket.destroy();
          return sink;
        }) as never;
        return route(req, sink);
      }
      route(req, res);
    });
  });

  // ── WebSocket hub (/ws) ───────────────────────────────────────────────────────────────────
  const wss = new WebSocketServer({ noServer: true });
  const byOrder = new Map<string, Set<WebSocket>>();
  const byMerchant = new Set<WebSocket>();
  const ws = { connections: 0, subscribeMessages: [] as Record<string, unknown>[] };
  server.on("upgrade", (request, socket, head) => {
    if ((request.url ?? "").split("?")[0] !== "/ws") return socket.destroy();
    wss.handleUpgrade(request, socket, head, (client) => wss.emit("connection", client, request));
  });
  wss.on("connection", (socket: WebSocket) => {
    ws.connections++;
    const out = (message: unknown) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(message));
    socket.on("message", (data) => {
      let message: { type?: string; orderId?: string; apiKey?: string };
      try {
        message = JSON.parse(data.toString()) as typeof message;
      } catch {
        return out({ type: "error", error: { code: "invalid_json", message: "Messages must be JSON" } });
      }
      if (message.type === "ping") return out({ type: "pong" });
      ws.subscribeMessages.push(message);
      if (message.type === "subscribe" && typeof message.orderId === "string") {
        const order = orders.find((candidate) => candidate.id === message.orderId);
        if (!order) return out({ type: "error", error: { code: "order_not_found", message: "No such order" } });
        if (!byOrder.has(order.id)) byOrder.set(order.id, new Set());
        byOrder.get(order.id)!.add(socket);
        return out({ type: "subscribed", orderId: order.id, order: snapshot(order) });
      }
      if (message.type === "subscribe_merchant") {
        if (message.apiKey !== API_KEY) return out({ type: "error", error: { code: "unauthorized", message: "Invalid or revoked API key" } });
        byMerchant.add(socket);
        return out({ type: "subscribed", merchantId: MERCHANT_ID });
      }
      out({ type: "error", error: { code: "invalid_message", message: "Expected subscribe or subscribe_merchant" } });
    });
    socket.on("close", () => {
      for (const set of byOrder.values()) set.delete(socket);
      byMerchant.delete(socket);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let eventSequence = 0;

  return {
    origin,
    orders,
    requests,
    faults,
    ws,
    /** Seeds an order directly (for pagination and watch tests). */
    addOrder(amount = "1.5", reference?: string): Order {
      const order = makeOrder({ amount, reference });
      orders.push(order);
      return order;
    },
    /** Changes an order's status and sends `order.event` to its and the merchant's subscribers. */
    emit(orderId: string, status: OrderStatus, type = `order.${status}`): void {
      const order = orders.find((candidate) => candidate.id === orderId)!;
      order.status = status;
      if (status === "settled") order.amountPaid = order.amount;
      const message = JSON.stringify({ type: "order.event", event: { id: `evt_${++eventSequence}`, type, status }, order: snapshot(order) });
      const targets = new Set([...(byOrder.get(orderId) ?? []), ...byMerchant]);
      for (const socket of targets) if (socket.readyState === socket.OPEN) socket.send(message);
    },
    /** Kills every WebSocket connection without a close handshake (a crashed server, a dropped link). */
    dropSockets(): void {
      for (const client of wss.clients) client.terminate();
    },
    subscriberCount: (orderId: string) => byOrder.get(orderId)?.size ?? 0,
    merchantSubscriberCount: () => byMerchant.size,
    async close(): Promise<void> {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type FakeGateway = Awaited<ReturnType<typeof startFakeGateway>>;
