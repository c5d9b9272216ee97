CREATE TABLE "stats_article_days" (
	"account_id" bigint NOT NULL,
	"msg_data_id" bigint NOT NULL,
	"article_index" smallint NOT NULL,
	"day" date NOT NULL,
	"read_users" integer DEFAULT 0 NOT NULL,
	"read_count" integer DEFAULT 0 NOT NULL,
	"read_first_users" integer DEFAULT 0 NOT NULL,
	"original_users" integer DEFAULT 0 NOT NULL,
	"original_count" integer DEFAULT 0 NOT NULL,
	"original_first_users" integer DEFAULT 0 NOT NULL,
	"share_users" integer DEFAULT 0 NOT NULL,
	"share_count" integer DEFAULT 0 NOT NULL,
	"share_first_users" integer DEFAULT 0 NOT NULL,
	"favorite_users" integer DEFAULT 0 NOT NULL,
	"favorite_count" integer DEFAULT 0 NOT NULL,
	"favorite_first_users" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_article_days_account_id_msg_data_id_article_index_day_pk" PRIMARY KEY("account_id","msg_data_id","article_index","day")
);
--> statement-breakpoint
CREATE TABLE "stats_read_days" (
	"account_id" bigint NOT NULL,
	"day" date NOT NULL,
	"channel" text COLLATE "C" NOT NULL,
	"read_users" integer DEFAULT 0 NOT NULL,
	"read_count" integer DEFAULT 0 NOT NULL,
	"original_users" integer DEFAULT 0 NOT NULL,
	"original_count" integer DEFAULT 0 NOT NULL,
	"share_users" integer DEFAULT 0 NOT NULL,
	"share_count" integer DEFAULT 0 NOT NULL,
	"favorite_users" integer DEFAULT 0 NOT NULL,
	"favorite_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_read_days_account_id_day_channel_pk" PRIMARY KEY("account_id","day","channel")
);
--> statement-breakpoint
CREATE INDEX "stats_article_days_day_idx" ON "stats_article_days" USING btree ("account_id","day","msg_data_id","article_index");
--> statement-breakpoint
-- The fold updates the day's rows in place (every batch adds to today's articles and channels): free space in each
-- page keeps those updates on their page (HOT, no new index entries) and lets their old versions be pruned there,
-- as for stats_period_senders (0021).
ALTER TABLE "stats_article_days" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "stats_read_days" SET (fillfactor = 50);
--> statement-breakpoint
-- The engagement folded so far, from a row per action to a row per article and day (and per day and channel) with a
-- column pair per action. The article_engagements cursor is held to the end of the migration, so a fold in progress
-- commits its rows before they are carried over, and a fold after the migration writes the new tables.
SELECT 1 FROM stats_cursors WHERE source = 'article_engagements' FOR UPDATE;
--> statement-breakpoint
INSERT INTO "stats_article_days" (account_id, msg_data_id, article_index, day,
  read_users, read_count, read_first_users, original_users, original_count, original_first_users,
  share_users, share_count, share_first_users, favorite_users, favorite_count, favorite_first_users)
SELECT account_id, msg_data_id, article_index, day,
       coalesce(sum(users) FILTER (WHERE action = 'read'), 0), coalesce(sum(count) FILTER (WHERE action = 'read'), 0),
       coalesce(sum(first_users) FILTER (WHERE action = 'read'), 0),
       coalesce(sum(users) FILTER (WHERE action = 'original'), 0), coalesce(sum(count) FILTER (WHERE action = 'original'), 0),
       coalesce(sum(first_users) FILTER (WHERE action = 'original'), 0),
       coalesce(sum(users) FILTER (WHERE action = 'share'), 0), coalesce(sum(count) FILTER (WHERE action = 'share'), 0),
       coalesce(sum(first_users) FILTER (WHERE action = 'share'), 0),
       coalesce(sum(users) FILTER (WHERE action = 'favorite'), 0), coalesce(sum(count) FILTER (WHERE action = 'favorite'), 0),
       coalesce(sum(first_users) FILTER (WHERE action = 'favorite'), 0)
FROM "stats_article_daily"
GROUP BY 1, 2, 3, 4
-- Kept in the order the routes read them (by day), as the fold appends them from now on.
ORDER BY account_id, day, msg_data_id, article_index;
--> statement-breakpoint
INSERT INTO "stats_read_days" (account_id, day, channel,
  read_users, read_count, original_users, original_count, share_users, share_count, favorite_users, favorite_count)
SELECT account_id, day, channel,
       coalesce(sum(users) FILTER (WHERE action = 'read'), 0), coalesce(sum(count) FILTER (WHERE action = 'read'), 0),
       coalesce(sum(users) FILTER (WHERE action = 'original'), 0), coalesce(sum(count) FILTER (WHERE action = 'original'), 0),
       coalesce(sum(users) FILTER (WHERE action = 'share'), 0), coalesce(sum(count) FILTER (WHERE action = 'share'), 0),
       coalesce(sum(users) FILTER (WHERE action = 'favorite'), 0), coalesce(sum(count) FILTER (WHERE action = 'favorite'), 0)
FROM "stats_reads_daily"
GROUP BY 1, 2, 3
ORDER BY account_id, day, channel;
