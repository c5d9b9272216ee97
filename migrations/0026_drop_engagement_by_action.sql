-- Replaced by stats_article_days and stats_read_days (0025), which hold the same figures with a column pair per action.
DROP TABLE "stats_article_daily" CASCADE;
--> statement-breakpoint
DROP TABLE "stats_reads_daily" CASCADE;
