-- A leaner single writer (docs/benchmarks.md, "P2P desk"). The desk's group-commit writer
-- (p2p_batch, migration 0003) was CPU-bound; a perf profile of its backend and auto_explain of the
-- statements it runs showed where the time went, and each change below answers one finding. The
-- rules of docs/p2p.md are unchanged: same checks, same errors, same lock order, same request hash.

-- 1. Planning: ≈ 20 % of the writer's time was the planner. PL/pgSQL kept choosing custom plans
--    (re-planned on every call) because the generic plan's estimate never looked cheaper. Every
--    statement a batch runs is a primary-key, unique-key or partial-index look-up, so plan once.
ALTER FUNCTION p2p_batch(jsonb) SET plan_cache_mode = force_generic_plan;
--> statement-breakpoint

-- 2. Foreign keys on hot rows. Each reservation insert key-share locked its request, API form and
--    seller, and each ledger leg its account. Inside a batch every operation is its own
--    subtransaction, so the next operation's lock or update of the same row made PostgreSQL create
--    a MultiXact, and every later read of the row (the FIFO scan of every match) resolved its
--    members: ≈ 5 % of the writer in GetMultiXactIdMembers, ≈ 7 % in the key checks themselves.
--    The references stay guaranteed without them:
--    - p2p_ledger_entries rows are written only by p2p_ledger_transfer, with the transfer it has just
--      inserted and account ids it has just looked up by code in the same transaction;
--    - p2p_reservations rows are written only by p2p_reserve, with the request it holds FOR UPDATE,
--      that request's seller and API form (the request's own foreign keys check those), and the
--      buyer's order (its foreign key checks the buyer);
--    - none of the referenced rows is ever deleted: the ledger is append-only and requests and orders
--      are closed, not removed. The triggers below make that a rule rather than a habit, and
--      checkInvariants() looks for orphans after every test scenario and benchmark run.
--    Cold references keep their keys (orders → users, requests → users and forms, disputes →
--    reservations).
ALTER TABLE "p2p_ledger_entries" DROP CONSTRAINT "p2p_ledger_entries_transfer_id_p2p_ledger_transfers_id_fk";--> statement-breakpoint
ALTER TABLE "p2p_ledger_entries" DROP CONSTRAINT "p2p_ledger_entries_account_id_p2p_ledger_accounts_id_fk";--> statement-breakpoint
ALTER TABLE "p2p_reservations" DROP CONSTRAINT "p2p_reservations_order_id_p2p_buyer_orders_id_fk";--> statement-breakpoint
ALTER TABLE "p2p_reservations" DROP CONSTRAINT "p2p_reservations_buyer_id_p2p_users_id_fk";--> statement-breakpoint
ALTER TABLE "p2p_reservations" DROP CONSTRAINT "p2p_reservations_request_id_p2p_withdrawal_requests_id_fk";--> statement-breakpoint
ALTER TABLE "p2p_reservations" DROP CONSTRAINT "p2p_reservations_seller_id_p2p_users_id_fk";--> statement-breakpoint
ALTER TABLE "p2p_reservations" DROP CONSTRAINT "p2p_reservations_api_form_id_p2p_api_forms_id_fk";--> statement-breakpoint

CREATE OR REPLACE FUNCTION p2p_refuse_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = format('%s rows are never deleted (ledger history and closed requests and orders are kept)', TG_TABLE_NAME);
END;
$$;
--> statement-breakpoint
-- Statement-level: nothing per inserted or updated row.
CREATE TRIGGER p2p_ledger_transfers_no_delete BEFORE DELETE OR TRUNCATE ON p2p_ledger_transfers FOR EACH STATEMENT EXECUTE FUNCTION p2p_refuse_delete();--> statement-breakpoint
CREATE TRIGGER p2p_ledger_accounts_no_delete BEFORE DELETE OR TRUNCATE ON p2p_ledger_accounts FOR EACH STATEMENT EXECUTE FUNCTION p2p_refuse_delete();--> statement-breakpoint
CREATE TRIGGER p2p_ledger_entries_no_delete BEFORE DELETE OR TRUNCATE ON p2p_ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION p2p_refuse_delete();--> statement-breakpoint
CREATE TRIGGER p2p_withdrawal_requests_no_delete BEFORE DELETE OR TRUNCATE ON p2p_withdrawal_requests FOR EACH STATEMENT EXECUTE FUNCTION p2p_refuse_delete();--> statement-breakpoint
CREATE TRIGGER p2p_buyer_orders_no_delete BEFORE DELETE OR TRUNCATE ON p2p_buyer_orders FOR EACH STATEMENT EXECUTE FUNCTION p2p_refuse_delete();--> statement-breakpoint

