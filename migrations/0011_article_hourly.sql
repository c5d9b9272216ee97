-- Each article's engagement per hour (stats_hourly metric 'article:<action>', key '<msg_data_id>/<index>') is folded
-- from now on; this adds it for the events folded before, counted as the fold counts them. The cursor row is held to
-- the end of the migration, so a worker folding meanwhile waits and then folds only later events.
SELECT 1 FROM stats_cursors WHERE source = 'article_engagements' FOR UPDATE;
--> statement-breakpoint
WITH folded AS (
  SELECT e.account_id, (e.occurred_at AT TIME ZONE c.timezone)::date AS day,
         extract(hour FROM e.occurred_at AT TIME ZONE c.timezone)::int AS hour,
         'article:' || e.action::text AS metric, e.msg_data_id || '/' || e.article_index AS key, e.wechat_user_id
  FROM article_engagements e JOIN stats_cursors c ON c.source = 'article_engagements'
  WHERE e.id <= c.last_id
), hour_users AS (
  INSERT INTO stats_hourly_users (account_id, day, hour, metric, key, wechat_user_id)
  SELECT DISTINCT account_id, day, hour, metric, key, wechat_user_id FROM folded
  ON CONFLICT DO NOTHING
)
INSERT INTO stats_hourly (account_id, day, hour, metric, key, users, count)
SELECT account_id, day, hour, metric, key, count(DISTINCT wechat_user_id), count(*) FROM folded GROUP BY 1, 2, 3, 4, 5
ON CONFLICT DO NOTHING;
