// Property-based fuzzing of every gateway endpoint's body, query and path with fast-check, over
// real HTTP: never a 5xx, every refusal a clear 4xx `{ error: { code, message } }`, and nothing
// written (the orders table keeps its row count; account tables too where a body is refused).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { getDeployment } from "@coinpays/sdk/contracts";
import { call, CHAIN_ID, createApiKey, createMerchant, signIn, startGateway, type Gateway, type HttpResult, type SignedIn } from "./support.ts";

const deployment = getDeployment(CHAIN_ID)!;
const KNOWN_TOKENS = new Set(["native", "eth", ...deployment.tokens.flatMap((t) => [t.symbol.toLowerCase(), t.address.toLowerCase()]), "0x0000000000000000000000000000000000000000"]);
const RUNS = 40;

/**
 * `{}` is a valid cancel body, so the property swaps it for an invalid one. Judged on the JSON that is
 * actually sent: `{ k: undefined }` serializes to `{}` too.
 */
function sendsEmptyObject(body: unknown): boolean {
  return typeof body !== "object" || body === null || JSON.stringify(body) === "{}";
}

function assertClearRefusal(result: HttpResult, what: string) {
  assert.ok(result.status >= 400 && result.status < 500, `${what}: expected a 4xx, got ${result.status} ${JSON.stringify(result.body).slice(0, 300)}`);
  assert.equal(typeof result.body?.error?.code, "string", `${what}: error.code`);
  assert.ok(result.body.error.message.length > 0, `${what}: error.message`);
}

