// Attack: hammering the cheap-to-ask, costly-to-answer routes (SIWE nonces and verifications, order
// creation with a leaked key) from one client, or spreading the load over several server processes.
// Limits live in PostgreSQL, so they hold across processes; a refusal is 429 with Retry-After and
// writes nothing; the client is the TCP peer, never what X-Forwarded-For claims.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ORDER_CREATION_LIMIT } from "../../server/gateway/routes/orders.ts";
import { SIWE_NONCE_LIMIT } from "../../server/gateway/routes/auth.ts";
import { call, CHAIN_ID, createApiKey, createMerchant, signIn, startGateway, type Gateway } from "../gateway/support.ts";
import { startServerProcess, type ServerProcess } from "../support/server-process.ts";

describe("attack: request floods against sign-in and order creation", () => {
  let gateway: Gateway;
  let second: ServerProcess;
  before(async () => {
    gateway = await startGateway("rate-limits");
    second = await startServerProcess({ DATABASE_URL: gateway.database.url, CHAIN_ID: String(CHAIN_ID), RPC_URL: "http://127.0.0.1:9", INDEXER_URL: "http://127.0.0.1:9", GATEWAY_WORKERS: "off" });
  });
  after(async () => {
    await second?.stop("SIGKILL");
    await gateway?.close();
  });

  it("SIWE nonces: the limit holds across two server processes, then 429 with Retry-After and no new nonce", async () => {
    const nonces = () => gateway.count("siwe_nonces");
    const servers = [gateway.url, second.url];
    let issued = 0;
    for (let i = 0; i < SIWE_NONCE_LIMIT.points; i++) {
      const result = await fetch(`${servers[i % 2]}/api/auth/nonce`);
      assert.equal(result.status, 200, `nonce ${i + 1}`);
      issued++;
    }
    assert.equal(await nonces(), issued);
    for (const url of servers) {
      const refused = await fetch(`${url}/api/auth/nonce`, { headers: { "x-forwarded-for": "203.0.113.9" } });
      assert.equal(refused.status, 429, "X-Forwarded-For from an untrusted peer changes nothing");
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= SIWE_NONCE_LIMIT.durationSeconds, `Retry-After ${retryAfter}`);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "rate_limited");
    }
    assert.equal(await nonces(), issued, "refusals wrote no nonce");
  });

  it("order creation: a key over its limit gets 429 and creates nothing more; another key is unaffected", async () => {
    await gateway.sql("delete from rate_limits");
    const owner = await signIn(gateway);
    const merchant = await createMerchant(gateway, owner);
    const [flooding, other] = [await createApiKey(gateway, owner, merchant.id), await createApiKey(gateway, owner, merchant.id)];
    // The window's points are taken in one go (the table is the shared counter), then one more order.
    await gateway.sql("insert into rate_limits (key, points, expire) values ($1, $2, now() + interval '1 minute')", [`${ORDER_CREATION_LIMIT.name}:${flooding.id}`, ORDER_CREATION_LIMIT.points]);
    const ordersBefore = await gateway.count("orders");
    const refused = await call(gateway, "POST", "/api/v1/orders", { apiKey: flooding.secret, body: { amount: "1", token: "USDC", chainId: CHAIN_ID } });
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.equal(await gateway.count("orders"), ordersBefore);
    const allowed = await call(gateway, "POST", "/api/v1/orders", { apiKey: other.secret, body: { amount: "1", token: "USDC", chainId: CHAIN_ID } });
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
  });

  it("counts every order creation of a key in the shared table", async () => {
    await gateway.sql("delete from rate_limits");
    const owner = await signIn(gateway);
    const merchant = await createMerchant(gateway, owner);
    const key = await createApiKey(gateway, owner, merchant.id);
    for (let i = 0; i < 3; i++) assert.equal((await call(gateway, "POST", "/api/v1/orders", { apiKey: key.secret, body: { amount: "1", token: "USDC", chainId: CHAIN_ID } })).status, 201);
    const [row] = await gateway.sql<{ points: number }>("select points from rate_limits where key = $1", [`${ORDER_CREATION_LIMIT.name}:${key.id}`]);
    assert.equal(row?.points, 3);
  });
});
