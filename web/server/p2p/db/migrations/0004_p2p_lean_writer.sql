-- A leaner single writer (docs/benchmarks.md, "P2P desk"). The desk's group-commit writer
-- (p2p_batch, migration 0003) was CPU-bound; a perf profile of its backend and auto_explain of the
-- statements it runs showed where the time went, and each change below answers one finding. The
-- rules of docs/p2p.md are unchanged: same checks, same errors, same lock order, same request hash,
-- same results; only how much work carries them changes. In the order of the file:
-- 1. foreign keys off the hot rows, 2. fewer statements per operation, 3. balances by primary key,
-- 4. transfers in one pass, 5. a batch in one subtransaction, planned once.

-- 1. Foreign keys on hot rows. Each reservation insert key-share locked its request, API form and
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

-- Room on every page for the new versions of the hottest rows (seller on-sale and commission
-- accounts, withdrawal requests: updated by every match and post), so updates stay HOT (same page,
-- no new index entries) until pruning reclaims the old versions. Applies to pages written from now on.
ALTER TABLE p2p_ledger_accounts SET (fillfactor = 25);--> statement-breakpoint
ALTER TABLE p2p_withdrawal_requests SET (fillfactor = 25);--> statement-breakpoint

-- 2. Statements: with the rest of this migration in place, about a third of the writer's profile was
--    starting and ending executor runs, one per SQL statement a PL/pgSQL function runs (≈ 40 per
--    matcher cycle). The functions below do the same work in ≈ 27: same checks, errors, request hash,
--    lock order (reservation → request → accounts in ascending id) and results. Calls between them
--    are assignments (`r := f(…)`, evaluated as expressions) instead of `SELECT … FROM f(…)`
--    statements where the callee returns one row.

