// Attack: a page on another site makes a signed-in player's browser post to the desk (sign out,
// create a sell request, start a purchase). The desk applies the gateway's rule
// (server/security/cross-site.ts): a cookie-authenticated write must come from the site's own pages.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { withClient } from "../support/postgres.ts";
import { signUpVerified, type Client, startDeskProcess, type DeskProcess } from "./p2p-support.ts";

describe("attack: cross-site writes with a player's desk session", () => {
  let desk: DeskProcess;
  let player: Client;
  const base = () => desk.base();

  before(async () => {
    desk = await startDeskProcess("p2p_csrf");
    player = await signUpVerified(base, desk.database.url, `player-${randomUUID().slice(0, 6)}@example.com`);
  });
  after(async () => {
    await desk?.close();
  });

  const rows = () => withClient(desk.database.url, async (c) => (await c.query(`select (select count(*) from p2p_buyer_orders)::int + (select count(*) from p2p_withdrawal_requests)::int + (select count(*) from p2p_sessions where revoked_at is not null)::int as n`)).rows[0].n as number);

  for (const [what, headers] of [["Origin of another site", { origin: "https://evil.example" }], ["no Origin and no Sec-Fetch-Site", { origin: "" }]] as const) {
    it(`refuses writes with ${what}, and writes nothing`, async () => {
      const before = await rows();
      const drop = Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== "")) as Record<string, string>;
      for (const [method, path, body] of [
        ["POST", "/api/p2p/auth/signout", {}],
        ["POST", "/api/p2p/orders", { amount: "3.00", idempotencyKey: randomUUID() }],
        ["POST", "/api/p2p/requests", { amount: "5.00", idempotencyKey: randomUUID() }],
      ] as const) {
        // Built by hand: the client would add the site's own Origin to a signed-in request.
        const response = await fetch(`${base()}${path}`, { method, headers: { "content-type": "application/json", cookie: player.cookie, ...drop }, body: JSON.stringify(body) });
        const text = await response.text();
        assert.equal(response.status, 403, `${path}: ${response.status} ${text}`);
        assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, "cross_site_request");
      }
      assert.equal(await rows(), before, "nothing written, the session not signed out");
      assert.equal((await player.call("GET", "/api/p2p/me")).status, 200, "still signed in");
    });
  }
});
