import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, WEB_ROOT } from "../server/config.ts";

describe("configuration", () => {
  it("works with no environment at all (local defaults, embedded database)", () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.rpcUrl, "http://127.0.0.1:8545");
    assert.equal(config.chainId, 31337);
    assert.equal(config.indexerUrl, "http://127.0.0.1:42069");
    assert.deepEqual(config.database, { kind: "pglite", dataDir: `${WEB_ROOT}/.data/pglite` });
  });

  it("runs the subscription keeper every second locally and every 15 s elsewhere, retrying past-due ones after 60 s / 1 h", () => {
    assert.deepEqual(
      [loadConfig({}).gateway.subscriptionKeeperIntervalMs, loadConfig({}).gateway.subscriptionRetrySeconds],
      [1_000, 60],
    );
    const mainnet = loadConfig({ CHAIN_ID: "1", RELAYER_PRIVATE_KEY: `0x${"ab".repeat(32)}` });
    assert.deepEqual([mainnet.gateway.subscriptionKeeperIntervalMs, mainnet.gateway.subscriptionRetrySeconds], [15_000, 3_600]);
    const tuned = loadConfig({ SUBSCRIPTION_KEEPER_INTERVAL_MS: "250", SUBSCRIPTION_RETRY_SECONDS: "30" });
    assert.deepEqual([tuned.gateway.subscriptionKeeperIntervalMs, tuned.gateway.subscriptionRetrySeconds], [250, 30]);
    assert.throws(() => loadConfig({ SUBSCRIPTION_KEEPER_INTERVAL_MS: "5", SUBSCRIPTION_RETRY_SECONDS: "0" }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues.map((issue) => issue.field).sort(), ["SUBSCRIPTION_KEEPER_INTERVAL_MS", "SUBSCRIPTION_RETRY_SECONDS"]);
      return true;
    });
  });

  it("uses PostgreSQL when DATABASE_URL is set", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/coinpays" });
    assert.deepEqual(config.database, { kind: "postgres", url: "postgres://postgres@127.0.0.1:5432/coinpays" });
  });

  it("rejects a bad PORT with an error that names the field and the value", () => {
    assert.throws(
      () => loadConfig({ PORT: "not-a-port" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.length === 1 &&
        error.issues[0]?.field === "PORT" &&
        /PORT: must be a number \(got "not-a-port"\)/.test(error.message),
    );
    assert.throws(() => loadConfig({ PORT: "70000" }), /PORT: must be between 0 and 65535/);
  });

  it("lists every bad field at once", () => {
    assert.throws(
      () => loadConfig({ PORT: "-1", RPC_URL: "localhost:8545", DATABASE_URL: "mysql://db", CHAIN_ID: "0" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        ["PORT", "RPC_URL", "CHAIN_ID", "DATABASE_URL"].every((field) => error.issues.some((issue) => issue.field === field)),
    );
  });

  it("makes the server exit with the list of bad fields instead of a stack trace", () => {
    const result = spawnSync(process.execPath, ["server.ts"], {
      cwd: WEB_ROOT,
      env: { ...process.env, PORT: "abc", NODE_ENV: "production" },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.status, 78);
    assert.match(result.stderr, /Invalid configuration:\n {2}- PORT: must be a number \(got "abc"\)/);
  });
});
