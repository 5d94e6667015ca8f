import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createCoinPaysClient, CoinPaysWatchError, webSocketUrlOf, type OrderUpdate } from "../src/index.ts";
import { API_KEY, startFakeGateway, type FakeGateway } from "./support/fake-gateway.ts";

let gateway: FakeGateway;
before(async () => {
  gateway = await startFakeGateway();
});
after(() => gateway.close());

const fast = { reconnect: { minDelayMs: 20, maxDelayMs: 200 } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(what: string, predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("orders.watch", () => {
  it("derives ws(s)://host/ws from the base URL", () => {
    assert.equal(webSocketUrlOf("https://pay.example.com/some/base/"), "wss://pay.example.com/ws");
    assert.equal(webSocketUrlOf("http://127.0.0.1:3000"), "ws://127.0.0.1:3000/ws");
  });

  it("gets the snapshot, then events; after the server drops the socket it reconnects, resubscribes and catches up", async (t) => {
    assert.equal(typeof globalThis.WebSocket, "function", "Node 22's global WebSocket is used");
    const order = gateway.addOrder("10");
    const client = createCoinPaysClient({ baseUrl: gateway.origin, realtime: fast }); // no API key needed to watch an order
    const updates: OrderUpdate[] = [];
    const statuses: string[] = [];
    let reconnects = 0;
    const connectionsBefore = gateway.ws.connections;
    const watch = client.orders.watch(order.id, {
      onUpdate: (update) => updates.push(update),
      onError: (error) => assert.fail(error),
      onReconnect: () => reconnects++,
      onStatusChange: (status) => statuses.push(status),
    });
    t.after(() => watch.close()); // no reconnect loop left behind if an assertion fails

    await waitFor("the first snapshot", () => updates.length === 1);
    assert.deepEqual(updates[0], { kind: "snapshot", order: { ...updates[0]!.order, id: order.id, status: "new", amount: "10000000", amountDue: "10000000" } });

    gateway.emit(order.id, "processing", "payment.detected");
    await waitFor("the event", () => updates.length === 2);
    const event = updates[1]!;
    assert.equal(event.kind, "event");
    assert.equal(event.kind === "event" && event.event.type, "payment.detected");
    assert.equal(event.order.status, "processing");

    // A change the client never hears (made while its connection is dying), then the drop.
    const stored = gateway.orders.find((candidate) => candidate.id === order.id)!;
    stored.status = "settled";
    stored.amountPaid = stored.amount;
    gateway.dropSockets();
    await waitFor("the resubscription", () => reconnects === 1 && updates.length === 3);
    assert.equal(gateway.ws.connections, connectionsBefore + 2, "a second connection");
    assert.deepEqual(
      gateway.ws.subscribeMessages.filter((message) => message.orderId === order.id),
      [{ type: "subscribe", orderId: order.id }, { type: "subscribe", orderId: order.id }],
    );
    assert.deepEqual({ kind: updates[2]!.kind, status: updates[2]!.order.status, paid: updates[2]!.order.amountPaid }, { kind: "snapshot", status: "settled", paid: "10000000" }, "the missed change arrives as the fresh snapshot");

    // Live again on the new connection.
    gateway.emit(order.id, "refunded");
    await waitFor("an event after the reconnect", () => updates.length === 4);
    assert.equal(updates[3]!.order.status, "refunded");

    // Dropped twice more in a row: still comes back.
    gateway.dropSockets();
    await waitFor("the second reconnect", () => reconnects === 2);
    gateway.dropSockets();
    await waitFor("the third reconnect", () => reconnects === 3);

    assert.equal(updates.length, 6, "each reconnect delivered a fresh snapshot");
    watch.close();
    await waitFor("the socket to close", () => gateway.subscriberCount(order.id) === 0);
    const connections = gateway.ws.connections;
    gateway.emit(order.id, "refunded");
    await sleep(300);
    assert.equal(gateway.ws.connections, connections, "no reconnect after close()");
    assert.equal(updates.length, 6, "no update after close()");
    assert.equal(statuses.at(-1), "closed");
    assert.deepEqual(statuses.slice(0, 2), ["connecting", "open"]);
  });

  it("an unknown order is a fatal error: reported once, no reconnect loop", async () => {
    const client = createCoinPaysClient({ baseUrl: gateway.origin, realtime: fast });
    const errors: Error[] = [];
    const connections = gateway.ws.connections;
    client.orders.watch("ord_doesnotexist1234", { onUpdate: () => assert.fail("no update"), onError: (error) => errors.push(error) });
    await waitFor("the error", () => errors.length === 1);
    await sleep(300);
    assert.ok(errors[0] instanceof CoinPaysWatchError);
    assert.equal((errors[0] as CoinPaysWatchError).code, "order_not_found");
    assert.equal((errors[0] as CoinPaysWatchError).fatal, true);
    assert.equal(gateway.ws.connections, connections + 1);
  });

  it("keeps retrying while the server is unreachable, with backoff, until closed", async (t) => {
    const statuses: string[] = [];
    const client = createCoinPaysClient({ baseUrl: "http://127.0.0.1:1", realtime: { reconnect: { minDelayMs: 10, maxDelayMs: 40 } } });
    const watch = client.orders.watch("ord_abcdefgh1234", { onUpdate: () => undefined, onStatusChange: (status) => statuses.push(status) });
    t.after(() => watch.close());
    await waitFor("several attempts", () => statuses.filter((status) => status === "connecting").length >= 4);
    watch.close();
    const count = statuses.length;
    await sleep(150);
    assert.equal(statuses.length, count, "nothing after close()");
  });
});

describe("merchant.watch", () => {
  it("falls back to the ws package without a global WebSocket, streams every order, and resubscribes after a drop", async (t) => {
    const global = globalThis.WebSocket;
    // @ts-expect-error: simulate a runtime without a global WebSocket (Node < 22)
    delete globalThis.WebSocket;
    t.after(() => {
      globalThis.WebSocket = global;
    });
    const client = createCoinPaysClient({ baseUrl: gateway.origin, apiKey: API_KEY, realtime: fast });
    const updates: OrderUpdate[] = [];
    let reconnects = 0;
    const subscribedBefore = gateway.ws.subscribeMessages.length;
    const watch = client.merchant.watch({ onUpdate: (update) => updates.push(update), onError: (error) => assert.fail(error), onReconnect: () => reconnects++ });
    t.after(() => watch.close());
    await waitFor("the subscription", () => gateway.merchantSubscriberCount() === 1);
    const a = gateway.addOrder("1");
    const b = gateway.addOrder("2");
    gateway.emit(a.id, "processing");
    gateway.emit(b.id, "settled");
    await waitFor("both events", () => updates.length === 2);
    assert.deepEqual(updates.map((update) => [update.kind, update.order.id, update.order.status]), [["event", a.id, "processing"], ["event", b.id, "settled"]]);

    gateway.dropSockets();
    await waitFor("the resubscription", () => reconnects === 1 && gateway.merchantSubscriberCount() === 1);
    assert.deepEqual(gateway.ws.subscribeMessages.slice(subscribedBefore), [
      { type: "subscribe_merchant", apiKey: API_KEY },
      { type: "subscribe_merchant", apiKey: API_KEY },
    ]);
    gateway.emit(a.id, "settled");
    await waitFor("an event after the reconnect", () => updates.length === 3);
    watch.close();
    await waitFor("unsubscribed", () => gateway.merchantSubscriberCount() === 0);
  });

  it("an invalid API key is a fatal unauthorized error", async () => {
    const client = createCoinPaysClient({ baseUrl: gateway.origin, realtime: fast });
    const errors: CoinPaysWatchError[] = [];
    const connections = gateway.ws.connections;
    client.merchant.watch("sk_wrong", { onUpdate: () => assert.fail("no update"), onError: (error) => errors.push(error as CoinPaysWatchError) });
    await waitFor("the error", () => errors.length === 1);
    await sleep(200);
    assert.equal(errors[0]!.code, "unauthorized");
    assert.equal(gateway.ws.connections, connections + 1, "no reconnect loop");
  });
});
