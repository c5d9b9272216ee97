CREATE TYPE "public"."qrcode_kind" AS ENUM('temporary', 'permanent');--> statement-breakpoint
CREATE TABLE "qrcodes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "qrcodes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"ticket" text NOT NULL,
	"kind" "qrcode_kind" NOT NULL,
	"scene_id" integer,
	"scene_str" text,
	"url" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	CONSTRAINT "qrcodes_one_scene" CHECK (("qrcodes"."scene_id" IS NULL) <> ("qrcodes"."scene_str" IS NULL)),
	CONSTRAINT "qrcodes_expiry_of_kind" CHECK (("qrcodes"."kind" = 'temporary') = ("qrcodes"."expires_at" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "follow_events" ADD COLUMN "qr_ticket" text;--> statement-breakpoint
ALTER TABLE "scan_events" ADD COLUMN "qr_ticket" text;--> statement-breakpoint
ALTER TABLE "qrcodes" ADD CONSTRAINT "qrcodes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "qrcodes_ticket_key" ON "qrcodes" USING btree ("ticket");--> statement-breakpoint
CREATE INDEX "qrcodes_account_idx" ON "qrcodes" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "qrcodes_permanent_scene_id_key" ON "qrcodes" USING btree ("account_id","scene_id") WHERE "qrcodes"."kind" = 'permanent' AND "qrcodes"."scene_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "qrcodes_permanent_scene_str_key" ON "qrcodes" USING btree ("account_id","scene_str") WHERE "qrcodes"."kind" = 'permanent' AND "qrcodes"."scene_str" IS NOT NULL;--> statement-breakpoint
-- A follow or scan by QR code pushes the code's ticket (WeChat's <Ticket>): the pushes written by 0008's and 0009's
-- triggers now carry it in their content.
CREATE OR REPLACE FUNCTION webhook_enqueue_follow_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE queued bigint;
BEGIN
  INSERT INTO webhook_pushes (account_id, lane, openid, kind, source, create_time, content, next_attempt_at)
  SELECT e.account_id, f.openid, f.openid, e.kind::text, 'follow_events:' || e.id,
         floor(extract(epoch FROM e.occurred_at))::bigint,
         jsonb_build_object('qrScene', e.qr_scene, 'qrSceneStr', e.qr_scene_str, 'ticket', e.qr_ticket),
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
CREATE OR REPLACE FUNCTION webhook_enqueue_scan_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE queued bigint;
BEGIN
  INSERT INTO webhook_pushes (account_id, lane, openid, kind, source, create_time, content, next_attempt_at)
  SELECT e.account_id, f.openid, f.openid, 'SCAN', 'scan_events:' || e.id,
         floor(extract(epoch FROM e.occurred_at))::bigint,
         jsonb_build_object('qrScene', e.qr_scene, 'qrSceneStr', e.qr_scene_str, 'ticket', e.qr_ticket),
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