describe("fuzzing every endpoint", () => {
  let gateway: Gateway;
  let owner: SignedIn;
  let merchantId: string;
  let apiKey: string;
  let orderId: string;
  let ordersBefore: number;

  before(async () => {
    gateway = await startGateway("fuzz");
    owner = await signIn(gateway);
    merchantId = (await createMerchant(gateway, owner)).id;
    apiKey = (await createApiKey(gateway, owner, merchantId)).secret;
    orderId = (await call(gateway, "POST", "/api/v1/orders", { apiKey, body: { amount: "1", token: "USDC", chainId: CHAIN_ID } })).body.id;
    ordersBefore = await gateway.count("orders");
  });
  after(async () => {
    if (gateway) assert.equal(await gateway.count("orders"), ordersBefore, "fuzzing created or deleted no order");
    await gateway?.close();
  });

  const invalidOrderField = fc.oneof(
    fc.record({ key: fc.constant("amount"), value: fc.oneof(fc.double(), fc.integer(), fc.constant(null), fc.string().filter((s) => !/^\d{1,78}(\.\d{1,6})?$/.test(s) || /^[0.]*$/.test(s))) }),
    fc.record({ key: fc.constant("token"), value: fc.oneof(fc.integer(), fc.constant(null), fc.string().filter((s) => !KNOWN_TOKENS.has(s.trim().toLowerCase()))) }),
    fc.record({ key: fc.constant("chainId"), value: fc.oneof(fc.string(), fc.double(), fc.integer().filter((n) => n !== CHAIN_ID), fc.constant(null)) }),
    fc.record({ key: fc.constant("expiresIn"), value: fc.oneof(fc.integer({ max: 59 }), fc.integer({ min: 604_801 }), fc.string(), fc.double({ noInteger: true })) }),
    fc.record({ key: fc.constant("redirectUrl"), value: fc.oneof(fc.string().filter((s) => !/^https?:\/\/[a-z]/i.test(s)), fc.integer()) }),
    fc.record({ key: fc.constant("metadata"), value: fc.oneof(fc.string(), fc.array(fc.anything()), fc.integer(), fc.constant(null)) }),
    fc.record({ key: fc.constant("reference"), value: fc.oneof(fc.integer(), fc.constant(""), fc.string({ minLength: 201, maxLength: 260 }), fc.constant("nul\u0000byte")) }),
    fc.record({ key: fc.string({ minLength: 1 }).filter((k) => !["amount", "token", "chainId", "expiresIn", "redirectUrl", "metadata", "reference", "__proto__"].includes(k)), value: fc.anything() }),
  );
  const validOrderPart = fc.record(
    { amount: fc.constantFrom("1", "0.5", "12.345678"), token: fc.constantFrom("USDC", "DAI", "native"), chainId: fc.constant(CHAIN_ID), reference: fc.string({ minLength: 1, maxLength: 20 }), metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue(), { maxKeys: 3 }) },
    { requiredKeys: [] },
  );
  const invalidOrderBody = fc.oneof(
    fc.tuple(validOrderPart, fc.array(invalidOrderField, { minLength: 1, maxLength: 3 })).map(([base, bad]) => ({ ...base, ...Object.fromEntries(bad.map((b) => [b.key, b.value])) })),
    fc.anything().filter((value) => typeof value !== "object" || value === null || Array.isArray(value)),
  );
  const rawBody = fc.oneof(fc.string(), fc.constantFrom("{", "[1,", "{\"amount\":", "null", "\"x\"", "{\"a\":\"\\u0000\"}"));

  it("POST /api/v1/orders: invalid bodies and raw text never create an order", async () => {
    await fc.assert(
      fc.asyncProperty(invalidOrderBody, fc.option(fc.stringMatching(/^[!-~]{1,40}$/), { nil: undefined }), async (body, key) => {
        const result = await call(gateway, "POST", "/api/v1/orders", { apiKey, body, headers: key ? { "idempotency-key": key } : {} });
        assertClearRefusal(result, `create ${JSON.stringify(body)}`);
      }),
      { numRuns: RUNS * 3 },
    );
    await fc.assert(
      fc.asyncProperty(rawBody, async (text) => {
        assertClearRefusal(await call(gateway, "POST", "/api/v1/orders", { apiKey, rawBody: text }), `raw ${text}`);
      }),
      { numRuns: RUNS },
    );
    assert.equal(await gateway.count("orders"), ordersBefore);
    assert.equal(await gateway.count("idempotency_keys"), 0, "a refused request stores no Idempotency-Key");
  });

  it("GET /api/v1/orders: any query answers 200 or a clear 400", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom("status", "reference", "createdFrom", "createdTo", "limit", "cursor", "other"), fc.oneof(fc.string(), fc.constantFrom("new", "settled,new", "0", "100", "2025-01-01T00:00:00Z", "eyJ2IjoxLCJpZCI6Im9yZF8wIn0"))),
        async (query) => {
          const result = await call(gateway, "GET", `/api/v1/orders?${new URLSearchParams(query)}`, { apiKey });
          assert.ok(result.status === 200 || result.status === 400, `${JSON.stringify(query)}: ${result.status}`);
          if (result.status === 400) assertClearRefusal(result, JSON.stringify(query));
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it("order paths with arbitrary ids: get, cancel, refunds, qr", async () => {
    await fc.assert(
      // "." and ".." are path segments the client itself resolves away (/orders/. is the list), not ids.
      fc.asyncProperty(fc.oneof(fc.string({ minLength: 1 }).filter((id) => id !== "." && id !== ".."), fc.stringMatching(/^ord_[0-9A-Za-z]{22}$/)), fc.constantFrom("", "/cancel", "/refunds", "/qr.svg", "/qr.png"), async (id, suffix) => {
        const method = suffix === "/cancel" || suffix === "/refunds" ? "POST" : "GET";
        const result = await call(gateway, method, `/api/v1/orders/${encodeURIComponent(id)}${suffix}`, { apiKey, body: method === "POST" ? { kind: "claim_link" } : undefined });
        assertClearRefusal(result, `${method} ${id}${suffix}`);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("refunds and cancel: invalid bodies on a real order change nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({ kind: fc.oneof(fc.string(), fc.constantFrom("onchain", "claim_link")), amount: fc.oneof(fc.string(), fc.double()), toAddress: fc.string(), reason: fc.anything() }, { requiredKeys: [] }),
        ),
        fc.constantFrom("/refunds", "/cancel"),
        async (body, suffix) => {
          const result = await call(gateway, "POST", `/api/v1/orders/${orderId}${suffix}`, { apiKey, body: suffix === "/cancel" && sendsEmptyObject(body) ? { x: 1 } : body });
          assertClearRefusal(result, `${suffix} ${JSON.stringify(body)}`);
        },
      ),
      { numRuns: RUNS * 2 },
    );
    assert.equal(await gateway.count("refunds"), 0);
    const [order] = await gateway.sql<{ status: string }>("select status from orders where id = $1", [orderId]);
    assert.equal(order!.status, "new");
  });

  it("dashboard refunds and order list: invalid bodies, ids and queries are clear 4xx and write nothing", async () => {
    const refundBody = fc.oneof(
      fc.anything(),
      fc.record({ kind: fc.oneof(fc.string(), fc.constantFrom("onchain", "claim_link")), amount: fc.oneof(fc.string(), fc.double()), toAddress: fc.string(), reason: fc.anything() }, { requiredKeys: [] }),
    );
    const base = `/api/merchants/${merchantId}/orders`;
    await fc.assert(
      fc.asyncProperty(refundBody, fc.oneof(fc.constant(orderId), fc.string({ minLength: 1 })), async (body, id) => {
        assertClearRefusal(await call(gateway, "POST", `${base}/${encodeURIComponent(id)}/refunds`, { cookie: owner.cookie, body }), `refund ${id} ${JSON.stringify(body)}`);
      }),
      { numRuns: RUNS * 2 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.anything(), fc.record({ transactionHash: fc.oneof(fc.string(), fc.stringMatching(/^0x[0-9a-f]{64}$/)) })),
        fc.oneof(fc.string({ minLength: 1 }), fc.uuid()),
        async (body, refundId) => {
          const result = await call(gateway, "POST", `${base}/${orderId}/refunds/${encodeURIComponent(refundId)}/transaction`, { cookie: owner.cookie, body });
          assertClearRefusal(result, `transaction ${refundId} ${JSON.stringify(body)}`);
        },
      ),
      { numRuns: RUNS * 2 },
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom("account", "status", "limit", "other"), fc.oneof(fc.string(), fc.uuid(), fc.constant(merchantId))), async (query) => {
        const result = await call(gateway, "GET", `${base}?${new URLSearchParams(query)}`, { cookie: owner.cookie });
        if (result.status !== 200) assertClearRefusal(result, JSON.stringify(query));
      }),
      { numRuns: RUNS * 2 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ minLength: 1 }), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)), fc.option(fc.oneof(fc.anything(), fc.record({ toAddress: fc.oneof(fc.string(), fc.constant("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")) })), { nil: undefined }), async (token, body) => {
        const path = `/api/refunds/claim/${encodeURIComponent(token)}`;
        assertClearRefusal(await call(gateway, body === undefined ? "GET" : "POST", path, { body }), `claim ${token} ${JSON.stringify(body)}`);
      }),
      { numRuns: RUNS * 2 },
    );
    assert.equal(await gateway.count("refunds"), 0);
  });

  it("auth: verify with arbitrary bodies never signs anyone in", async () => {
    const sessions = await gateway.count("sessions");
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.anything(), fc.record({ message: fc.oneof(fc.string(), fc.lorem()), signature: fc.oneof(fc.string(), fc.stringMatching(/^0x[0-9a-f]{130}$/)) })),
        async (body) => {
          assertClearRefusal(await call(gateway, "POST", "/api/auth/verify", { body }), `verify ${JSON.stringify(body)}`);
        },
      ),
      { numRuns: RUNS * 2 },
    );
    assert.equal(await gateway.count("sessions"), sessions);
  });

  it("merchants, members, API keys: invalid bodies and ids are refused and write nothing", async () => {
    const counts = async () => Promise.all(["merchants", "memberships", "api_keys", "users"].map((t) => gateway.count(t)));
    const before = await counts();
    const merchantBody = fc.oneof(
      fc.anything(),
      fc.record({ name: fc.oneof(fc.string({ maxLength: 0 }), fc.integer(), fc.string({ minLength: 121, maxLength: 130 })), payoutAddress: fc.string() }, { requiredKeys: [] }),
      fc.record({ name: fc.constant("ok"), payoutAddress: fc.string(), orderExpirySeconds: fc.oneof(fc.integer({ max: 59 }), fc.string()) }),
      fc.record({ name: fc.constant("ok"), payoutAddress: fc.constant("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), acceptedTokens: fc.anything().filter((v) => v !== undefined && (typeof v !== "object" || v === null || Array.isArray(v))) }),
    );
    const targets = [
      ["POST", "/api/merchants"],
      ["PATCH", `/api/merchants/${merchantId}`],
      ["POST", `/api/merchants/${merchantId}/sub-accounts`],
      ["POST", `/api/merchants/${merchantId}/members`],
      ["PATCH", `/api/merchants/${merchantId}/members/${owner.userId}`],
      ["POST", `/api/merchants/${merchantId}/api-keys`],
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), merchantBody, async ([method, path], body) => {
        // A valid member/key/role body is not what this property is about: give those paths bodies they cannot accept.
        const sent = path.endsWith("/members") || path.endsWith("api-keys") || path.includes("/members/") ? { ...(typeof body === "object" && body && !Array.isArray(body) ? body : {}), bogus: true } : body;
        assertClearRefusal(await call(gateway, method, path, { cookie: owner.cookie, body: sent }), `${method} ${path} ${JSON.stringify(sent)}`);
      }),
      { numRuns: RUNS * 2 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.constantFrom("", "/members", "/api-keys", "/sub-accounts", "/orders", "/api-keys/x", "/members/y"), async (id, suffix) => {
        const method = suffix.includes("/x") || suffix.includes("/y") ? "DELETE" : "GET";
        assertClearRefusal(await call(gateway, method, `/api/merchants/${encodeURIComponent(id)}${suffix}`, { cookie: owner.cookie }), `${method} ${id}${suffix}`);
      }),
      { numRuns: RUNS },
    );
    assert.deepEqual(await counts(), before);
  });
});
