CREATE TYPE "public"."broadcast_message_type" AS ENUM('news', 'text', 'image');--> statement-breakpoint
CREATE TYPE "public"."broadcast_status" AS ENUM('queued', 'SENDING', 'SEND_SUCCESS', 'SEND_FAIL');--> statement-breakpoint
CREATE TYPE "public"."broadcast_target" AS ENUM('all', 'tag', 'openids');--> statement-breakpoint
CREATE SEQUENCE "public"."broadcast_msg_data_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 2247483001 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."broadcast_msg_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1000000001 CACHE 1;--> statement-breakpoint
CREATE TABLE "broadcast_articles" (
	"broadcast_id" bigint NOT NULL,
	"idx" smallint NOT NULL,
	"account_id" bigint NOT NULL,
	"msg_data_id" bigint NOT NULL,
	"title" text NOT NULL,
	"author" text DEFAULT '' NOT NULL,
	"digest" text DEFAULT '' NOT NULL,
	"content" text NOT NULL,
	"content_source_url" text DEFAULT '' NOT NULL,
	"thumb_url" text NOT NULL,
	"show_cover_pic" boolean DEFAULT false NOT NULL,
	"need_open_comment" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "broadcast_articles_broadcast_id_idx_pk" PRIMARY KEY("broadcast_id","idx"),
	CONSTRAINT "broadcast_articles_idx_range" CHECK ("broadcast_articles"."idx" BETWEEN 1 AND 8)
);
--> statement-breakpoint
CREATE TABLE "broadcast_batches" (
	"broadcast_id" bigint NOT NULL,
	"seq" integer NOT NULL,
	"lo" bigint NOT NULL,
	"hi" bigint NOT NULL,
	"candidates" integer,
	"filtered" integer,
	"sent" integer,
	"errors" integer,
	"done_at" timestamp with time zone,
	CONSTRAINT "broadcast_batches_broadcast_id_seq_pk" PRIMARY KEY("broadcast_id","seq")
);
--> statement-breakpoint
CREATE TABLE "broadcast_openids" (
	"broadcast_id" bigint NOT NULL,
	"openid" text NOT NULL,
	CONSTRAINT "broadcast_openids_broadcast_id_openid_pk" PRIMARY KEY("broadcast_id","openid")
);
--> statement-breakpoint
CREATE TABLE "broadcasts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "broadcasts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"msg_id" bigint DEFAULT nextval('broadcast_msg_id_seq') NOT NULL,
	"msg_data_id" bigint,
	"is_preview" boolean DEFAULT false NOT NULL,
	"client_msg_id" text,
	"message_type" "broadcast_message_type" NOT NULL,
	"body" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"target" "broadcast_target" NOT NULL,
	"target_tag_id" integer,
	"status" "broadcast_status" DEFAULT 'queued' NOT NULL,
	"fail_reason" text,
	"total_count" integer DEFAULT 0 NOT NULL,
	"filtered_count" integer DEFAULT 0 NOT NULL,
	"sent_count" integer DEFAULT 0 NOT NULL,
	"error_count" integer DEFAULT 0 NOT NULL,
	"batches_total" integer,
	"batches_done" integer DEFAULT 0 NOT NULL,
	"quota_ledger_id" bigint,
	"created_by" bigint,
	"created_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"finish_event_queued_at" timestamp with time zone,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"follower_id" bigint NOT NULL,
	"broadcast_id" bigint NOT NULL,
	"delivered_at" timestamp with time zone NOT NULL,
	CONSTRAINT "deliveries_follower_id_broadcast_id_pk" PRIMARY KEY("follower_id","broadcast_id")
);
--> statement-breakpoint
ALTER TABLE "broadcast_articles" ADD CONSTRAINT "broadcast_articles_broadcast_id_broadcasts_id_fk" FOREIGN KEY ("broadcast_id") REFERENCES "public"."broadcasts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "broadcast_batches" ADD CONSTRAINT "broadcast_batches_broadcast_id_broadcasts_id_fk" FOREIGN KEY ("broadcast_id") REFERENCES "public"."broadcasts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "broadcast_openids" ADD CONSTRAINT "broadcast_openids_broadcast_id_broadcasts_id_fk" FOREIGN KEY ("broadcast_id") REFERENCES "public"."broadcasts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD CONSTRAINT "broadcasts_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD CONSTRAINT "broadcasts_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "broadcast_articles_msg_data_idx_key" ON "broadcast_articles" USING btree ("msg_data_id","idx");--> statement-breakpoint
CREATE UNIQUE INDEX "broadcasts_msg_id_key" ON "broadcasts" USING btree ("msg_id");--> statement-breakpoint
CREATE UNIQUE INDEX "broadcasts_msg_data_id_key" ON "broadcasts" USING btree ("msg_data_id");--> statement-breakpoint
CREATE INDEX "broadcasts_account_idx" ON "broadcasts" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "broadcasts_client_msg_id_idx" ON "broadcasts" USING btree ("account_id","client_msg_id","created_at") WHERE "broadcasts"."client_msg_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "broadcasts_unfinished_idx" ON "broadcasts" USING btree ("status") WHERE "broadcasts"."status" IN ('queued', 'SENDING');