// Attack: a merchant types somebody else's wallet as its payout address, then reads that wallet's on-chain
// analytics through the gateway, or claims its subscription plans (the oldest account with the plan's
// address used to win). The product withstands it: a payout address is used for analytics and plan linking
// only once its owner proved control of it for that very account (an EIP-191 signature of a challenge that
// names this site, the account, the address and a single-use nonce; ERC-1271 for contract wallets), or
// when a member set their own signed-in address. Against the production build, a real EDR chain (the
// keeper projects subscriptions, the ERC-1271 wallet answers on it) and an indexer stand-in that records
// which addresses the gateway asked it about.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import { createTestClient, createWalletClient, http as httpTransport, parseEventLogs, type Abi, type Address, type Hex, type LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { mockErc20Abi, subscriptionsAbi } from "@coinpays/sdk/contracts";
import { waitFor } from "../../../scripts/lib/processes.ts";
import { startChainFixture, type ChainFixture } from "../gateway/support/fixtures.ts";
import { call, CHAIN_ID, signIn, startGateway, type Gateway, type SignedIn } from "../gateway/support.ts";

/** Answers /ready and every /analytics/* call with an empty answer, and records the `merchant` addresses asked for. */
async function startRecordingIndexer() {
  const asked: string[][] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://indexer");
    if (url.pathname === "/ready") return void response.end();
    if (!url.pathname.startsWith("/analytics/")) {
      response.statusCode = 404;
      return void response.end();
    }
    asked.push((url.searchParams.get("merchant") ?? "").split(",").filter(Boolean).map((address) => address.toLowerCase()));
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ query: {}, data: [], totals: { paymentCount: 0 } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    everAsked: (address: string) => asked.some((addresses) => addresses.includes(address.toLowerCase())),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The ERC-1271 mock compiled here with the pinned solc (nothing else in the repository is regenerated). */
function compileWalletMock(): { abi: Abi; bytecode: Hex } {
  const solc = createRequire(import.meta.url)("solc") as { compile(input: string): string };
  const source = readFileSync(new URL("../../../contracts/mocks/MockERC1271Wallet.sol", import.meta.url), "utf8");
  const output = JSON.parse(solc.compile(JSON.stringify({
    language: "Solidity",
    sources: { "MockERC1271Wallet.sol": { content: source } },
    settings: { outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
  })));
  const contract = output.contracts["MockERC1271Wallet.sol"].MockERC1271Wallet;
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

const wallet = () => privateKeyToAccount(generatePrivateKey());

describe("payout addresses are used only once their owner proved them", { timeout: 300_000 }, () => {
  let chain: ChainFixture;
  let indexer: Awaited<ReturnType<typeof startRecordingIndexer>>;
  let gateway: Gateway;

  before(async () => {
    [chain, indexer] = await Promise.all([startChainFixture(), startRecordingIndexer()]);
    gateway = await startGateway("payout_proof", { rpcUrl: chain.rpcUrl, indexerUrl: indexer.url });
  });
  after(async () => {
    await gateway?.close();
    await indexer?.close();
    await chain?.stop();
  });

  async function merchant(owner: SignedIn, payoutAddress: Address, name = "Shop"): Promise<string> {
    const result = await call(gateway, "POST", "/api/merchants", { cookie: owner.cookie, body: { name, payoutAddress } });
    assert.equal(result.status, 201, JSON.stringify(result.body));
    return result.body.id;
  }
  const profile = async (owner: SignedIn, merchantId: string) => (await call(gateway, "GET", `/api/merchants/${merchantId}`, { cookie: owner.cookie })).body;
  const analytics = (owner: SignedIn, merchantId: string, query = "") => call(gateway, "GET", `/api/merchants/${merchantId}/analytics/revenue?interval=day${query}`, { cookie: owner.cookie });
  async function challenge(owner: SignedIn, merchantId: string): Promise<{ message: string; expiresAt: string }> {
    const result = await call(gateway, "POST", `/api/merchants/${merchantId}/payout-address/challenge`, { cookie: owner.cookie, body: {} });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    return result.body;
  }
  const prove = (owner: SignedIn, merchantId: string, message: string, signature: Hex) =>
    call(gateway, "POST", `/api/merchants/${merchantId}/payout-address/proof`, { cookie: owner.cookie, body: { message, signature } });

  it("a merchant who types another wallet as its payout address never reads that wallet's analytics", async () => {
    const attacker = await signIn(gateway);
    const victim = wallet().address;
    const stolen = await merchant(attacker, victim, "Not the victim's shop");

    const refused = await analytics(attacker, stolen);
    assert.equal(indexer.everAsked(victim), false, "the indexer was asked about the victim's wallet");
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, "payout_address_unverified");
    assert.equal((await profile(attacker, stolen)).payoutAddressProof.status, "unverified");

    // Hidden in a sub-account of an account that is the attacker's own (proven by the session): the tree's
    // figures cover the attacker's address only, and the answer says which account was left out and why.
    const own = await merchant(attacker, attacker.account.address, "Attacker's own");
    const sub = await call(gateway, "POST", `/api/merchants/${own}/sub-accounts`, { cookie: attacker.cookie, body: { name: "Kiosk", payoutAddress: victim } });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    const tree = await analytics(attacker, own, "&subAccounts=include");
    assert.equal(tree.status, 200, JSON.stringify(tree.body));
    assert.deepEqual(tree.body.accounts.map((account: { id: string }) => account.id), [own]);
    assert.deepEqual(tree.body.unverifiedAccounts, [{ id: sub.body.id, name: "Kiosk", payoutAddress: victim, reason: "payout_address_unverified" }]);
    assert.deepEqual(indexer.asked.at(-1), [attacker.account.address.toLowerCase()]);
    assert.equal((await analytics(attacker, sub.body.id)).status, 422);
    assert.equal(indexer.everAsked(victim), false, "the indexer was asked about the victim's wallet");
  });

  it("a member's own signed-in address is proven by the session", async () => {
    const owner = await signIn(gateway);
    const id = await merchant(owner, owner.account.address);
    const proof = (await profile(owner, id)).payoutAddressProof;
    assert.equal(proof.status, "verified");
    assert.equal(proof.method, "member_session");
    assert.equal((await analytics(owner, id)).status, 200);
    assert.deepEqual(indexer.asked.at(-1), [owner.account.address.toLowerCase()]);
  });

  it("the payout wallet's signature of the challenge proves it; the analytics then cover it", async () => {
    const owner = await signIn(gateway);
    const payout = wallet();
    const id = await merchant(owner, payout.address);
    const { message } = await challenge(owner, id);
    // Human-readable and bound to this site, this account and this address.
    assert.ok(message.includes(`URI: ${gateway.url}`), message);
    assert.ok(message.includes(`Account: ${id}`), message);
    assert.ok(message.includes(`Payout address: ${payout.address}`), message);
    assert.match(message, /^Nonce: [A-Za-z0-9]{16,}$/m);
    assert.match(message, /^Expiration Time: \d{4}-\d\d-\d\dT/m);

    const proven = await prove(owner, id, message, await payout.signMessage({ message }));
    assert.equal(proven.status, 200, JSON.stringify(proven.body));
    assert.equal(proven.body.payoutAddressProof.status, "verified");
    assert.equal(proven.body.payoutAddressProof.method, "signature");
    const [row] = await gateway.sql<{ method: string; address: string; proven_by: string; signature: string }>("select method, address, proven_by, signature from payout_address_proofs where merchant_id = $1", [id]);
    assert.deepEqual([row!.method, row!.address, row!.proven_by], ["signature", payout.address, owner.userId]);
    assert.match(row!.signature, /^0x[0-9a-f]{130}$/);

    assert.equal((await analytics(owner, id)).status, 200);
    assert.deepEqual(indexer.asked.at(-1), [payout.address.toLowerCase()]);
  });

  it("forged, tampered, other-account, other-site, expired and replayed proofs are refused and prove nothing", async () => {
    const owner = await signIn(gateway);
    const payout = wallet();
    const id = await merchant(owner, payout.address, "First");
    const other = await merchant(owner, payout.address, "Second");
    const refusedWith = async (merchantId: string, message: string, signature: Hex, code: string) => {
      const result = await prove(owner, merchantId, message, signature);
      assert.equal(result.status, 422, JSON.stringify(result.body));
      assert.equal(result.body.error.code, code, JSON.stringify(result.body));
      assert.equal((await profile(owner, merchantId)).payoutAddressProof.status, "unverified");
    };

    // Forged: signed by a key that is not the payout wallet.
    const first = await challenge(owner, id);
    await refusedWith(id, first.message, await wallet().signMessage({ message: first.message }), "payout_proof_signature_invalid");
    // Tampered: the payout wallet signed a message naming another site (or another account) than the challenge.
    const evil = first.message.replace(`URI: ${gateway.url}`, "URI: https://evil.example");
    await refusedWith(id, evil, await payout.signMessage({ message: evil }), "payout_proof_message_mismatch");
    // Another site: a complete message for another origin, with a nonce this site never issued.
    const foreign = first.message.replaceAll(gateway.url, "https://evil.example").replace(/^Nonce: .*$/m, "Nonce: 0123456789abcdef0123");
    await refusedWith(id, foreign, await payout.signMessage({ message: foreign }), "payout_proof_challenge_unknown");
    // Another account: a valid proof for `id` submitted to `other` (same owner, same payout address).
    await refusedWith(other, first.message, await payout.signMessage({ message: first.message }), "payout_proof_other_account");
    // Expired.
    const late = await challenge(owner, id);
    await gateway.sql("update payout_address_challenges set expires_at = now() - interval '1 second' where message = $1", [late.message]);
    await refusedWith(id, late.message, await payout.signMessage({ message: late.message }), "payout_proof_challenge_expired");

    // The genuine proof works once; replayed after the address changed and changed back, it is refused.
    const signature = await payout.signMessage({ message: first.message });
    assert.equal((await prove(owner, id, first.message, signature)).status, 200);
    assert.equal((await profile(owner, id)).payoutAddressProof.status, "verified");
    assert.equal((await profile(owner, other)).payoutAddressProof.status, "unverified", "a proof for one account proves nothing for another");
    for (const address of [wallet().address, payout.address]) {
      const changed = await call(gateway, "PATCH", `/api/merchants/${id}`, { cookie: owner.cookie, body: { payoutAddress: address } });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal(changed.body.payoutAddressProof.status, "unverified");
    }
    await refusedWith(id, first.message, signature, "payout_proof_challenge_used");
    // Malformed proofs are a clear 400 and store nothing.
    const before = await gateway.sql<{ n: number }>("select count(*)::int as n from payout_address_proofs");
    for (const body of [{}, { message: first.message }, { message: first.message, signature: "0x12zz" }, { message: "", signature: signature }, { message: first.message, signature, extra: 1 }, { message: "no nonce here", signature }]) {
      const result = await call(gateway, "POST", `/api/merchants/${other}/payout-address/proof`, { cookie: owner.cookie, body });
      assert.equal(result.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(result.body)}`);
      assert.equal(typeof result.body.error.code, "string");
    }
    assert.deepEqual(await gateway.sql("select count(*)::int as n from payout_address_proofs"), before);
    // Only owners ask for challenges and submit proofs.
    const viewer = await signIn(gateway);
    assert.equal((await call(gateway, "POST", `/api/merchants/${id}/members`, { cookie: owner.cookie, body: { address: viewer.account.address, role: "viewer" } })).status, 201);
    assert.equal((await call(gateway, "POST", `/api/merchants/${id}/payout-address/challenge`, { cookie: viewer.cookie, body: {} })).status, 403);
    assert.equal((await call(gateway, "POST", `/api/merchants/${id}/payout-address/challenge`, { body: {} })).status, 401);
  });

  it("changing the payout address clears its proof, also for a session-proven one", async () => {
    const owner = await signIn(gateway);
    const id = await merchant(owner, owner.account.address);
    assert.equal((await profile(owner, id)).payoutAddressProof.status, "verified");
    const other = wallet().address;
    const changed = await call(gateway, "PATCH", `/api/merchants/${id}`, { cookie: owner.cookie, body: { payoutAddress: other } });
    assert.equal(changed.body.payoutAddressProof.status, "unverified");
    assert.equal((await gateway.sql("select 1 from payout_address_proofs where merchant_id = $1", [id])).length, 0);
    assert.equal((await analytics(owner, id)).status, 422);
    assert.equal(indexer.everAsked(other), false);
    // Changing other fields keeps it.
    const back = await call(gateway, "PATCH", `/api/merchants/${id}`, { cookie: owner.cookie, body: { payoutAddress: owner.account.address } });
    assert.equal(back.body.payoutAddressProof.status, "verified");
    const renamed = await call(gateway, "PATCH", `/api/merchants/${id}`, { cookie: owner.cookie, body: { name: "Renamed" } });
    assert.equal(renamed.body.payoutAddressProof.status, "verified");
  });

  it("the subscription plans of a wallet another account typed in first belong to the wallet's own account", async () => {
    const transport = httpTransport(chain.rpcUrl, { retryCount: 0 });
    const viemChain = { ...chain.publicClient.chain!, rpcUrls: { default: { http: [chain.rpcUrl] } } };
    const test = createTestClient({ chain: viemChain, mode: "hardhat", transport });
    const send = async (account: LocalAccount, address: Address, abi: Abi, functionName: string, args: readonly unknown[]) => {
      const hash = await createWalletClient({ account, chain: viemChain, transport }).writeContract({ address, abi, functionName, args } as never);
      const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
      assert.equal(receipt.status, "success", `${functionName} reverted`);
      return receipt;
    };
    const [victimWallet, subscriber] = [wallet(), wallet()];
    for (const account of [victimWallet, subscriber]) await test.setBalance({ address: account.address, value: 10n ** 20n });
    const contract = chain.deployment.contracts.Subscriptions.address;

    const attacker = await signIn(gateway);
    const squatted = await merchant(attacker, victimWallet.address, "Squatter");
    const created = await send(victimWallet, contract, subscriptionsAbi as Abi, "createPlan", [chain.usdc, 5_000_000n, 86_400, 0]);
    const planId = parseEventLogs({ abi: subscriptionsAbi, eventName: "PlanCreated", logs: created.logs })[0]!.args.planId;
    await chain.mint(chain.usdc, subscriber.address, 50_000_000n);
    await send(subscriber, chain.usdc, mockErc20Abi as Abi, "approve", [contract, 50_000_000n]);
    const subscribed = await send(subscriber, contract, subscriptionsAbi as Abi, "subscribe", [planId, 5_000_000n]);
    const subscriptionId = parseEventLogs({ abi: subscriptionsAbi, eventName: "Subscribed", logs: subscribed.logs })[0]!.args.subscriptionId;

    const row = () => gateway.sql<{ merchant_id: string | null }>("select merchant_id from subscriptions where chain_id = $1 and subscription_id = $2", [CHAIN_ID, String(subscriptionId)]);
    await waitFor("the keeper to project the subscription", async () => ((await row()).length === 1 ? true : undefined), 60_000);
    assert.equal((await row())[0]!.merchant_id, null, "linked to the account that typed the wallet in");
    assert.deepEqual((await call(gateway, "GET", `/api/merchants/${squatted}/subscriptions`, { cookie: attacker.cookie })).body.data, []);

    // The wallet's owner signs up with it: from the next keeper pass the plan is theirs.
    const victim = await signIn(gateway, victimWallet);
    const own = await merchant(victim, victimWallet.address, "The real shop");
    await test.mine({ blocks: 1 });
    await waitFor("the keeper to link the subscription", async () => ((await row())[0]!.merchant_id !== null ? true : undefined), 60_000);
    assert.equal((await row())[0]!.merchant_id, own);
    assert.equal((await call(gateway, "GET", `/api/merchants/${own}/subscriptions`, { cookie: victim.cookie })).body.data.length, 1);
    assert.deepEqual((await call(gateway, "GET", `/api/merchants/${squatted}/subscriptions`, { cookie: attacker.cookie })).body.data, []);
  });

  it("a contract wallet (ERC-1271) proves its payout address through the chain; a stranger's signature for it does not", async () => {
    const key = wallet();
    const { abi, bytecode } = compileWalletMock();
    const deployer = createWalletClient({ account: chain.payer, chain: chain.publicClient.chain, transport: httpTransport(chain.rpcUrl, { retryCount: 0 }) });
    const hash = await deployer.deployContract({ abi, bytecode, args: [key.address], chain: chain.publicClient.chain } as never);
    const contractWallet = (await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 })).contractAddress!;

    const owner = await signIn(gateway);
    const id = await merchant(owner, contractWallet, "Safe-paid shop");
    const stranger = await challenge(owner, id);
    const refused = await prove(owner, id, stranger.message, await wallet().signMessage({ message: stranger.message }));
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, "payout_proof_signature_invalid");

    const { message } = await challenge(owner, id);
    const proven = await prove(owner, id, message, await key.signMessage({ message }));
    assert.equal(proven.status, 200, JSON.stringify(proven.body));
    assert.equal(proven.body.payoutAddressProof.status, "verified");
    assert.equal((await analytics(owner, id)).status, 200);
    assert.deepEqual(indexer.asked.at(-1), [contractWallet.toLowerCase()]);
  });
});
