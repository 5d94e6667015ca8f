// Attack: calling every protected route without credentials, or with the wrong kind. The route
// table declares each route's `auth`; the one router enforces it, so this walks the table as the
// OpenAPI document publishes it, rather than trusting each handler to remember its check.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, createApiKey, createMerchant, signIn, startGateway, type Gateway } from "../gateway/support.ts";
import { counts } from "./support.ts";

type Operation = { operationId: string; security?: Record<string, string[]>[] };
const TABLES = ["merchants", "memberships", "api_keys", "orders", "refunds", "webhook_endpoints", "webhook_events", "sessions"] as const;

describe("attack: protected routes without credentials", () => {
  let gateway: Gateway;
  let operations: { method: string; path: string; operation: Operation; kind: "session" | "apiKey" }[];
  let merchantId: string;
  let cookie: string;
  let apiKey: string;

  before(async () => {
    gateway = await startGateway("route-auth");
    const owner = await signIn(gateway);
    cookie = owner.cookie;
    merchantId = (await createMerchant(gateway, owner)).id;
    apiKey = (await createApiKey(gateway, owner, merchantId)).secret;
    const document = (await call(gateway, "GET", "/api/v1/openapi.json")).body as { paths: Record<string, Record<string, Operation>> };
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, operation]) => {
        const kind = operation.security?.some((requirement) => requirement.session) ? "session" : operation.security?.some((requirement) => requirement.apiKey) ? "apiKey" : undefined;
        return kind ? [{ method: method.toUpperCase(), path: path.replace("{merchantId}", merchantId).replace(/\{\w+\}/g, "00000000-0000-4000-8000-000000000000"), operation, kind }] : [];
      }),
    );
  });
  after(async () => gateway?.close());

  it("the table has protected routes of both kinds", () => {
    assert.ok(operations.filter((o) => o.kind === "session").length >= 30, `${operations.length} protected routes`);
    assert.ok(operations.filter((o) => o.kind === "apiKey").length >= 5);
  });

  it("every protected route answers 401 without credentials and writes nothing", async () => {
    const before = await counts(gateway, TABLES);
    for (const { method, path, operation } of operations) {
      const result = await call(gateway, method, path, method === "GET" || method === "DELETE" ? {} : { body: {} });
      assert.equal(result.status, 401, `${operation.operationId} ${method} ${path}: ${JSON.stringify(result.body)}`);
    }
    assert.deepEqual(await counts(gateway, TABLES), before);
  });

  it("a session is not an API key and an API key is not a session", async () => {
    const before = await counts(gateway, TABLES);
    for (const { method, path, operation, kind } of operations) {
      const credentials = kind === "session" ? { apiKey } : { cookie };
      const result = await call(gateway, method, path, { ...credentials, ...(method === "GET" || method === "DELETE" ? {} : { body: {} }) });
      assert.equal(result.status, 401, `${operation.operationId} with the other credential: ${JSON.stringify(result.body)}`);
    }
    assert.deepEqual(await counts(gateway, TABLES), before);
  });

  it("garbage credentials are 401, never 5xx", async () => {
    for (const { method, path, kind } of operations) {
      // From the site's own pages (Origin), so what is judged is the credential itself.
      const headers: Record<string, string> = kind === "session" ? { cookie: "__Host-coinpays_session=" + "x".repeat(300), origin: gateway.url } : { authorization: "Bearer cp_live_" + "0".repeat(43) };
      const result = await call(gateway, method, path, { headers, ...(method === "GET" || method === "DELETE" ? {} : { body: {} }) });
      assert.equal(result.status, 401, `${method} ${path}`);
    }
  });
});
