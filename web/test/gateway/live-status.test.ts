// Live status over WebSocket with two real server processes on one PostgreSQL database: process A
// runs the chain watcher, process B only serves /ws; a client on B hears A's changes within 1 s of
// the block, by order id (public) and by merchant stream (API key).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Address } from "viem";
import WebSocket from "ws";
import { getDeployment } from "@coinpays/sdk/contracts";
import { apiKeys } from "../../server/db/schema.ts";
import { startFakeIndexer, type FakeDependency } from "../support/fake-dependencies.ts";
import { startServerProcess, type ServerProcess } from "../support/server-process.ts";
import { createMerchant, createOrder, startChainFixture, startDatabaseFixture, type ChainFixture, type DatabaseFixture } from "./support/fixtures.ts";

type Message = { type: string; order?: { id: string; status: string; amountPaid: string; amountDue: string }; event?: { type: string }; error?: { code: string } };

describe("live status over /ws across server processes", { timeout: 180_000 }, () => {
  let chain: ChainFixture;
  let dbf: DatabaseFixture;
  let indexer: FakeDependency;
  let serverA: ServerProcess;
  let serverB: ServerProcess;

  before(async () => {
    [chain, dbf, indexer] = await Promise.all([startChainFixture(), startDatabaseFixture("live"), startFakeIndexer()]);
    // The servers read addresses from the generated deployments; a fresh chain deployed by dev account #0 matches them.
    assert.equal(chain.deployment.contracts.PaymentRouter.address, getDeployment(31337)!.contracts.PaymentRouter.address);
    await chain.mint(chain.usdc, chain.payer.address, 10n ** 12n);
    const env = { DATABASE_URL: dbf.url, RPC_URL: chain.rpcUrl, CHAIN_ID: "31337", INDEXER_URL: indexer.url, WATCHER_POLL_MS: "50" };
    serverA = await startServerProcess({ ...env, GATEWAY_WORKERS: "on" });
    serverB = await startServerProcess({ ...env, GATEWAY_WORKERS: "off" });
  });
  after(async () => {
    await Promise.all([serverA?.stop(), serverB?.stop()]);
    await Promise.all([dbf?.close(), chain?.stop(), indexer?.close()]);
  });

  it("a client on process B sees a payment settled by process A within 1 s of the block", async () => {
    const merchant = await createMerchant(dbf.database);
    const order = await createOrder(dbf.database, { merchant, token: chain.usdc, amount: 12_500_000n, predict: chain.predict });
    const secret = `sk_test_${randomBytes(24).toString("hex")}`;
    await dbf.database.db.insert(apiKeys).values({ merchantId: merchant.id, name: "test", prefix: secret.slice(0, 12), secretHash: createHash("sha256").update(secret).digest("hex") });

    const orderClient = await connect(serverB.url);
    const merchantClient = await connect(serverB.url);
    try {
      orderClient.send({ type: "subscribe", orderId: order.id });
      const subscribed = await orderClient.next((message) => message.type === "subscribed");
      assert.equal(subscribed.order?.status, "new");
      merchantClient.send({ type: "subscribe_merchant", apiKey: secret });
      await merchantClient.next((message) => message.type === "subscribed");

      const sentAt = Date.now();
      await chain.transfer(chain.usdc, order.depositAddress as Address, 12_500_000n);
      const settled = await orderClient.next((message) => message.order?.status === "settled", 5_000);
      const latency = Date.now() - sentAt;
      assert.ok(latency < 1_000, `status change took ${latency} ms`);
      assert.equal(settled.order?.amountPaid, "12500000");
      assert.equal(settled.order?.amountDue, "0");
      const merchantMessage = await merchantClient.next((message) => message.order?.status === "settled", 2_000);
      assert.equal(merchantMessage.order?.id, order.id);
    } finally {
      orderClient.close();
      merchantClient.close();
    }
  });

  it("rejects a merchant subscription with an unknown key and an unknown order", async () => {
    const client = await connect(serverA.url);
    try {
      client.send({ type: "subscribe_merchant", apiKey: "sk_nope" });
      assert.equal((await client.next((message) => message.type === "error")).error?.code, "unauthorized");
      client.send({ type: "subscribe", orderId: "ord_00000000000000000000000000000000" });
      assert.equal((await client.next((message) => message.type === "error")).error?.code, "order_not_found");
    } finally {
      client.close();
    }
  });
});

async function connect(httpUrl: string) {
  const socket = new WebSocket(`${httpUrl.replace(/^http/, "ws")}/ws`);
  const inbox: Message[] = [];
  const waiters: (() => void)[] = [];
  socket.on("message", (data) => {
    inbox.push(JSON.parse(data.toString()) as Message);
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return {
    send: (message: unknown) => socket.send(JSON.stringify(message)),
    close: () => socket.close(),
    async next(match: (message: Message) => boolean, timeoutMs = 5_000): Promise<Message> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = inbox.findIndex(match);
        if (index >= 0) return inbox.splice(0, index + 1).at(-1)!;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(inbox)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}
