import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { AmountError, CoinPaysApiError, CoinPaysNetworkError, createCoinPaysClient, moneyToBaseUnits, type Order } from "../src/index.ts";
import { API_KEY, startFakeGateway, type FakeGateway } from "./support/fake-gateway.ts";

let gateway: FakeGateway;
const fastRetry = { retries: 2, minDelayMs: 5, maxDelayMs: 20 };
const client = () => createCoinPaysClient({ baseUrl: gateway.origin, apiKey: API_KEY, retry: fastRetry });

before(async () => {
  gateway = await startFakeGateway();
});
after(() => gateway.close());
beforeEach(() => {
  gateway.requests.length = 0;
  gateway.faults.length = 0;
});

describe("orders.create", () => {
  it("POSTs the order as JSON with the API key and a generated Idempotency-Key, and returns the typed order", async () => {
    const before = gateway.orders.length;
    const order = await client().orders.create({ amount: "12.50", token: "USDC", chainId: 31337, reference: "purchase-1", metadata: { sku: "sword" } });
    assert.equal(order.object, "order");
    assert.equal(order.status, "new");
    assert.deepEqual(order.amount, { baseUnits: "12500000", formatted: "12.5" });
    assert.equal(moneyToBaseUnits(order.amountDue), 12_500_000n);
    assert.match(order.qrSvgUrl, /\/api\/v1\/orders\/ord_\w+\/qr\.svg$/);
    assert.equal(gateway.orders.length, before + 1);

    const [request] = gateway.requests;
    assert.equal(request!.method, "POST");
    assert.equal(request!.path, "/api/v1/orders");
    assert.equal(request!.headers.authorization, `Bearer ${API_KEY}`);
    assert.match(request!.headers["content-type"]!, /^application\/json/);
    assert.match(request!.headers["idempotency-key"] as string, /^sdk_[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(request!.body), { amount: "12.50", token: "USDC", chainId: 31337, reference: "purchase-1", metadata: { sku: "sword" } });
  });

  it("sends a new key per call, and the caller's own key when given", async () => {
    await client().orders.create({ amount: "1", token: "USDC", chainId: 31337 });
    await client().orders.create({ amount: "1", token: "USDC", chainId: 31337 });
    await client().orders.create({ amount: "2", token: "USDC", chainId: 31337 }, { idempotencyKey: "purchase-77" });
    const keys = gateway.requests.map((request) => request.headers["idempotency-key"]);
    assert.notEqual(keys[0], keys[1]);
    assert.equal(keys[2], "purchase-77");
  });

  it("reuses the same Idempotency-Key when retrying after a lost response, so exactly one order is made", async () => {
    const before = gateway.orders.length;
    gateway.faults.push("drop"); // the server creates the order, then the connection dies mid-reply
    const order = await client().orders.create({ amount: "3.25", token: "USDC", chainId: 31337 });
    assert.equal(gateway.requests.length, 2);
    const [first, second] = gateway.requests;
    assert.equal(first!.headers["idempotency-key"], second!.headers["idempotency-key"]);
    assert.equal(gateway.orders.length, before + 1, "one order, not two");
    assert.equal(order.id, gateway.orders.at(-1)!.id, "the retry got the replayed order");
  });

  it("retries 5xx with the same key, then succeeds", async () => {
    gateway.faults.push("503", "502html");
    const order = await client().orders.create({ amount: "1", token: "USDC", chainId: 31337 }, { idempotencyKey: "k-5xx" });
    assert.equal(order.status, "new");
    assert.deepEqual(gateway.requests.map((request) => request.headers["idempotency-key"]), ["k-5xx", "k-5xx", "k-5xx"]);
  });

  it("a key replayed later (a restarted process) returns the same order", async () => {
    const first = await client().orders.create({ amount: "4", token: "USDC", chainId: 31337 }, { idempotencyKey: "purchase-restart" });
    const again = await client().orders.create({ amount: "4", token: "USDC", chainId: 31337 }, { idempotencyKey: "purchase-restart" });
    assert.equal(again.id, first.id);
  });

  it("maps error bodies to CoinPaysApiError without retrying 4xx", async () => {
    await assert.rejects(
      client().orders.create({ amount: "1", token: "USDC", chainId: 31337 }, { idempotencyKey: "purchase-restart" }),
      (error: unknown) => {
        assert.ok(error instanceof CoinPaysApiError);
        assert.equal(error.status, 422);
        assert.equal(error.code, "idempotency_key_reused");
        assert.match(error.message, /different request/);
        assert.equal(error.attempts, 1);
        return true;
      },
    );
    assert.equal(gateway.requests.length, 1);
    gateway.requests.length = 0;
    const wrongKey = createCoinPaysClient({ baseUrl: gateway.origin, apiKey: "sk_wrong", retry: fastRetry });
    await assert.rejects(wrongKey.orders.get("ord_x"), { name: "CoinPaysApiError", status: 401, code: "unauthorized" });
    assert.equal(gateway.requests.length, 1);
  });

  it("refuses floats and malformed amounts before sending anything", async () => {
    const c = client();
    assert.throws(() => c.orders.create({ amount: 12.5 as unknown as string, token: "USDC", chainId: 31337 }), AmountError);
    assert.throws(() => c.orders.create({ amount: "1e3", token: "USDC", chainId: 31337 }), AmountError);
    assert.throws(() => c.orders.create({ amount: "-1", token: "USDC", chainId: 31337 }), AmountError);
    assert.equal(gateway.requests.length, 0);
  });

  it("takes exact bigint amounts", async () => {
    const order = await client().orders.create({ amount: { baseUnits: 123_456_789n, decimals: 6 }, token: "USDC", chainId: 31337 });
    assert.equal(JSON.parse(gateway.requests[0]!.body).amount, "123.456789");
    assert.equal(moneyToBaseUnits(order.amount), 123_456_789n);
  });
});

describe("retries", () => {
  it("retries GETs on network errors and 5xx with backoff, then reports the last failure", async () => {
    const order = gateway.addOrder("2");
    gateway.faults.push("reset", "503");
    assert.equal((await client().orders.get(order.id)).id, order.id);
    assert.equal(gateway.requests.length, 3);

    gateway.requests.length = 0;
    gateway.faults.push("503", "503", "503");
    await assert.rejects(client().orders.get(order.id), (error: unknown) => error instanceof CoinPaysApiError && error.status === 503 && error.code === "unavailable" && error.attempts === 3);
    assert.equal(gateway.requests.length, 3);

    gateway.requests.length = 0;
    gateway.faults.push("502html");
    await assert.rejects(
      createCoinPaysClient({ baseUrl: gateway.origin, apiKey: API_KEY, retry: { retries: 0 } }).orders.get(order.id),
      (error: unknown) => error instanceof CoinPaysApiError && error.status === 502 && error.code === "http_error",
    );
  });

  it("throws CoinPaysNetworkError when nothing answers", async () => {
    const dead = createCoinPaysClient({ baseUrl: "http://127.0.0.1:1", apiKey: API_KEY, retry: fastRetry });
    await assert.rejects(dead.orders.get("ord_x"), (error: unknown) => error instanceof CoinPaysNetworkError && error.attempts === 3);
  });

  it("times out a hanging attempt and retries it", async () => {
    const order = gateway.addOrder("2");
    let calls = 0;
    const slowThenFast = createCoinPaysClient({
      baseUrl: gateway.origin,
      apiKey: API_KEY,
      retry: fastRetry,
      timeoutMs: 100,
      fetch: (input, init) => (++calls === 1 ? new Promise<Response>((_, reject) => init.signal!.addEventListener("abort", () => reject(init.signal!.reason))) : fetch(input, init)),
    });
    assert.equal((await slowThenFast.orders.get(order.id)).id, order.id);
    assert.equal(calls, 2);
  });
});

describe("orders.get / cancel / refund", () => {
  it("gets, cancels (409 the second time) and refunds", async () => {
    const order = gateway.addOrder("5");
    const c = client();
    assert.equal((await c.orders.get(order.id)).amount.formatted, "5");
    const cancelled = await c.orders.cancel(order.id);
    assert.equal(cancelled.status, "cancelled");
    assert.equal(gateway.requests.at(-1)!.path, `/api/v1/orders/${order.id}/cancel`);
    assert.ok(gateway.requests.at(-1)!.headers["idempotency-key"]);
    await assert.rejects(c.orders.cancel(order.id), { name: "CoinPaysApiError", status: 409, code: "order_not_cancellable" });

    const refund = await c.orders.refund(order.id, { kind: "claim_link", amount: { baseUnits: 1_500_000n, decimals: 6 } }, { idempotencyKey: "refund-1" });
    assert.equal(refund.object, "refund");
    assert.equal(refund.status, "awaiting_claim");
    assert.ok(refund.claimUrl);
    const sent = gateway.requests.at(-1)!;
    assert.equal(sent.path, `/api/v1/orders/${order.id}/refunds`);
    assert.equal(sent.headers["idempotency-key"], "refund-1");
    assert.deepEqual(JSON.parse(sent.body), { kind: "claim_link", amount: "1.5" });
  });

  it("encodes ids into the path", async () => {
    await assert.rejects(client().orders.get("../openapi.json"), { status: 404 });
    assert.equal(gateway.requests.at(-1)!.path, "/api/v1/orders/..%2Fopenapi.json");
  });
});

describe("orders.list", () => {
  it("awaits to one page, iterates every order across cursor pages, and sends filters", async () => {
    gateway.orders.length = 0;
    const made: Order[] = [];
    for (let i = 0; i < 7; i++) made.push(gateway.addOrder(`${i + 1}`));
    const c = client();

    const page = await c.orders.list({ limit: 3 });
    assert.equal(page.object, "list");
    assert.equal(page.data.length, 3);
    assert.equal(page.hasMore, true);
    assert.ok(page.nextCursor);

    gateway.requests.length = 0;
    const ids: string[] = [];
    for await (const order of c.orders.list({ limit: 3, status: ["new", "processing"], createdFrom: new Date("2024-01-01T00:00:00Z") })) ids.push(order.id);
    assert.deepEqual(ids, made.map((order) => order.id).reverse(), "newest first, each exactly once");
    assert.equal(gateway.requests.length, 3);
    assert.equal(gateway.requests[0]!.query.get("status"), "new,processing");
    assert.equal(gateway.requests[0]!.query.get("createdFrom"), "2024-01-01T00:00:00.000Z");
    assert.equal(gateway.requests[0]!.query.get("cursor"), null);
    assert.ok(gateway.requests[1]!.query.get("cursor"));

    const sizes: number[] = [];
    for await (const each of c.orders.list({ limit: 3 }).pages()) sizes.push(each.data.length);
    assert.deepEqual(sizes, [3, 3, 1]);

    // Breaking out early fetches no further page.
    gateway.requests.length = 0;
    for await (const order of c.orders.list({ limit: 2 })) {
      assert.ok(order);
      break;
    }
    assert.equal(gateway.requests.length, 1);
  });

  it("maps a bad query to a 400 with field details", async () => {
    await assert.rejects(async () => client().orders.list({ limit: 500 }), (error: unknown) => {
      assert.ok(error instanceof CoinPaysApiError);
      assert.equal(error.status, 400);
      assert.equal(error.code, "validation_failed");
      assert.deepEqual(error.details, [{ field: "limit", message: "invalid" }]);
      return true;
    });
  });
});
