CREATE TYPE "public"."subscription_status" AS ENUM('active', 'past_due', 'cancelled');--> statement-breakpoint
ALTER TYPE "public"."payment_method" ADD VALUE 'subscription';--> statement-breakpoint
CREATE TABLE "subscription_charges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"chain_id" integer NOT NULL,
	"subscription_id" bigint NOT NULL,
	"period_index" integer NOT NULL,
	"order_id" text,
	"amount" numeric(78, 0) NOT NULL,
	"merchant_amount" numeric(78, 0) NOT NULL,
	"fee" numeric(78, 0) NOT NULL,
	"transaction_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"block_number" bigint NOT NULL,
	"charged_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscription_cursors" (
	"chain_id" integer PRIMARY KEY NOT NULL,
	"block_number" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscription_plans" (
	"chain_id" integer NOT NULL,
	"plan_id" bigint NOT NULL,
	"merchant_address" text NOT NULL,
	"token" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	"period_seconds" integer NOT NULL,
	"trial_seconds" integer NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscription_plans_chain_id_plan_id_pk" PRIMARY KEY("chain_id","plan_id")
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"chain_id" integer NOT NULL,
	"subscription_id" bigint NOT NULL,
	"plan_id" bigint NOT NULL,
	"merchant_id" uuid,
	"subscriber" text NOT NULL,
	"anchor" timestamp with time zone NOT NULL,
	"status" "subscription_status" DEFAULT 'active' NOT NULL,
	"next_period" integer DEFAULT 0 NOT NULL,
	"last_failed_at" timestamp with time zone,
	"cancelled_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscriptions_chain_id_subscription_id_pk" PRIMARY KEY("chain_id","subscription_id")
);
--> statement-breakpoint
ALTER TABLE "subscription_charges" ADD CONSTRAINT "subscription_charges_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "subscription_charges_period_idx" ON "subscription_charges" USING btree ("chain_id","subscription_id","period_index");--> statement-breakpoint
CREATE UNIQUE INDEX "subscription_charges_log_idx" ON "subscription_charges" USING btree ("chain_id","transaction_hash","log_index");--> statement-breakpoint
CREATE INDEX "subscription_plans_merchant_idx" ON "subscription_plans" USING btree ("chain_id","merchant_address");--> statement-breakpoint
CREATE INDEX "subscriptions_merchant_idx" ON "subscriptions" USING btree ("merchant_id","created_at");--> statement-breakpoint
CREATE INDEX "subscriptions_open_idx" ON "subscriptions" USING btree ("chain_id","status");