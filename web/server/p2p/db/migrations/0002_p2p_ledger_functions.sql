-- The ledger's primitives and the desk's hot paths as PL/pgSQL functions: one round trip per
-- operation instead of ~10 (docs/benchmarks.md, "P2P desk"). They are the only implementation:
-- server/p2p/ledger/index.ts and server/p2p/desk.ts call them, so the rules of docs/p2p.md
-- (append-only history, exactly-once resolution, lock order, no overdraft) are written once.
--
-- Errors carry SQLSTATEs that server/p2p/ledger/index.ts maps to P2PError codes:
--   P2P01 idempotency_conflict · P2P02 not_found · P2P03 invalid_input · P2P04 pending_expired
--   P2P05 already_resolved · P2P06 no_liquidity; a violation of the CHECK constraint
--   p2p_ledger_accounts_non_negative (23514) is insufficient_funds.
-- Lock order everywhere: reservation row → withdrawal-request row → ledger accounts (ascending id).

-- Applies legs to the cached account balances. p_mode: 'pending' (reserve), 'posted' (take effect),
-- 'post' (pending → posted), 'void' (release pending).
CREATE OR REPLACE FUNCTION p2p_ledger_apply(p_ids bigint[], p_sides text[], p_amounts numeric[], p_mode text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Ascending id order: two transfers touching the same accounts lock them in the same order.
  -- NO KEY UPDATE (what the UPDATE below takes anyway): a plain FOR UPDATE would also conflict
  -- with the KEY SHARE locks that inserting ledger entries (foreign key to the account) takes in
  -- leg order, and two matches could deadlock on that.
  PERFORM 1 FROM p2p_ledger_accounts WHERE id = ANY (p_ids) ORDER BY id FOR NO KEY UPDATE;
  UPDATE p2p_ledger_accounts acc SET
    debits_pending = acc.debits_pending + CASE p_mode WHEN 'pending' THEN d.dm WHEN 'posted' THEN 0 ELSE -d.dm END,
    credits_pending = acc.credits_pending + CASE p_mode WHEN 'pending' THEN d.cm WHEN 'posted' THEN 0 ELSE -d.cm END,
    debits_posted = acc.debits_posted + CASE WHEN p_mode IN ('posted', 'post') THEN d.dm ELSE 0 END,
    credits_posted = acc.credits_posted + CASE WHEN p_mode IN ('posted', 'post') THEN d.cm ELSE 0 END
  FROM (
    SELECT l.a AS id,
           coalesce(sum(l.m) FILTER (WHERE l.s = 'debit'), 0) AS dm,
           coalesce(sum(l.m) FILTER (WHERE l.s = 'credit'), 0) AS cm
    FROM unnest(p_ids, p_sides, p_amounts) AS l(a, s, m)
    GROUP BY l.a
  ) d
  WHERE acc.id = d.id;
END;
$$;
--> statement-breakpoint

-- Records a posted or pending transfer with its legs (account codes) and applies it. The same
-- idempotency key with the same request returns the original (o_replayed); with another request it
-- is an idempotency conflict. The request hash covers kind, currency, reason, expiry and legs.
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
  v_missing text;
  v_foreign text;
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
  IF EXISTS (SELECT 1 FROM unnest(p_sides, p_amounts) AS l(s, m)
             WHERE s IS NULL OR s NOT IN ('debit', 'credit') OR m IS NULL OR m <= 0 OR m <> trunc(m)) THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = 'leg amounts must be positive integers and sides debit or credit';
  END IF;
  IF (SELECT sum(m) FILTER (WHERE s = 'debit') IS DISTINCT FROM sum(m) FILTER (WHERE s = 'credit')
      FROM unnest(p_sides, p_amounts) AS l(s, m)) THEN
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

  SELECT array_agg(a.id ORDER BY l.i),
         string_agg(l.code, ', ') FILTER (WHERE a.id IS NULL),
         string_agg(l.code, ', ') FILTER (WHERE a.currency <> p_currency)
  INTO v_ids, v_missing, v_foreign
  FROM unnest(p_accounts) WITH ORDINALITY AS l(code, i) LEFT JOIN p2p_ledger_accounts a ON a.code = l.code;
  IF v_missing IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P02', MESSAGE = format('unknown ledger account(s): %s', v_missing);
  END IF;
  IF v_foreign IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = format('account(s) %s not in %s', v_foreign, p_currency);
  END IF;

  INSERT INTO p2p_ledger_entries (transfer_id, account_id, side, amount)
  SELECT v_id, l.a, l.s, l.m FROM unnest(v_ids, p_sides, p_amounts) AS l(a, s, m);
  PERFORM p2p_ledger_apply(v_ids, p_sides, p_amounts, p_kind);
  RETURN QUERY SELECT v_id, false, v_created;
END;
$$;
--> statement-breakpoint

-- Posts or voids a pending transfer with a new `post`/`void` row, exactly once (unique pending_id).
-- Posting after the pending transfer's expiry (judged at p_at) is refused.
CREATE OR REPLACE FUNCTION p2p_ledger_resolve(
  p_key text, p_pending_id bigint, p_outcome text, p_reason text, p_at timestamptz, p_metadata jsonb
) RETURNS TABLE (o_id bigint, o_replayed boolean, o_created_at timestamptz, o_currency text)
LANGUAGE plpgsql AS $$
DECLARE
  v_hash text;
  v_id bigint;
  v_created timestamptz;
  v_existing_hash text;
  v_kind text;
  v_currency text;
  v_expires timestamptz;
  v_ids bigint[];
  v_sides text[];
  v_amounts numeric[];
BEGIN
  IF p_outcome NOT IN ('post', 'void') THEN
    RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = 'a pending transfer is posted or voided';
  END IF;
  v_hash := encode(sha256(convert_to(jsonb_build_object('outcome', p_outcome, 'pendingId', p_pending_id::text, 'reason', p_reason)::text, 'UTF8')), 'hex');

  SELECT t.id, t.request_hash, t.created_at, t.currency INTO v_id, v_existing_hash, v_created, v_currency
  FROM p2p_ledger_transfers t WHERE t.idempotency_key = p_key;
  IF v_id IS NOT NULL THEN
    IF v_existing_hash IS DISTINCT FROM v_hash THEN
      RAISE EXCEPTION USING ERRCODE = 'P2P01', MESSAGE = format('idempotency key %s was already used for a different request', p_key);
    END IF;
    RETURN QUERY SELECT v_id, true, v_created, v_currency;
    RETURN;
  END IF;

  SELECT t.kind, t.currency, t.expires_at INTO v_kind, v_currency, v_expires FROM p2p_ledger_transfers t WHERE t.id = p_pending_id;
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

  SELECT array_agg(e.account_id ORDER BY e.id), array_agg(e.side ORDER BY e.id), array_agg(e.amount ORDER BY e.id)
  INTO v_ids, v_sides, v_amounts
  FROM p2p_ledger_entries e WHERE e.transfer_id = p_pending_id;
  PERFORM p2p_ledger_apply(v_ids, v_sides, v_amounts, p_outcome);
  RETURN QUERY SELECT v_id, false, v_created, v_currency;
END;
$$;
--> statement-breakpoint

-- Closes a request when nothing more can happen to it: open/suspended with nothing reserved and
-- less than its minimum left (dust: the rest returns to the seller), or closing with nothing reserved.
CREATE OR REPLACE FUNCTION p2p_request_settle(p_request_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  q p2p_withdrawal_requests;
BEGIN
  SELECT * INTO q FROM p2p_withdrawal_requests WHERE id = p_request_id FOR UPDATE;
  IF q.status IN ('open', 'suspended') AND q.reserved = 0 AND q.remaining < q.min_per_buyer THEN
    IF q.remaining > 0 THEN
      PERFORM p2p_ledger_transfer('request_return:' || q.id || ':' || q.returned, 'posted', q.currency, 'request_return', NULL,
        jsonb_build_object('requestId', q.id),
        ARRAY['user:' || q.user_id || ':on_sale', 'user:' || q.user_id || ':available'], ARRAY['debit', 'credit'], ARRAY[q.remaining, q.remaining]);
    END IF;
    UPDATE p2p_withdrawal_requests SET remaining = 0, returned = returned + q.remaining, status = 'closed',
           close_reason = CASE WHEN q.remaining = 0 THEN 'filled' ELSE 'dust' END, closed_at = now()
     WHERE id = q.id;
  ELSIF q.status = 'closing' AND q.reserved = 0 THEN
    UPDATE p2p_withdrawal_requests SET status = 'closed', closed_at = now() WHERE id = q.id;
  END IF;
END;
$$;
--> statement-breakpoint

-- Reserves p_amount of a request for a buyer's order: pending ledger transfer (seller's on-sale →
-- buyer and commission) + reservation row + the request's remaining/reserved. The fiat price is
-- rounded up, as fiatOf in server/p2p/formats.ts.
CREATE OR REPLACE FUNCTION p2p_reserve(
  p_request_id uuid, p_order_id uuid, p_buyer_id uuid, p_provider text, p_amount numeric, p_fee numeric,
  p_commission_account text, p_reservation_id uuid, p_expires_at timestamptz, p_fiat_currency text
) RETURNS SETOF p2p_reservations
LANGUAGE plpgsql AS $$
DECLARE
  q p2p_withdrawal_requests;
  v_transfer bigint;
  v_accounts text[];
  v_sides text[] := ARRAY['debit'];
  v_amounts numeric[] := ARRAY[p_amount];
BEGIN
  SELECT * INTO q FROM p2p_withdrawal_requests WHERE id = p_request_id FOR UPDATE;
  v_accounts := ARRAY['user:' || q.user_id || ':on_sale'];
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
  RETURN QUERY
  INSERT INTO p2p_reservations (id, order_id, buyer_id, request_id, seller_id, api_form_id, provider, amount, fee, fiat_amount,
                                fiat_currency, pending_transfer_id, expires_at)
  VALUES (p_reservation_id, p_order_id, p_buyer_id, q.id, q.user_id, q.api_form_id, p_provider, p_amount, p_fee,
          div(p_amount * q.rate + 99, 100), p_fiat_currency, v_transfer, p_expires_at)
  RETURNING *;
END;
$$;
--> statement-breakpoint

-- The matcher: records the buyer's order (first attempt), takes the oldest open request that can
-- serve the whole amount alone — rows another matcher holds are skipped, never waited for — and
-- reserves it. No row: a concurrent double click created the order (first attempt), or no seller is
-- left after excluding failed forms (the order fails). No request on the first attempt: no_liquidity.
CREATE OR REPLACE FUNCTION p2p_match(
  p_order_id uuid, p_buyer_id uuid, p_currency text, p_fiat_currency text, p_amount numeric, p_method text,
  p_idempotency_key text, p_request_hash text, p_create_order boolean, p_excluded_forms uuid[],
  p_fee numeric, p_commission_account text, p_reservation_id uuid, p_expires_at timestamptz
) RETURNS SETOF p2p_reservations
LANGUAGE plpgsql AS $$
DECLARE
  v_request uuid;
BEGIN
  IF p_create_order THEN
    INSERT INTO p2p_buyer_orders (id, user_id, currency, fiat_currency, amount, method, status, idempotency_key, request_hash)
    VALUES (p_order_id, p_buyer_id, p_currency, p_fiat_currency, p_amount, p_method, 'reserved', p_idempotency_key, p_request_hash)
    ON CONFLICT (user_id, idempotency_key) DO NOTHING;
    IF NOT FOUND THEN
      RETURN;
    END IF;
  END IF;
  SELECT q.id INTO v_request
  FROM p2p_withdrawal_requests q JOIN p2p_api_forms f ON f.id = q.api_form_id
  WHERE q.status = 'open' AND q.remaining >= p_amount AND q.min_per_buyer <= p_amount AND q.max_per_buyer >= p_amount
    AND f.status = 'active' AND f.provider = p_method AND q.user_id <> p_buyer_id
    AND NOT (q.api_form_id = ANY (coalesce(p_excluded_forms, '{}'::uuid[])))
  ORDER BY q.queue_seq
  LIMIT 1
  FOR UPDATE OF q SKIP LOCKED;
  IF v_request IS NULL THEN
    IF p_create_order THEN
      RAISE EXCEPTION USING ERRCODE = 'P2P06', MESSAGE = 'no seller can serve this amount now';
    END IF;
    UPDATE p2p_buyer_orders SET status = 'failed' WHERE id = p_order_id;
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM p2p_reserve(v_request, p_order_id, p_buyer_id, p_method, p_amount, p_fee, p_commission_account,
                                         p_reservation_id, p_expires_at, p_fiat_currency);
END;
$$;
--> statement-breakpoint

-- Voids a pending reservation (decided at p_at): its amount returns to the request at its queue
-- position, or to the seller when the request is closing. Returns false when it was not pending.
CREATE OR REPLACE FUNCTION p2p_reservation_void(p_reservation_id uuid, p_reason text, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  r p2p_reservations;
  q p2p_withdrawal_requests;
  v_transfer bigint;
BEGIN
  SELECT * INTO r FROM p2p_reservations WHERE id = p_reservation_id FOR UPDATE;
  IF r.id IS NULL OR r.status <> 'pending' THEN
    RETURN false;
  END IF;
  SELECT * INTO q FROM p2p_withdrawal_requests WHERE id = r.request_id FOR UPDATE;
  SELECT o_id INTO v_transfer FROM p2p_ledger_resolve('match:' || r.id || ':void', r.pending_transfer_id, 'void', p_reason, p_at, '{}'::jsonb);
  UPDATE p2p_reservations SET status = 'voided', void_reason = p_reason, resolution_transfer_id = v_transfer, resolved_at = p_at
   WHERE id = r.id;
  IF q.status IN ('open', 'suspended') THEN
    -- Back at its original queue position: queue_seq never changes.
    UPDATE p2p_withdrawal_requests SET reserved = reserved - r.amount, remaining = remaining + r.amount WHERE id = q.id;
  ELSE
    PERFORM p2p_ledger_transfer('request_return:' || q.id || ':' || q.returned, 'posted', q.currency, 'request_return', NULL,
      jsonb_build_object('requestId', q.id),
      ARRAY['user:' || q.user_id || ':on_sale', 'user:' || q.user_id || ':available'], ARRAY['debit', 'credit'], ARRAY[r.amount, r.amount]);
    UPDATE p2p_withdrawal_requests SET reserved = reserved - r.amount, returned = returned + r.amount WHERE id = q.id;
  END IF;
  PERFORM p2p_request_settle(q.id);
  -- After a provider error the order moves on to the next seller, so it stays as it is.
  IF p_reason <> 'provider_error' THEN
    UPDATE p2p_buyer_orders SET status = CASE WHEN p_reason = 'expired' THEN 'expired' ELSE 'failed' END WHERE id = r.order_id;
  END IF;
  RETURN true;
END;
$$;
--> statement-breakpoint

-- Posts a pending reservation (paid; decided at p_at, refused with P2P04 after its expiry): buyer
-- credited, request filled, order paid. Returns false when it was not pending.
CREATE OR REPLACE FUNCTION p2p_reservation_post(p_reservation_id uuid, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  r p2p_reservations;
  v_transfer bigint;
BEGIN
  SELECT * INTO r FROM p2p_reservations WHERE id = p_reservation_id FOR UPDATE;
  IF r.id IS NULL OR r.status <> 'pending' THEN
    RETURN false;
  END IF;
  PERFORM 1 FROM p2p_withdrawal_requests WHERE id = r.request_id FOR UPDATE;
  SELECT o_id INTO v_transfer FROM p2p_ledger_resolve('match:' || r.id || ':post', r.pending_transfer_id, 'post', 'paid', p_at, '{}'::jsonb);
  UPDATE p2p_reservations SET status = 'posted', resolution_transfer_id = v_transfer, resolved_at = p_at WHERE id = r.id;
  UPDATE p2p_withdrawal_requests SET reserved = reserved - r.amount, filled = filled + r.amount WHERE id = r.request_id;
  PERFORM p2p_request_settle(r.request_id);
  UPDATE p2p_buyer_orders SET status = 'paid' WHERE id = r.order_id;
  RETURN true;
END;
$$;
