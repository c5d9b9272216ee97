CREATE TYPE "public"."media_kind" AS ENUM('image', 'voice', 'video', 'thumb', 'news', 'article_image');--> statement-breakpoint
CREATE TABLE "media" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "media_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"kind" "media_kind" NOT NULL,
	"media_id" text NOT NULL,
	"content_type" text,
	"size" integer DEFAULT 0 NOT NULL,
	"storage_key" text,
	"articles" jsonb,
	"pinned" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	CONSTRAINT "media_file_or_articles" CHECK (("media"."kind" = 'news') = ("media"."articles" IS NOT NULL AND "media"."storage_key" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "media" ADD CONSTRAINT "media_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "media_media_id_key" ON "media" USING btree ("media_id");--> statement-breakpoint
CREATE UNIQUE INDEX "media_storage_key_key" ON "media" USING btree ("storage_key");--> statement-breakpoint
CREATE INDEX "media_account_idx" ON "media" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "media_expiry_idx" ON "media" USING btree ("expires_at") WHERE "media"."expires_at" IS NOT NULL AND NOT "media"."pinned";