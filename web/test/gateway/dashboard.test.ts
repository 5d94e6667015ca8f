// The dashboard's own routes over real HTTP against a real server, PostgreSQL and a real EDR chain:
// on-chain refunds sent by the merchant's wallet through PaymentRouter.refund and checked by the
// server on chain (pending → completed, failed on a revert), and the parent account's order list
// across its sub-accounts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createWalletClient, encodeFunctionData, http, keccak256, type Hex } from "viem";
import { mockErc20Abi, paymentRouterAbi } from "@coinpays/sdk/contracts";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { startFakeIndexer, type FakeDependency } from "../support/fake-dependencies.ts";
import { startServerProcess, type ServerProcess } from "../support/server-process.ts";
import { call, createApiKey, createMerchant, signIn, type Gateway, type SignedIn } from "./support.ts";
import { startChainFixture, startDatabaseFixture, waitUntil, type ChainFixture, type DatabaseFixture } from "./support/fixtures.ts";

describe("dashboard: refunds and the account hierarchy", { timeout: 180_000 }, () => {
  let chain: ChainFixture;
  let dbf: DatabaseFixture;
  let indexer: FakeDependency;
  let server: ServerProcess;
  let site: Gateway;
  let owner: SignedIn;
  let viewer: SignedIn;
  let stranger: SignedIn;
  const merchantWallet = devAccount(3);

  before(async () => {
    [chain, dbf, indexer] = await Promise.all([startChainFixture(), startDatabaseFixture("dashboard"), startFakeIndexer()]);
    await chain.mint(chain.usdc, chain.payer.address, 10n ** 12n);
    server = await startServerProcess({ DATABASE_URL: dbf.url, RPC_URL: chain.rpcUrl, CHAIN_ID: "31337", INDEXER_URL: indexer.url, WATCHER_POLL_MS: "50", GATEWAY_WORKERS: "on" });
    site = { url: server.url, host: new URL(server.url).host } as Gateway;
    [owner, viewer, stranger] = await Promise.all([signIn(site), signIn(site), signIn(site)]);
  });
  after(async () => {
    await server?.stop();
    await Promise.all([dbf?.close(), chain?.stop(), indexer?.close()]);
  });

  it("refunds on chain from the merchant's wallet: pending until mined, completed when the router log matches, failed on a revert", async () => {
    const merchant = await createMerchant(site, owner, "Refunding shop", { payoutAddress: merchantWallet.address });
    assert.equal((await call(site, "POST", `/api/merchants/${merchant.id}/members`, { cookie: owner.cookie, body: { address: viewer.account.address, role: "viewer" } })).status, 201);
    const key = await createApiKey(site, owner, merchant.id);
    const order = (await call(site, "POST", "/api/v1/orders", { apiKey: key.secret, body: { amount: "5", token: "USDC", chainId: 31337 } })).body;
    await chain.payThroughRouter(order.orderRef as Hex, merchantWallet.address, chain.usdc, 5_000_000n);
    await waitUntil(async () => (await call(site, "GET", `/api/v1/orders/${order.id}`, { apiKey: key.secret })).body.status === "settled", 10_000);

    const refundsPath = `/api/merchants/${merchant.id}/orders/${order.id}/refunds`;
    const info = await call(site, "GET", refundsPath, { cookie: viewer.cookie });
    assert.equal(info.status, 200);
    assert.equal(info.body.routerRefundable, true);
    assert.equal(info.body.refunder, merchantWallet.address);
    assert.equal(info.body.paymentRouter, chain.deployment.contracts.PaymentRouter.address);
    assert.equal((await call(site, "POST", refundsPath, { cookie: viewer.cookie, body: { kind: "onchain", amount: "2" } })).status, 403);
    assert.equal((await call(site, "POST", refundsPath, { cookie: stranger.cookie, body: { kind: "onchain", amount: "2" } })).status, 404);
    assert.equal((await call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "onchain", amount: "5.0000001" } })).status, 400);
    assert.equal((await call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "onchain", amount: "6" } })).status, 422);

    const created = await call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "onchain", amount: "2" }, headers: { "idempotency-key": "refund-1" } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.status, "pending");
    assert.equal(created.body.toAddress, chain.payer.address, "defaults to the payer");
    const transactionPath = `${refundsPath}/${created.body.id}/transaction`;

    // A hash the chain does not know yet: still pending, nothing refunded.
    const unknown = `0x${"ab".repeat(32)}`;
    const waiting = await call(site, "POST", transactionPath, { cookie: owner.cookie, body: { transactionHash: unknown } });
    assert.equal(waiting.status, 200, JSON.stringify(waiting.body));
    assert.equal(waiting.body.refund.status, "pending");
    assert.equal(waiting.body.order.amountRefunded.baseUnits, "0");
    assert.equal((await call(site, "POST", transactionPath, { cookie: owner.cookie, body: { transactionHash: "0x1234" } })).status, 400);
    assert.equal((await call(site, "POST", transactionPath, { cookie: viewer.cookie, body: { transactionHash: unknown } })).status, 403);

    // The merchant's wallet sends it, as the dashboard's refund button does.
    const wallet = createWalletClient({ account: merchantWallet, chain: chain.publicClient.chain!, transport: http(chain.rpcUrl) });
    const router = chain.deployment.contracts.PaymentRouter.address;
    const payerBefore = await chain.publicClient.readContract({ address: chain.usdc, abi: mockErc20Abi, functionName: "balanceOf", args: [chain.payer.address] });
    await chain.publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: chain.usdc, abi: mockErc20Abi, functionName: "approve", args: [router, 2_000_000n] }) });
    const refundHash = await wallet.writeContract({ address: router, abi: paymentRouterAbi, functionName: "refund", args: [order.orderRef as Hex, chain.payer.address, 2_000_000n] });
    await chain.publicClient.waitForTransactionReceipt({ hash: refundHash });
    const completed = await call(site, "POST", transactionPath, { cookie: owner.cookie, body: { transactionHash: refundHash } });
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    assert.equal(completed.body.refund.status, "completed");
    assert.equal(completed.body.order.status, "partially_refunded");
    assert.equal(completed.body.order.amountRefunded.baseUnits, "2000000");
    const payerAfter = await chain.publicClient.readContract({ address: chain.usdc, abi: mockErc20Abi, functionName: "balanceOf", args: [chain.payer.address] });
    assert.equal(payerAfter - payerBefore, 2_000_000n);
    // Reporting it again changes nothing (the browser may retry).
    const again = await call(site, "POST", transactionPath, { cookie: owner.cookie, body: { transactionHash: refundHash } });
    assert.equal(again.body.order.amountRefunded.baseUnits, "2000000");

    // A refund whose transaction reverts (more than the router will refund: no allowance left) fails and frees its amount.
    const second = await call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "onchain", amount: "3" } });
    assert.equal(second.status, 201);
    assert.equal((await call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "onchain", amount: "1" } })).status, 409, "all of it is being refunded");
    // EDR mines a failing transaction but answers its submission with an error: the hash is computed here.
    const request = await wallet.prepareTransactionRequest({
      to: router,
      data: encodeFunctionData({ abi: paymentRouterAbi, functionName: "refund", args: [order.orderRef as Hex, chain.payer.address, 3_000_000n] }),
      gas: 300_000n,
    });
    const signed = await wallet.signTransaction(request);
    const reverted = keccak256(signed);
    await wallet.sendRawTransaction({ serializedTransaction: signed }).catch(() => undefined);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: reverted });
    assert.equal(receipt.status, "reverted");
    const failed = await call(site, "POST", `${refundsPath}/${second.body.id}/transaction`, { cookie: owner.cookie, body: { transactionHash: reverted } });
    assert.equal(failed.body.refund.status, "failed");
    assert.match(failed.body.refund.error, /reverted/);
    assert.equal(failed.body.order.amountRefunded.baseUnits, "2000000");
    // The completed refund's transaction cannot complete another refund.
    const third = await call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "onchain", amount: "2" } });
    assert.equal(third.status, 201, "the failed refund's amount is refundable again");
    const reused = await call(site, "POST", `${refundsPath}/${third.body.id}/transaction`, { cookie: owner.cookie, body: { transactionHash: refundHash } });
    assert.equal(reused.body.refund.status, "failed");

    const events = await dbf.database.db.execute(`select type from order_events where order_id = '${order.id}' order by id`);
    const types = (events as unknown as { rows: { type: string }[] }).rows.map((row) => row.type);
    for (const type of ["refund.created", "refund.completed", "order.partially_refunded", "refund.failed"]) assert.ok(types.includes(type), `${type} in ${types.join(", ")}`);
    const listed = await call(site, "GET", refundsPath, { cookie: viewer.cookie });
    assert.deepEqual(listed.body.data.map((refund: { status: string }) => refund.status), ["completed", "failed", "failed"]);
  });

  it("concurrent refunds never reserve more than was paid, and one transaction reported many times refunds once", async () => {
    const merchant = await createMerchant(site, owner, "Busy shop", { payoutAddress: merchantWallet.address });
    const key = await createApiKey(site, owner, merchant.id);
    const order = (await call(site, "POST", "/api/v1/orders", { apiKey: key.secret, body: { amount: "5", token: "USDC", chainId: 31337 } })).body;
    await chain.payThroughRouter(order.orderRef as Hex, merchantWallet.address, chain.usdc, 5_000_000n);
    await waitUntil(async () => (await call(site, "GET", `/api/v1/orders/${order.id}`, { apiKey: key.secret })).body.status === "settled", 10_000);
    const refundsPath = `/api/merchants/${merchant.id}/orders/${order.id}/refunds`;

    // Eight managers' clicks at once, 2 USDC each, on 5 USDC paid: exactly two fit.
    const attempts = await Promise.all(Array.from({ length: 8 }, () => call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "onchain", amount: "2" } })));
    const created = attempts.filter((result) => result.status === 201);
    assert.equal(created.length, 2, attempts.map((result) => result.status).join(","));
    assert.ok(attempts.every((result) => result.status === 201 || result.status === 422), attempts.map((result) => result.status).join(","));

    const wallet = createWalletClient({ account: merchantWallet, chain: chain.publicClient.chain!, transport: http(chain.rpcUrl) });
    const router = chain.deployment.contracts.PaymentRouter.address;
    await chain.publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: chain.usdc, abi: mockErc20Abi, functionName: "approve", args: [router, 2_000_000n] }) });
    const hash = await wallet.writeContract({ address: router, abi: paymentRouterAbi, functionName: "refund", args: [order.orderRef as Hex, chain.payer.address, 2_000_000n] });
    await chain.publicClient.waitForTransactionReceipt({ hash });
    // The same transaction reported for both refunds, several times each, at once (and the watcher reads it too).
    const reports = await Promise.all(
      [0, 1, 0, 1, 0, 1].map((index) => call(site, "POST", `${refundsPath}/${created[index]!.body.id}/transaction`, { cookie: owner.cookie, body: { transactionHash: hash } })),
    );
    assert.ok(reports.every((result) => result.status === 200 || result.status === 409), reports.map((result) => result.status).join(","));
    await waitUntil(async () => (await call(site, "GET", refundsPath, { cookie: owner.cookie })).body.data.every((refund: { status: string }) => refund.status !== "pending"), 10_000);
    const statuses = (await call(site, "GET", refundsPath, { cookie: owner.cookie })).body.data.map((refund: { status: string }) => refund.status).sort();
    assert.deepEqual(statuses, ["completed", "failed"]);
    const current = await call(site, "GET", `/api/v1/orders/${order.id}`, { apiKey: key.secret });
    assert.equal(current.body.amountRefunded.baseUnits, "2000000", "refunded once");
  });

  it("claim links: the payer names the address once, the merchant sends it through the router; unsent refunds can be cancelled", async () => {
    const merchant = await createMerchant(site, owner, "Claims shop", { payoutAddress: merchantWallet.address });
    assert.equal((await call(site, "POST", `/api/merchants/${merchant.id}/members`, { cookie: owner.cookie, body: { address: viewer.account.address, role: "viewer" } })).status, 201);
    const key = await createApiKey(site, owner, merchant.id);
    const order = (await call(site, "POST", "/api/v1/orders", { apiKey: key.secret, body: { amount: "4", token: "USDC", chainId: 31337 } })).body;
    await chain.payThroughRouter(order.orderRef as Hex, merchantWallet.address, chain.usdc, 4_000_000n);
    await waitUntil(async () => (await call(site, "GET", `/api/v1/orders/${order.id}`, { apiKey: key.secret })).body.status === "settled", 10_000);
    const refundsPath = `/api/merchants/${merchant.id}/orders/${order.id}/refunds`;

    const created = await call(site, "POST", `/api/v1/orders/${order.id}/refunds`, { apiKey: key.secret, body: { kind: "claim_link", amount: "1.5" } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.status, "awaiting_claim");
    const claimUrl = new URL(created.body.claimUrl as string);
    assert.equal(claimUrl.origin, site.url);
    const claimToken = claimUrl.pathname.split("/").at(-1)!;
    const claimPath = `/api/refunds/claim/${claimToken}`;
    const page = await fetch(claimUrl);
    assert.equal(page.status, 200, "the link opens a page");

    const shown = await call(site, "GET", claimPath);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.refund.amount.formatted, "1.5");
    assert.equal(shown.body.order.token.symbol, "USDC");
    assert.equal((await call(site, "GET", `/api/refunds/claim/${"x".repeat(43)}`)).status, 404);
    const early = await call(site, "POST", `${refundsPath}/${created.body.id}/transaction`, { cookie: owner.cookie, body: { transactionHash: `0x${"cd".repeat(32)}` } });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, "refund_not_claimed");

    const recipient = devAccount(5).address;
    assert.equal((await call(site, "POST", claimPath, { body: { toAddress: "0x1234" } })).status, 400);
    const claimed = await call(site, "POST", claimPath, { body: { toAddress: recipient.toLowerCase() } });
    assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
    assert.equal(claimed.body.refund.status, "pending");
    assert.equal(claimed.body.refund.toAddress, recipient);
    const twice = await call(site, "POST", claimPath, { body: { toAddress: stranger.account.address } });
    assert.equal(twice.status, 409);
    assert.equal((await call(site, "GET", claimPath)).body.refund.toAddress, recipient, "the first claim stands");

    const wallet = createWalletClient({ account: merchantWallet, chain: chain.publicClient.chain!, transport: http(chain.rpcUrl) });
    const router = chain.deployment.contracts.PaymentRouter.address;
    await chain.publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: chain.usdc, abi: mockErc20Abi, functionName: "approve", args: [router, 1_500_000n] }) });
    const hash = await wallet.writeContract({ address: router, abi: paymentRouterAbi, functionName: "refund", args: [order.orderRef as Hex, recipient, 1_500_000n] });
    await chain.publicClient.waitForTransactionReceipt({ hash });
    const sent = await call(site, "POST", `${refundsPath}/${created.body.id}/transaction`, { cookie: owner.cookie, body: { transactionHash: hash } });
    assert.equal(sent.body.refund.status, "completed", JSON.stringify(sent.body));
    assert.equal(sent.body.order.amountRefunded.formatted, "1.5");
    assert.equal((await call(site, "GET", claimPath)).body.refund.status, "completed");

    // A claim link nobody used, withdrawn: its amount is refundable again, and the link is dead.
    const unused = await call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "claim_link", amount: "2.5" } });
    assert.equal(unused.status, 201);
    assert.equal((await call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "onchain", amount: "0.1" } })).status, 409, "nothing left while the link is open");
    const unusedToken = new URL(unused.body.claimUrl as string).pathname.split("/").at(-1)!;
    assert.equal((await call(site, "POST", `${refundsPath}/${unused.body.id}/cancel`, { cookie: viewer.cookie })).status, 403);
    const cancelled = await call(site, "POST", `${refundsPath}/${unused.body.id}/cancel`, { cookie: owner.cookie });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, "cancelled");
    assert.equal((await call(site, "POST", `${refundsPath}/${unused.body.id}/cancel`, { cookie: owner.cookie })).status, 409);
    assert.equal((await call(site, "POST", `${refundsPath}/${created.body.id}/cancel`, { cookie: owner.cookie })).status, 409, "a completed refund stays");
    assert.equal((await call(site, "POST", `/api/refunds/claim/${unusedToken}`, { body: { toAddress: recipient } })).status, 409);
    assert.equal((await call(site, "POST", refundsPath, { cookie: owner.cookie, body: { kind: "onchain", amount: "2.5" } })).status, 201);

    const events = await dbf.database.db.execute(`select type from order_events where order_id = '${order.id}' order by id`);
    const types = (events as unknown as { rows: { type: string }[] }).rows.map((row) => row.type);
    for (const type of ["refund.claimed", "refund.completed", "refund.cancelled"]) assert.ok(types.includes(type), `${type} in ${types.join(", ")}`);
  });

  it("lists a parent's orders with its sub-accounts', filters by sub-account, and refuses accounts outside the tree", async () => {
    const parent = await createMerchant(site, owner, "Chain of stores");
    const other = await createMerchant(site, stranger, "Elsewhere");
    const branch = (await call(site, "POST", `/api/merchants/${parent.id}/sub-accounts`, { cookie: owner.cookie, body: { name: "Branch" } })).body;
    const shelf = (await call(site, "POST", `/api/merchants/${branch.id}/sub-accounts`, { cookie: owner.cookie, body: { name: "Kiosk in the branch" } })).body;
    const orderIn = async (merchantId: string) => {
      const key = await createApiKey(site, owner, merchantId);
      return (await call(site, "POST", "/api/v1/orders", { apiKey: key.secret, body: { amount: "1", token: "USDC", chainId: 31337 } })).body.id as string;
    };
    const [parentOrder, branchOrder, shelfOrder] = [await orderIn(parent.id), await orderIn(branch.id), await orderIn(shelf.id)];
    const list = async (merchantId: string, query = "", who = owner) => call(site, "GET", `/api/merchants/${merchantId}/orders${query}`, { cookie: who.cookie });
    const ids = (result: { body: { data: { id: string }[] } }) => result.body.data.map((order) => order.id).sort();

    assert.deepEqual(ids(await list(parent.id)), [parentOrder, branchOrder, shelfOrder].sort());
    assert.deepEqual(ids(await list(parent.id, `?account=${branch.id}`)), [branchOrder]);
    assert.deepEqual(ids(await list(parent.id, `?account=${parent.id}`)), [parentOrder]);
    assert.deepEqual(ids(await list(branch.id)), [branchOrder, shelfOrder].sort());
    // Paging through the tree keeps every order exactly once.
    const first = await list(parent.id, "?limit=2");
    const rest = await list(parent.id, `?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual([...ids(first), ...ids(rest)].sort(), [parentOrder, branchOrder, shelfOrder].sort());
    assert.equal((await list(parent.id, `?account=${other.id}`)).status, 404, "not in the tree");
    assert.equal((await list(branch.id, `?account=${parent.id}`)).status, 404, "a parent is not below its child");
    assert.equal((await list(parent.id, "?account=nope")).status, 400);
    assert.equal((await list(parent.id, "", stranger)).status, 404);
  });
});
