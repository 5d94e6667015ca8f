CREATE TYPE "public"."payout_proof_method" AS ENUM('signature', 'member_session');--> statement-breakpoint
CREATE TABLE "payout_address_challenges" (
	"nonce" text PRIMARY KEY NOT NULL,
	"merchant_id" uuid NOT NULL,
	"address" text NOT NULL,
	"message" text NOT NULL,
	"created_by" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payout_address_proofs" (
	"merchant_id" uuid PRIMARY KEY NOT NULL,
	"address" text NOT NULL,
	"method" "payout_proof_method" NOT NULL,
	"proven_by" uuid,
	"message" text,
	"signature" text,
	"derived_from" uuid,
	"proven_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payout_address_challenges" ADD CONSTRAINT "payout_address_challenges_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_address_challenges" ADD CONSTRAINT "payout_address_challenges_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_address_proofs" ADD CONSTRAINT "payout_address_proofs_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_address_proofs" ADD CONSTRAINT "payout_address_proofs_proven_by_users_id_fk" FOREIGN KEY ("proven_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payout_address_challenges_merchant_idx" ON "payout_address_challenges" USING btree ("merchant_id");--> statement-breakpoint
-- Accounts that already exist: the payout address is proven when it is the address of the member who
-- created the account (their owner membership was written in the same transaction, so at the same
-- now()); they signed in with it. Every other payout address starts unproven and must be signed for.
INSERT INTO "payout_address_proofs" ("merchant_id", "address", "method", "proven_by")
SELECT m."id", m."payout_address", 'member_session', u."id"
FROM "merchants" m
JOIN "memberships" ms ON ms."merchant_id" = m."id" AND ms."role" = 'owner' AND ms."created_at" = m."created_at"
JOIN "users" u ON u."id" = ms."user_id" AND lower(u."address") = lower(m."payout_address")
ON CONFLICT DO NOTHING;--> statement-breakpoint
-- A proof covers the account's sub-accounts (any depth) that pay to the same address.
WITH RECURSIVE "covered"("id", "root", "depth") AS (
  SELECT p."merchant_id", p."merchant_id", 0 FROM "payout_address_proofs" p
  UNION ALL
  SELECT m."id", c."root", c."depth" + 1 FROM "merchants" m JOIN "covered" c ON m."parent_id" = c."id" WHERE c."depth" < 8
)
INSERT INTO "payout_address_proofs" ("merchant_id", "address", "method", "proven_by", "derived_from")
SELECT DISTINCT ON (c."id") c."id", p."address", p."method", p."proven_by", c."root"
FROM "covered" c
JOIN "merchants" m ON m."id" = c."id"
JOIN "payout_address_proofs" p ON p."merchant_id" = c."root" AND lower(p."address") = lower(m."payout_address")
WHERE c."depth" > 0
ORDER BY c."id", c."depth" DESC
ON CONFLICT DO NOTHING;
