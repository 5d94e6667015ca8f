CREATE TABLE "merchants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"payout_address" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
