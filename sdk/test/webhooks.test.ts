import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
// The server's own signing code, so these signatures are byte for byte what CoinPays sends.
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, computeSignature, signatureHeader } from "../../web/server/gateway/webhooks/signature.ts";
import { signWebhookPayload, verifyWebhook, WebhookVerificationError, webhooks, type WebhookEvent } from "../src/index.ts";

const secret = "whsec_0123456789abcdef0123456789abcdef";
const now = 1_760_000_000;
// As delivery.ts builds it: JSON.stringify of the stored event, with a non-ASCII character to check bytes.
const body = JSON.stringify({
  id: "0b9e2c3a-1f4d-4e5b-8c6d-7e8f9a0b1c2d",
  type: "order.settled",
  createdAt: "2025-01-01T00:00:00.000Z",
  merchantId: "6a1c3d1e-8d2f-4c59-9a2b-6f0e4b1c7d21",
  data: { type: "order.settled", orderId: "ord_abc123DEF456", status: "settled", previousStatus: "processing", data: { note: "café ☕" } },
});

const rejects = (options: Parameters<typeof verifyWebhook>[0], reason: WebhookVerificationError["reason"]) =>
  assert.rejects(verifyWebhook(options), (error: unknown) => {
    assert.ok(error instanceof WebhookVerificationError, String(error));
    assert.equal(error.reason, reason);
    return true;
  });

describe("webhooks.verify", () => {
  it("accepts a delivery signed by the server, as string, Buffer, Uint8Array or ArrayBuffer, and returns the event", async () => {
    const header = signatureHeader(secret, body, now);
    for (const payload of [body, Buffer.from(body), new Uint8Array(Buffer.from(body)), new Uint8Array(Buffer.from(body)).buffer]) {
      const event: WebhookEvent = await webhooks.verify({ payload, header, secret, now });
      assert.equal(event.type, "order.settled");
      assert.equal(event.data.orderId, "ord_abc123DEF456");
    }
    // A Buffer that is a slice of a larger pool (as Node's http gives) is read at its offset.
    const pooled = Buffer.concat([Buffer.from("xxxx"), Buffer.from(body)]).subarray(4);
    assert.equal((await verifyWebhook({ payload: pooled, header, secret, now })).id, JSON.parse(body).id);
  });

  it("accepts anywhere inside the tolerance, with now as a Date too", async () => {
    await verifyWebhook({ payload: body, header: signatureHeader(secret, body, now - 300), secret, now });
    await verifyWebhook({ payload: body, header: signatureHeader(secret, body, now + 300), secret, now });
    await verifyWebhook({ payload: body, header: signatureHeader(secret, body, now - 60), secret, now: new Date(now * 1000) });
    await verifyWebhook({ payload: body, header: signatureHeader(secret, body, now - 3000), secret, now, toleranceSeconds: 3600 });
  });

  it("rejects a tampered body", async () => {
    const header = signatureHeader(secret, body, now);
    await rejects({ payload: body.replace("settled", "refunded"), header, secret, now }, "bad_signature");
    await rejects({ payload: `${body} `, header, secret, now }, "bad_signature");
    // A re-serialised body (parsed, then stringified with other whitespace) is not the signed bytes.
    await rejects({ payload: JSON.stringify(JSON.parse(body), null, 2), header, secret, now }, "bad_signature");
  });

  it("rejects the wrong secret", async () => {
    await rejects({ payload: body, header: signatureHeader("whsec_other", body, now), secret, now }, "bad_signature");
  });

  it("rejects a signature over another timestamp (the t= was edited)", async () => {
    const v1 = computeSignature(secret, now - 1000, body);
    await rejects({ payload: body, header: `t=${now},v1=${v1}`, secret, now }, "bad_signature");
  });

  it("rejects a stale or future timestamp even with a valid signature", async () => {
    await rejects({ payload: body, header: signatureHeader(secret, body, now - 301), secret, now }, "timestamp_out_of_tolerance");
    await rejects({ payload: body, header: signatureHeader(secret, body, now + 301), secret, now }, "timestamp_out_of_tolerance");
    await rejects({ payload: body, header: signatureHeader(secret, body, now - 61), secret, now, toleranceSeconds: 60 }, "timestamp_out_of_tolerance");
  });

  it("rejects malformed headers", async () => {
    const v1 = computeSignature(secret, now, body);
    for (const header of [undefined, null, "", "   ", `v1=${v1}`, `t=${now}`, `t=abc,v1=${v1}`, `t=-5,v1=${v1}`, `t=${now},v1=zz${v1.slice(2)}`, `t=${now},v1=${v1.slice(0, 62)}`, `t=${now};v1=${v1}`, "garbage"]) {
      await rejects({ payload: body, header, secret, now }, "malformed_header");
    }
  });

  it("accepts any matching v1 (secret rotation) and ignores unknown schemes", async () => {
    const good = computeSignature(secret, now, body);
    const other = computeSignature("whsec_old", now, body);
    await verifyWebhook({ payload: body, header: `t=${now},v0=deadbeef,v1=${other},v1=${good}`, secret, now });
    await verifyWebhook({ payload: body, header: ` t=${now} , v1=${good.toUpperCase()} `, secret, now });
  });

  it("rejects a validly signed body that is not a CoinPays event", async () => {
    await rejects({ payload: "not json", header: signatureHeader(secret, "not json", now), secret, now }, "invalid_payload");
    await rejects({ payload: "[1,2]", header: signatureHeader(secret, "[1,2]", now), secret, now }, "invalid_payload");
  });

  it("signWebhookPayload (Web Crypto) produces exactly the server's header", async () => {
    assert.equal(await signWebhookPayload({ payload: body, secret, timestamp: now }), signatureHeader(secret, body, now));
  });

  it("timingSafeEqualBytes: equal, differing and different-length inputs", async () => {
    // Its result only; timing is not measured (too noisy on CI). The loop has no early exit by construction.
    const { timingSafeEqualBytes } = await import("../src/webhooks.ts");
    assert.equal(timingSafeEqualBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
    assert.equal(timingSafeEqualBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
    assert.equal(timingSafeEqualBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2])), false);
  });
});

