CREATE TABLE "stats_article_daily" (
	"account_id" bigint NOT NULL,
	"msg_data_id" bigint NOT NULL,
	"article_index" smallint NOT NULL,
	"day" date NOT NULL,
	"action" text NOT NULL,
	"users" integer DEFAULT 0 NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	"first_users" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_article_daily_account_id_msg_data_id_article_index_day_action_pk" PRIMARY KEY("account_id","msg_data_id","article_index","day","action")
);
--> statement-breakpoint
CREATE TABLE "stats_article_day_users" (
	"account_id" bigint NOT NULL,
	"msg_data_id" bigint NOT NULL,
	"article_index" smallint NOT NULL,
	"day" date NOT NULL,
	"action" text NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	CONSTRAINT "stats_article_day_users_account_id_msg_data_id_article_index_day_action_wechat_user_id_pk" PRIMARY KEY("account_id","msg_data_id","article_index","day","action","wechat_user_id")
);
--> statement-breakpoint
CREATE TABLE "stats_article_users" (
	"account_id" bigint NOT NULL,
	"msg_data_id" bigint NOT NULL,
	"article_index" smallint NOT NULL,
	"action" text NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	"first_day" date NOT NULL,
	CONSTRAINT "stats_article_users_account_id_msg_data_id_article_index_action_wechat_user_id_pk" PRIMARY KEY("account_id","msg_data_id","article_index","action","wechat_user_id")
);
--> statement-breakpoint
CREATE TABLE "stats_attribute_daily" (
	"account_id" bigint NOT NULL,
	"day" date NOT NULL,
	"attribute" text NOT NULL,
	"value" text NOT NULL,
	"delta" integer NOT NULL,
	CONSTRAINT "stats_attribute_daily_account_id_day_attribute_value_pk" PRIMARY KEY("account_id","day","attribute","value")
);
--> statement-breakpoint
CREATE TABLE "stats_cursors" (
	"source" text PRIMARY KEY NOT NULL,
	"last_id" bigint DEFAULT 0 NOT NULL,
	"blocked_below" bigint,
	"blocked_by" text[],
	"timezone" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stats_follow_daily" (
	"account_id" bigint NOT NULL,
	"day" date NOT NULL,
	"new_user" integer DEFAULT 0 NOT NULL,
	"cancel_user" integer DEFAULT 0 NOT NULL,
	"by_scene" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "stats_follow_daily_account_id_day_pk" PRIMARY KEY("account_id","day")
);
--> statement-breakpoint
CREATE TABLE "stats_hourly" (
	"account_id" bigint NOT NULL,
	"day" date NOT NULL,
	"hour" smallint NOT NULL,
	"metric" text NOT NULL,
	"key" text NOT NULL,
	"users" integer DEFAULT 0 NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_hourly_account_id_day_hour_metric_key_pk" PRIMARY KEY("account_id","day","hour","metric","key"),
	CONSTRAINT "stats_hourly_hour" CHECK ("stats_hourly"."hour" BETWEEN 0 AND 23)
);
--> statement-breakpoint
CREATE TABLE "stats_hourly_users" (
	"account_id" bigint NOT NULL,
	"day" date NOT NULL,
	"hour" smallint NOT NULL,
	"metric" text NOT NULL,
	"key" text NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	CONSTRAINT "stats_hourly_users_account_id_day_hour_metric_key_wechat_user_id_pk" PRIMARY KEY("account_id","day","hour","metric","key","wechat_user_id")
);
--> statement-breakpoint
CREATE TABLE "stats_message_senders" (
	"account_id" bigint NOT NULL,
	"period" text NOT NULL,
	"period_start" date NOT NULL,
	"msg_type" text NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	"msg_count" integer NOT NULL,
	CONSTRAINT "stats_message_senders_account_id_period_period_start_msg_type_wechat_user_id_pk" PRIMARY KEY("account_id","period","period_start","msg_type","wechat_user_id"),
	CONSTRAINT "stats_message_senders_count" CHECK ("stats_message_senders"."msg_count" > 0),
	CONSTRAINT "stats_message_senders_period" CHECK ("stats_message_senders"."period" IN ('day', 'week', 'month'))
);
--> statement-breakpoint
CREATE TABLE "stats_messages" (
	"account_id" bigint NOT NULL,
	"period" text NOT NULL,
	"period_start" date NOT NULL,
	"msg_type" text NOT NULL,
	"msg_user" integer DEFAULT 0 NOT NULL,
	"msg_count" integer DEFAULT 0 NOT NULL,
	"senders_1_to_5" integer DEFAULT 0 NOT NULL,
	"senders_6_to_10" integer DEFAULT 0 NOT NULL,
	"senders_over_10" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_messages_account_id_period_period_start_msg_type_pk" PRIMARY KEY("account_id","period","period_start","msg_type"),
	CONSTRAINT "stats_messages_period" CHECK ("stats_messages"."period" IN ('day', 'week', 'month'))
);
--> statement-breakpoint
CREATE TABLE "stats_reads_daily" (
	"account_id" bigint NOT NULL,
	"day" date NOT NULL,
	"action" text NOT NULL,
	"channel" text NOT NULL,
	"users" integer DEFAULT 0 NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "stats_reads_daily_account_id_day_action_channel_pk" PRIMARY KEY("account_id","day","action","channel")
);
--> statement-breakpoint
CREATE TABLE "stats_reads_day_users" (
	"account_id" bigint NOT NULL,
	"day" date NOT NULL,
	"action" text NOT NULL,
	"channel" text NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	CONSTRAINT "stats_reads_day_users_account_id_day_action_channel_wechat_user_id_pk" PRIMARY KEY("account_id","day","action","channel","wechat_user_id")
);
--> statement-breakpoint
CREATE INDEX "stats_article_daily_day_idx" ON "stats_article_daily" USING btree ("account_id","day");