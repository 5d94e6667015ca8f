// Attack: brute force against the P2P desk's sign-in and e-mail codes, and accounts in bulk. On the
// old code 20 wrong passwords in 0.3 s met no lock-out, and each of 30 code re-sends in a row brought
// a fresh code with 5 new guesses. Now (limits in PostgreSQL, shared by every server process):
// an account's 6th sign-in attempt in 15 minutes is 429 with Retry-After even with the right
// password; codes mailed to an address are limited per hour, and guesses are counted per address
// across re-sends, so a re-send brings no new guesses; sign-ups are limited per client address
// (the TCP peer; a forged X-Forwarded-For or client-address header changes nothing).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { withClient } from "../support/postgres.ts";
import { Client, latestCode, signUp, startDeskProcess, type DeskProcess } from "./p2p-support.ts";

const SIGNUPS_PER_CLIENT = 6;
const FORGED = { "x-forwarded-for": "203.0.113.9", "x-coinpays-client-address": "203.0.113.9" };

describe("P2P desk rate limits", () => {
  let desk: DeskProcess;
  const base = () => desk.base();

  before(async () => {
    desk = await startDeskProcess("p2p_rate_limits", { P2P_SIGNUPS_PER_CLIENT_PER_HOUR: String(SIGNUPS_PER_CLIENT) });
  });
  after(async () => {
    await desk?.close();
  });

  let signups = 0;
  const fresh = (label: string) => `${label}-${randomUUID().slice(0, 6)}@example.com`;

  it("the 6th sign-in attempt on one account within the window is 429 with Retry-After, even with the right password", async () => {
    const email = fresh("victim");
    await signUp(base, email, "the right password");
    signups += 1;
    const attacker = new Client(base);
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => attacker.call("POST", "/api/p2p/auth/signin", { email, password: `guess number ${i}` }, FORGED)),
    );
    // 20 guesses at once: a point is taken before each password check, so at most 5 were checked
    // (the sign-up's own sign-in had cleared the count), all wrong; the rest are 429.
    const statuses = guesses.map((g) => g.status).sort();
    assert.deepEqual([...new Set(statuses)], [401, 429], JSON.stringify(statuses));
    assert.ok(statuses.filter((s) => s === 401).length <= 5, JSON.stringify(statuses));
    const right = await new Client(base).call("POST", "/api/p2p/auth/signin", { email, password: "the right password" });
    assert.equal(right.status, 429, JSON.stringify(right.json));
    assert.equal(right.json.error.code, "rate_limited");
    const retryAfter = Number(right.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After ${right.headers.get("retry-after")}`);
    assert.equal(right.headers.get("set-cookie"), null);
  });

  it("code re-sends beyond the limit are 429, and a re-send does not bring new guesses", async () => {
    const email = fresh("resend");
    const user = await signUp(base, email); // code 1 of this hour for the address
    signups += 1;
    const first = await latestCode(desk.database.url, email);
    const wrong = first === "000000" ? "111111" : "000000";
    for (let guess = 0; guess < 5; guess += 1) {
      const got = await user.call("POST", "/api/p2p/auth/verify", { code: wrong });
      assert.equal(got.status, 400, JSON.stringify(got.json));
    }
    const resent = await user.call("POST", "/api/p2p/auth/verify", { resend: true }); // code 2
    assert.equal(resent.status, 200, JSON.stringify(resent.json));
    const second = await latestCode(desk.database.url, email);
    const tried = await user.call("POST", "/api/p2p/auth/verify", { code: second });
    assert.equal(tried.status, 429, JSON.stringify(tried.json));
    assert.ok(Number(tried.headers.get("retry-after")) > 0);
    assert.equal((await user.call("GET", "/api/p2p/me")).json.user.emailVerified, false);

    for (let n = 3; n <= 5; n += 1) assert.equal((await user.call("POST", "/api/p2p/auth/verify", { resend: true })).status, 200);
    const sixth = await user.call("POST", "/api/p2p/auth/verify", { resend: true });
    assert.equal(sixth.status, 429, JSON.stringify(sixth.json));
    assert.ok(Number(sixth.headers.get("retry-after")) > 0);
    const mailed = await withClient(desk.database.url, (c) => c.query(`select count(*)::int as n from p2p_mail_outbox where "to" = $1`, [email]));
    assert.equal(mailed.rows[0].n, 5);
  });

  it("sign-ups from one client address are limited per hour; forged forwarding headers do not reset it", async () => {
    while (signups < SIGNUPS_PER_CLIENT) {
      await signUp(base, fresh("bulk"));
      signups += 1;
    }
    const before = await withClient(desk.database.url, async (c) => (await c.query(`select count(*)::int as n from p2p_users`)).rows[0].n as number);
    const extra = await new Client(base).call("POST", "/api/p2p/auth/signup", { email: fresh("bulk"), password: "a long password" }, FORGED);
    assert.equal(extra.status, 429, JSON.stringify(extra.json));
    assert.ok(Number(extra.headers.get("retry-after")) > 0);
    assert.equal(await withClient(desk.database.url, async (c) => (await c.query(`select count(*)::int as n from p2p_users`)).rows[0].n as number), before);
  });
});
