// Ledger: balanced transfers, pending → post/void exactly once, idempotency, overdraft protection.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { checkInvariants } from "../../server/p2p/ledger/invariants.ts";
import { createTransfer, ensureAccount, getAccount, resolvePending } from "../../server/p2p/ledger/index.ts";
import { rows, type TxRunner } from "../../server/p2p/sql.ts";
import { openTestDatabase, type P2PTestDatabase } from "./support.ts";

describe("ledger", () => {
  let t: P2PTestDatabase;
  let db: TxRunner;
  before(async () => {
    t = await openTestDatabase("p2p_ledger");
    db = t.database.db as unknown as TxRunner;
    await ensureAccount(db, { code: "platform:game_room", currency: "VUSD", normal: "debit" });
    await ensureAccount(db, { code: "platform:commission:0", currency: "VUSD", normal: "credit" });
    await ensureAccount(db, { code: "a", currency: "VUSD", normal: "credit" });
    await ensureAccount(db, { code: "b", currency: "VUSD", normal: "credit" });
    await ensureAccount(db, { code: "rub", currency: "RUB", normal: "credit" });
    // The game-room total must be explained by deposits: record one for the seed transfer.
    await db.execute(sql`insert into p2p_deposits (external_id, sender_email, amount, currency, occurred_at, source, status)
                         values ('seed', 'seed@example.com', 10000, 'VUSD', now(), 'test', 'credited')`);
    await createTransfer(db, {
      idempotencyKey: "seed",
      kind: "posted",
      currency: "VUSD",
      reason: "deposit",
      legs: [
        { account: "platform:game_room", side: "debit", amount: 10_000n },
        { account: "a", side: "credit", amount: 9_800n },
        { account: "platform:commission:0", side: "credit", amount: 200n },
      ],
    });
  });
  after(async () => {
    await t?.close();
  });

  it("rejects unbalanced, empty, zero, negative and cross-currency transfers without writing anything", async () => {
    const before = await rows(db, sql`select count(*)::int as n from p2p_ledger_transfers`);
    const bad = [
      [{ account: "a", side: "debit", amount: 5n }, { account: "b", side: "credit", amount: 4n }],
      [{ account: "a", side: "debit", amount: 5n }],
      [{ account: "a", side: "debit", amount: 0n }, { account: "b", side: "credit", amount: 0n }],
      [{ account: "a", side: "debit", amount: -5n }, { account: "b", side: "credit", amount: -5n }],
    ] as const;
    for (const [i, legs] of bad.entries()) {
      await assert.rejects(
        db.transaction((tx) => createTransfer(tx, { idempotencyKey: `bad${i}`, kind: "posted", currency: "VUSD", reason: "x", legs: [...legs] })),
        { code: "invalid_input" },
      );
    }
    await assert.rejects(
      db.transaction((tx) =>
        createTransfer(tx, {
          idempotencyKey: "cross",
          kind: "posted",
          currency: "VUSD",
          reason: "x",
          legs: [
            { account: "a", side: "debit", amount: 1n },
            { account: "rub", side: "credit", amount: 1n },
          ],
        }),
      ),
      { code: "invalid_input" },
    );
    const afterCount = await rows(db, sql`select count(*)::int as n from p2p_ledger_transfers`);
    assert.deepEqual(afterCount, before);
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });

  it("never lets an account go below zero, counting pending debits", async () => {
    await db.transaction((tx) =>
      createTransfer(tx, {
        idempotencyKey: "hold",
        kind: "pending",
        currency: "VUSD",
        reason: "match",
        expiresAt: new Date(Date.now() + 60_000),
        legs: [
          { account: "a", side: "debit", amount: 9_000n },
          { account: "b", side: "credit", amount: 9_000n },
        ],
      }),
    );
    assert.equal((await getAccount(db, "a"))?.available, 800n);
    await assert.rejects(
      db.transaction((tx) =>
        createTransfer(tx, {
          idempotencyKey: "overdraw",
          kind: "posted",
          currency: "VUSD",
          reason: "x",
          legs: [
            { account: "a", side: "debit", amount: 801n },
            { account: "b", side: "credit", amount: 801n },
          ],
        }),
      ),
      { code: "insufficient_funds" },
    );
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });

  it("posts a pending transfer exactly once; a second post or void is refused; replay returns the original", async () => {
    const pending = await db.transaction((tx) =>
      createTransfer(tx, {
        idempotencyKey: "p1",
        kind: "pending",
        currency: "VUSD",
        reason: "match",
        expiresAt: new Date(Date.now() + 60_000),
        legs: [
          { account: "a", side: "debit", amount: 300n },
          { account: "b", side: "credit", amount: 300n },
        ],
      }),
    );
    const id = pending.transfer.id;
    const posted = await db.transaction((tx) => resolvePending(tx, { idempotencyKey: "p1:post", pendingId: id, outcome: "post", reason: "paid" }));
    assert.equal(posted.replayed, false);
    const again = await db.transaction((tx) => resolvePending(tx, { idempotencyKey: "p1:post", pendingId: id, outcome: "post", reason: "paid" }));
    assert.equal(again.replayed, true);
    assert.equal(again.transfer.id, posted.transfer.id);
    await assert.rejects(
      db.transaction((tx) => resolvePending(tx, { idempotencyKey: "p1:void", pendingId: id, outcome: "void", reason: "expired" })),
      { code: "already_resolved" },
    );
    // Concurrent resolutions of one pending transfer: exactly one wins.
    const p2 = await db.transaction((tx) =>
      createTransfer(tx, {
        idempotencyKey: "p2",
        kind: "pending",
        currency: "VUSD",
        reason: "match",
        expiresAt: new Date(Date.now() + 60_000),
        legs: [
          { account: "a", side: "debit", amount: 100n },
          { account: "b", side: "credit", amount: 100n },
        ],
      }),
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        db.transaction((tx) =>
          resolvePending(tx, { idempotencyKey: `p2:${i}`, pendingId: p2.transfer.id, outcome: i % 2 ? "post" : "void", reason: "race" }),
        ),
      ),
    );
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });

  it("refuses to post an expired pending transfer but voids it", async () => {
    const p = await db.transaction((tx) =>
      createTransfer(tx, {
        idempotencyKey: "p3",
        kind: "pending",
        currency: "VUSD",
        reason: "match",
        expiresAt: new Date(Date.now() - 1_000),
        legs: [
          { account: "a", side: "debit", amount: 50n },
          { account: "b", side: "credit", amount: 50n },
        ],
      }),
    );
    await assert.rejects(
      db.transaction((tx) => resolvePending(tx, { idempotencyKey: "p3:post", pendingId: p.transfer.id, outcome: "post", reason: "paid" })),
      { code: "pending_expired" },
    );
    await db.transaction((tx) => resolvePending(tx, { idempotencyKey: "p3:void", pendingId: p.transfer.id, outcome: "void", reason: "expired" }));
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });

  it("treats the same idempotency key with a different body as a conflict", async () => {
    const body = {
      kind: "posted" as const,
      currency: "VUSD",
      reason: "adjustment",
      legs: [
        { account: "a", side: "debit" as const, amount: 10n },
        { account: "b", side: "credit" as const, amount: 10n },
      ],
    };
    const first = await db.transaction((tx) => createTransfer(tx, { idempotencyKey: "k1", ...body }));
    const second = await db.transaction((tx) => createTransfer(tx, { idempotencyKey: "k1", ...body }));
    assert.equal(second.replayed, true);
    assert.equal(second.transfer.id, first.transfer.id);
    await assert.rejects(
      db.transaction((tx) =>
        createTransfer(tx, {
          idempotencyKey: "k1",
          ...body,
          legs: [
            { account: "a", side: "debit", amount: 11n },
            { account: "b", side: "credit", amount: 11n },
          ],
        }),
      ),
      { code: "idempotency_conflict" },
    );
    const report = await checkInvariants(db);
    assert.deepEqual(report.violations, []);
  });

  it("detects a tampered balance", async () => {
    await db.execute(sql`update p2p_ledger_accounts set credits_posted = credits_posted + 1 where code = 'b'`);
    const report = await checkInvariants(db);
    assert.equal(report.ok, false);
    await db.execute(sql`update p2p_ledger_accounts set credits_posted = credits_posted - 1 where code = 'b'`);
    assert.deepEqual((await checkInvariants(db)).violations, []);
  });
});
