// Attack: a leaked API key is revoked in the dashboard, but the thief's WebSocket subscribed with it
// before the revocation keeps streaming the account's orders. The hub must ask again, as it asks
// again for sessions, and end the stream within seconds.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { CREDENTIAL_RECHECK_MS } from "../../server/realtime/hub.ts";
import { call, CHAIN_ID, createApiKey, createMerchant, signIn, startGateway, type Gateway } from "../gateway/support.ts";

type Message = { type: string; order?: { id: string }; error?: { code: string } };

async function subscribe(gateway: Gateway, apiKey: string) {
  const socket = new WebSocket(`${gateway.url.replace(/^http/, "ws")}/ws`);
  const messages: Message[] = [];
  socket.on("message", (data) => messages.push(JSON.parse(data.toString()) as Message));
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  socket.send(JSON.stringify({ type: "subscribe_merchant", apiKey }));
  await waitFor(() => messages.some((m) => m.type === "subscribed"), "subscribed");
  return { socket, messages };
}

async function waitFor(condition: () => boolean, what: string, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("attack: a revoked API key keeps its live stream", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway("ws-revoked");
  });
  after(async () => gateway?.close());

  it("the stream ends within seconds of the revocation and carries no order after it", async () => {
    const owner = await signIn(gateway);
    const merchant = await createMerchant(gateway, owner);
    const [leaked, kept] = [await createApiKey(gateway, owner, merchant.id), await createApiKey(gateway, owner, merchant.id)];
    const thief = await subscribe(gateway, leaked.secret);
    const merchantStream = await subscribe(gateway, kept.secret);
    try {
      const first = await call(gateway, "POST", "/api/v1/orders", { apiKey: kept.secret, body: { amount: "1", token: "USDC", chainId: CHAIN_ID } });
      await waitFor(() => thief.messages.some((m) => m.order?.id === first.body.id), "the thief hears orders before the revocation");

      assert.equal((await call(gateway, "DELETE", `/api/merchants/${merchant.id}/api-keys/${leaked.id}`, { cookie: owner.cookie })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, CREDENTIAL_RECHECK_MS + 300));
      const second = await call(gateway, "POST", "/api/v1/orders", { apiKey: kept.secret, body: { amount: "2", token: "USDC", chainId: CHAIN_ID } });
      await waitFor(() => merchantStream.messages.some((m) => m.order?.id === second.body.id), "the valid key still hears the next order");
      await waitFor(() => thief.messages.some((m) => m.type === "error"), "the revoked stream's end");
      assert.equal(thief.messages.find((m) => m.type === "error")?.error?.code, "api_key_revoked");
      assert.ok(!thief.messages.some((m) => m.order?.id === second.body.id), "no order after the revocation");
    } finally {
      thief.socket.close();
      merchantStream.socket.close();
    }
  });

  it("a revoked key cannot subscribe again", async () => {
    const owner = await signIn(gateway);
    const merchant = await createMerchant(gateway, owner);
    const key = await createApiKey(gateway, owner, merchant.id);
    await call(gateway, "DELETE", `/api/merchants/${merchant.id}/api-keys/${key.id}`, { cookie: owner.cookie });
    const socket = new WebSocket(`${gateway.url.replace(/^http/, "ws")}/ws`);
    const messages: Message[] = [];
    socket.on("message", (data) => messages.push(JSON.parse(data.toString()) as Message));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "subscribe_merchant", apiKey: key.secret }));
    await waitFor(() => messages.length > 0, "an answer");
    assert.equal(messages[0]?.error?.code, "unauthorized");
    socket.close();
  });
});
