-- The messages cursor is held to the end of the migration, so a worker folding meanwhile waits for it (and one of
-- older code folding now has finished before this row lock is granted). A worker of older code that goes on folding
-- after it would keep senders per hour where nothing reads them, and count them again: stop those before migrating
-- (README), or run `npm run stats:rebuild` after.
SELECT 1 FROM stats_cursors WHERE source = 'messages' FOR UPDATE;--> statement-breakpoint
ALTER TABLE "stats_period_senders" ADD COLUMN "text_hours" integer;--> statement-breakpoint
ALTER TABLE "stats_period_senders" ADD COLUMN "image_hours" integer;--> statement-breakpoint
ALTER TABLE "stats_period_senders" ADD COLUMN "voice_hours" integer;--> statement-breakpoint
ALTER TABLE "stats_period_senders" ADD COLUMN "video_hours" integer;--> statement-breakpoint
ALTER TABLE "stats_period_senders" ADD COLUMN "shortvideo_hours" integer;--> statement-breakpoint
ALTER TABLE "stats_period_senders" ADD COLUMN "location_hours" integer;--> statement-breakpoint
ALTER TABLE "stats_period_senders" ADD COLUMN "link_hours" integer;--> statement-breakpoint
-- Senders per hour move from a row per sender, hour and key (stats_hourly_users, metric 'msg') to the hours of each
-- type on the sender's day row: bit h for hour h. 'all' and WeChat's combined keys are their types' hours together,
-- so only the types' rows are read.
UPDATE "stats_period_senders" s
SET "text_hours" = h.text_hours, "image_hours" = h.image_hours, "voice_hours" = h.voice_hours, "video_hours" = h.video_hours,
    "shortvideo_hours" = h.shortvideo_hours, "location_hours" = h.location_hours, "link_hours" = h.link_hours
FROM (
  SELECT account_id, day, wechat_user_id,
         coalesce(bit_or(1 << hour::int) FILTER (WHERE key = 'text'), 0) AS text_hours,
         coalesce(bit_or(1 << hour::int) FILTER (WHERE key = 'image'), 0) AS image_hours,
         coalesce(bit_or(1 << hour::int) FILTER (WHERE key = 'voice'), 0) AS voice_hours,
         coalesce(bit_or(1 << hour::int) FILTER (WHERE key = 'video'), 0) AS video_hours,
         coalesce(bit_or(1 << hour::int) FILTER (WHERE key = 'shortvideo'), 0) AS shortvideo_hours,
         coalesce(bit_or(1 << hour::int) FILTER (WHERE key = 'location'), 0) AS location_hours,
         coalesce(bit_or(1 << hour::int) FILTER (WHERE key = 'link'), 0) AS link_hours
  FROM "stats_hourly_users" WHERE metric = 'msg'
  GROUP BY 1, 2, 3
) h
WHERE s.account_id = h.account_id AND s.period = 'day' AND s.period_start = h.day AND s.wechat_user_id = h.wechat_user_id;--> statement-breakpoint
DELETE FROM "stats_hourly_users" WHERE metric = 'msg';
