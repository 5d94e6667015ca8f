// Attack: a P2P desk deployed with its development defaults. On the old code a production server
// started with the deposit simulator (any user credits themselves unbacked virtual dollars), the
// public mail outbox (every verification code), the sandbox provider (invoices "paid" by a click),
// the public sandbox secret and no SMTP. Now production start-up refuses each of them with a
// ConfigError (exit 78 naming the field) unless UNSAFE_DEV_FEATURES names the feature, and a
// production server started without them has no development routes at all.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startFakeChain, startFakeIndexer, type FakeDependency } from "../support/fake-dependencies.ts";
import { createTemporaryDatabase, type TemporaryDatabase } from "../support/postgres.ts";
import { DEV_RELAYER_KEY, freePort, startServerProcess, TEST_ENCRYPTION_KEYS, type ServerProcess } from "../support/server-process.ts";
import { Client } from "./p2p-support.ts";

/** A production environment that is complete except for what each case takes away or adds. */
function productionEnv(port: number): Record<string, string> {
  return {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    CHAIN_ID: "31337",
    RELAYER_PRIVATE_KEY: DEV_RELAYER_KEY,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    // Only the dev chain (the test has no other): none of the P2P development features.
    UNSAFE_DEV_FEATURES: "dev-chain",
    SMTP_URL: "smtp://127.0.0.1:2525",
    DATABASE_URL: "postgres://postgres@127.0.0.1:5432/never_opened",
  };
}

/** Starts the production server expecting it to refuse: returns what it printed. */
async function refusal(env: Record<string, string>): Promise<string> {
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess(env, 30_000, { defaults: false });
  } catch (error) {
    const message = (error as Error).message;
    assert.match(message, /code 78/, message);
    assert.match(message, /Invalid configuration/, message);
    return message;
  }
  await server.stop("SIGKILL");
  assert.fail("the production server started");
}

describe("a production P2P desk refuses its development defaults", () => {
  it("refuses the development tools (deposit simulator, outbox page) unless p2p-dev-tools is named", async () => {
    const printed = await refusal({ ...productionEnv(await freePort()), P2P_DEV_TOOLS: "1" });
    assert.match(printed, /P2P_DEV_TOOLS: .*p2p-dev-tools/);
  });

  it("refuses the sandbox payment provider unless p2p-sandbox is named", async () => {
    const printed = await refusal({ ...productionEnv(await freePort()), P2P_SANDBOX: "1" });
    assert.match(printed, /P2P_SANDBOX: .*p2p-sandbox/);
  });

  it("refuses the public sandbox secret even where the sandbox is allowed", async () => {
    const printed = await refusal({
      ...productionEnv(await freePort()),
      UNSAFE_DEV_FEATURES: "dev-chain,p2p-sandbox",
      P2P_SANDBOX_SECRET: "coinpays-sandbox-dev-only-secret",
    });
    assert.match(printed, /P2P_SANDBOX_SECRET: is the public development secret/);
  });

  it("refuses to keep mail (verification codes) in the database outbox without SMTP unless mail-outbox is named", async () => {
    const { SMTP_URL: _smtp, ...env } = productionEnv(await freePort());
    const printed = await refusal(env);
    assert.match(printed, /SMTP_URL: is required in production/);
  });

  it("refuses the public development encryption key for provider credentials", async () => {
    const { ENCRYPTION_KEYS: _keys, ...env } = productionEnv(await freePort());
    const printed = await refusal(env);
    assert.match(printed, /ENCRYPTION_KEYS: is required in production/);
  });

  it("refuses P2P_PUBLIC_URL, which the site's PUBLIC_URL replaces (links could point elsewhere)", async () => {
    const printed = await refusal({ ...productionEnv(await freePort()), P2P_PUBLIC_URL: "https://desk.evil.example" });
    assert.match(printed, /P2P_PUBLIC_URL: is replaced by PUBLIC_URL/);
  });
});

describe("a production P2P desk without the development features", () => {
  let database: TemporaryDatabase;
  let chain: FakeDependency;
  let indexer: FakeDependency;
  let server: ServerProcess;

  before(async () => {
    database = await createTemporaryDatabase("p2p_no_dev");
    chain = await startFakeChain(31337, 1n);
    indexer = await startFakeIndexer(200);
    server = await startServerProcess(
      { ...productionEnv(await freePort()), DATABASE_URL: database.url, RPC_URL: chain.url, INDEXER_URL: indexer.url },
      60_000,
      { defaults: false },
    );
  });
  after(async () => {
    await server?.stop("SIGKILL").catch(() => undefined);
    await Promise.all([chain?.close(), indexer?.close()]);
    await database?.drop();
  });

  it("answers 404 for the deposit simulator, the mail outbox page and the sandbox's pay endpoint", async () => {
    const stranger = new Client(() => server.url);
    const deposit = await stranger.call("POST", "/api/p2p/dev/deposits", { amount: "1000000.00" });
    assert.equal(deposit.status, 404, JSON.stringify(deposit.json));
    const outbox = await stranger.call("GET", "/p2p/dev/outbox");
    assert.equal(outbox.status, 404);
    assert.doesNotMatch(String(outbox.json.raw), /Your code/);
    const pay = await stranger.call("POST", "/api/p2p/sandbox/invoices/sbx_000000000000000000000000/pay", {});
    assert.equal(pay.status, 404);
    assert.match(String(pay.json.error?.message), /sandbox provider is disabled/);
  });
});
