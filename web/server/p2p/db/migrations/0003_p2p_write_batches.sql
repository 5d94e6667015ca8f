-- Group commit for the desk's hot writes: one call, one transaction, one WAL flush for a batch of
-- matches, invoice records and posts from many buyers at once (server/p2p/write-batcher.ts). Each
-- operation runs in its own subtransaction (BEGIN … EXCEPTION), so one refusal (no liquidity, an
-- active reservation, an expired post) rolls back only that operation and is returned as its error;
-- the rules are the functions of migration 0002, called unchanged.
CREATE OR REPLACE FUNCTION p2p_batch(p_ops jsonb)
RETURNS TABLE (o_result jsonb, o_code text, o_message text, o_constraint text)
LANGUAGE plpgsql AS $$
DECLARE
  op jsonb;
  r p2p_reservations;
  v_done boolean;
BEGIN
  FOR op IN SELECT value FROM jsonb_array_elements(p_ops) WITH ORDINALITY AS e(value, i) ORDER BY i LOOP
    o_result := NULL;
    o_code := NULL;
    o_message := NULL;
    o_constraint := NULL;
    BEGIN
      CASE op->>'op'
        WHEN 'match' THEN
          r := NULL;
          SELECT * INTO r FROM p2p_match((op->>'orderId')::uuid, (op->>'buyerId')::uuid, op->>'currency', op->>'fiatCurrency',
            (op->>'amount')::numeric, op->>'method', op->>'idempotencyKey', op->>'requestHash', (op->>'createOrder')::boolean,
            ARRAY(SELECT jsonb_array_elements_text(op->'excludedForms'))::uuid[], (op->>'fee')::numeric, op->>'commissionAccount',
            (op->>'reservationId')::uuid, (op->>'expiresAt')::timestamptz);
          IF r.id IS NOT NULL THEN
            -- Every value as text: numeric(38,0) amounts must not pass through a JSON number.
            o_result := (SELECT jsonb_object_agg(key, value #>> '{}') FROM jsonb_each(to_jsonb(r)));
          END IF;
        WHEN 'invoice' THEN
          r := NULL;
          UPDATE p2p_reservations SET invoice_id = op->>'invoiceId', payment_url = op->>'paymentUrl'
           WHERE id = (op->>'id')::uuid RETURNING * INTO r;
          IF r.id IS NOT NULL THEN
            o_result := (SELECT jsonb_object_agg(key, value #>> '{}') FROM jsonb_each(to_jsonb(r)));
          END IF;
        WHEN 'post' THEN
          v_done := p2p_reservation_post((op->>'id')::uuid, (op->>'at')::timestamptz);
          o_result := to_jsonb(v_done);
        ELSE
          RAISE EXCEPTION USING ERRCODE = 'P2P03', MESSAGE = format('unknown batch operation %s', op->>'op');
      END CASE;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS o_code = RETURNED_SQLSTATE, o_message = MESSAGE_TEXT, o_constraint = CONSTRAINT_NAME;
      o_result := NULL;
    END;
    RETURN NEXT;
  END LOOP;
END;
$$;
