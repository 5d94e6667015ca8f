// Ledger and desk invariants, recomputed from history. Tests call checkInvariants() after every
// scenario; the operator page shows the same report. Each violation is a human-readable line.
import { sql } from "drizzle-orm";
import { big, rows, type Executor } from "../sql.ts";

export type InvariantReport = { ok: boolean; violations: string[]; checked: Record<string, number> };

export async function checkInvariants(db: Executor): Promise<InvariantReport> {
  const violations: string[] = [];
  const checked: Record<string, number> = {};

  // 1. Every transfer with legs balances (debits = credits), and its legs are in its currency.
  const unbalanced = await rows<{ id: unknown; debits: unknown; credits: unknown }>(
    db,
    sql`select t.id, coalesce(sum(e.amount) filter (where e.side = 'debit'), 0) as debits,
               coalesce(sum(e.amount) filter (where e.side = 'credit'), 0) as credits
        from p2p_ledger_transfers t left join p2p_ledger_entries e on e.transfer_id = t.id
        where t.kind in ('posted', 'pending')
        group by t.id
        having coalesce(sum(e.amount) filter (where e.side = 'debit'), 0) <> coalesce(sum(e.amount) filter (where e.side = 'credit'), 0)
            or count(e.id) < 2`,
  );
  for (const u of unbalanced) violations.push(`transfer ${u.id} does not balance: debits ${u.debits}, credits ${u.credits}`);
  const wrongCurrency = await rows<{ transfer_id: unknown }>(
    db,
    sql`select e.transfer_id from p2p_ledger_entries e join p2p_ledger_transfers t on t.id = e.transfer_id
        join p2p_ledger_accounts a on a.id = e.account_id where a.currency <> t.currency`,
  );
  for (const w of wrongCurrency) violations.push(`transfer ${w.transfer_id} has a leg in another currency`);
  const legsOnResolutions = await rows<{ id: unknown }>(
    db,
    sql`select t.id from p2p_ledger_transfers t join p2p_ledger_entries e on e.transfer_id = t.id where t.kind in ('post','void') limit 5`,
  );
  for (const l of legsOnResolutions) violations.push(`post/void transfer ${l.id} has legs of its own`);

  // 2. Cached account balances equal the sums recomputed from the transfer history; pending sums are
  //    exactly the open (unresolved) pending transfers.
  const mismatched = await rows<Record<string, unknown>>(
    db,
    sql`with legs as (
          select e.account_id, e.side, e.amount,
                 case when t.kind = 'posted' then 'posted'
                      when r.kind = 'post' then 'posted'
                      when r.kind = 'void' then 'voided'
                      else 'pending' end as state
          from p2p_ledger_entries e
          join p2p_ledger_transfers t on t.id = e.transfer_id
          left join p2p_ledger_transfers r on r.pending_id = t.id
        ), sums as (
          select account_id,
                 coalesce(sum(amount) filter (where side = 'debit' and state = 'pending'), 0) as dpe,
                 coalesce(sum(amount) filter (where side = 'debit' and state = 'posted'), 0) as dpo,
                 coalesce(sum(amount) filter (where side = 'credit' and state = 'pending'), 0) as cpe,
                 coalesce(sum(amount) filter (where side = 'credit' and state = 'posted'), 0) as cpo
          from legs group by account_id
        )
        select a.code, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted,
               coalesce(s.dpe, 0) as dpe, coalesce(s.dpo, 0) as dpo, coalesce(s.cpe, 0) as cpe, coalesce(s.cpo, 0) as cpo
        from p2p_ledger_accounts a left join sums s on s.account_id = a.id
        where a.debits_pending <> coalesce(s.dpe, 0) or a.debits_posted <> coalesce(s.dpo, 0)
           or a.credits_pending <> coalesce(s.cpe, 0) or a.credits_posted <> coalesce(s.cpo, 0)`,
  );
  for (const m of mismatched) {
    violations.push(
      `account ${m.code} balances (dp ${m.debits_pending}/${m.debits_posted}, cp ${m.credits_pending}/${m.credits_posted}) ` +
        `differ from history (dp ${m.dpe}/${m.dpo}, cp ${m.cpe}/${m.cpo})`,
    );
  }

  // 3. No account below zero unless it is allowed to be.
  const negative = await rows<{ code: string }>(
    db,
    sql`select code from p2p_ledger_accounts where not allow_negative and
          (case when normal = 'credit' then credits_posted - debits_posted - debits_pending
                else debits_posted - credits_posted - credits_pending end) < 0`,
  );
  for (const n of negative) violations.push(`account ${n.code} is below zero`);

  // 4. Trial balance: per currency, posted debits = posted credits and pending debits = pending credits.
  const trial = await rows<Record<string, unknown>>(
    db,
    sql`select currency, sum(debits_posted) as dpo, sum(credits_posted) as cpo, sum(debits_pending) as dpe, sum(credits_pending) as cpe
        from p2p_ledger_accounts group by currency`,
  );
  for (const t of trial) {
    if (big(t.dpo) !== big(t.cpo)) violations.push(`${t.currency}: posted debits ${t.dpo} ≠ posted credits ${t.cpo}`);
    if (big(t.dpe) !== big(t.cpe)) violations.push(`${t.currency}: pending debits ${t.dpe} ≠ pending credits ${t.cpe}`);
  }

  // 5. total = deposits − withdrawals: what the platform holds in the game room (debit-normal
  //    platform:game_room) equals credited deposits minus payouts back to the game room, and equals
  //    everything owed to users plus the platform's commission (all credit-normal balances).
  const [totals] = await rows<Record<string, unknown>>(
    db,
    sql`select
          (select coalesce(sum(amount), 0) from p2p_deposits where status = 'credited') as deposits,
          (select coalesce(sum(e.amount), 0) from p2p_ledger_entries e join p2p_ledger_transfers t on t.id = e.transfer_id
             join p2p_ledger_accounts a on a.id = e.account_id
             where t.reason = 'game_payout' and a.code = 'platform:game_room' and e.side = 'credit') as withdrawals,
          (select coalesce(sum(debits_posted - credits_posted), 0) from p2p_ledger_accounts where code = 'platform:game_room') as held,
          (select coalesce(sum(debits_posted - credits_posted), 0) from p2p_ledger_accounts
             where normal = 'debit' and code <> 'platform:game_room') as receivable,
          (select coalesce(sum(credits_posted - debits_posted), 0) from p2p_ledger_accounts where normal = 'credit') as owed`,
  );
  if (totals) {
    const expected = big(totals.deposits) - big(totals.withdrawals);
    if (big(totals.held) !== expected) violations.push(`game room holdings ${totals.held}, deposits − withdrawals = ${expected}`);
    // Receivables (what users owe after a claw-back took more than they had) are the only other asset.
    const assets = big(totals.held) + big(totals.receivable);
    if (big(totals.owed) !== assets) violations.push(`credit balances ${totals.owed} ≠ game room holdings ${totals.held} + receivables ${totals.receivable}`);
  }

  // 6. Desk: reservations and their ledger transfers agree; request reservations equal open pending
  //    reservations; a seller's on-sale balance is exactly what their requests still offer.
  const reservationMismatch = await rows<{ id: string; status: string; outcome: string | null }>(
    db,
    sql`select r.id, r.status, t.kind as outcome from p2p_reservations r
        left join p2p_ledger_transfers t on t.pending_id = r.pending_transfer_id
        where (r.status = 'pending' and t.id is not null)
           or (r.status = 'posted' and (t.kind is distinct from 'post'))
           or (r.status = 'voided' and (t.kind is distinct from 'void'))`,
  );
  for (const r of reservationMismatch) violations.push(`reservation ${r.id} is ${r.status} but its ledger outcome is ${r.outcome ?? "open"}`);
  const requestMismatch = await rows<{ id: string; reserved: unknown; open: unknown }>(
    db,
    sql`select q.id, q.reserved, coalesce(sum(r.amount) filter (where r.status = 'pending'), 0) as open
        from p2p_withdrawal_requests q left join p2p_reservations r on r.request_id = q.id
        group by q.id having q.reserved <> coalesce(sum(r.amount) filter (where r.status = 'pending'), 0)`,
  );
  for (const q of requestMismatch) violations.push(`request ${q.id} says ${q.reserved} reserved, open reservations hold ${q.open}`);
  const onSaleMismatch = await rows<{ code: string; available: unknown; remaining: unknown; pending: unknown; reserved: unknown }>(
    db,
    sql`select a.code, a.credits_posted - a.debits_posted - a.debits_pending as available, a.debits_pending as pending,
               coalesce(q.remaining, 0) as remaining, coalesce(q.reserved, 0) as reserved
        from p2p_ledger_accounts a
        left join (select user_id, sum(remaining) as remaining, sum(reserved) as reserved from p2p_withdrawal_requests group by user_id) q
          on a.code = 'user:' || q.user_id || ':on_sale'
        where a.code like '%:on_sale'
          and (a.credits_posted - a.debits_posted - a.debits_pending <> coalesce(q.remaining, 0) or a.debits_pending <> coalesce(q.reserved, 0))`,
  );
  for (const o of onSaleMismatch) {
    violations.push(`${o.code}: available ${o.available} / pending ${o.pending} ≠ requests remaining ${o.remaining} / reserved ${o.reserved}`);
  }

  // 7. Disputes: the dispute account holds exactly the open disputes' holds, a resolved dispute holds
  //    nothing, and each request's frozen amount is what its open frozen disputes hold.
  const [held] = await rows<{ account: unknown; open: unknown }>(
    db,
    sql`select (select coalesce(sum(credits_posted - debits_posted - debits_pending), 0) from p2p_ledger_accounts
                where code = 'platform:disputes') as account,
               (select coalesce(sum(hold_amount), 0) from p2p_disputes where status = 'open') as open`,
  );
  if (held && big(held.account) !== big(held.open)) violations.push(`dispute account holds ${held.account}, open disputes ${held.open}`);
  const heldWithoutTransfer = await rows<{ id: string }>(
    db,
    sql`select id from p2p_disputes where hold_amount > 0 and (open_transfer_id is null or (status <> 'open' and resolution_transfer_id is null))`,
  );
  for (const d of heldWithoutTransfer) violations.push(`dispute ${d.id} holds money without the transfers that moved it`);
  const frozenMismatch = await rows<{ id: string; frozen: unknown; held: unknown }>(
    db,
    sql`select q.id, q.frozen, coalesce(sum(d.hold_amount), 0) as held
        from p2p_withdrawal_requests q
        left join p2p_reservations r on r.request_id = q.id
        left join p2p_disputes d on d.reservation_id = r.id and d.status = 'open' and d.reason <> 'clawback'
        group by q.id having q.frozen <> coalesce(sum(d.hold_amount), 0)`,
  );
  for (const q of frozenMismatch) violations.push(`request ${q.id} says ${q.frozen} frozen, its open disputes hold ${q.held}`);

  // 8. References the hot tables no longer check with foreign keys (migrations 0004 and 0005): every
  //    leg has its transfer and account, every reservation its order, buyer, request, and the request's
  //    seller and API form, every order its buyer.
  const orphanLegs = await rows<{ id: unknown }>(
    db,
    sql`select e.id from p2p_ledger_entries e
        where not exists (select 1 from p2p_ledger_transfers t where t.id = e.transfer_id)
           or not exists (select 1 from p2p_ledger_accounts a where a.id = e.account_id) limit 20`,
  );
  for (const o of orphanLegs) violations.push(`ledger entry ${o.id} refers to a transfer or account that does not exist`);
  const orphanReservations = await rows<{ id: string }>(
    db,
    sql`select r.id from p2p_reservations r
        left join p2p_withdrawal_requests q on q.id = r.request_id
        left join p2p_buyer_orders o on o.id = r.order_id
        where q.id is null or o.id is null or o.user_id <> r.buyer_id or q.user_id <> r.seller_id or q.api_form_id <> r.api_form_id
        limit 20`,
  );
  for (const o of orphanReservations) violations.push(`reservation ${o.id} does not match an existing order and request`);
  // Orders lost their buyer's foreign key in migration 0005.
  const orphanOrders = await rows<{ id: string }>(
    db,
    sql`select o.id from p2p_buyer_orders o where not exists (select 1 from p2p_users u where u.id = o.user_id) limit 20`,
  );
  for (const o of orphanOrders) violations.push(`order ${o.id} belongs to a user that does not exist`);

  const [counts] = await rows<Record<string, unknown>>(
    db,
    sql`select (select count(*) from p2p_ledger_transfers) as transfers, (select count(*) from p2p_ledger_accounts) as accounts,
               (select count(*) from p2p_reservations) as reservations`,
  );
  for (const [k, v] of Object.entries(counts ?? {})) checked[k] = Number(v);
  return { ok: violations.length === 0, violations, checked };
}
