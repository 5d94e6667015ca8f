CREATE TABLE "p2p_api_forms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"display_name" text NOT NULL,
	"credentials_ciphertext" text NOT NULL,
	"shop_id" text,
	"live" boolean,
	"status" text DEFAULT 'unverified' NOT NULL,
	"verified_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_buyer_orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"fiat_currency" text NOT NULL,
	"amount" numeric(38, 0) NOT NULL,
	"method" text NOT NULL,
	"status" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_deposits" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"external_id" text NOT NULL,
	"sender_email" text NOT NULL,
	"amount" numeric(38, 0) NOT NULL,
	"currency" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"status" text NOT NULL,
	"user_id" uuid,
	"commission" numeric(38, 0),
	"transfer_id" bigint,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_disputes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"reservation_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"evidence" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "p2p_email_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"target" text NOT NULL,
	"code_hash" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"consumed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_ledger_accounts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"currency" text NOT NULL,
	"normal" text NOT NULL,
	"allow_negative" boolean DEFAULT false NOT NULL,
	"user_id" uuid,
	"debits_pending" numeric(38, 0) DEFAULT 0 NOT NULL,
	"debits_posted" numeric(38, 0) DEFAULT 0 NOT NULL,
	"credits_pending" numeric(38, 0) DEFAULT 0 NOT NULL,
	"credits_posted" numeric(38, 0) DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "p2p_ledger_accounts_non_negative" CHECK ("p2p_ledger_accounts"."allow_negative" or (case when "p2p_ledger_accounts"."normal" = 'credit'
        then "p2p_ledger_accounts"."credits_posted" - "p2p_ledger_accounts"."debits_posted" - "p2p_ledger_accounts"."debits_pending"
        else "p2p_ledger_accounts"."debits_posted" - "p2p_ledger_accounts"."credits_posted" - "p2p_ledger_accounts"."credits_pending" end) >= 0)
);
--> statement-breakpoint
CREATE TABLE "p2p_ledger_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"transfer_id" bigint NOT NULL,
	"account_id" bigint NOT NULL,
	"side" text NOT NULL,
	"amount" numeric(38, 0) NOT NULL,
	CONSTRAINT "p2p_ledger_entries_positive" CHECK ("p2p_ledger_entries"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "p2p_ledger_transfers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"kind" text NOT NULL,
	"pending_id" bigint,
	"currency" text NOT NULL,
	"reason" text NOT NULL,
	"expires_at" timestamp with time zone,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "p2p_ledger_transfers_pending_ref" CHECK (("p2p_ledger_transfers"."kind" in ('post','void')) = ("p2p_ledger_transfers"."pending_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "p2p_mail_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"to" text NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_provider_notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"event_id" text NOT NULL,
	"invoice_id" text,
	"verified" boolean NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_reservations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"buyer_id" uuid NOT NULL,
	"request_id" uuid NOT NULL,
	"seller_id" uuid NOT NULL,
	"api_form_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"amount" numeric(38, 0) NOT NULL,
	"fee" numeric(38, 0) NOT NULL,
	"fiat_amount" numeric(38, 0) NOT NULL,
	"fiat_currency" text NOT NULL,
	"pending_transfer_id" bigint NOT NULL,
	"resolution_transfer_id" bigint,
	"invoice_id" text,
	"payment_url" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"void_reason" text,
	"expires_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_sandbox_invoices" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"live" boolean NOT NULL,
	"amount" numeric(38, 0) NOT NULL,
	"currency" text NOT NULL,
	"description" text NOT NULL,
	"notify_url" text,
	"idempotency_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "p2p_sandbox_invoices_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "p2p_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text DEFAULT 'user' NOT NULL,
	"email_verified_at" timestamp with time zone,
	"game_email" text,
	"flagged_at" timestamp with time zone,
	"flag_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_withdrawal_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"queue_seq" bigserial NOT NULL,
	"user_id" uuid NOT NULL,
	"api_form_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"fiat_currency" text NOT NULL,
	"amount" numeric(38, 0) NOT NULL,
	"remaining" numeric(38, 0) NOT NULL,
	"reserved" numeric(38, 0) DEFAULT 0 NOT NULL,
	"filled" numeric(38, 0) DEFAULT 0 NOT NULL,
	"returned" numeric(38, 0) DEFAULT 0 NOT NULL,
	"min_per_buyer" numeric(38, 0) NOT NULL,
	"max_per_buyer" numeric(38, 0) NOT NULL,
	"rate" numeric(38, 0) NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"close_reason" text,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "p2p_withdrawal_requests_amounts" CHECK ("p2p_withdrawal_requests"."remaining" >= 0 and "p2p_withdrawal_requests"."reserved" >= 0 and "p2p_withdrawal_requests"."filled" >= 0 and "p2p_withdrawal_requests"."returned" >= 0
        and "p2p_withdrawal_requests"."amount" = "p2p_withdrawal_requests"."remaining" + "p2p_withdrawal_requests"."reserved" + "p2p_withdrawal_requests"."filled" + "p2p_withdrawal_requests"."returned"
        and "p2p_withdrawal_requests"."min_per_buyer" > 0 and "p2p_withdrawal_requests"."min_per_buyer" <= "p2p_withdrawal_requests"."max_per_buyer")
);
--> statement-breakpoint
ALTER TABLE "p2p_api_forms" ADD CONSTRAINT "p2p_api_forms_user_id_p2p_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."p2p_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_buyer_orders" ADD CONSTRAINT "p2p_buyer_orders_user_id_p2p_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."p2p_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_deposits" ADD CONSTRAINT "p2p_deposits_user_id_p2p_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."p2p_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_disputes" ADD CONSTRAINT "p2p_disputes_reservation_id_p2p_reservations_id_fk" FOREIGN KEY ("reservation_id") REFERENCES "public"."p2p_reservations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_email_codes" ADD CONSTRAINT "p2p_email_codes_user_id_p2p_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."p2p_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_ledger_accounts" ADD CONSTRAINT "p2p_ledger_accounts_user_id_p2p_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."p2p_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_ledger_entries" ADD CONSTRAINT "p2p_ledger_entries_transfer_id_p2p_ledger_transfers_id_fk" FOREIGN KEY ("transfer_id") REFERENCES "public"."p2p_ledger_transfers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_ledger_entries" ADD CONSTRAINT "p2p_ledger_entries_account_id_p2p_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."p2p_ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_reservations" ADD CONSTRAINT "p2p_reservations_order_id_p2p_buyer_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."p2p_buyer_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_reservations" ADD CONSTRAINT "p2p_reservations_buyer_id_p2p_users_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."p2p_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_reservations" ADD CONSTRAINT "p2p_reservations_request_id_p2p_withdrawal_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."p2p_withdrawal_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_reservations" ADD CONSTRAINT "p2p_reservations_seller_id_p2p_users_id_fk" FOREIGN KEY ("seller_id") REFERENCES "public"."p2p_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_reservations" ADD CONSTRAINT "p2p_reservations_api_form_id_p2p_api_forms_id_fk" FOREIGN KEY ("api_form_id") REFERENCES "public"."p2p_api_forms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_sessions" ADD CONSTRAINT "p2p_sessions_user_id_p2p_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."p2p_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_withdrawal_requests" ADD CONSTRAINT "p2p_withdrawal_requests_user_id_p2p_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."p2p_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "p2p_withdrawal_requests" ADD CONSTRAINT "p2p_withdrawal_requests_api_form_id_p2p_api_forms_id_fk" FOREIGN KEY ("api_form_id") REFERENCES "public"."p2p_api_forms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "p2p_api_forms_user_idx" ON "p2p_api_forms" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_buyer_orders_idem_key" ON "p2p_buyer_orders" USING btree ("user_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "p2p_buyer_orders_user_idx" ON "p2p_buyer_orders" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_deposits_external_id_key" ON "p2p_deposits" USING btree ("external_id");--> statement-breakpoint
CREATE INDEX "p2p_deposits_status_idx" ON "p2p_deposits" USING btree ("status");--> statement-breakpoint
CREATE INDEX "p2p_email_codes_user_idx" ON "p2p_email_codes" USING btree ("user_id","purpose");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_ledger_accounts_code_key" ON "p2p_ledger_accounts" USING btree ("code");--> statement-breakpoint
CREATE INDEX "p2p_ledger_entries_transfer_idx" ON "p2p_ledger_entries" USING btree ("transfer_id");--> statement-breakpoint
CREATE INDEX "p2p_ledger_entries_account_idx" ON "p2p_ledger_entries" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_ledger_transfers_idempotency_key" ON "p2p_ledger_transfers" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_ledger_transfers_pending_resolution_key" ON "p2p_ledger_transfers" USING btree ("pending_id");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_provider_notifications_event_key" ON "p2p_provider_notifications" USING btree ("provider","event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_reservations_one_pending_per_buyer" ON "p2p_reservations" USING btree ("buyer_id") WHERE "p2p_reservations"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_reservations_invoice_key" ON "p2p_reservations" USING btree ("provider","invoice_id");--> statement-breakpoint
CREATE INDEX "p2p_reservations_pending_expiry_idx" ON "p2p_reservations" USING btree ("expires_at") WHERE "p2p_reservations"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "p2p_reservations_order_idx" ON "p2p_reservations" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "p2p_reservations_buyer_idx" ON "p2p_reservations" USING btree ("buyer_id","resolved_at");--> statement-breakpoint
CREATE INDEX "p2p_sessions_user_idx" ON "p2p_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_users_email_key" ON "p2p_users" USING btree ("email");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_users_game_email_key" ON "p2p_users" USING btree ("game_email");--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_withdrawal_requests_idem_key" ON "p2p_withdrawal_requests" USING btree ("user_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "p2p_withdrawal_requests_queue_idx" ON "p2p_withdrawal_requests" USING btree ("queue_seq") WHERE "p2p_withdrawal_requests"."status" = 'open';--> statement-breakpoint
CREATE INDEX "p2p_withdrawal_requests_user_idx" ON "p2p_withdrawal_requests" USING btree ("user_id");