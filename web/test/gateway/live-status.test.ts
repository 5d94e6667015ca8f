// Live status over WebSocket with two real server processes on one PostgreSQL database: process A
// runs the chain watcher, process B only serves /ws; a client on B hears A's changes within 1 s of
// the block, by order id (public) and by merchant stream (API key, or the dashboard's session after
// a real SIWE sign-in over HTTP), sub-accounts' orders included in their parent's stream.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Address } from "viem";
import WebSocket from "ws";
import { getDeployment } from "@coinpays/sdk/contracts";
import { eq } from "drizzle-orm";
import { apiKeys, merchants } from "../../server/db/schema.ts";
import { randomBase62 } from "../../server/gateway/crypto.ts";
import { CREDENTIAL_RECHECK_MS } from "../../server/realtime/hub.ts";
import { call, createMerchant as createMerchantOverHttp, signIn, type Gateway } from "./support.ts";
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
    // A key of the real format (cp_live_ + 43 base62): the hub verifies it as the REST API does.
    const secret = `cp_live_${randomBase62(32)}`;
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

  it("opens an account stream for the dashboard's session, sub-accounts included; refuses strangers, no session and other sites; a pos key hears only its own orders", async () => {
    // Sign-in and setup over HTTP on process B, as the dashboard does.
    const site = { url: serverB.url, host: new URL(serverB.url).host } as Gateway;
    const [owner, stranger] = await Promise.all([signIn(site), signIn(site)]);
    const parent = await createMerchantOverHttp(site, owner, "Parent");
    const sub = await call(site, "POST", `/api/merchants/${parent.id}/sub-accounts`, { cookie: owner.cookie, body: { name: "Branch" } });
    assert.equal(sub.status, 201);
    const posKey = await call(site, "POST", `/api/merchants/${sub.body.id}/api-keys`, { cookie: owner.cookie, body: { name: "Till", scope: "pos" } });
    assert.equal(posKey.status, 201);
    const posSale = await call(site, "POST", "/api/v1/orders", { apiKey: posKey.body.secret, body: { amount: "2", token: "USDC", chainId: 31337 } });
    assert.equal(posSale.status, 201, JSON.stringify(posSale.body));
    const [subRow] = await dbf.database.db.select().from(merchants).where(eq(merchants.id, sub.body.id));
    const otherOrder = await createOrder(dbf.database, { merchant: subRow!, token: chain.usdc, amount: 3_000_000n, predict: chain.predict });

    const dashboard = await connect(serverB.url, { cookie: owner.cookie, origin: serverB.url });
    const strangerSocket = await connect(serverB.url, { cookie: stranger.cookie, origin: serverB.url });
    const anonymous = await connect(serverB.url);
    const crossSite = await connect(serverB.url, { cookie: owner.cookie, origin: "https://evil.example" });
    const till = await connect(serverB.url);
    try {
      dashboard.send({ type: "subscribe_merchant", merchantId: parent.id });
      assert.equal((await dashboard.next((message) => message.type === "subscribed" || message.type === "error")).type, "subscribed");
      strangerSocket.send({ type: "subscribe_merchant", merchantId: parent.id });
      assert.equal((await strangerSocket.next((message) => message.type === "error")).error?.code, "merchant_not_found");
      anonymous.send({ type: "subscribe_merchant", merchantId: parent.id });
      assert.equal((await anonymous.next((message) => message.type === "error")).error?.code, "unauthorized");
      crossSite.send({ type: "subscribe_merchant", merchantId: parent.id });
      assert.equal((await crossSite.next((message) => message.type === "error")).error?.code, "unauthorized");
      till.send({ type: "subscribe_merchant", apiKey: posKey.body.secret });
      assert.equal((await till.next((message) => message.type === "subscribed" || message.type === "error")).type, "subscribed");

      await chain.transfer(chain.usdc, otherOrder.depositAddress as Address, 3_000_000n);
      await chain.transfer(chain.usdc, posSale.body.depositAddress as Address, 2_000_000n);
      const settledIds = new Set<string>();
      while (settledIds.size < 2) {
        const message = await dashboard.next((m) => m.type === "order.event" && m.order?.status === "settled", 5_000);
        assert.equal((message.order as { merchantId?: string }).merchantId, sub.body.id, "the parent's stream carries the sub-account's order");
        settledIds.add(message.order!.id);
      }
      assert.deepEqual([...settledIds].sort(), [otherOrder.id, posSale.body.id].sort());
      const tillSettled = await till.next((m) => m.order?.status === "settled", 5_000);
      assert.equal(tillSettled.order?.id, posSale.body.id);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(till.all().every((m) => m.order?.id !== otherOrder.id), "the till never hears of other orders");
      for (const refused of [strangerSocket, anonymous, crossSite]) assert.ok(refused.all().every((m) => m.type !== "order.event"));
    } finally {
      for (const socket of [dashboard, strangerSocket, anonymous, crossSite, till]) socket.close();
    }
  });

  it("stops a session's stream within seconds of signing out or losing the role", async () => {
    const site = { url: serverB.url, host: new URL(serverB.url).host } as Gateway;
    const [owner, viewer] = await Promise.all([signIn(site), signIn(site)]);
    const shop = await createMerchantOverHttp(site, owner, "Shop");
    assert.equal((await call(site, "POST", `/api/merchants/${shop.id}/members`, { cookie: owner.cookie, body: { address: viewer.account.address, role: "viewer" } })).status, 201);
    const ownerAgain = await signIn(site, owner.account); // a second, still valid session of the owner
    const [shopRow] = await dbf.database.db.select().from(merchants).where(eq(merchants.id, shop.id));
    const paid = await createOrder(dbf.database, { merchant: shopRow!, token: chain.usdc, amount: 1_000_000n, predict: chain.predict });

    const sockets = await Promise.all([owner, viewer, ownerAgain].map((who) => connect(serverB.url, { cookie: who.cookie, origin: serverB.url })));
    const [signedOut, removed, stillIn] = sockets;
    try {
      for (const socket of sockets) {
        socket.send({ type: "subscribe_merchant", merchantId: shop.id });
        assert.equal((await socket.next((m) => m.type === "subscribed" || m.type === "error")).type, "subscribed");
      }
      assert.equal((await call(site, "POST", "/api/auth/logout", { cookie: owner.cookie })).status, 200);
      assert.equal((await call(site, "DELETE", `/api/merchants/${shop.id}/members/${viewer.userId}`, { cookie: ownerAgain.cookie })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, CREDENTIAL_RECHECK_MS + 200));

      await chain.transfer(chain.usdc, paid.depositAddress as Address, 1_000_000n);
      assert.equal((await stillIn!.next((m) => m.order?.status === "settled", 5_000)).order?.id, paid.id);
      for (const ended of [signedOut!, removed!]) {
        assert.equal((await ended.next((m) => m.type === "error", 2_000)).error?.code, "session_ended");
        assert.ok(ended.all().every((m) => m.type !== "order.event"), "nothing after the session or role ended");
      }
    } finally {
      for (const socket of sockets) socket.close();
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

async function connect(httpUrl: string, options: { cookie?: string; origin?: string } = {}) {
  const socket = new WebSocket(`${httpUrl.replace(/^http/, "ws")}/ws`, { headers: options.cookie ? { cookie: options.cookie } : {}, ...(options.origin ? { origin: options.origin } : {}) });
  const inbox: Message[] = [];
  const history: Message[] = [];
  const waiters: (() => void)[] = [];
  socket.on("message", (data) => {
    const message = JSON.parse(data.toString()) as Message;
    inbox.push(message);
    history.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return {
    send: (message: unknown) => socket.send(JSON.stringify(message)),
    close: () => socket.close(),
    /** Every message received so far, including those `next` consumed. */
    all: () => [...history],
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
