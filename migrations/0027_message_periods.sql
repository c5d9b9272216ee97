CREATE TABLE "stats_message_periods" (
	"account_id" bigint NOT NULL,
	"period" text NOT NULL,
	"period_start" date NOT NULL,
	"msg_user" integer DEFAULT 0 NOT NULL,
	"msg_count" integer DEFAULT 0 NOT NULL,
	"senders_1_to_5" integer DEFAULT 0 NOT NULL,
	"senders_6_to_10" integer DEFAULT 0 NOT NULL,
	"senders_over_10" integer DEFAULT 0 NOT NULL,
	"text_user" integer DEFAULT 0 NOT NULL,
	"text_count" integer DEFAULT 0 NOT NULL,
	"image_user" integer DEFAULT 0 NOT NULL,
	"image_count" integer DEFAULT 0 NOT NULL,
	"voice_user" integer DEFAULT 0 NOT NULL,
	"voice_count" integer DEFAULT 0 NOT NULL,
	"video_user" integer DEFAULT 0 NOT NULL,
	"video_count" integer DEFAULT 0 NOT NULL,
	"shortvideo_user" integer DEFAULT 0 NOT NULL,
	"shortvideo_count" integer DEFAULT 0 NOT NULL,
	"location_user" integer DEFAULT 0 NOT NULL,
	"location_count" integer DEFAULT 0 NOT NULL,
	"link_user" integer DEFAULT 0 NOT NULL,
	"link_count" integer DEFAULT 0 NOT NULL,
	"wechat_4_user" integer DEFAULT 0 NOT NULL,
	"wechat_6_user" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_message_periods_account_id_period_period_start_pk" PRIMARY KEY("account_id","period","period_start"),
	CONSTRAINT "stats_message_periods_period" CHECK ("stats_message_periods"."period" IN ('day', 'week', 'month'))
);

--> statement-breakpoint
-- Every fold updates the rows of the periods it sees: free space in each page keeps those updates on their page (HOT,
-- no new index entries) and lets their old versions be pruned there, as in stats_period_senders (0021).
ALTER TABLE "stats_message_periods" SET (fillfactor = 50);
--> statement-breakpoint
-- The periods folded so far, from a row per type and period to a row per period with columns per type: 'all' gives
-- the period's senders, messages and buckets (the only buckets read), each type its senders and messages, WeChat's
-- combined 'wechat:4' / 'wechat:6' their distinct senders (their messages are their types' sum). A type without a row
-- had no messages. The messages cursor is held to the end of the migration, so a worker folding meanwhile waits for it.
SELECT 1 FROM stats_cursors WHERE source = 'messages' FOR UPDATE;
--> statement-breakpoint
INSERT INTO "stats_message_periods" (account_id, period, period_start, msg_user, msg_count, senders_1_to_5, senders_6_to_10, senders_over_10,
  text_user, text_count, image_user, image_count, voice_user, voice_count, video_user, video_count, shortvideo_user, shortvideo_count,
  location_user, location_count, link_user, link_count, wechat_4_user, wechat_6_user)
SELECT account_id, period, period_start,
       coalesce(max(msg_user) FILTER (WHERE msg_type = 'all'), 0), coalesce(max(msg_count) FILTER (WHERE msg_type = 'all'), 0),
       coalesce(max(senders_1_to_5) FILTER (WHERE msg_type = 'all'), 0), coalesce(max(senders_6_to_10) FILTER (WHERE msg_type = 'all'), 0),
       coalesce(max(senders_over_10) FILTER (WHERE msg_type = 'all'), 0),
       coalesce(max(msg_user) FILTER (WHERE msg_type = 'text'), 0), coalesce(max(msg_count) FILTER (WHERE msg_type = 'text'), 0),
       coalesce(max(msg_user) FILTER (WHERE msg_type = 'image'), 0), coalesce(max(msg_count) FILTER (WHERE msg_type = 'image'), 0),
       coalesce(max(msg_user) FILTER (WHERE msg_type = 'voice'), 0), coalesce(max(msg_count) FILTER (WHERE msg_type = 'voice'), 0),
       coalesce(max(msg_user) FILTER (WHERE msg_type = 'video'), 0), coalesce(max(msg_count) FILTER (WHERE msg_type = 'video'), 0),
       coalesce(max(msg_user) FILTER (WHERE msg_type = 'shortvideo'), 0), coalesce(max(msg_count) FILTER (WHERE msg_type = 'shortvideo'), 0),
       coalesce(max(msg_user) FILTER (WHERE msg_type = 'location'), 0), coalesce(max(msg_count) FILTER (WHERE msg_type = 'location'), 0),
       coalesce(max(msg_user) FILTER (WHERE msg_type = 'link'), 0), coalesce(max(msg_count) FILTER (WHERE msg_type = 'link'), 0),
       coalesce(max(msg_user) FILTER (WHERE msg_type = 'wechat:4'), 0), coalesce(max(msg_user) FILTER (WHERE msg_type = 'wechat:6'), 0)
FROM "stats_messages"
GROUP BY 1, 2, 3;
