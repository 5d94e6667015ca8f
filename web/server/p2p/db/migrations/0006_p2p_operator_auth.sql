CREATE TABLE "p2p_operator_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"operator_id" uuid NOT NULL,
	"operator_email" text NOT NULL,
	"action" text NOT NULL,
	"amount" numeric(38, 0),
	"currency" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"target_user_id" uuid,
	"reason" text NOT NULL,
	"transfer_id" bigint,
	"request_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_operator_totp" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"secret_ciphertext" text NOT NULL,
	"confirmed_at" timestamp with time zone,
	"last_step" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "p2p_operator_totp" ADD CONSTRAINT "p2p_operator_totp_user_id_p2p_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."p2p_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "p2p_operator_audit_operator_idx" ON "p2p_operator_audit" USING btree ("operator_id","created_at");--> statement-breakpoint
ALTER TABLE "p2p_users" DROP COLUMN "role";--> statement-breakpoint
-- The operator role is no longer stored (above): operators are the verified users listed in
-- P2P_OPERATOR_EMAILS, decided on every request. The audit log is append-only: a row, once
-- written in its money action's transaction, is never changed or removed.
CREATE OR REPLACE FUNCTION p2p_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'P2P07', MESSAGE = format('%s is append-only: rows are never updated or deleted', TG_TABLE_NAME);
END;
$$;
--> statement-breakpoint
CREATE TRIGGER p2p_operator_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON p2p_operator_audit FOR EACH STATEMENT EXECUTE FUNCTION p2p_refuse_change();
