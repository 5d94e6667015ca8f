// Attack: the deposit simulator credits a sender the client names. On the old code
// `POST /api/p2p/dev/deposits { amount, senderEmail }` credited whichever desk user had linked that
// game-room e-mail (or queued it for review): unbacked virtual dollars, sold for real rubles. Now
// even where the development tools are allowed (as on staging, TEST_PRODUCTION_ENV), the simulator
// credits only the caller's own linked game-room account, and a body naming a sender is a 400.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { withClient } from "../support/postgres.ts";
import { latestCode, signUpVerified, type Client, startDeskProcess, type DeskProcess } from "./p2p-support.ts";

describe("the P2P deposit simulator", () => {
  let desk: DeskProcess;
  const base = () => desk.base();

  before(async () => {
    desk = await startDeskProcess("p2p_dev_sender");
  });
  after(async () => {
    await desk?.close();
  });

  async function linked(label: string): Promise<{ client: Client; gameEmail: string }> {
    const client = await signUpVerified(base, desk.database.url, `${label}-${randomUUID().slice(0, 6)}@example.com`);
    const gameEmail = `${label}-${randomUUID().slice(0, 6)}@game.example`;
    assert.equal((await client.call("POST", "/api/p2p/wallet/game-email", { gameEmail })).status, 202);
    assert.equal((await client.call("POST", "/api/p2p/wallet/game-email/confirm", { code: await latestCode(desk.database.url, gameEmail) })).status, 200);
    return { client, gameEmail };
  }

  const deposits = () => withClient(desk.database.url, async (c) => (await c.query(`select count(*)::int as n from p2p_deposits`)).rows[0].n as number);

  it("refuses a deposit naming another sender (400) and credits nobody", async () => {
    const victim = await linked("victim");
    const attacker = await linked("attacker");
    const before = await deposits();
    for (const senderEmail of [victim.gameEmail, attacker.gameEmail, "nobody@game.example"]) {
      const got = await attacker.client.call("POST", "/api/p2p/dev/deposits", { amount: "1000000.00", senderEmail });
      assert.equal(got.status, 400, JSON.stringify(got.json));
      assert.equal(got.json.error.code, "invalid_input");
    }
    assert.equal(await deposits(), before);
    assert.equal((await victim.client.call("GET", "/api/p2p/me")).json.balances.available, "0");
    assert.equal((await attacker.client.call("GET", "/api/p2p/me")).json.balances.available, "0");
  });

  it("credits the caller's own linked game-room account, where the development tools are allowed", async () => {
    const seller = await linked("own");
    const got = await seller.client.call("POST", "/api/p2p/dev/deposits", { amount: "10.00" });
    assert.equal(got.status, 201, JSON.stringify(got.json));
    assert.equal(got.json.outcome, "credited");
    assert.equal((await seller.client.call("GET", "/api/p2p/me")).json.balances.available, "980"); // 10.00 − 2 % commission
    const row = await withClient(desk.database.url, (c) => c.query(`select sender_email from p2p_deposits order by created_at desc limit 1`));
    assert.equal(row.rows[0].sender_email, seller.gameEmail);
  });
});
