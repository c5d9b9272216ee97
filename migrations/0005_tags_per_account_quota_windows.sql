CREATE TABLE "tag_id_counters" (
	"account_id" bigint PRIMARY KEY NOT NULL,
	"last_id" integer NOT NULL
);--> statement-breakpoint
CREATE TABLE "outbox_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "outbox_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"published_at" timestamp with time zone
);--> statement-breakpoint
-- Quota counters are keyed by the kind of window too (a day and a month can start at the same instant). Existing
-- counters are dropped rather than converted: a window's counter is seeded from quota_ledger when its first unit is
-- taken, and the status reads the ledger until then, so nothing that was used is forgotten.
DELETE FROM "quota_counters";--> statement-breakpoint
ALTER TABLE "quota_counters" DROP CONSTRAINT "quota_counters_account_id_period_start_pk";--> statement-breakpoint
ALTER TABLE "quota_counters" ADD COLUMN "period" "quota_period" NOT NULL;--> statement-breakpoint
ALTER TABLE "quota_counters" ADD COLUMN "period_end" timestamp with time zone NOT NULL;--> statement-breakpoint
ALTER TABLE "quota_counters" ADD CONSTRAINT "quota_counters_account_id_period_period_start_pk" PRIMARY KEY("account_id","period","period_start");--> statement-breakpoint
DROP INDEX "quota_ledger_account_period_idx";--> statement-breakpoint
CREATE INDEX "quota_ledger_account_consumed_idx" ON "quota_ledger" USING btree ("account_id","consumed_at");--> statement-breakpoint
-- Tags were numbered by one global sequence; WeChat numbers each account's tags 100, 101, … Existing tags are
-- renumbered per account in their id order, and the rows that name them (follower_tags, broadcasts.target_tag_id)
-- follow. A broadcast whose tag was deleted keeps no tag id: its old global id could now name another tag.
ALTER TABLE "follower_tags" DROP CONSTRAINT "follower_tags_tag_id_tags_id_fk";--> statement-breakpoint
ALTER TABLE "follower_tags" DROP CONSTRAINT "follower_tags_tag_id_follower_id_pk";--> statement-breakpoint
DROP INDEX "tags_account_idx";--> statement-breakpoint
ALTER TABLE "tags" DROP CONSTRAINT "tags_pkey";--> statement-breakpoint
ALTER TABLE "tags" ALTER COLUMN "id" DROP IDENTITY;--> statement-breakpoint
ALTER TABLE "follower_tags" ADD COLUMN "account_id" bigint;--> statement-breakpoint
UPDATE "broadcasts" b SET "target_tag_id" = (
  SELECT r.new_id FROM (SELECT account_id, id AS old_id, (99 + row_number() OVER (PARTITION BY account_id ORDER BY id))::int AS new_id FROM "tags") r WHERE r.account_id = b.account_id AND r.old_id = b.target_tag_id
)
WHERE b.target_tag_id IS NOT NULL;--> statement-breakpoint
UPDATE "follower_tags" ft SET "account_id" = r.account_id, "tag_id" = r.new_id
FROM (SELECT account_id, id AS old_id, (99 + row_number() OVER (PARTITION BY account_id ORDER BY id))::int AS new_id FROM "tags") r
WHERE ft.tag_id = r.old_id;--> statement-breakpoint
UPDATE "tags" t SET "id" = r.new_id
FROM (SELECT account_id, id AS old_id, (99 + row_number() OVER (PARTITION BY account_id ORDER BY id))::int AS new_id FROM "tags") r
WHERE t.account_id = r.account_id AND t.id = r.old_id;--> statement-breakpoint
-- The next tag of each account continues after its highest number.
INSERT INTO "tag_id_counters" ("account_id", "last_id") SELECT "account_id", max("id") FROM "tags" GROUP BY "account_id";--> statement-breakpoint
ALTER TABLE "follower_tags" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "tags" ADD CONSTRAINT "tags_account_id_id_pk" PRIMARY KEY("account_id","id");--> statement-breakpoint
ALTER TABLE "follower_tags" ADD CONSTRAINT "follower_tags_account_id_tag_id_follower_id_pk" PRIMARY KEY("account_id","tag_id","follower_id");--> statement-breakpoint
ALTER TABLE "follower_tags" ADD CONSTRAINT "follower_tags_tag_fk" FOREIGN KEY ("account_id","tag_id") REFERENCES "public"."tags"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tag_id_counters" ADD CONSTRAINT "tag_id_counters_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "broadcast_batches" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "broadcast_batches" ADD COLUMN "last_error" text;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "plan_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox_events" ADD CONSTRAINT "outbox_events_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_events_idempotency_key" ON "outbox_events" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "outbox_events_unpublished_idx" ON "outbox_events" USING btree ("id") WHERE "outbox_events"."published_at" IS NULL;--> statement-breakpoint
ALTER TABLE "broadcasts" DROP COLUMN "finish_event_queued_at";
