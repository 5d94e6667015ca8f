// Attacks on the P2P desk's operator role. On the old code signing up with an address listed in
// P2P_OPERATOR_EMAILS made the account an operator at once, unverified (it credited itself
// 1,000,000.00); the role was stored at sign-up, so taking the address off the list demoted nobody;
// and a stolen operator session could move money with nothing more. Now the role is a verified
// e-mail on the list, decided on every request; every money action (adjustment, statement import,
// deposit resolution, dispute resolution) needs a single-use code from the operator's authenticator app (TOTP), and
// each booked one lands in the append-only audit log with the request's id.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { withClient } from "../support/postgres.ts";
import { enrolTotp, signUp, signUpVerified, totpAt, type Client, startDeskProcess, type DeskProcess } from "./p2p-support.ts";

const OPERATOR = "ops@coinpays.test";
const SQUATTER = "night-ops@coinpays.test";

describe("the P2P operator role", () => {
  let desk: DeskProcess;
  const base = () => desk.base();
  const operatorsEnv = (operators: string) => ({ P2P_OPERATOR_EMAILS: operators });

  before(async () => {
    desk = await startDeskProcess("p2p_operator", operatorsEnv(`${OPERATOR},${SQUATTER}`));
  });
  after(async () => {
    await desk?.close();
  });

  const booked = () =>
    withClient(desk.database.url, async (c) => (await c.query(
      `select (select count(*) from p2p_ledger_transfers)::int as transfers, (select count(*) from p2p_operator_audit)::int as audit,
              (select count(*) from p2p_deposits)::int as deposits`,
    )).rows[0] as { transfers: number; audit: number; deposits: number });

  let operator: Client;
  let customer: Client;
  let customerId: string;

  it("an unverified account on the operator list is not an operator and cannot credit itself", async () => {
    const squatter = await signUp(base, SQUATTER);
    const me = await squatter.call("GET", "/api/p2p/me");
    assert.equal(me.json.user.role, "user");
    assert.equal((await squatter.call("GET", "/api/p2p/operator/overview")).status, 403);
    const before = await booked();
    const credit = await squatter.call(
      "POST",
      "/api/p2p/operator/adjustments",
      { userId: me.json.user.id, direction: "credit", amount: "1000000.00", reason: "mine now" },
      { "idempotency-key": randomUUID() },
    );
    assert.equal(credit.status, 403, JSON.stringify(credit.json));
    assert.equal((await squatter.call("POST", "/api/p2p/operator/totp", {})).status, 403);
    assert.deepEqual(await booked(), before);
    assert.equal((await squatter.call("GET", "/api/p2p/me")).json.balances.available, "0");
  });

  it("an operator money action without a valid authenticator code is refused and books nothing", async () => {
    operator = await signUpVerified(base, desk.database.url, OPERATOR);
    customer = await signUpVerified(base, desk.database.url, `customer-${randomUUID().slice(0, 6)}@example.com`);
    customerId = (await customer.call("GET", "/api/p2p/me")).json.user.id;
    assert.equal((await operator.call("GET", "/api/p2p/operator/overview")).status, 200);
    const before = await booked();
    const adjustment = (otp?: string) =>
      operator.call(
        "POST",
        "/api/p2p/operator/adjustments",
        { userId: customerId, direction: "credit", amount: "50.00", reason: "goodwill", ...(otp ? { otp } : {}) },
        { "idempotency-key": randomUUID() },
      );
    // Not enrolled yet: no code can pass.
    assert.equal((await adjustment()).status, 403);
    assert.equal((await adjustment("123456")).status, 403);
    const app = await enrolTotp(operator);
    const wrong = String((Number(totpAt(app.secret, Math.floor(Date.now() / 30_000))) + 1) % 1_000_000).padStart(6, "0");
    for (const otp of [undefined, wrong]) {
      const got = await adjustment(otp);
      assert.equal(got.status, 403, JSON.stringify(got.json));
      assert.equal(got.json.error.code, "forbidden");
    }
    // The other money actions ask for the code before anything else, too.
    const dispute = await operator.call("POST", `/api/p2p/operator/disputes/${randomUUID()}/resolve`, { outcome: "buyer", note: "for the buyer" });
    assert.equal(dispute.status, 403, JSON.stringify(dispute.json));
    const deposit = await operator.call("POST", `/api/p2p/operator/deposits/${randomUUID()}/resolve`, { userId: customerId });
    assert.equal(deposit.status, 403, JSON.stringify(deposit.json));
    const statement = "transfer_id,date,sender_email,amount,currency\nroom-1,2026-12-01T10:00:00Z,accomplice@game.example,999999.00,USD";
    const imported = await operator.call("POST", "/api/p2p/deposits/import", { format: "csv", content: statement });
    assert.equal(imported.status, 403, JSON.stringify(imported.json));
    assert.deepEqual(await booked(), before);
    assert.equal((await customer.call("GET", "/api/p2p/me")).json.balances.available, "0");

    // With a fresh code: booked, and audited with who, what, amount, target, reason and the request id.
    const ok = await adjustment(await app.next());
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    assert.equal((await customer.call("GET", "/api/p2p/me")).json.balances.available, "5000");
    const audit = await operator.call("GET", "/api/p2p/operator/audit");
    assert.equal(audit.status, 200);
    const entry = audit.json.audit[0];
    assert.equal(entry.operator_email, OPERATOR);
    assert.equal(entry.action, "adjustment");
    assert.equal(entry.amount, "5000");
    assert.equal(entry.target_user_id, customerId);
    assert.equal(entry.reason, "goodwill");
    assert.equal(entry.transfer_id, ok.json.adjustment.transferId);
    assert.equal(entry.request_id, ok.headers.get("x-request-id"));
    const page = await operator.call("GET", "/p2p/operator");
    assert.match(String(page.json.raw), /goodwill/);

    // The log is append-only, even for the database's own user.
    await assert.rejects(withClient(desk.database.url, (c) => c.query(`update p2p_operator_audit set amount = 1`)), /append-only/);
    await assert.rejects(withClient(desk.database.url, (c) => c.query(`delete from p2p_operator_audit`)), /append-only/);

    // The same code again (a replay, e.g. read over the operator's shoulder) is refused.
    const replay = await adjustment(app.replay());
    assert.equal(replay.status, 403, JSON.stringify(replay.json));
    assert.match(replay.json.error.message, /already used/);
    assert.equal((await customer.call("GET", "/api/p2p/me")).json.balances.available, "5000");
    assert.equal((await booked()).audit, before.audit + 1);
  });

  it("wrong authenticator codes are rate-limited per operator (429 with Retry-After)", async () => {
    let limited: Awaited<ReturnType<Client["call"]>> | undefined;
    for (let attempt = 0; attempt < 8 && !limited; attempt += 1) {
      const got = await operator.call(
        "POST",
        "/api/p2p/operator/adjustments",
        { userId: customerId, direction: "credit", amount: "1.00", reason: "guessing", otp: String(attempt).padStart(6, "0") },
        { "idempotency-key": randomUUID() },
      );
      if (got.status === 429) limited = got;
      else assert.equal(got.status, 403, JSON.stringify(got.json));
    }
    assert.ok(limited, "never rate-limited");
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
  });

  it("taking an address off P2P_OPERATOR_EMAILS demotes its session on the next request", async () => {
    await desk.restart(operatorsEnv(SQUATTER));
    const overview = await operator.call("GET", "/api/p2p/operator/overview");
    assert.equal(overview.status, 403, JSON.stringify(overview.json));
    assert.equal((await operator.call("GET", "/api/p2p/me")).json.user.role, "user");
  });
});
