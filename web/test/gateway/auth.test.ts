// Sign-In with Ethereum, sessions, and the authorization matrix, over real HTTP against the
// production server on a fresh PostgreSQL database. Signatures are checked by viem through a real
// local chain (Hardhat's EDR node), so a bad signature is a 401 from the chain's verdict.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createPublicClient, createWalletClient, http, keccak256, stringToHex, type Address } from "viem";
import { readArtifact } from "../../../scripts/lib/artifacts.ts";
import { devAccount } from "../../../scripts/lib/dev-accounts.ts";
import { startLocalChain, type LocalChain } from "../../../scripts/lib/local-chain.ts";
import { depositImplementationOf, predictDepositAddress } from "../../server/gateway/orders/deposit-address.ts";
import { call, CHAIN_ID, createApiKey, createMerchant, signIn, siweMessage, startGateway, type Gateway, type SignedIn } from "./support.ts";

describe("sign-in with Ethereum and authorization", () => {
  let chain: LocalChain;
  let gateway: Gateway;

  before(async () => {
    chain = await startLocalChain();
    gateway = await startGateway("auth", { rpcUrl: chain.rpcUrl });
  });
  after(async () => {
    await gateway?.close();
    await chain?.stop();
  });

  async function attempt(mutate: (nonce: string, account: ReturnType<typeof privateKeyToAccount>) => Promise<{ message: string; signature: `0x${string}` }>) {
    const account = privateKeyToAccount(generatePrivateKey());
    const { body } = await call(gateway, "GET", "/api/auth/nonce");
    const sessionsBefore = await gateway.count("sessions");
    const result = await call(gateway, "POST", "/api/auth/verify", { body: await mutate(body.nonce, account) });
    assert.equal(result.headers.get("set-cookie"), null, "no session cookie on failure");
    assert.equal(await gateway.count("sessions"), sessionsBefore, "no session row on failure");
    return result;
  }

  it("signs in a new wallet: user created, httpOnly SameSite cookie, only the token hash stored", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const { body: nonce } = await call(gateway, "GET", "/api/auth/nonce");
    assert.match(nonce.nonce, /^[0-9a-zA-Z]{8,}$/);
    assert.ok(Date.parse(nonce.expiresAt) - Date.now() <= 10 * 60 * 1000 + 2000);
    const message = siweMessage(gateway, account, nonce.nonce);
    const result = await call(gateway, "POST", "/api/auth/verify", { body: { message, signature: await account.signMessage({ message }) } });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(result.body.user.address, account.address);
    assert.equal(result.body.created, true);
    const cookie = result.headers.get("set-cookie")!;
    // Production: the __Host- prefix (Secure, Path=/, no Domain) so no subdomain can plant or overwrite it.
    assert.match(cookie, /^__Host-coinpays_session=[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /Path=\/;/);
    assert.doesNotMatch(cookie, /Domain=/i);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Secure/, "production server sets Secure");
    const token = cookie.split(";")[0]!.split("=")[1]!;
    const rows = await gateway.sql<{ token_hash: string }>("select token_hash from sessions");
    assert.ok(rows.every((row) => row.token_hash !== token && /^[0-9a-f]{64}$/.test(row.token_hash)));

    const me = await call(gateway, "GET", "/api/auth/me", { cookie: cookie.split(";")[0] });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.address, account.address);

    const logout = await call(gateway, "POST", "/api/auth/logout", { cookie: cookie.split(";")[0] });
    assert.equal(logout.status, 200);
    assert.equal((await call(gateway, "GET", "/api/auth/me", { cookie: cookie.split(";")[0] })).status, 401);
  });

  it("computes deposit addresses off-chain exactly as DepositAddressFactory.predict does on chain", async () => {
    // Needs the Hardhat artifacts (`hardhat compile`, as the contract tests do).
    const artifact = await readArtifact("DepositAddressFactory");
    const account = devAccount(0);
    const wallet = createWalletClient({ account, transport: http(chain.rpcUrl) });
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    const chainDef = { id: CHAIN_ID, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [chain.rpcUrl] } } } as const;
    const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [account.address, account.address, 100], chain: chainDef });
    const factory = (await client.waitForTransactionReceipt({ hash })).contractAddress as Address;
    const implementation = await client.readContract({ address: factory, abi: artifact.abi, functionName: "implementation" });
    assert.equal(depositImplementationOf(factory), implementation);
    for (let i = 0; i < 5; i++) {
      const destination = privateKeyToAccount(generatePrivateKey()).address;
      const orderRef = keccak256(stringToHex(`ord_test_${i}_${Math.random()}`));
      const onChain = await client.readContract({ address: factory, abi: artifact.abi, functionName: "predict", args: [destination, orderRef] });
      assert.equal(predictDepositAddress({ factory, destination, orderRef }), onChain);
    }
  });

  it("refuses a reused nonce", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const { body: nonce } = await call(gateway, "GET", "/api/auth/nonce");
    const message = siweMessage(gateway, account, nonce.nonce);
    const signature = await account.signMessage({ message });
    assert.equal((await call(gateway, "POST", "/api/auth/verify", { body: { message, signature } })).status, 200);
    const sessions = await gateway.count("sessions");
    const again = await call(gateway, "POST", "/api/auth/verify", { body: { message, signature } });
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, "siwe_nonce_used");
    assert.equal(await gateway.count("sessions"), sessions);
  });

  it("lets exactly one of two concurrent uses of a nonce through", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const { body: nonce } = await call(gateway, "GET", "/api/auth/nonce");
    const message = siweMessage(gateway, account, nonce.nonce);
    const signature = await account.signMessage({ message });
    const results = await Promise.all(Array.from({ length: 6 }, () => call(gateway, "POST", "/api/auth/verify", { body: { message, signature } })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401, 401, 401, 401]);
  });

  it("refuses an expired nonce", async () => {
    const result = await attempt(async (nonce, account) => {
      await gateway.sql("update siwe_nonces set expires_at = now() - interval '1 second' where nonce = $1", [nonce]);
      const message = siweMessage(gateway, account, nonce);
      return { message, signature: await account.signMessage({ message }) };
    });
    assert.equal(result.status, 401);
    assert.equal(result.body.error.code, "siwe_nonce_expired");
  });

  it("refuses an unknown nonce", async () => {
    const result = await attempt(async (_nonce, account) => {
      const message = siweMessage(gateway, account, "madeUpNonce12345");
      return { message, signature: await account.signMessage({ message }) };
    });
    assert.equal(result.status, 401);
  });

  it("refuses a message for another domain", async () => {
    const result = await attempt(async (nonce, account) => {
      const message = siweMessage(gateway, account, nonce, { domain: "evil.example", uri: "https://evil.example" });
      return { message, signature: await account.signMessage({ message }) };
    });
    assert.equal(result.status, 401);
    assert.equal(result.body.error.code, "siwe_domain_mismatch");
  });

  it("refuses a message for another chain", async () => {
    const result = await attempt(async (nonce, account) => {
      const message = siweMessage(gateway, account, nonce, { chainId: 1 });
      return { message, signature: await account.signMessage({ message }) };
    });
    assert.equal(result.status, 401);
    assert.equal(result.body.error.code, "siwe_chain_mismatch");
  });

  it("refuses a signature by another key, and a tampered message", async () => {
    const other = privateKeyToAccount(generatePrivateKey());
    const wrongSigner = await attempt(async (nonce, account) => {
      const message = siweMessage(gateway, account, nonce);
      return { message, signature: await other.signMessage({ message }) };
    });
    assert.equal(wrongSigner.status, 401);
    assert.equal(wrongSigner.body.error.code, "siwe_signature_invalid");
    const tampered = await attempt(async (nonce, account) => {
      const message = siweMessage(gateway, account, nonce);
      const signature = await account.signMessage({ message });
      return { message: message.replace("Sign in to CoinPays", "Sign in to CoinPayz"), signature };
    });
    assert.equal(tampered.status, 401);
  });

  it("refuses malformed input with 400 and expired messages with 401", async () => {
    const garbage = await attempt(async () => ({ message: "hello", signature: "0x1234" }));
    assert.equal(garbage.status, 400);
    const expired = await attempt(async (nonce, account) => {
      const message = siweMessage(gateway, account, nonce, { expirationTime: new Date(Date.now() - 1000) });
      return { message, signature: await account.signMessage({ message }) };
    });
    assert.equal(expired.status, 401);
  });

  describe("authorization matrix", () => {
    let alice: SignedIn; // owner of A
    let bob: SignedIn; // owner of B
    let vera: SignedIn; // viewer on A
    let manny: SignedIn; // manager on A
    let merchantA: string;
    let merchantB: string;
    let subA: string;
    let keyA: string;
    let keyB: string;
    let keySub: string;
    let orderA: string;
    let orderSub: string;

    const order = (apiKey: string, reference?: string) =>
      call(gateway, "POST", "/api/v1/orders", { apiKey, body: { amount: "1.5", token: "USDC", chainId: CHAIN_ID, ...(reference ? { reference } : {}) } });

    before(async () => {
      [alice, bob, vera, manny] = await Promise.all([signIn(gateway), signIn(gateway), signIn(gateway), signIn(gateway)]);
      merchantA = (await createMerchant(gateway, alice, "A")).id;
      merchantB = (await createMerchant(gateway, bob, "B")).id;
      assert.equal((await call(gateway, "POST", `/api/merchants/${merchantA}/members`, { cookie: alice.cookie, body: { address: vera.account.address, role: "viewer" } })).status, 201);
      assert.equal((await call(gateway, "POST", `/api/merchants/${merchantA}/members`, { cookie: alice.cookie, body: { address: manny.account.address, role: "manager" } })).status, 201);
      const sub = await call(gateway, "POST", `/api/merchants/${merchantA}/sub-accounts`, { cookie: alice.cookie, body: { name: "A / branch" } });
      assert.equal(sub.status, 201, JSON.stringify(sub.body));
      subA = sub.body.id;
      assert.equal(sub.body.parentId, merchantA);
      keyA = (await createApiKey(gateway, alice, merchantA)).secret;
      keyB = (await createApiKey(gateway, bob, merchantB)).secret;
      keySub = (await createApiKey(gateway, manny, subA)).secret; // manager on the parent acts on the sub-account
      orderA = (await order(keyA)).body.id;
      orderSub = (await order(keySub)).body.id;
      assert.match(orderA, /^ord_/);
      assert.match(orderSub, /^ord_/);
    });

    it("merchant B never reads or acts on A's merchant, members, keys or orders", async () => {
      for (const [method, path, body] of [
        ["GET", `/api/merchants/${merchantA}`],
        ["PATCH", `/api/merchants/${merchantA}`, { name: "pwned" }],
        ["GET", `/api/merchants/${merchantA}/members`],
        ["POST", `/api/merchants/${merchantA}/members`, { address: bob.account.address, role: "owner" }],
        ["GET", `/api/merchants/${merchantA}/api-keys`],
        ["POST", `/api/merchants/${merchantA}/api-keys`, { name: "mine now" }],
        ["GET", `/api/merchants/${merchantA}/orders`],
        ["GET", `/api/merchants/${subA}`],
        ["POST", `/api/merchants/${merchantA}/orders/${orderA}/cancel`],
      ] as [string, string, unknown?][]) {
        const result = await call(gateway, method, path, { cookie: bob.cookie, body });
        assert.equal(result.status, 404, `${method} ${path}: ${JSON.stringify(result.body)}`);
      }
      const keys = await call(gateway, "GET", `/api/merchants/${merchantA}/api-keys`, { cookie: alice.cookie });
      const revoke = await call(gateway, "DELETE", `/api/merchants/${merchantB}/api-keys/${keys.body.data[0].id}`, { cookie: bob.cookie });
      assert.equal(revoke.status, 404, "B cannot revoke A's key through B's merchant");
      for (const [method, path] of [["GET", `/api/v1/orders/${orderA}`], ["POST", `/api/v1/orders/${orderA}/cancel`], ["POST", `/api/v1/orders/${orderA}/refunds`]]) {
        const result = await call(gateway, method!, path!, { apiKey: keyB, body: method === "POST" && path!.endsWith("refunds") ? { kind: "claim_link" } : undefined });
        assert.equal(result.status, 404, `${method} ${path}`);
      }
      const list = await call(gateway, "GET", "/api/v1/orders", { apiKey: keyB });
      assert.equal(list.status, 200);
      assert.ok(list.body.data.every((o: { merchantId: string }) => o.merchantId === merchantB));
      const stillNew = await call(gateway, "GET", `/api/v1/orders/${orderA}`, { apiKey: keyA });
      assert.equal(stillNew.body.status, "new");
      assert.equal((await call(gateway, "GET", `/api/merchants/${merchantA}`, { cookie: alice.cookie })).body.name, "A");
    });

    it("a viewer reads but cannot create keys, change members or cancel orders", async () => {
      assert.equal((await call(gateway, "GET", `/api/merchants/${merchantA}`, { cookie: vera.cookie })).status, 200);
      assert.equal((await call(gateway, "GET", `/api/merchants/${merchantA}/api-keys`, { cookie: vera.cookie })).status, 200);
      assert.equal((await call(gateway, "GET", `/api/merchants/${merchantA}/orders`, { cookie: vera.cookie })).status, 200);
      const keysBefore = await gateway.count("api_keys");
      const create = await call(gateway, "POST", `/api/merchants/${merchantA}/api-keys`, { cookie: vera.cookie, body: { name: "viewer key" } });
      assert.equal(create.status, 403);
      assert.equal(create.body.error.code, "forbidden");
      assert.equal(await gateway.count("api_keys"), keysBefore);
      assert.equal((await call(gateway, "POST", `/api/merchants/${merchantA}/members`, { cookie: vera.cookie, body: { address: bob.account.address, role: "owner" } })).status, 403);
      assert.equal((await call(gateway, "POST", `/api/merchants/${merchantA}/orders/${orderA}/cancel`, { cookie: vera.cookie })).status, 403);
      // Roles on a parent apply to its sub-accounts.
      assert.equal((await call(gateway, "GET", `/api/merchants/${subA}`, { cookie: vera.cookie })).status, 200);
      assert.equal((await call(gateway, "POST", `/api/merchants/${subA}/api-keys`, { cookie: vera.cookie, body: { name: "x" } })).status, 403);
    });

    it("a manager manages keys but not members or the profile", async () => {
      assert.equal((await call(gateway, "PATCH", `/api/merchants/${merchantA}`, { cookie: manny.cookie, body: { payoutAddress: manny.account.address } })).status, 403);
      assert.equal((await call(gateway, "POST", `/api/merchants/${merchantA}/members`, { cookie: manny.cookie, body: { address: bob.account.address, role: "viewer" } })).status, 403);
      assert.equal((await call(gateway, "POST", `/api/merchants/${merchantA}/api-keys`, { cookie: manny.cookie, body: { name: "ops" } })).status, 201);
    });

    it("an API key for a sub-account cannot see the parent's orders (and vice versa)", async () => {
      assert.equal((await call(gateway, "GET", `/api/v1/orders/${orderA}`, { apiKey: keySub })).status, 404);
      assert.equal((await call(gateway, "POST", `/api/v1/orders/${orderA}/cancel`, { apiKey: keySub })).status, 404);
      const list = await call(gateway, "GET", "/api/v1/orders", { apiKey: keySub });
      assert.deepEqual(list.body.data.map((o: { id: string }) => o.id), [orderSub]);
      assert.equal((await call(gateway, "GET", `/api/v1/orders/${orderSub}`, { apiKey: keyA })).status, 404);
    });

    it("a revoked key gets 401 at once; keys are listed without secrets", async () => {
      const key = await createApiKey(gateway, alice, merchantA);
      assert.match(key.secret, /^cp_live_[0-9A-Za-z]{43}$/);
      assert.equal((await call(gateway, "GET", "/api/v1/orders", { apiKey: key.secret })).status, 200);
      const list = await call(gateway, "GET", `/api/merchants/${merchantA}/api-keys`, { cookie: alice.cookie });
      const listed = list.body.data.find((k: { id: string }) => k.id === key.id);
      assert.equal(listed.prefix, key.secret.slice(0, 12));
      assert.ok(listed.lastUsedAt, "last use recorded");
      assert.ok(!JSON.stringify(list.body).includes(key.secret));
      const stored = await gateway.sql<{ secret_hash: string }>("select secret_hash from api_keys where id = $1", [key.id]);
      assert.match(stored[0]!.secret_hash, /^[0-9a-f]{64}$/);
      assert.equal((await call(gateway, "DELETE", `/api/merchants/${merchantA}/api-keys/${key.id}`, { cookie: vera.cookie })).status, 403);
      assert.equal((await call(gateway, "DELETE", `/api/merchants/${merchantA}/api-keys/${key.id}`, { cookie: alice.cookie })).status, 200);
      const after = await call(gateway, "GET", "/api/v1/orders", { apiKey: key.secret });
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, "unauthorized");
      assert.equal((await call(gateway, "GET", "/api/v1/orders")).status, 401);
      assert.equal((await call(gateway, "GET", "/api/v1/orders", { apiKey: "cp_live_nope" })).status, 401);
    });

    it("a pos key creates orders and reads and cancels only its own; refunds and every full-scope route are 403", async () => {
      const keysBefore = await gateway.count("api_keys");
      assert.equal((await call(gateway, "POST", `/api/merchants/${merchantA}/api-keys`, { cookie: vera.cookie, body: { name: "till", scope: "pos" } })).status, 403);
      const badScope = await call(gateway, "POST", `/api/merchants/${merchantA}/api-keys`, { cookie: manny.cookie, body: { name: "till", scope: "admin" } });
      assert.equal(badScope.status, 400);
      assert.equal(await gateway.count("api_keys"), keysBefore);
      const created = await call(gateway, "POST", `/api/merchants/${merchantA}/api-keys`, { cookie: manny.cookie, body: { name: "Till 1", scope: "pos" } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.scope, "pos");
      const pos = created.body.secret as string;
      const listed = await call(gateway, "GET", `/api/merchants/${merchantA}/api-keys`, { cookie: vera.cookie });
      assert.equal(listed.body.data.find((k: { id: string }) => k.id === created.body.id).scope, "pos");

      const sale = await order(pos, "till-sale-1");
      assert.equal(sale.status, 201, JSON.stringify(sale.body));
      const other = await order(pos);
      assert.equal((await call(gateway, "GET", `/api/v1/orders/${sale.body.id}`, { apiKey: pos })).body.status, "new");
      // Orders of the same account created by another key stay invisible to the till.
      assert.equal((await call(gateway, "GET", `/api/v1/orders/${orderA}`, { apiKey: pos })).status, 404);
      const list = await call(gateway, "GET", "/api/v1/orders", { apiKey: pos });
      assert.deepEqual(list.body.data.map((o: { id: string }) => o.id).sort(), [sale.body.id, other.body.id].sort());
      assert.equal((await call(gateway, "POST", `/api/v1/orders/${orderA}/cancel`, { apiKey: pos })).status, 404);
      assert.equal((await call(gateway, "GET", `/api/v1/orders/${orderA}`, { apiKey: keyA })).body.status, "new");
      const cancelled = await call(gateway, "POST", `/api/v1/orders/${other.body.id}/cancel`, { apiKey: pos });
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, "cancelled");
      // The full key of the account still sees the till's orders.
      assert.equal((await call(gateway, "GET", `/api/v1/orders/${sale.body.id}`, { apiKey: keyA })).status, 200);

      // Another key's Idempotency-Key never replays that key's order to the till.
      const body = { amount: "2", token: "USDC", chainId: CHAIN_ID };
      const first = await call(gateway, "POST", "/api/v1/orders", { apiKey: keyA, body, headers: { "idempotency-key": "shared-key-1" } });
      const fromTill = await call(gateway, "POST", "/api/v1/orders", { apiKey: pos, body, headers: { "idempotency-key": "shared-key-1" } });
      assert.equal(fromTill.status, 201);
      assert.notEqual(fromTill.body.id, first.body.id);
      assert.equal(fromTill.headers.get("idempotent-replayed"), null);
      // The till's own retry replays its own order (the key is looked up in the till's namespace).
      const tillRetry = await call(gateway, "POST", "/api/v1/orders", { apiKey: pos, body, headers: { "idempotency-key": "shared-key-1" } });
      assert.equal(tillRetry.status, 201);
      assert.equal(tillRetry.body.id, fromTill.body.id);
      assert.equal(tillRetry.headers.get("idempotent-replayed"), "true");
      const fullRetry = await call(gateway, "POST", "/api/v1/orders", { apiKey: keyA, body, headers: { "idempotency-key": "shared-key-1" } });
      assert.equal(fullRetry.body.id, first.body.id);
      // A second till of the same account does not see the first till's orders.
      const secondTill = await call(gateway, "POST", `/api/merchants/${merchantA}/api-keys`, { cookie: manny.cookie, body: { name: "Till 2", scope: "pos" } });
      assert.equal(secondTill.status, 201);
      assert.equal((await call(gateway, "GET", `/api/v1/orders/${sale.body.id}`, { apiKey: secondTill.body.secret as string })).status, 404);
      assert.equal((await call(gateway, "GET", `/api/v1/orders/${fromTill.body.id}`, { apiKey: pos })).status, 200);

      // Every route the route table does not open to pos keys refuses one, before reading anything.
      const document = (await call(gateway, "GET", "/api/v1/openapi.json")).body as { paths: Record<string, Record<string, { operationId: string; security: Record<string, string[]>[] }>> };
      const posOperations: string[] = [];
      let refused = 0;
      const refundsBefore = await gateway.count("refunds");
      for (const [path, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          const scopes = operation.security?.find((requirement) => requirement.apiKey)?.apiKey;
          if (!scopes) continue;
          if (scopes.includes("pos")) {
            posOperations.push(operation.operationId);
            continue;
          }
          const result = await call(gateway, method.toUpperCase(), path.replace("{orderId}", sale.body.id), { apiKey: pos, body: method === "get" ? undefined : { kind: "claim_link" } });
          assert.equal(result.status, 403, `${method} ${path}: ${JSON.stringify(result.body)}`);
          assert.equal(result.body.error.code, "insufficient_scope");
          refused++;
        }
      }
      assert.deepEqual(posOperations.sort(), ["cancelOrder", "createOrder", "getOrder", "listOrders"]);
      assert.ok(refused >= 1, "the refund route at least");
      assert.equal(await gateway.count("refunds"), refundsBefore, "nothing written");
      // A key is never a session: the dashboard routes ignore it.
      for (const [method, path] of [["GET", `/api/merchants/${merchantA}/api-keys`], ["POST", `/api/merchants/${merchantA}/webhooks`], ["GET", `/api/merchants/${merchantA}/orders`]]) {
        assert.equal((await call(gateway, method!, path!, { apiKey: pos, body: method === "POST" ? { url: "https://example.com/h" } : undefined })).status, 401, `${method} ${path}`);
      }
    });

    it("an owner cannot remove the last owner of a top-level account", async () => {
      const result = await call(gateway, "DELETE", `/api/merchants/${merchantA}/members/${alice.userId}`, { cookie: alice.cookie });
      assert.equal(result.status, 409);
      assert.equal(result.body.error.code, "last_owner");
    });
  });
});
