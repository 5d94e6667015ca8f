// Attack surface: a production deployment that forgets a setting. Every development default that
// would be unsafe on the internet (the local chain with Hardhat's public keys, the public DEV-ONLY
// encryption key, no public origin) makes the production server refuse to start, naming the field,
// instead of running on it; the development conveniences run in production only when named one by
// one in UNSAFE_DEV_FEATURES.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../server/config.ts";
import { DEV_RELAYER_KEY, TEST_ENCRYPTION_KEYS, WEB_ROOT } from "../support/server-process.ts";

const REAL_CHAIN = { NODE_ENV: "production", CHAIN_ID: "8453", RPC_URL: "https://rpc.example.com", PUBLIC_URL: "https://pay.example.com", ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, RELAYER_PRIVATE_KEY: `0x${"ab".repeat(32)}`, SMTP_URL: "smtps://desk:secret@smtp.example.com:465" };

function refusedFields(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => issue.field);
    throw error;
  }
  return [];
}

describe("attack: production started on development defaults", () => {
  it("a complete production configuration starts", () => {
    assert.deepEqual(refusedFields(REAL_CHAIN), []);
    const config = loadConfig(REAL_CHAIN);
    assert.deepEqual(config.publicOrigins, ["https://pay.example.com"]);
    assert.equal(config.unsafeFeatures.size, 0, "no development feature in production unless named");
  });

  it("refuses a forgotten CHAIN_ID (the default is the local chain 31337 with Hardhat's public keys)", () => {
    const { CHAIN_ID: _, ...env } = REAL_CHAIN;
    assert.ok(refusedFields(env).includes("CHAIN_ID"));
  });

  it("refuses the local chain unless dev-chain is named, and even then wants the relayer key explicitly", () => {
    const local = { ...REAL_CHAIN, CHAIN_ID: "31337", RELAYER_PRIVATE_KEY: "" };
    assert.deepEqual(refusedFields(local).sort(), ["CHAIN_ID", "RELAYER_PRIVATE_KEY"]);
    assert.deepEqual(refusedFields({ ...local, UNSAFE_DEV_FEATURES: "dev-chain" }), ["RELAYER_PRIVATE_KEY"]);
    assert.deepEqual(refusedFields({ ...local, UNSAFE_DEV_FEATURES: "dev-chain", RELAYER_PRIVATE_KEY: DEV_RELAYER_KEY }), []);
  });

  it("refuses one of Hardhat's public keys as the relayer of a real chain, in any environment", () => {
    assert.deepEqual(refusedFields({ ...REAL_CHAIN, RELAYER_PRIVATE_KEY: DEV_RELAYER_KEY }), ["RELAYER_PRIVATE_KEY"]);
    assert.deepEqual(refusedFields({ CHAIN_ID: "1", RELAYER_PRIVATE_KEY: DEV_RELAYER_KEY }), ["RELAYER_PRIVATE_KEY"]);
  });

  it("refuses the public DEV-ONLY encryption key", () => {
    assert.deepEqual(refusedFields({ ...REAL_CHAIN, ENCRYPTION_KEYS: "" }), ["ENCRYPTION_KEYS"]);
  });

  it("refuses a missing or plain-http public origin (http only on loopback)", () => {
    assert.deepEqual(refusedFields({ ...REAL_CHAIN, PUBLIC_URL: "" }), ["PUBLIC_URL"]);
    assert.deepEqual(refusedFields({ ...REAL_CHAIN, PUBLIC_URL: "http://pay.example.com" }), ["PUBLIC_URL"]);
    assert.deepEqual(refusedFields({ ...REAL_CHAIN, PUBLIC_URL: "https://pay.example.com/checkout" }), ["PUBLIC_URL"]);
    assert.deepEqual(refusedFields({ ...REAL_CHAIN, PUBLIC_URL: "http://127.0.0.1:3000" }), []);
  });

  it("refuses an unknown UNSAFE_DEV_FEATURES name instead of ignoring a typo", () => {
    assert.deepEqual(refusedFields({ ...REAL_CHAIN, UNSAFE_DEV_FEATURES: "dev-chian" }), ["UNSAFE_DEV_FEATURES"]);
  });

  it("development keeps working with nothing configured", () => {
    const config = loadConfig({});
    assert.equal(config.chainId, 31337);
    assert.ok(config.unsafeFeatures.has("dev-chain"));
    assert.equal(config.publicOrigins, undefined, "the listen address, bound at start");
  });

  it("the production server process exits 78 and lists every missing setting", () => {
    const { DATABASE_URL: _, ...inherited } = process.env;
    const result = spawnSync(process.execPath, ["server.ts"], {
      cwd: WEB_ROOT,
      env: { ...Object.fromEntries(Object.entries(inherited).filter(([name]) => !/^(CHAIN_ID|PUBLIC_URL|ENCRYPTION_KEYS|P2P_ENCRYPTION_KEYS|RELAYER_PRIVATE_KEY|UNSAFE_DEV_FEATURES)$/.test(name))), NODE_ENV: "production", PORT: "0" },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.status, 78, result.stderr);
    for (const field of ["PUBLIC_URL", "ENCRYPTION_KEYS", "CHAIN_ID"]) assert.match(result.stderr, new RegExp(`- ${field}: `));
  });
});
