-- Group commit without a subtransaction per operation (docs/benchmarks.md, "P2P desk").
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
CREATE OR REPLACE FUNCTION p2p_batch_op(op jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  r p2p_reservations;
BEGIN
  CASE op->>'op'
    WHEN 'match' THEN
      SELECT * INTO r FROM p2p_match((op->>'orderId')::uuid, (op->>'buyerId')::uuid, op->>'currency', op->>'fiatCurrency',
        (op->>'amount')::numeric, op->>'method', op->>'idempotencyKey', op->>'requestHash', (op->>'createOrder')::boolean,
        ARRAY(SELECT jsonb_array_elements_text(op->'excludedForms'))::uuid[], (op->>'fee')::numeric, op->>'commissionAccount',
        (op->>'reservationId')::uuid, (op->>'expiresAt')::timestamptz);
      IF r.id IS NULL THEN
        RETURN NULL;
      END IF;
      -- Every value as text: numeric(38,0) amounts must not pass through a JSON number.
      RETURN (SELECT jsonb_object_agg(key, value #>> '{}') FROM jsonb_each(to_jsonb(r)));
    WHEN 'invoice' THEN
      UPDATE p2p_reservations SET invoice_id = op->>'invoiceId', payment_url = op->>'paymentUrl'
       WHERE id = (op->>'id')::uuid RETURNING * INTO r;
      IF r.id IS NULL THEN
        RETURN NULL;
      END IF;
      RETURN (SELECT jsonb_object_agg(key, value #>> '{}') FROM jsonb_each(to_jsonb(r)));
    WHEN 'post' THEN
      RETURN to_jsonb(p2p_reservation_post((op->>'id')::uuid, (op->>'at')::timestamptz));
    ELSE
      RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = format('unknown batch operation %s', op->>'op');
  END CASE;
END;
$$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION p2p_batch(p_ops jsonb)
RETURNS TABLE (o_result jsonb, o_code text, o_message text, o_constraint text)
LANGUAGE plpgsql
-- Every statement a batch runs is a primary-key, unique-key or partial-index look-up: plan once
-- (migration 0004).
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
