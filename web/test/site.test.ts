import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSite, normalizeOrigin } from "../server/site.ts";

describe("the site's public origin", () => {
  it("is the configured origin(s), whatever the server listens on", () => {
    const site = createSite(["https://pay.example.com", "https://pay.example.org"]);
    site.bindListenUrl("http://127.0.0.1:3000");
    assert.equal(site.origin(), "https://pay.example.com");
    assert.ok(site.isOwnOrigin("https://pay.example.org"));
    assert.ok(site.isOwnOrigin("https://PAY.example.com:443"), "normalized");
    assert.ok(!site.isOwnOrigin("http://127.0.0.1:3000"));
    assert.ok(!site.isOwnOrigin("https://pay.example.com.evil.example"));
    assert.ok(!site.isOwnOrigin("null"));
  });

  it("in development without PUBLIC_URL is the listen address and its loopback alias", () => {
    const site = createSite(undefined);
    assert.throws(() => site.origin(), /before the server listens/);
    site.bindListenUrl("http://127.0.0.1:4321");
    assert.deepEqual(site.origins(), ["http://127.0.0.1:4321", "http://localhost:4321"]);
    const everywhere = createSite(undefined);
    everywhere.bindListenUrl("http://0.0.0.0:3000");
    assert.deepEqual(everywhere.origins(), ["http://127.0.0.1:3000", "http://localhost:3000"], "0.0.0.0 is no origin a browser shows");
  });

  it("normalizes origins and refuses what is not one", () => {
    assert.equal(normalizeOrigin("https://Pay.Example.com:443/"), "https://pay.example.com");
    assert.equal(normalizeOrigin("ftp://x"), undefined);
    assert.equal(normalizeOrigin("not a url"), undefined);
  });
});
