-- First the column, whose ALTER locks stats_account_versions until this migration commits: a fold of older code
-- still running has written its version before the lock is granted, or writes none (it fails on the new column).
-- A row's epoch is the version it was created at; for the rows there are, the version they have (answers kept from
-- before the upgrade belong to processes that the upgrade restarts).
ALTER TABLE "stats_account_versions" ADD COLUMN "epoch" bigint;--> statement-breakpoint
UPDATE "stats_account_versions" SET "epoch" = "version";--> statement-breakpoint
ALTER TABLE "stats_account_versions" ALTER COLUMN "epoch" SET NOT NULL;--> statement-breakpoint
CREATE SEQUENCE "public"."stats_version_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
-- Versions were transaction ids until now: the sequence goes on from above every one handed out (under the lock
-- above, so none is written meanwhile), so that a version still never repeats and versions still only grow.
SELECT setval('stats_version_seq', greatest(pg_current_xact_id()::text::bigint, (SELECT max("version") FROM "stats_account_versions")));--> statement-breakpoint
CREATE TABLE "stats_day_changes" (
	"account_id" bigint NOT NULL,
	"source" text NOT NULL,
	"day" date NOT NULL,
	"version" bigint NOT NULL,
	CONSTRAINT "stats_day_changes_account_id_source_day_pk" PRIMARY KEY("account_id","source","day")
);
--> statement-breakpoint
CREATE INDEX "stats_day_changes_version_idx" ON "stats_day_changes" USING btree ("account_id","source","version");
