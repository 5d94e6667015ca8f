// Verified API keys are trusted in-process for VERIFIED_KEY_TTL_MS: revoking must still reach every
// server process within that time, and take effect at once in the process that revoked. Two real
// server processes on one PostgreSQL database.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { VERIFIED_KEY_TTL_MS } from "../../server/gateway/api-keys/service.ts";
import { startFakeChain, startFakeIndexer, type FakeDependency } from "../support/fake-dependencies.ts";
import { startServerProcess, type ServerProcess } from "../support/server-process.ts";
import { call, CHAIN_ID, createApiKey, createMerchant, signIn, startGateway, type Gateway } from "./support.ts";

describe("API key verification cache across server processes", { timeout: 120_000 }, () => {
  let gateway: Gateway;
  let other: ServerProcess;
  const dependencies: FakeDependency[] = [];

  before(async () => {
    gateway = await startGateway("key_cache");
    const [chain, indexer] = await Promise.all([startFakeChain(CHAIN_ID, 1n), startFakeIndexer(200)]);
    dependencies.push(chain, indexer);
    other = await startServerProcess({ DATABASE_URL: gateway.database.url, CHAIN_ID: String(CHAIN_ID), RPC_URL: chain.url, INDEXER_URL: indexer.url, GATEWAY_WORKERS: "off" });
  });
  after(async () => {
    await other?.stop("SIGKILL").catch(() => undefined);
    await Promise.all(dependencies.map((dependency) => dependency.close()));
    await gateway?.close();
  });

  it("a key revoked in one process is refused there at once and in the other within the cache lifetime", async () => {
    const owner = await signIn(gateway);
    const merchant = await createMerchant(gateway, owner);
    const key = await createApiKey(gateway, owner, merchant.id);
    const listOn = (url: string) => fetch(`${url}/api/v1/orders`, { headers: { authorization: `Bearer ${key.secret}` } });
    // Both processes have verified (and so cached) the key.
    assert.equal((await listOn(gateway.url)).status, 200);
    assert.equal((await listOn(other.url)).status, 200);

    // last_used_at: written on first use, not again on every request.
    const lastUsed = async () => (await gateway.sql<{ last_used_at: Date | null }>("select last_used_at from api_keys where id = $1", [key.id]))[0]!.last_used_at;
    const first = await lastUsed();
    assert.ok(first);
    for (let i = 0; i < 10; i++) assert.equal((await listOn(i % 2 ? other.url : gateway.url)).status, 200);
    assert.equal((await lastUsed())?.getTime(), first.getTime());

    const revoked = await call(gateway, "DELETE", `/api/merchants/${merchant.id}/api-keys/${key.id}`, { cookie: owner.cookie });
    assert.equal(revoked.status, 200);
    const revokedAt = performance.now();
    assert.equal((await listOn(gateway.url)).status, 401, "the revoking process forgets the key at once");
    let status = 200;
    while (status === 200 && performance.now() - revokedAt < VERIFIED_KEY_TTL_MS + 2_000) {
      status = (await listOn(other.url)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const waited = performance.now() - revokedAt;
    assert.equal(status, 401, `the other process still accepted the key ${Math.round(waited)} ms after revocation`);
    assert.ok(waited <= VERIFIED_KEY_TTL_MS + 500, `refused after ${Math.round(waited)} ms`);
  });
});