-- 3. Balances. The single `UPDATE … FROM (unnest … GROUP BY)` of migration 0002 was planned as a
--    hash join over a sequential scan of every account, and of every dead version of the hot ones,
--    for every transfer. Now the accounts are found by primary key (`id = ANY`), still locked in
--    ascending id order first (two transfers on the same accounts cannot deadlock), and updated by
--    one statement: one UPDATE per account would prepare the non-negative CHECK expression once
--    per statement, which the profile showed costs more than the update itself.
CREATE OR REPLACE FUNCTION p2p_ledger_apply(p_ids bigint[], p_sides text[], p_amounts numeric[], p_mode text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_ids bigint[];
  v_debits numeric[];
  v_credits numeric[];
  v_pending int := CASE p_mode WHEN 'pending' THEN 1 WHEN 'posted' THEN 0 ELSE -1 END;
  v_posted int := CASE WHEN p_mode IN ('posted', 'post') THEN 1 ELSE 0 END;
BEGIN
  SELECT array_agg(d.id ORDER BY d.id), array_agg(d.dm ORDER BY d.id), array_agg(d.cm ORDER BY d.id)
  INTO v_ids, v_debits, v_credits
  FROM (
    SELECT l.a AS id,
           coalesce(sum(l.m) FILTER (WHERE l.s = 'debit'), 0) AS dm,
           coalesce(sum(l.m) FILTER (WHERE l.s = 'credit'), 0) AS cm
    FROM unnest(p_ids, p_sides, p_amounts) AS l(a, s, m)
    GROUP BY l.a
  ) d;
  -- NO KEY UPDATE (what the UPDATE below takes anyway): it does not conflict with the KEY SHARE
  -- locks other tables' foreign keys to an account may take.
  PERFORM 1 FROM p2p_ledger_accounts WHERE id = ANY (v_ids) ORDER BY id FOR NO KEY UPDATE;
  UPDATE p2p_ledger_accounts SET
    debits_pending = debits_pending + v_pending * v_debits[array_position(v_ids, id)],
    credits_pending = credits_pending + v_pending * v_credits[array_position(v_ids, id)],
    debits_posted = debits_posted + v_posted * v_debits[array_position(v_ids, id)],
    credits_posted = credits_posted + v_posted * v_credits[array_position(v_ids, id)]
  WHERE id = ANY (v_ids);
END;
$$;
--> statement-breakpoint

-- Room on every page for the new versions of the hottest rows (seller on-sale and commission
-- accounts, withdrawal requests: updated by every match and post), so updates stay HOT (same page,
-- no new index entries) until pruning reclaims the old versions. Applies to pages written from now on.
ALTER TABLE p2p_ledger_accounts SET (fillfactor = 25);--> statement-breakpoint
ALTER TABLE p2p_withdrawal_requests SET (fillfactor = 25);--> statement-breakpoint

-- 4. Transfers: the legs are checked in one pass and their accounts looked up by code one unique-index
--    probe each (the join of migration 0002 was also planned as a sequential scan of all accounts).
--    Same checks, same order of errors, same messages; the request hash is byte for byte the one of
--    migration 0002, so a replay of a transfer recorded before this migration still replays.
CREATE OR REPLACE FUNCTION p2p_ledger_transfer(
  p_key text, p_kind text, p_currency text, p_reason text, p_expires_at timestamptz, p_metadata jsonb,
  p_accounts text[], p_sides text[], p_amounts numeric[]
) RETURNS TABLE (o_id bigint, o_replayed boolean, o_created_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_n int := coalesce(array_length(p_accounts, 1), 0);
  v_hash text;
  v_id bigint;
  v_created timestamptz;
  v_existing_hash text;
  v_ids bigint[] := '{}';
  v_missing text[] := '{}';
  v_foreign text[] := '{}';
  v_debits numeric := 0;
  v_credits numeric := 0;
  v_account bigint;
  v_account_currency text;
  v_side text;
  v_amount numeric;
BEGIN
  IF p_key IS NULL OR length(p_key) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = 'idempotency key must be 1-200 characters';
  END IF;
  IF p_kind NOT IN ('posted', 'pending') THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = 'a transfer is posted or pending';
  END IF;
  IF p_kind = 'posted' AND p_expires_at IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = 'only pending transfers expire';
  END IF;
  IF v_n < 2 OR coalesce(array_length(p_sides, 1), 0) <> v_n OR coalesce(array_length(p_amounts, 1), 0) <> v_n THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = 'a transfer needs at least two legs';
  END IF;
  FOR i IN 1 .. v_n LOOP
    v_side := p_sides[i];
    v_amount := p_amounts[i];
    IF v_side IS NULL OR v_side NOT IN ('debit', 'credit') OR v_amount IS NULL OR v_amount <= 0 OR v_amount <> trunc(v_amount) THEN
      RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = 'leg amounts must be positive integers and sides debit or credit';
    END IF;
    IF v_side = 'debit' THEN
      v_debits := v_debits + v_amount;
    ELSE
      v_credits := v_credits + v_amount;
    END IF;
  END LOOP;
  IF v_debits <> v_credits THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = 'transfer does not balance: debits differ from credits';
  END IF;

  -- Expiry as epoch seconds: independent of the session's time zone.
  v_hash := encode(sha256(convert_to(jsonb_build_object(
      'kind', p_kind, 'currency', p_currency, 'reason', p_reason,
      'expiresAt', extract(epoch FROM p_expires_at)::text,
      'legs', (SELECT jsonb_agg(jsonb_build_array(a, s, m::text) ORDER BY i)
               FROM unnest(p_accounts, p_sides, p_amounts) WITH ORDINALITY AS l(a, s, m, i))
    )::text, 'UTF8')), 'hex');

  INSERT INTO p2p_ledger_transfers AS t (idempotency_key, request_hash, kind, currency, reason, expires_at, metadata)
  VALUES (p_key, v_hash, p_kind, p_currency, p_reason, p_expires_at, coalesce(p_metadata, '{}'::jsonb))
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING t.id, t.created_at INTO v_id, v_created;
  IF v_id IS NULL THEN
    SELECT t.id, t.request_hash, t.created_at INTO v_id, v_existing_hash, v_created
    FROM p2p_ledger_transfers t WHERE t.idempotency_key = p_key;
    IF v_existing_hash IS DISTINCT FROM v_hash THEN
      RAISE EXCEPTION USING ERRCODE = 'P2P01', MESSAGE = format('idempotency key %s was already used for a different request', p_key);
    END IF;
    RETURN QUERY SELECT v_id, true, v_created;
    RETURN;
  END IF;

  FOR i IN 1 .. v_n LOOP
    v_account := NULL;
    SELECT a.id, a.currency INTO v_account, v_account_currency FROM p2p_ledger_accounts a WHERE a.code = p_accounts[i];
    IF v_account IS NULL THEN
      v_missing := v_missing || p_accounts[i];
    ELSIF v_account_currency <> p_currency THEN
      v_foreign := v_foreign || p_accounts[i];
    END IF;
    v_ids := v_ids || v_account;
  END LOOP;
  IF cardinality(v_missing) > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P02', MESSAGE = format('unknown ledger account(s): %s', array_to_string(v_missing, ', '));
  END IF;
  IF cardinality(v_foreign) > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = format('account(s) %s not in %s', array_to_string(v_foreign, ', '), p_currency);
  END IF;

  INSERT INTO p2p_ledger_entries (transfer_id, account_id, side, amount)
  SELECT v_id, l.a, l.s, l.m FROM unnest(v_ids, p_sides, p_amounts) AS l(a, s, m);
  PERFORM p2p_ledger_apply(v_ids, p_sides, p_amounts, p_kind);
  RETURN QUERY SELECT v_id, false, v_created;
END;
$$;
