CREATE TYPE "public"."engagement_action" AS ENUM('read', 'original', 'share', 'favorite');--> statement-breakpoint
CREATE TYPE "public"."follow_event_kind" AS ENUM('subscribe', 'unsubscribe');--> statement-breakpoint
CREATE SEQUENCE "public"."message_msg_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 6054768590064713728 CACHE 1;--> statement-breakpoint
CREATE TABLE "article_engagements" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "article_engagements_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"msg_data_id" bigint NOT NULL,
	"article_index" smallint NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	"follower_id" bigint,
	"was_follower" boolean NOT NULL,
	"action" "engagement_action" NOT NULL,
	"source" text NOT NULL,
	"share_scene" text,
	"occurred_at" timestamp with time zone NOT NULL,
	CONSTRAINT "article_engagements_share_scene" CHECK (("article_engagements"."action" = 'share') = ("article_engagements"."share_scene" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "follow_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "follow_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"follower_id" bigint NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	"kind" "follow_event_kind" NOT NULL,
	"scene" text,
	"qr_scene" integer,
	"qr_scene_str" text,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "follower_tags" (
	"tag_id" integer NOT NULL,
	"follower_id" bigint NOT NULL,
	CONSTRAINT "follower_tags_tag_id_follower_id_pk" PRIMARY KEY("tag_id","follower_id")
);
--> statement-breakpoint
CREATE TABLE "followers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "followers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	"openid" text NOT NULL,
	"subscribed" boolean NOT NULL,
	"subscribed_at" timestamp with time zone NOT NULL,
	"first_subscribed_at" timestamp with time zone NOT NULL,
	"unsubscribed_at" timestamp with time zone,
	"subscribe_scene" text NOT NULL,
	"qr_scene" integer,
	"qr_scene_str" text,
	"remark" text DEFAULT '' NOT NULL,
	"blacklisted" boolean DEFAULT false NOT NULL,
	"blacklisted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"msg_id" bigint NOT NULL,
	"account_id" bigint NOT NULL,
	"follower_id" bigint NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	"msg_type" text NOT NULL,
	"body" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tags_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 100 CACHE 1),
	"account_id" bigint NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "union_ids" (
	"owner_id" bigint NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	"unionid" text NOT NULL,
	CONSTRAINT "union_ids_owner_id_wechat_user_id_pk" PRIMARY KEY("owner_id","wechat_user_id")
);
--> statement-breakpoint
CREATE TABLE "wechat_users" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "wechat_users_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"nickname" text NOT NULL,
	"gender" smallint DEFAULT 0 NOT NULL,
	"language" text DEFAULT 'zh_CN' NOT NULL,
	"country" text DEFAULT '' NOT NULL,
	"province" text DEFAULT '' NOT NULL,
	"city" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "follower_tags" ADD CONSTRAINT "follower_tags_tag_id_tags_id_fk" FOREIGN KEY ("tag_id") REFERENCES "public"."tags"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "follower_tags" ADD CONSTRAINT "follower_tags_follower_id_followers_id_fk" FOREIGN KEY ("follower_id") REFERENCES "public"."followers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "followers" ADD CONSTRAINT "followers_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "followers" ADD CONSTRAINT "followers_wechat_user_id_wechat_users_id_fk" FOREIGN KEY ("wechat_user_id") REFERENCES "public"."wechat_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tags" ADD CONSTRAINT "tags_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "union_ids" ADD CONSTRAINT "union_ids_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "union_ids" ADD CONSTRAINT "union_ids_wechat_user_id_wechat_users_id_fk" FOREIGN KEY ("wechat_user_id") REFERENCES "public"."wechat_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "article_engagements_account_time_idx" ON "article_engagements" USING btree ("account_id","occurred_at");--> statement-breakpoint
CREATE INDEX "article_engagements_article_idx" ON "article_engagements" USING btree ("account_id","msg_data_id","article_index");--> statement-breakpoint
CREATE INDEX "follow_events_account_time_idx" ON "follow_events" USING btree ("account_id","occurred_at");--> statement-breakpoint
CREATE INDEX "follower_tags_follower_idx" ON "follower_tags" USING btree ("follower_id");--> statement-breakpoint
CREATE UNIQUE INDEX "followers_account_user_key" ON "followers" USING btree ("account_id","wechat_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "followers_openid_key" ON "followers" USING btree ("openid");--> statement-breakpoint
CREATE INDEX "followers_subscribed_idx" ON "followers" USING btree ("account_id","id") WHERE "followers"."subscribed";--> statement-breakpoint
CREATE INDEX "followers_blacklist_idx" ON "followers" USING btree ("account_id","id") WHERE "followers"."blacklisted";--> statement-breakpoint
CREATE UNIQUE INDEX "messages_msg_id_key" ON "messages" USING btree ("msg_id");--> statement-breakpoint
CREATE INDEX "messages_account_time_idx" ON "messages" USING btree ("account_id","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tags_account_name_key" ON "tags" USING btree ("account_id","name");--> statement-breakpoint
CREATE INDEX "tags_account_idx" ON "tags" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "union_ids_unionid_key" ON "union_ids" USING btree ("unionid");