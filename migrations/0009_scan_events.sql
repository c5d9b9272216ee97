CREATE TABLE "scan_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "scan_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"follower_id" bigint NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	"qr_scene" integer,
	"qr_scene_str" text,
	"occurred_at" timestamp with time zone NOT NULL,
	CONSTRAINT "scan_events_has_scene" CHECK ("scan_events"."qr_scene" IS NOT NULL OR "scan_events"."qr_scene_str" IS NOT NULL)
);
--> statement-breakpoint
CREATE INDEX "scan_events_account_time_idx" ON "scan_events" USING btree ("account_id","occurred_at");--> statement-breakpoint
-- A SCAN is pushed like a follow event: its webhook push is written in the scan's own transaction (see 0008).
CREATE FUNCTION webhook_enqueue_scan_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE queued bigint;
BEGIN
  INSERT INTO webhook_pushes (account_id, lane, openid, kind, source, create_time, content, next_attempt_at)
  SELECT e.account_id, f.openid, f.openid, 'SCAN', 'scan_events:' || e.id,
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
CREATE TRIGGER scan_events_webhook_push AFTER INSERT ON scan_events REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_enqueue_scan_events();
