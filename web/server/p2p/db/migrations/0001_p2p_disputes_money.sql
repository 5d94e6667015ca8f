ALTER TABLE "p2p_withdrawal_requests" DROP CONSTRAINT "p2p_withdrawal_requests_amounts";--> statement-breakpoint
ALTER TABLE "p2p_disputes" ADD COLUMN "hold_amount" numeric(38, 0) DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "p2p_disputes" ADD COLUMN "open_transfer_id" bigint;--> statement-breakpoint
ALTER TABLE "p2p_disputes" ADD COLUMN "resolution_transfer_id" bigint;--> statement-breakpoint
ALTER TABLE "p2p_disputes" ADD COLUMN "resolved_by" uuid;--> statement-breakpoint
ALTER TABLE "p2p_sandbox_invoices" ADD COLUMN "reversed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "p2p_withdrawal_requests" ADD COLUMN "frozen" numeric(38, 0) DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "p2p_disputes" ADD CONSTRAINT "p2p_disputes_resolved_by_p2p_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."p2p_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "p2p_disputes_reservation_reason_key" ON "p2p_disputes" USING btree ("reservation_id","reason");--> statement-breakpoint
CREATE INDEX "p2p_disputes_open_idx" ON "p2p_disputes" USING btree ("created_at") WHERE "p2p_disputes"."status" = 'open';--> statement-breakpoint
ALTER TABLE "p2p_disputes" ADD CONSTRAINT "p2p_disputes_hold_non_negative" CHECK ("p2p_disputes"."hold_amount" >= 0);--> statement-breakpoint
ALTER TABLE "p2p_withdrawal_requests" ADD CONSTRAINT "p2p_withdrawal_requests_amounts" CHECK ("p2p_withdrawal_requests"."remaining" >= 0 and "p2p_withdrawal_requests"."reserved" >= 0 and "p2p_withdrawal_requests"."filled" >= 0 and "p2p_withdrawal_requests"."returned" >= 0 and "p2p_withdrawal_requests"."frozen" >= 0
        and "p2p_withdrawal_requests"."amount" = "p2p_withdrawal_requests"."remaining" + "p2p_withdrawal_requests"."reserved" + "p2p_withdrawal_requests"."filled" + "p2p_withdrawal_requests"."returned" + "p2p_withdrawal_requests"."frozen"
        and "p2p_withdrawal_requests"."min_per_buyer" > 0 and "p2p_withdrawal_requests"."min_per_buyer" <= "p2p_withdrawal_requests"."max_per_buyer");