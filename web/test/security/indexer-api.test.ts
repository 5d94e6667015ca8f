// The indexer's API requires a shared secret (indexer/src/api/access.ts); the web server is the one caller
// that holds it. Against the production build and real PostgreSQL, with a stand-in indexer that, like the
// real one, answers analytics only to `Authorization: Bearer <INDEXER_API_SECRET>`: the dashboard's analytics
// calls carry the configured secret, and a production server without a secret of its own does not start.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TEST_INDEXER_API_SECRET } from "../../../indexer/test/api-secret.ts";
import { call, createMerchant, signIn, startGateway, type Gateway } from "../gateway/support.ts";
import { startFakeIndexer, type FakeIndexer } from "../support/fake-dependencies.ts";
import { createTemporaryDatabase, type TemporaryDatabase } from "../support/postgres.ts";
import { startServerProcess } from "../support/server-process.ts";

describe("the indexer API's shared secret", { timeout: 180_000 }, () => {
  let indexer: FakeIndexer;
  let gateway: Gateway;

  before(async () => {
    indexer = await startFakeIndexer(200);
    gateway = await startGateway("indexer_secret", { indexerUrl: indexer.url });
  });
  after(async () => {
    await gateway?.close();
    await indexer?.close();
  });

  it("the dashboard's analytics calls to the indexer carry the configured secret", async () => {
    const owner = await signIn(gateway);
    // The payout address is the owner's own signed-in address, which analytics may always read.
    const merchant = await createMerchant(gateway, owner, "Shop", { payoutAddress: owner.account.address });
    const now = Math.floor(Date.now() / 1000);
    const result = await call(gateway, "GET", `/api/merchants/${merchant.id}/analytics/revenue?from=${now - 86_400}&to=${now}`, { cookie: owner.cookie });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(indexer.analyticsCalls.length, 1);
    assert.equal(indexer.analyticsCalls[0]!.authorization, `Bearer ${TEST_INDEXER_API_SECRET}`);
  });
});

describe("a production server without its own indexer secret", { timeout: 180_000 }, () => {
  let database: TemporaryDatabase;
  before(async () => {
    database = await createTemporaryDatabase("indexer_secret_config");
  });
  after(async () => {
    await database?.drop();
  });

  for (const [name, secret] of [
    ["no INDEXER_API_SECRET", ""],
    ["the public development default", "coinpays-dev-indexer-api-secret"],
    ["a short secret", "0123456789abcdef"],
  ] as const) {
    it(`refuses to start with ${name}`, async () => {
      const outcome = await startServerProcess({ DATABASE_URL: database.url, INDEXER_API_SECRET: secret }).catch((error: Error) => error);
      if (!(outcome instanceof Error)) {
        await outcome.stop("SIGKILL");
        assert.fail(`a production server started with ${name}`);
      }
      assert.match(outcome.message, /exited during start-up/);
      assert.match(outcome.message, /INDEXER_API_SECRET/);
    });
  }
});
