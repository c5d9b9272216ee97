-- The engagements cursor is held to the end of the migration, so a worker folding meanwhile waits for it (and one of
-- older code folding now has finished before this row lock is granted; one going on after it fails on the dropped
-- table).
SELECT 1 FROM stats_cursors WHERE source = 'article_engagements' FOR UPDATE;--> statement-breakpoint
ALTER TABLE "stats_article_day_users" ADD COLUMN "hours" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "stats_reads_day_users" ADD COLUMN "hours" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Users per hour of article engagement move from a row per user, hour, metric and key (stats_hourly_users) to the
-- hours of the user's day row they are counted under: metric 'article:<action>', key '<msg_data_id>/<index>' on the
-- article's day row; metric '<action>', key '<channel>' on the day's channel row. Bit h for hour h. The messages'
-- rows moved in 0030; after these two none is left.
UPDATE "stats_article_day_users" k SET "hours" = h.hours
FROM (
  SELECT account_id, day, substr(metric, length('article:') + 1) AS action,
         split_part(key, '/', 1)::bigint AS msg_data_id, split_part(key, '/', 2)::smallint AS article_index,
         wechat_user_id, bit_or(1 << hour::int) AS hours
  FROM "stats_hourly_users" WHERE starts_with(metric, 'article:')
  GROUP BY 1, 2, 3, 4, 5, 6
) h
WHERE k.account_id = h.account_id AND k.msg_data_id = h.msg_data_id AND k.article_index = h.article_index
  AND k.day = h.day AND k.action = h.action AND k.wechat_user_id = h.wechat_user_id;--> statement-breakpoint
UPDATE "stats_reads_day_users" k SET "hours" = h.hours
FROM (
  SELECT account_id, day, metric AS action, key AS channel, wechat_user_id, bit_or(1 << hour::int) AS hours
  FROM "stats_hourly_users" WHERE NOT starts_with(metric, 'article:') AND metric <> 'msg'
  GROUP BY 1, 2, 3, 4, 5
) h
WHERE k.account_id = h.account_id AND k.day = h.day AND k.action = h.action AND k.channel = h.channel AND k.wechat_user_id = h.wechat_user_id;--> statement-breakpoint
DROP TABLE "stats_hourly_users";
