// Orders API over real HTTP against PostgreSQL: create/get/list/cancel, Idempotency-Key, exact
// amounts, cursor pagination, refunds and the OpenAPI document.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { parsePaymentUri, paymentQrPngDataUrl, paymentQrSvg } from "@coinpays/sdk";
import { getDeployment } from "@coinpays/sdk/contracts";
import { keccak256, stringToHex } from "viem";
import { call, CHAIN_ID, createApiKey, createMerchant, PAYOUT, signIn, startGateway, type Gateway } from "./support.ts";

const deployment = getDeployment(CHAIN_ID)!;
const USDC = deployment.tokens.find((t) => t.symbol === "USDC")!;
const DAI = deployment.tokens.find((t) => t.symbol === "DAI")!;

describe("orders API", () => {
  let gateway: Gateway;
  let apiKey: string;
  let merchantId: string;

  before(async () => {
    gateway = await startGateway("orders");
    const owner = await signIn(gateway);
    merchantId = (await createMerchant(gateway, owner, "Orders shop", { acceptedTokens: { [CHAIN_ID]: [USDC.address, DAI.address, "native"] } })).id;
    apiKey = (await createApiKey(gateway, owner, merchantId)).secret;
  });
  after(() => gateway?.close());

  const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) => call(gateway, "POST", "/api/v1/orders", { apiKey, body, headers });

  it("creates an order with deposit address, EIP-681 URI, checkout URL, QR and an order.created event", async () => {
    const result = await create({ amount: "12.5", token: "usdc", chainId: CHAIN_ID, reference: "INV-1", metadata: { cart: [1, 2] }, expiresIn: 600, redirectUrl: "https://shop.example/done" });
    assert.equal(result.status, 201, JSON.stringify(result.body));
    const order = result.body;
    assert.match(order.id, /^ord_[0-9A-Za-z]{22}$/);
    assert.equal(order.status, "new");
    assert.equal(order.orderRef, keccak256(stringToHex(order.id)));
    assert.equal(order.destination, PAYOUT);
    assert.deepEqual(order.amount, { baseUnits: "12500000", formatted: "12.5" });
    assert.deepEqual(order.amountDue, { baseUnits: "12500000", formatted: "12.5" });
    assert.equal(order.token.address, USDC.address);
    assert.deepEqual(parsePaymentUri(order.paymentUri), { kind: "erc20", chainId: CHAIN_ID, token: USDC.address, recipient: order.depositAddress, amount: 12_500_000n });
    assert.equal(order.checkoutUrl, `${gateway.url}/pay/${order.id}`);
    assert.equal(order.qrSvgUrl, `${gateway.url}/api/v1/orders/${order.id}/qr.svg`);
    assert.equal(order.qrPngUrl, `${gateway.url}/api/v1/orders/${order.id}/qr.png`);
    assert.equal(order.qr, undefined, "images are linked, not rendered into the creation response");
    assert.ok(Math.abs(Date.parse(order.expiresAt) - Date.now() - 600_000) < 5_000);
    assert.equal(Date.parse(order.monitorUntil) - Date.parse(order.expiresAt), 24 * 3600 * 1000);
    const events = await gateway.sql<{ type: string; to_status: string }>("select type, to_status from order_events where order_id = $1", [order.id]);
    assert.deepEqual(events, [{ type: "order.created", to_status: "new" }]);
    assert.equal((await gateway.sql("select 1 from webhook_events where order_id = $1", [order.id])).length, 1);

    const fetched = await call(gateway, "GET", `/api/v1/orders/${order.id}`, { apiKey });
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.depositAddress, order.depositAddress);
    assert.equal(fetched.body.qr, undefined);
    // The linked images draw the order's EIP-681 URI exactly as the SDK's own QR helpers do.
    const svg = await fetch(order.qrSvgUrl);
    assert.equal(svg.headers.get("content-type"), "image/svg+xml");
    assert.equal(await svg.text(), await paymentQrSvg(order.paymentUri));
    const png = await fetch(order.qrPngUrl);
    assert.equal(png.headers.get("content-type"), "image/png");
    const expectedPng = Buffer.from((await paymentQrPngDataUrl(order.paymentUri)).split(",")[1]!, "base64");
    assert.deepEqual(Buffer.from(await png.arrayBuffer()), expectedPng);
    // Immutable per order: cacheable, and revalidation with the ETag answers 304 without a body.
    for (const image of [svg, png]) {
      assert.match(image.headers.get("etag") ?? "", /^"[0-9a-f]{32}"$/);
      assert.match(image.headers.get("cache-control") ?? "", /public.*immutable/);
    }
    assert.notEqual(svg.headers.get("etag"), png.headers.get("etag"));
    const revalidated = await fetch(order.qrSvgUrl, { headers: { "if-none-match": `W/"other", ${svg.headers.get("etag")}` } });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.headers.get("etag"), svg.headers.get("etag"));
    assert.equal(await revalidated.text(), "");
    assert.equal((await fetch(order.qrSvgUrl, { headers: { "if-none-match": '"stale"' } })).status, 200);
    assert.equal((await fetch(`${gateway.url}/api/v1/orders/ord_0000000000000000000000/qr.png`)).status, 404);

    const duplicate = await create({ amount: "1", token: "USDC", chainId: CHAIN_ID, reference: "INV-1" });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error.code, "reference_taken");
  });

  it("parses amounts exactly for 6 and 18 decimals and refuses excess precision", async () => {
    const dai = await create({ amount: "1234567.123456789012345678", token: DAI.address, chainId: CHAIN_ID });
    assert.equal(dai.status, 201);
    assert.deepEqual(dai.body.amount, { baseUnits: "1234567123456789012345678", formatted: "1234567.123456789012345678" });
    const native = await create({ amount: "0.000000000000000001", token: "native", chainId: CHAIN_ID });
    assert.equal(native.status, 201);
    assert.equal(native.body.amount.baseUnits, "1");
    assert.match(native.body.paymentUri, /\?value=1$/);
    const usdc = await create({ amount: "0.000001", token: "USDC", chainId: CHAIN_ID });
    assert.equal(usdc.body.amount.baseUnits, "1");
    const before = await gateway.count("orders");
    for (const [amount, token] of [["0.0000001", "USDC"], ["1.0000000000000000001", "DAI"], ["0", "USDC"], ["1e6", "USDC"], ["-1", "USDC"], ["1.", "USDC"], [12.5, "USDC"]] as const) {
      const result = await create({ amount, token, chainId: CHAIN_ID });
      assert.equal(result.status, 400, `${amount} ${token}: ${JSON.stringify(result.body)}`);
      assert.equal(result.body.error.details[0].field, "amount");
    }
    assert.equal((await create({ amount: "1", token: "WBTC", chainId: CHAIN_ID })).status, 422);
    assert.equal((await create({ amount: "1", token: "USDC", chainId: 1 })).status, 422);
    assert.equal(await gateway.count("orders"), before);
  });

  it("refuses tokens the merchant does not accept", async () => {
    const weth = deployment.tokens.find((t) => t.symbol === "WETH")!;
    const result = await create({ amount: "1", token: weth.address, chainId: CHAIN_ID });
    assert.equal(result.status, 422);
    assert.equal(result.body.error.code, "token_not_accepted");
  });

  it("replays an Idempotency-Key, refuses it with another body, and makes one order of 20 concurrent requests", async () => {
    const body = { amount: "5", token: "USDC", chainId: CHAIN_ID, metadata: { a: 1, b: 2 } };
    const first = await create(body, { "idempotency-key": "key-1" });
    assert.equal(first.status, 201);
    const replay = await create({ metadata: { b: 2, a: 1 }, chainId: CHAIN_ID, token: "USDC", amount: "5" }, { "idempotency-key": "key-1" });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(replay.body, first.body);
    const different = await create({ ...body, amount: "6" }, { "idempotency-key": "key-1" });
    assert.equal(different.status, 422);
    assert.equal(different.body.error.code, "idempotency_key_reused");

    const before = await gateway.count("orders");
    const results = await Promise.all(Array.from({ length: 20 }, () => create({ amount: "7", token: "USDC", chainId: CHAIN_ID }, { "idempotency-key": "burst" })));
    assert.deepEqual([...new Set(results.map((r) => r.status))], [201]);
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    assert.equal(await gateway.count("orders"), before + 1);
    // The stored row is the one the response describes (the response is stored in the same statement).
    const [row] = await gateway.sql<{ created_at: Date; updated_at: Date }>("select created_at, updated_at from orders where id = $1", [results[0]!.body.id]);
    assert.equal(row!.created_at.toISOString(), results[0]!.body.createdAt);
    assert.equal(row!.updated_at.toISOString(), results[0]!.body.updatedAt);

    // One reference, 20 concurrent requests with their own keys: one order; the others 409 and write nothing.
    const counts = async () => Promise.all(["orders", "idempotency_keys", "order_events", "webhook_events"].map((table) => gateway.count(table)));
    const countsBefore = await counts();
    const racing = await Promise.all(Array.from({ length: 20 }, (_, i) => create({ amount: "8", token: "USDC", chainId: CHAIN_ID, reference: "RACE-1" }, { "idempotency-key": `race-${i}` })));
    assert.deepEqual(racing.map((r) => r.status).sort(), [201, ...Array(19).fill(409)]);
    const winner = racing.find((r) => r.status === 201)!;
    for (const loser of racing.filter((r) => r.status === 409)) {
      assert.equal(loser.body.error.code, "reference_taken");
      assert.match(loser.body.error.message, new RegExp(winner.body.id));
    }
    assert.deepEqual(await counts(), countsBefore.map((n) => n + 1));
    // The same key and reference again (a retry) replays rather than conflicting.
    const retry = await create({ amount: "8", token: "USDC", chainId: CHAIN_ID, reference: "RACE-1" }, { "idempotency-key": `race-${racing.indexOf(winner)}` });
    assert.equal(retry.status, 201);
    assert.equal(retry.body.id, winner.body.id);
  });

  it("cancels an unpaid order once, with an event; refuses refunds without payment", async () => {
    const order = (await create({ amount: "3", token: "USDC", chainId: CHAIN_ID })).body;
    const cancel = await call(gateway, "POST", `/api/v1/orders/${order.id}/cancel`, { apiKey });
    assert.equal(cancel.status, 200);
    assert.equal(cancel.body.status, "cancelled");
    assert.equal((await call(gateway, "POST", `/api/v1/orders/${order.id}/cancel`, { apiKey })).status, 409);
    const events = await gateway.sql<{ type: string }>("select type from order_events where order_id = $1 order by id", [order.id]);
    assert.deepEqual(events.map((e) => e.type), ["order.created", "order.cancelled"]);
    const refund = await call(gateway, "POST", `/api/v1/orders/${order.id}/refunds`, { apiKey, body: { kind: "claim_link" } });
    assert.equal(refund.status, 409);
  });

  it("refuses to cancel a paid order and records refunds (on-chain and claim link) within what was paid", async () => {
    const order = (await create({ amount: "10", token: "USDC", chainId: CHAIN_ID })).body;
    // What the settlement watcher would have recorded.
    await gateway.sql("update orders set amount_paid = 10000000, status = 'settled' where id = $1", [order.id]);
    await gateway.sql(
      "insert into payments (order_id, chain_id, method, token, amount, payer, transaction_hash, log_index, block_number, block_hash, status) values ($1, $2, 'deposit_address', $3, 10000000, $4, '0xabc', 0, 5, '0xdef', 'confirmed')",
      [order.id, CHAIN_ID, USDC.address, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"],
    );
    assert.equal((await call(gateway, "POST", `/api/v1/orders/${order.id}/cancel`, { apiKey })).status, 409);
    const onchain = await call(gateway, "POST", `/api/v1/orders/${order.id}/refunds`, { apiKey, body: { kind: "onchain", amount: "4" } });
    assert.equal(onchain.status, 201, JSON.stringify(onchain.body));
    assert.equal(onchain.body.status, "pending");
    assert.equal(onchain.body.toAddress, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    assert.deepEqual(onchain.body.amount, { baseUnits: "4000000", formatted: "4" });
    const tooMuch = await call(gateway, "POST", `/api/v1/orders/${order.id}/refunds`, { apiKey, body: { kind: "claim_link", amount: "6.000001" } });
    assert.equal(tooMuch.status, 422);
    const claim = await call(gateway, "POST", `/api/v1/orders/${order.id}/refunds`, { apiKey, body: { kind: "claim_link" } });
    assert.equal(claim.status, 201);
    assert.equal(claim.body.status, "awaiting_claim");
    assert.equal(claim.body.amount.baseUnits, "6000000");
    const token = claim.body.claimUrl.split("/").at(-1);
    const stored = await gateway.sql<{ claim_token_hash: string }>("select claim_token_hash from refunds where id = $1", [claim.body.id]);
    assert.notEqual(stored[0]!.claim_token_hash, token);
    assert.equal((await call(gateway, "POST", `/api/v1/orders/${order.id}/refunds`, { apiKey, body: { kind: "claim_link" } })).status, 409);
  });

  it("pages through 120 orders with a cursor, without duplicates or gaps, and filters", async () => {
    const owner = await signIn(gateway);
    const shop = (await createMerchant(gateway, owner, "Pager")).id;
    const key = (await createApiKey(gateway, owner, shop)).secret;
    const ids: string[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => call(gateway, "POST", "/api/v1/orders", { apiKey: key, body: { amount: "1", token: "USDC", chainId: CHAIN_ID, reference: `R-${batch * 20 + i}` } })),
      );
      ids.push(...results.map((r) => r.body.id));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await call(gateway, "GET", `/api/v1/orders?limit=17${cursor ? `&cursor=${cursor}` : ""}`, { apiKey: key });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...page.body.data.map((o: { id: string }) => o.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, Math.ceil(120 / 17));
    assert.equal(seen.length, 120);
    assert.equal(new Set(seen).size, 120);
    assert.deepEqual([...seen].sort(), [...ids].sort());
    const dbOrder = await gateway.sql<{ id: string }>("select id from orders where merchant_id = $1 order by created_at desc, id desc", [shop]);
    assert.deepEqual(seen, dbOrder.map((r) => r.id));

    const byReference = await call(gateway, "GET", "/api/v1/orders?reference=R-7", { apiKey: key });
    assert.equal(byReference.body.data.length, 1);
    assert.equal(byReference.body.data[0].reference, "R-7");
    await call(gateway, "POST", `/api/v1/orders/${byReference.body.data[0].id}/cancel`, { apiKey: key });
    const cancelled = await call(gateway, "GET", "/api/v1/orders?status=cancelled,settled", { apiKey: key });
    assert.deepEqual(cancelled.body.data.map((o: { reference: string }) => o.reference), ["R-7"]);
    const future = await call(gateway, "GET", `/api/v1/orders?createdFrom=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { apiKey: key });
    assert.equal(future.body.data.length, 0);
    const past = await call(gateway, "GET", `/api/v1/orders?createdTo=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&limit=100`, { apiKey: key });
    assert.equal(past.body.data.length, 100);
    assert.equal(past.body.hasMore, true);
    for (const bad of ["status=paid", "limit=0", "limit=101", "cursor=abc", "createdFrom=yesterday", "unknown=1"]) {
      const result = await call(gateway, "GET", `/api/v1/orders?${bad}`, { apiKey: key });
      assert.equal(result.status, 400, bad);
    }
    // Another merchant's cursor is not accepted.
    const foreign = await call(gateway, "GET", `/api/v1/orders?cursor=${Buffer.from(JSON.stringify({ v: 1, id: ids[0] })).toString("base64url")}`, { apiKey });
    assert.equal(foreign.status, 400);
  });

  it("serves an OpenAPI 3.1 document describing every route it serves", async () => {
    const { status, body: doc } = await call(gateway, "GET", "/api/v1/openapi.json");
    assert.equal(status, 200);
    assert.equal(doc.openapi, "3.1.0");
    const create = doc.paths["/api/v1/orders"].post;
    assert.equal(create.requestBody.content["application/json"].schema.$ref, "#/components/schemas/CreateOrderRequest");
    assert.deepEqual(doc.components.schemas.CreateOrderRequest.required.sort(), ["amount", "chainId", "token"]);
    assert.ok(doc.components.schemas.Order.properties.depositAddress);
    assert.ok(!JSON.stringify(doc).includes("#/$defs/"), "every $ref resolves into components");
    assert.ok(create.parameters.some((p: { name: string }) => p.name === "Idempotency-Key"));
    assert.ok(doc.paths["/api/v1/orders"].get.parameters.some((p: { name: string }) => p.name === "cursor"));
    // Every documented operation is served (never a 404 "route not found" or 405) ...
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(methods)) {
        const concrete = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === "orderId" ? "ord_0000000000000000000000" : "00000000-0000-4000-8000-000000000000"));
        const result = await call(gateway, method.toUpperCase(), concrete, method === "get" || method === "delete" ? {} : { body: {} });
        assert.ok(result.status !== 405 && !(result.status === 404 && result.body?.error?.message === "Route not found"), `${method} ${path}: ${result.status}`);
        assert.ok(result.status < 500, `${method} ${path}: ${result.status}`);
      }
    }
    // ... and an undocumented one is not.
    const unknown = await call(gateway, "GET", "/api/v1/nope");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.message, "Route not found");
    assert.equal((await call(gateway, "PUT", "/api/v1/orders")).status, 405);
    // Served by the custom server before Next.js: HEAD as GET without a body, bodies bounded.
    const head = await fetch(`${gateway.url}/api/v1/openapi.json`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    const oversized = await call(gateway, "POST", "/api/v1/orders", { apiKey, rawBody: JSON.stringify({ amount: "1", token: "USDC", chainId: CHAIN_ID, metadata: { pad: "x".repeat(70_000) } }) });
    assert.equal(oversized.status, 413);
    assert.equal(oversized.body.error.code, "payload_too_large");
    // A client that goes away halfway through its body gets no answer, and the server logs no failure.
    const { hostname, port } = new URL(gateway.url);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => {
        socket.write(`POST /api/v1/orders HTTP/1.1\r\nHost: ${gateway.host}\r\nAuthorization: Bearer ${apiKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"amount":`);
        setTimeout(() => socket.destroy(), 100);
      });
      socket.on("close", () => resolve());
      socket.on("error", reject);
    });
    assert.equal((await call(gateway, "GET", "/api/v1/orders", { apiKey })).status, 200);
    assert.ok(!gateway.server.logs.some((line) => line.msg === "request handler failed"), "no handler failure logged");
  });
});
