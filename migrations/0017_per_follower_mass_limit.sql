CREATE TABLE "follower_mass_counters" (
	"account_id" bigint NOT NULL,
	"month_start" timestamp with time zone NOT NULL,
	"follower_id" bigint NOT NULL,
	"received" integer NOT NULL,
	CONSTRAINT "follower_mass_counters_account_id_month_start_follower_id_pk" PRIMARY KEY("account_id","month_start","follower_id"),
	CONSTRAINT "follower_mass_counters_received_positive" CHECK ("follower_mass_counters"."received" > 0)
);
--> statement-breakpoint
ALTER TABLE "quota_policies" ADD COLUMN "per_follower_monthly_mass_limit" integer;--> statement-breakpoint
ALTER TABLE "quota_policies" ADD CONSTRAINT "quota_policies_per_follower_limit_nonnegative" CHECK ("quota_policies"."per_follower_monthly_mass_limit" >= 0);--> statement-breakpoint
-- WeChat: each follower receives at most 4 mass messages per calendar month from one service account (§10.6);
-- subscription accounts have no per-follower limit. Deployments may change these rows.
UPDATE quota_policies SET per_follower_monthly_mass_limit = 4 WHERE account_type = 'service';