describe("webhooks.verify in an HTTP handler", () => {
  let server: http.Server;
  let url: string;
  const received: { eventId: string; type: string }[] = [];

  before(async () => {
    // A merchant's receiver: raw body in, 400 on a failed verification, 200 after de-duplication.
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        verifyWebhook({ payload: Buffer.concat(chunks), header: req.headers["coinpays-signature"] as string | undefined, secret })
          .then((event) => {
            const eventId = req.headers["coinpays-event-id"] as string;
            if (!received.some((seen) => seen.eventId === eventId)) received.push({ eventId, type: event.type });
            res.writeHead(200).end("ok");
          })
          .catch((error: unknown) => {
            res.writeHead(error instanceof WebhookVerificationError ? 400 : 500, { "content-type": "application/json" }).end(JSON.stringify({ reason: (error as WebhookVerificationError).reason }));
          });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/coinpays`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // Exactly the request delivery.ts sends.
  const deliver = (payload: string, headers: Record<string, string>) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", "user-agent": "CoinPays-Webhooks/1", [EVENT_TYPE_HEADER]: "order.settled", "CoinPays-Delivery-Attempt": "1", ...headers }, body: payload });

  it("accepts a real delivery once per event id and rejects forgeries with 400", async () => {
    const eventId = JSON.parse(body).id as string;
    const signed = { [SIGNATURE_HEADER]: signatureHeader(secret, body), [EVENT_ID_HEADER]: eventId };
    assert.equal((await deliver(body, signed)).status, 200);
    assert.equal((await deliver(body, signed)).status, 200); // a redelivery: acknowledged, not processed twice
    assert.deepEqual(received, [{ eventId, type: "order.settled" }]);

    const tampered = await deliver(body.replace("settled", "refunded"), signed);
    assert.equal(tampered.status, 400);
    assert.deepEqual(await tampered.json(), { reason: "bad_signature" });
    const stale = await deliver(body, { [SIGNATURE_HEADER]: signatureHeader(secret, body, Math.floor(Date.now() / 1000) - 3600), [EVENT_ID_HEADER]: eventId });
    assert.deepEqual(await stale.json(), { reason: "timestamp_out_of_tolerance" });
    const unsigned = await deliver(body, { [EVENT_ID_HEADER]: eventId });
    assert.deepEqual(await unsigned.json(), { reason: "malformed_header" });
    assert.equal(received.length, 1);
  });
});
