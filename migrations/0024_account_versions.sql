CREATE TABLE "stats_account_versions" (
	"account_id" bigint NOT NULL,
	"source" text NOT NULL,
	"version" bigint NOT NULL,
	CONSTRAINT "stats_account_versions_account_id_source_pk" PRIMARY KEY("account_id","source")
);
--> statement-breakpoint
-- Every account that may already have rollups gets a version, so that "no row" keeps meaning "no rollups" (a reset
-- empties both): an answer kept with no version is then never served over rollups that were there all along.
INSERT INTO "stats_account_versions" ("account_id", "source", "version")
SELECT "id", 'migration', pg_current_xact_id()::text::bigint FROM "accounts";
