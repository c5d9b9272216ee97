CREATE SEQUENCE "public"."template_msg_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 3487542469355618001 CACHE 1;--> statement-breakpoint
CREATE TABLE "template_industries" (
	"account_id" bigint PRIMARY KEY NOT NULL,
	"primary_industry_id" smallint NOT NULL,
	"secondary_industry_id" smallint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "template_industries_ids" CHECK ("template_industries"."primary_industry_id" BETWEEN 1 AND 41 AND "template_industries"."secondary_industry_id" BETWEEN 1 AND 41)
);
--> statement-breakpoint
CREATE TABLE "template_messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "template_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"follower_id" bigint NOT NULL,
	"openid" text NOT NULL,
	"msg_id" bigint NOT NULL,
	"template_id" text NOT NULL,
	"client_msg_id" text,
	"status" text NOT NULL,
	"reply_id" bigint,
	"sent_at" timestamp with time zone NOT NULL,
	CONSTRAINT "template_messages_status" CHECK ("template_messages"."status" IN ('success', 'failed:user block'))
);
--> statement-breakpoint
CREATE TABLE "templates" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "templates_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"template_id" text NOT NULL,
	"template_id_short" text NOT NULL,
	"keyword_names" text[] NOT NULL,
	"industry_id" smallint,
	"title" text NOT NULL,
	"primary_industry" text NOT NULL,
	"deputy_industry" text NOT NULL,
	"content" text NOT NULL,
	"example" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_replies" DROP CONSTRAINT "webhook_replies_kind";--> statement-breakpoint
ALTER TABLE "template_industries" ADD CONSTRAINT "template_industries_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_messages" ADD CONSTRAINT "template_messages_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_messages" ADD CONSTRAINT "template_messages_follower_id_followers_id_fk" FOREIGN KEY ("follower_id") REFERENCES "public"."followers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_messages" ADD CONSTRAINT "template_messages_reply_id_webhook_replies_id_fk" FOREIGN KEY ("reply_id") REFERENCES "public"."webhook_replies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "templates" ADD CONSTRAINT "templates_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "template_messages_msg_id_key" ON "template_messages" USING btree ("msg_id");--> statement-breakpoint
CREATE INDEX "template_messages_client_msg_idx" ON "template_messages" USING btree ("account_id","openid","client_msg_id","sent_at") WHERE "template_messages"."client_msg_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "templates_template_id_key" ON "templates" USING btree ("template_id");--> statement-breakpoint
CREATE INDEX "templates_account_idx" ON "templates" USING btree ("account_id","id");--> statement-breakpoint
ALTER TABLE "webhook_replies" ADD CONSTRAINT "webhook_replies_kind" CHECK ("webhook_replies"."kind" IN ('reply', 'custom', 'template') AND ("webhook_replies"."kind" = 'reply') = ("webhook_replies"."push_id" IS NOT NULL));--> statement-breakpoint
-- TEMPLATESENDJOBFINISH (§10.3.3): pushed like a follow event or a menu tap, written in the send's own transaction, in
-- the follower's lane (see 0008); MsgID is the message's msgid, Status how its delivery ended.
CREATE FUNCTION webhook_enqueue_template_messages() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE queued bigint;
BEGIN
  INSERT INTO webhook_pushes (account_id, lane, openid, kind, source, msg_id, create_time, content, next_attempt_at)
  SELECT t.account_id, t.openid, t.openid, 'TEMPLATESENDJOBFINISH', 'template_messages:' || t.id, t.msg_id::text,
         floor(extract(epoch FROM t.sent_at))::bigint,
         jsonb_build_object('status', t.status),
         CASE WHEN EXISTS (SELECT 1 FROM webhook_pushes q WHERE q.account_id = t.account_id AND q.lane = t.openid AND q.status = 'pending')
              THEN NULL ELSE now() END
  FROM inserted t
  JOIN webhook_configs c ON c.account_id = t.account_id
  ORDER BY t.id;
  GET DIAGNOSTICS queued = ROW_COUNT;
  IF queued > 0 THEN PERFORM pg_notify('webhook_pushes', ''); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER template_messages_webhook_push AFTER INSERT ON template_messages REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_enqueue_template_messages();