-- 3. Balances. The single `UPDATE … FROM (unnest … GROUP BY)` of migration 0002 was planned as a
--    hash join over a sequential scan of every account, and of every dead version of the hot ones,
--    for every transfer. Now the accounts are found by primary key (`id = ANY`), still locked in
--    ascending id order first (two transfers on the same accounts cannot deadlock), and updated by
--    one statement: one UPDATE per account would prepare the non-negative CHECK expression once
--    per statement, which the profile showed costs more than the update itself. The new values come
--    from the legs of each account (a correlated sub-select: no aggregation statement first).
CREATE OR REPLACE FUNCTION p2p_ledger_apply(p_ids bigint[], p_sides text[], p_amounts numeric[], p_mode text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_pending int := CASE p_mode WHEN 'pending' THEN 1 WHEN 'posted' THEN 0 ELSE -1 END;
  v_posted int := CASE WHEN p_mode IN ('posted', 'post') THEN 1 ELSE 0 END;
BEGIN
  -- NO KEY UPDATE (what the UPDATE below takes anyway): it does not conflict with the KEY SHARE
  -- locks other tables' foreign keys to an account may take.
  PERFORM 1 FROM p2p_ledger_accounts WHERE id = ANY (p_ids) ORDER BY id FOR NO KEY UPDATE;
  UPDATE p2p_ledger_accounts acc SET (debits_pending, credits_pending, debits_posted, credits_posted) = (
    SELECT acc.debits_pending + v_pending * d.dm, acc.credits_pending + v_pending * d.cm,
           acc.debits_posted + v_posted * d.dm, acc.credits_posted + v_posted * d.cm
    FROM (SELECT coalesce(sum(l.m) FILTER (WHERE l.s = 'debit'), 0) AS dm,
                 coalesce(sum(l.m) FILTER (WHERE l.s = 'credit'), 0) AS cm
          FROM unnest(p_ids, p_sides, p_amounts) AS l(a, s, m) WHERE l.a = acc.id) d)
  WHERE acc.id = ANY (p_ids);
END;
$$;
--> statement-breakpoint

-- The same for a recorded transfer's legs (posting or voiding a pending transfer). The legs are
-- read into arrays by the transfer's own index first: a statement filtering entries by transfer and
-- account together was planned as a BitmapAnd that also read every entry of the (hot) account.
CREATE OR REPLACE FUNCTION p2p_ledger_apply_transfer(p_transfer_id bigint, p_mode text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_ids bigint[];
  v_sides text[];
  v_amounts numeric[];
BEGIN
  SELECT array_agg(e.account_id ORDER BY e.id), array_agg(e.side ORDER BY e.id), array_agg(e.amount ORDER BY e.id)
  INTO v_ids, v_sides, v_amounts
  FROM p2p_ledger_entries e WHERE e.transfer_id = p_transfer_id;
  PERFORM p2p_ledger_apply(v_ids, v_sides, v_amounts, p_mode);
END;
$$;
--> statement-breakpoint

-- 4. Transfers: the legs are checked in one pass and their accounts looked up by code one unique-index
--    probe each (the join of migration 0002 was also planned as a sequential scan of all accounts).
--    Same checks, same order of errors, same messages; the request hash is byte for byte the one of
--    migration 0002, so a replay of a transfer recorded before this migration still replays. The
--    request hash and the account look-ups are one statement (a lateral sub-select kept apart with
--    OFFSET 0, so each leg is one probe of the unique code index). An unknown or foreign account is
--    still reported only after the idempotency check, as before.
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
  v_ids bigint[];
  v_missing text[];
  v_foreign text[];
  v_debits numeric := 0;
  v_credits numeric := 0;
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

  -- The hash is byte for byte migration 0002's (legs in order; expiry as epoch seconds, independent
  -- of the session's time zone), so a replay of a transfer recorded before still replays.
  SELECT encode(sha256(convert_to(jsonb_build_object(
             'kind', p_kind, 'currency', p_currency, 'reason', p_reason,
             'expiresAt', extract(epoch FROM p_expires_at)::text,
             'legs', jsonb_agg(jsonb_build_array(l.code, l.s, l.m::text) ORDER BY l.i)
           )::text, 'UTF8')), 'hex'),
         array_agg(a.id ORDER BY l.i),
         array_agg(l.code ORDER BY l.i) FILTER (WHERE a.id IS NULL),
         array_agg(l.code ORDER BY l.i) FILTER (WHERE a.currency <> p_currency)
  INTO v_hash, v_ids, v_missing, v_foreign
  FROM unnest(p_accounts, p_sides, p_amounts) WITH ORDINALITY AS l(code, s, m, i)
  LEFT JOIN LATERAL (SELECT acc.id, acc.currency FROM p2p_ledger_accounts acc WHERE acc.code = l.code OFFSET 0) a ON true;

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
  IF v_missing IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P02', MESSAGE = format('unknown ledger account(s): %s', array_to_string(v_missing, ', '));
  END IF;
  IF v_foreign IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = format('account(s) %s not in %s', array_to_string(v_foreign, ', '), p_currency);
  END IF;

  INSERT INTO p2p_ledger_entries (transfer_id, account_id, side, amount)
  SELECT v_id, l.a, l.s, l.m FROM unnest(v_ids, p_sides, p_amounts) AS l(a, s, m);
  PERFORM p2p_ledger_apply(v_ids, p_sides, p_amounts, p_kind);
  RETURN QUERY SELECT v_id, false, v_created;
END;
$$;
--> statement-breakpoint

-- Resolution: the idempotency key's transfer and the pending transfer in one look-up statement,
-- and the legs applied straight from the pending transfer's entries.
CREATE OR REPLACE FUNCTION p2p_ledger_resolve(
  p_key text, p_pending_id bigint, p_outcome text, p_reason text, p_at timestamptz, p_metadata jsonb
) RETURNS TABLE (o_id bigint, o_replayed boolean, o_created_at timestamptz, o_currency text)
LANGUAGE plpgsql AS $$
DECLARE
  v_hash text;
  v_id bigint;
  v_created timestamptz;
  v_existing_hash text;
  v_existing_currency text;
  v_kind text;
  v_currency text;
  v_expires timestamptz;
BEGIN
  IF p_outcome NOT IN ('post', 'void') THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = 'a pending transfer is posted or voided';
  END IF;
  v_hash := encode(sha256(convert_to(jsonb_build_object('outcome', p_outcome, 'pendingId', p_pending_id::text, 'reason', p_reason)::text, 'UTF8')), 'hex');

  SELECT t.id, t.request_hash, t.created_at, t.currency, p.kind, p.currency, p.expires_at
  INTO v_id, v_existing_hash, v_created, v_existing_currency, v_kind, v_currency, v_expires
  FROM (SELECT 1) AS one
  LEFT JOIN p2p_ledger_transfers t ON t.idempotency_key = p_key
  LEFT JOIN p2p_ledger_transfers p ON p.id = p_pending_id;
  IF v_id IS NOT NULL THEN
    IF v_existing_hash IS DISTINCT FROM v_hash THEN
      RAISE EXCEPTION USING ERRCODE = 'P2P01', MESSAGE = format('idempotency key %s was already used for a different request', p_key);
    END IF;
    RETURN QUERY SELECT v_id, true, v_created, v_existing_currency;
    RETURN;
  END IF;
  IF v_kind IS DISTINCT FROM 'pending' THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P02', MESSAGE = format('pending transfer %s not found', p_pending_id);
  END IF;
  IF p_outcome = 'post' AND v_expires IS NOT NULL AND p_at > v_expires THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P04', MESSAGE = format('pending transfer %s expired at %s', p_pending_id, v_expires);
  END IF;

  INSERT INTO p2p_ledger_transfers AS t (idempotency_key, request_hash, kind, pending_id, currency, reason, metadata)
  VALUES (p_key, v_hash, p_outcome, p_pending_id, v_currency, p_reason, coalesce(p_metadata, '{}'::jsonb))
  ON CONFLICT DO NOTHING
  RETURNING t.id, t.created_at INTO v_id, v_created;
  IF v_id IS NULL THEN
    -- Lost a race: the same key (a replay) or another resolution of the same pending transfer.
    SELECT t.id, t.request_hash, t.created_at INTO v_id, v_existing_hash, v_created
    FROM p2p_ledger_transfers t WHERE t.idempotency_key = p_key;
    IF v_id IS NOT NULL AND v_existing_hash = v_hash THEN
      RETURN QUERY SELECT v_id, true, v_created, v_currency;
      RETURN;
    ELSIF v_id IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'P2P01', MESSAGE = format('idempotency key %s was already used for a different request', p_key);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'P2P05', MESSAGE = format('pending transfer %s is already resolved', p_pending_id);
  END IF;

  PERFORM p2p_ledger_apply_transfer(p_pending_id, p_outcome);
  RETURN QUERY SELECT v_id, false, v_created, v_currency;
END;
$$;
--> statement-breakpoint

-- Reserves p_amount of a request the caller holds FOR UPDATE (q is its row as locked): pending
-- ledger transfer (seller's on-sale → buyer and commission) + reservation row + the request's
-- remaining/reserved. The fiat price is rounded up, as fiatOf in server/p2p/formats.ts.
CREATE OR REPLACE FUNCTION p2p_reserve_locked(
  q p2p_withdrawal_requests, p_order_id uuid, p_buyer_id uuid, p_provider text, p_amount numeric, p_fee numeric,
  p_commission_account text, p_reservation_id uuid, p_expires_at timestamptz, p_fiat_currency text
) RETURNS p2p_reservations
LANGUAGE plpgsql AS $$
DECLARE
  r p2p_reservations;
  v_transfer bigint;
  v_accounts text[] := ARRAY['user:' || q.user_id || ':on_sale'];
  v_sides text[] := ARRAY['debit'];
  v_amounts numeric[] := ARRAY[p_amount];
BEGIN
  IF p_amount - p_fee > 0 THEN
    v_accounts := v_accounts || ('user:' || p_buyer_id || ':available');
    v_sides := v_sides || 'credit'::text;
    v_amounts := v_amounts || (p_amount - p_fee);
  END IF;
  IF p_fee > 0 THEN
    v_accounts := v_accounts || p_commission_account;
    v_sides := v_sides || 'credit'::text;
    v_amounts := v_amounts || p_fee;
  END IF;
  SELECT o_id INTO v_transfer FROM p2p_ledger_transfer('match:' || p_reservation_id, 'pending', q.currency, 'match', p_expires_at,
    jsonb_build_object('reservationId', p_reservation_id, 'orderId', p_order_id, 'requestId', q.id),
    v_accounts, v_sides, v_amounts);
  UPDATE p2p_withdrawal_requests SET remaining = remaining - p_amount, reserved = reserved + p_amount WHERE id = q.id;
  INSERT INTO p2p_reservations (id, order_id, buyer_id, request_id, seller_id, api_form_id, provider, amount, fee, fiat_amount,
                                fiat_currency, pending_transfer_id, expires_at)
  VALUES (p_reservation_id, p_order_id, p_buyer_id, q.id, q.user_id, q.api_form_id, p_provider, p_amount, p_fee,
          div(p_amount * q.rate + 99, 100), p_fiat_currency, v_transfer, p_expires_at)
  RETURNING * INTO r;
  RETURN r;
END;
$$;
--> statement-breakpoint

-- p2p_reserve keeps its signature (server/p2p/desk.ts re-reserves a late payment with it).
CREATE OR REPLACE FUNCTION p2p_reserve(
  p_request_id uuid, p_order_id uuid, p_buyer_id uuid, p_provider text, p_amount numeric, p_fee numeric,
  p_commission_account text, p_reservation_id uuid, p_expires_at timestamptz, p_fiat_currency text
) RETURNS SETOF p2p_reservations
LANGUAGE plpgsql AS $$
DECLARE
  q p2p_withdrawal_requests;
BEGIN
  SELECT * INTO q FROM p2p_withdrawal_requests WHERE id = p_request_id FOR UPDATE;
  RETURN NEXT p2p_reserve_locked(q, p_order_id, p_buyer_id, p_provider, p_amount, p_fee, p_commission_account,
                                 p_reservation_id, p_expires_at, p_fiat_currency);
END;
$$;
--> statement-breakpoint

-- The matcher, as migration 0002's, now returning one row (all NULL when there is none) and taking
-- the FIFO head's whole row with its lock instead of locking it a second time to read it.
DROP FUNCTION p2p_match(uuid, uuid, text, text, numeric, text, text, text, boolean, uuid[], numeric, text, uuid, timestamptz);
--> statement-breakpoint
CREATE FUNCTION p2p_match(
  p_order_id uuid, p_buyer_id uuid, p_currency text, p_fiat_currency text, p_amount numeric, p_method text,
  p_idempotency_key text, p_request_hash text, p_create_order boolean, p_excluded_forms uuid[],
  p_fee numeric, p_commission_account text, p_reservation_id uuid, p_expires_at timestamptz
) RETURNS p2p_reservations
LANGUAGE plpgsql AS $$
DECLARE
  q p2p_withdrawal_requests;
BEGIN
  IF p_create_order THEN
    INSERT INTO p2p_buyer_orders (id, user_id, currency, fiat_currency, amount, method, status, idempotency_key, request_hash)
    VALUES (p_order_id, p_buyer_id, p_currency, p_fiat_currency, p_amount, p_method, 'reserved', p_idempotency_key, p_request_hash)
    ON CONFLICT (user_id, idempotency_key) DO NOTHING;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
  END IF;
  SELECT q1.* INTO q
  FROM p2p_withdrawal_requests q1 JOIN p2p_api_forms f ON f.id = q1.api_form_id
  WHERE q1.status = 'open' AND q1.remaining >= p_amount AND q1.min_per_buyer <= p_amount AND q1.max_per_buyer >= p_amount
    AND f.status = 'active' AND f.provider = p_method AND q1.user_id <> p_buyer_id
    AND NOT (q1.api_form_id = ANY (coalesce(p_excluded_forms, '{}'::uuid[])))
  ORDER BY q1.queue_seq
  LIMIT 1
  FOR UPDATE OF q1 SKIP LOCKED;
  IF q.id IS NULL THEN
    IF p_create_order THEN
      RAISE EXCEPTION USING ERRCODE = 'P2P06', MESSAGE = 'no seller can serve this amount now';
    END IF;
    UPDATE p2p_buyer_orders SET status = 'failed' WHERE id = p_order_id;
    RETURN NULL;
  END IF;
  RETURN p2p_reserve_locked(q, p_order_id, p_buyer_id, p_method, p_amount, p_fee, p_commission_account,
                            p_reservation_id, p_expires_at, p_fiat_currency);
END;
$$;
--> statement-breakpoint

-- Posting: the request's new state comes back from its UPDATE, so p2p_request_settle (which locks
-- and reads the request again) runs only when the request may have to close.
CREATE OR REPLACE FUNCTION p2p_reservation_post(p_reservation_id uuid, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  r p2p_reservations;
  v_transfer bigint;
  v_status text;
  v_reserved numeric;
  v_remaining numeric;
  v_min numeric;
BEGIN
  SELECT * INTO r FROM p2p_reservations WHERE id = p_reservation_id FOR UPDATE;
  IF r.id IS NULL OR r.status <> 'pending' THEN
    RETURN false;
  END IF;
  PERFORM 1 FROM p2p_withdrawal_requests WHERE id = r.request_id FOR UPDATE;
  SELECT o_id INTO v_transfer FROM p2p_ledger_resolve('match:' || r.id || ':post', r.pending_transfer_id, 'post', 'paid', p_at, '{}'::jsonb);
  UPDATE p2p_reservations SET status = 'posted', resolution_transfer_id = v_transfer, resolved_at = p_at WHERE id = r.id;
  UPDATE p2p_withdrawal_requests SET reserved = reserved - r.amount, filled = filled + r.amount WHERE id = r.request_id
  RETURNING status, reserved, remaining, min_per_buyer INTO v_status, v_reserved, v_remaining, v_min;
  -- p2p_request_settle's own conditions: nothing reserved, and closing or left with dust.
  IF v_reserved = 0 AND (v_status = 'closing' OR (v_status IN ('open', 'suspended') AND v_remaining < v_min)) THEN
    PERFORM p2p_request_settle(r.request_id);
  END IF;
  UPDATE p2p_buyer_orders SET status = 'paid' WHERE id = r.order_id;
  RETURN true;
END;
$$;
--> statement-breakpoint

-- A reservation as the batch returns it: every value as text (numeric(38,0) amounts must not pass
-- through a JSON number), timestamps as to_jsonb writes them. Migration 0003's generic form
-- (jsonb_each over to_jsonb, re-aggregated) was a statement per operation; this is one expression.
-- test/p2p/write-batch.test.ts checks that both forms agree, so a new column cannot be forgotten.
CREATE OR REPLACE FUNCTION p2p_reservation_json(r p2p_reservations) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
  RETURN jsonb_build_object(
    'id', r.id, 'order_id', r.order_id, 'buyer_id', r.buyer_id, 'request_id', r.request_id, 'seller_id', r.seller_id,
    'api_form_id', r.api_form_id, 'provider', r.provider, 'amount', r.amount::text, 'fee', r.fee::text,
    'fiat_amount', r.fiat_amount::text, 'fiat_currency', r.fiat_currency, 'pending_transfer_id', r.pending_transfer_id::text,
    'resolution_transfer_id', r.resolution_transfer_id::text, 'invoice_id', r.invoice_id, 'payment_url', r.payment_url,
    'status', r.status, 'void_reason', r.void_reason, 'expires_at', to_jsonb(r.expires_at), 'resolved_at', to_jsonb(r.resolved_at),
    'created_at', to_jsonb(r.created_at));
END;
$$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION p2p_batch_op(op jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  r p2p_reservations;
BEGIN
  CASE op->>'op'
    WHEN 'match' THEN
      r := p2p_match((op->>'orderId')::uuid, (op->>'buyerId')::uuid, op->>'currency', op->>'fiatCurrency',
        (op->>'amount')::numeric, op->>'method', op->>'idempotencyKey', op->>'requestHash', (op->>'createOrder')::boolean,
        ARRAY(SELECT jsonb_array_elements_text(op->'excludedForms'))::uuid[], (op->>'fee')::numeric, op->>'commissionAccount',
        (op->>'reservationId')::uuid, (op->>'expiresAt')::timestamptz);
      IF r.id IS NULL THEN
        RETURN NULL;
      END IF;
      RETURN p2p_reservation_json(r);
    WHEN 'invoice' THEN
      UPDATE p2p_reservations SET invoice_id = op->>'invoiceId', payment_url = op->>'paymentUrl'
       WHERE id = (op->>'id')::uuid RETURNING * INTO r;
      IF r.id IS NULL THEN
        RETURN NULL;
      END IF;
      RETURN p2p_reservation_json(r);
    WHEN 'post' THEN
      RETURN to_jsonb(p2p_reservation_post((op->>'id')::uuid, (op->>'at')::timestamptz));
    ELSE
      RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = format('unknown batch operation %s', op->>'op');
  END CASE;
END;
$$;
--> statement-breakpoint

-- 5. Group commit without a subtransaction per operation.
--
-- Migration 0003 ran each operation of a batch in its own subtransaction so one refusal rolled back
-- only that operation. The price showed in the writer's profile: a row changed by one
-- subtransaction and then locked or changed by another of the same transaction (a seller's request
-- and on-sale account, a commission shard: every match and post of a batch touches them) gets a
-- MultiXact as its xmax, and every later look at the row resolves its members (≈ 6 % of the writer
-- in GetMultiXactIdMembers, and more in visibility checks over ≈ 300 subtransaction ids).
--
-- Now a batch first runs all its operations in one subtransaction. Refusals are rare on the hot
-- path; when operation i is refused, the attempt rolls back as a whole, operation i is answered
-- with its error (what it would have got alone at that moment: nothing of it is kept), and the
-- others run again without it. After three refusals in one batch the rest run one subtransaction
-- each, as before, so a batch full of refusals costs no more than it did. Operations, checks and
-- answers are those of migration 0003; only how their rollbacks are grouped changes.
CREATE OR REPLACE FUNCTION p2p_batch(p_ops jsonb)
RETURNS TABLE (o_result jsonb, o_code text, o_message text, o_constraint text)
LANGUAGE plpgsql
-- Planning was ≈ 20 % of the writer: PL/pgSQL kept choosing custom plans (re-planned on every call)
-- because the generic plan's estimate never looked cheaper. Every statement a batch runs is a
-- primary-key, unique-key or partial-index look-up: plan once.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_n int := jsonb_array_length(p_ops);
  v_results jsonb[] := array_fill(NULL::jsonb, ARRAY[v_n]);
  v_codes text[] := array_fill(NULL::text, ARRAY[v_n]);
  v_messages text[] := array_fill(NULL::text, ARRAY[v_n]);
  v_constraints text[] := array_fill(NULL::text, ARRAY[v_n]);
  v_refused boolean[] := array_fill(false, ARRAY[v_n]);
  v_current int;
  v_attempts int := 0;
  v_done boolean := v_n = 0;
  v_code text;
  v_message text;
  v_constraint text;
BEGIN
  -- PL/pgSQL variables are not rolled back with a subtransaction: v_current still names the
  -- operation that was refused, and v_refused keeps the answers across attempts.
  WHILE NOT v_done AND v_attempts < 3 LOOP
    v_attempts := v_attempts + 1;
    BEGIN
      FOR i IN 1 .. v_n LOOP
        CONTINUE WHEN v_refused[i];
        v_current := i;
        v_results[i] := p2p_batch_op(p_ops -> (i - 1));
      END LOOP;
      v_done := true;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_code = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_constraint = CONSTRAINT_NAME;
      v_refused[v_current] := true;
      v_codes[v_current] := v_code;
      v_messages[v_current] := v_message;
      v_constraints[v_current] := v_constraint;
    END;
  END LOOP;
  IF NOT v_done THEN
    FOR i IN 1 .. v_n LOOP
      CONTINUE WHEN v_refused[i];
      BEGIN
        v_results[i] := p2p_batch_op(p_ops -> (i - 1));
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_code = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_constraint = CONSTRAINT_NAME;
        v_refused[i] := true;
        v_codes[i] := v_code;
        v_messages[i] := v_message;
        v_constraints[i] := v_constraint;
      END;
    END LOOP;
  END IF;
  FOR i IN 1 .. v_n LOOP
    o_result := CASE WHEN v_refused[i] THEN NULL ELSE v_results[i] END;
    o_code := v_codes[i];
    o_message := v_messages[i];
    o_constraint := v_constraints[i];
    RETURN NEXT;
  END LOOP;
END;
$$;
