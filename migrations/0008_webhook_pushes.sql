CREATE TYPE "public"."webhook_push_status" AS ENUM('pending', 'delivered', 'failed');--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"push_id" bigint NOT NULL,
	"account_id" bigint NOT NULL,
	"attempted_at" timestamp with time zone NOT NULL,
	"status_code" integer,
	"latency_ms" integer NOT NULL,
	"error" text,
	"response_first_bytes" text,
	"succeeded" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_pushes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_pushes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"lane" text NOT NULL,
	"openid" text,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"msg_id" text,
	"create_time" bigint NOT NULL,
	"content" jsonb NOT NULL,
	"status" "webhook_push_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"claimed_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhook_replies" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_replies_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"openid" text NOT NULL,
	"push_id" bigint NOT NULL,
	"in_reply_to_msg_id" text,
	"message" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_push_id_webhook_pushes_id_fk" FOREIGN KEY ("push_id") REFERENCES "public"."webhook_pushes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_pushes" ADD CONSTRAINT "webhook_pushes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_replies" ADD CONSTRAINT "webhook_replies_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_attempts_push_idx" ON "webhook_attempts" USING btree ("push_id","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_account_time_idx" ON "webhook_attempts" USING btree ("account_id","attempted_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_pushes_source_key" ON "webhook_pushes" USING btree ("source");--> statement-breakpoint
CREATE INDEX "webhook_pushes_pending_lane_idx" ON "webhook_pushes" USING btree ("account_id","lane","id") WHERE "webhook_pushes"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_pushes_waiting_idx" ON "webhook_pushes" USING btree ("id") WHERE "webhook_pushes"."status" = 'pending' AND "webhook_pushes"."next_attempt_at" IS NULL;--> statement-breakpoint
CREATE INDEX "webhook_pushes_due_idx" ON "webhook_pushes" USING btree ("next_attempt_at","id") WHERE "webhook_pushes"."status" = 'pending' AND "webhook_pushes"."next_attempt_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "webhook_pushes_account_idx" ON "webhook_pushes" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "webhook_pushes_finished_idx" ON "webhook_pushes" USING btree ("finished_at") WHERE "webhook_pushes"."finished_at" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_replies_push_key" ON "webhook_replies" USING btree ("push_id");--> statement-breakpoint
CREATE INDEX "webhook_replies_inbox_idx" ON "webhook_replies" USING btree ("account_id","openid","id");--> statement-breakpoint
-- The webhook outbox. Each statement that stores messages, follow events or outbox events also writes, in its own
-- transaction, one push per row for accounts that have a developer server: a committed event is never lost,
-- whatever the process does next, and no writer can forget it. A push waits (next_attempt_at null) while an earlier
-- push of its lane is still pending; the relay wakes on the notification sent at commit.
CREATE FUNCTION webhook_enqueue_messages() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE queued bigint;
BEGIN
  INSERT INTO webhook_pushes (account_id, lane, openid, kind, source, msg_id, create_time, content, next_attempt_at)
  SELECT m.account_id, f.openid, f.openid, 'message', 'messages:' || m.id, m.msg_id::text,
         floor(extract(epoch FROM m.occurred_at))::bigint,
         jsonb_build_object('msgType', m.msg_type, 'body', m.body),
         CASE WHEN EXISTS (SELECT 1 FROM webhook_pushes q WHERE q.account_id = m.account_id AND q.lane = f.openid AND q.status = 'pending')
              THEN NULL ELSE now() END
  FROM inserted m
  JOIN webhook_configs c ON c.account_id = m.account_id
  JOIN followers f ON f.id = m.follower_id
  ORDER BY m.id;
  GET DIAGNOSTICS queued = ROW_COUNT;
  IF queued > 0 THEN PERFORM pg_notify('webhook_pushes', ''); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER messages_webhook_push AFTER INSERT ON messages REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_enqueue_messages();
--> statement-breakpoint
CREATE FUNCTION webhook_enqueue_follow_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE queued bigint;
BEGIN
  INSERT INTO webhook_pushes (account_id, lane, openid, kind, source, create_time, content, next_attempt_at)
  SELECT e.account_id, f.openid, f.openid, e.kind::text, 'follow_events:' || e.id,
         floor(extract(epoch FROM e.occurred_at))::bigint,
         jsonb_build_object('qrScene', e.qr_scene, 'qrSceneStr', e.qr_scene_str),
         CASE WHEN EXISTS (SELECT 1 FROM webhook_pushes q WHERE q.account_id = e.account_id AND q.lane = f.openid AND q.status = 'pending')
              THEN NULL ELSE now() END
  FROM inserted e
  JOIN webhook_configs c ON c.account_id = e.account_id
  JOIN followers f ON f.id = e.follower_id
  ORDER BY e.id;
  GET DIAGNOSTICS queued = ROW_COUNT;
  IF queued > 0 THEN PERFORM pg_notify('webhook_pushes', ''); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER follow_events_webhook_push AFTER INSERT ON follow_events REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_enqueue_follow_events();
--> statement-breakpoint
-- MASSSENDJOBFINISH comes from the fan-out's outbox row; it is account-level, in a lane of its own ('mphelper', the
-- FromUserName WeChat gives it). The outbox row is published by this very statement.
CREATE FUNCTION webhook_enqueue_outbox_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE queued bigint;
BEGIN
  INSERT INTO webhook_pushes (account_id, lane, kind, source, msg_id, create_time, content, next_attempt_at)
  SELECT o.account_id, 'mphelper', o.kind, 'outbox_events:' || o.id, o.payload->>'msgId',
         floor(extract(epoch FROM o.created_at))::bigint, o.payload,
         CASE WHEN EXISTS (SELECT 1 FROM webhook_pushes q WHERE q.account_id = o.account_id AND q.lane = 'mphelper' AND q.status = 'pending')
              THEN NULL ELSE now() END
  FROM inserted o
  JOIN webhook_configs c ON c.account_id = o.account_id
  WHERE o.kind = 'MASSSENDJOBFINISH'
  ORDER BY o.id;
  GET DIAGNOSTICS queued = ROW_COUNT;
  UPDATE outbox_events SET published_at = now() WHERE id IN (SELECT id FROM inserted) AND published_at IS NULL;
  IF queued > 0 THEN PERFORM pg_notify('webhook_pushes', ''); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER outbox_events_webhook_push AFTER INSERT ON outbox_events REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_enqueue_outbox_events();
