// A local fake of the YooKassa v3 API (Basic auth, Idempotence-Key, amounts as decimal strings,
// statuses, GET /me, capture/cancel, refunds reported as refunded_amount), for the adapter's tests
// and the attack tests of the notification path.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type FakePayment = {
  id: string;
  shop: string;
  status: string;
  amount: { value: string; currency: string };
  test: boolean;
  captured: boolean;
  refunded?: { value: string; currency: string };
};

/** Text of the fake's upstream errors: a test shows it stays in the server log. */
export const UPSTREAM_DETAIL = "upstream-detail: shard db-7 refused tx 4f2a";

export function startFakeYooKassa() {
  const shops: Record<string, { secret: string; test: boolean }> = {
    "100500": { secret: "live_secret_key_1", test: false },
    "200600": { secret: "test_secret_key_2", test: true },
    // Answers payment creation with an upstream error whose text must never reach a person.
    "300700": { secret: "live_secret_key_3", test: false },
  };
  const payments = new Map<string, FakePayment>();
  const byKey = new Map<string, string>();
  const calls: { method: string; path: string; idempotenceKey: string | null }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      const auth = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      const [shopId, secret] = auth.split(":");
      const shop = shopId ? shops[shopId] : undefined;
      if (!shop || shop.secret !== secret) return send(401, { type: "error", code: "invalid_credentials" });
      const key = (req.headers["idempotence-key"] as string | undefined) ?? null;
      calls.push({ method: req.method!, path: req.url!, idempotenceKey: key });
      const view = (p: FakePayment) => ({
        id: p.id,
        status: p.status,
        paid: p.status === "succeeded" || p.status === "waiting_for_capture",
        amount: p.amount,
        test: p.test,
        recipient: { account_id: p.shop, gateway_id: "1" },
        confirmation: { type: "redirect", confirmation_url: `https://yoomoney.example/checkout/${p.id}` },
        ...(p.refunded ? { refunded_amount: p.refunded } : {}),
      });
      if (req.method === "GET" && req.url === "/v3/me") return send(200, { account_id: shopId, test: shop.test, status: "enabled" });
      if (req.method === "POST" && !key) return send(400, { type: "error", code: "invalid_request", description: "Idempotence-Key required" });
      if (shopId === "300700" && req.method === "POST") return send(500, { type: "error", code: "internal_error", description: UPSTREAM_DETAIL });
      if (req.method === "POST" && req.url === "/v3/payments") {
        const existing = byKey.get(`${shopId}:${key}`);
        if (existing) return send(200, view(payments.get(existing)!));
        const input = JSON.parse(body) as { amount: { value: string; currency: string } };
        const p: FakePayment = { id: randomUUID(), shop: shopId!, status: "pending", amount: input.amount, test: shop.test, captured: false };
        payments.set(p.id, p);
        byKey.set(`${shopId}:${key}`, p.id);
        return send(200, view(p));
      }
      const m = /^\/v3\/payments\/([^/]+)(\/capture|\/cancel)?$/.exec(req.url ?? "");
      const p = m ? payments.get(m[1]!) : undefined;
      if (m && (!p || p.shop !== shopId)) return send(404, { type: "error", code: "not_found" });
      if (m && req.method === "GET") return send(200, view(p!));
      if (m && m[2] === "/capture") {
        if (p!.status !== "waiting_for_capture") return send(400, { type: "error", code: "invalid_request" });
        p!.status = "succeeded";
        p!.captured = true;
        return send(200, view(p!));
      }
      if (m && m[2] === "/cancel") {
        p!.status = "canceled";
        return send(200, view(p!));
      }
      if (req.method === "POST" && req.url === "/v3/refunds") {
        // A refund leaves the payment succeeded and reports refunded_amount (as YooKassa does).
        const input = JSON.parse(body) as { payment_id: string; amount: { value: string; currency: string } };
        const paid = payments.get(input.payment_id);
        if (!paid || paid.shop !== shopId || paid.status !== "succeeded") return send(400, { type: "error", code: "invalid_request" });
        paid.refunded = input.amount;
        return send(200, { id: randomUUID(), payment_id: paid.id, status: "succeeded", amount: input.amount });
      }
      return send(404, { type: "error", code: "not_found" });
    });
  });
  return new Promise<{ url: string; payments: Map<string, FakePayment>; calls: typeof calls; close(): Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`,
        payments,
        calls,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}
