CREATE SEQUENCE "public"."menu_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 400000001 CACHE 1;--> statement-breakpoint
CREATE TABLE "menu_clicks" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "menu_clicks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" bigint NOT NULL,
	"follower_id" bigint NOT NULL,
	"wechat_user_id" bigint NOT NULL,
	"menu_id" bigint NOT NULL,
	"event" text NOT NULL,
	"event_key" text NOT NULL,
	"details" jsonb,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "menus" (
	"account_id" bigint PRIMARY KEY NOT NULL,
	"menu_id" bigint NOT NULL,
	"buttons" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "menus" ADD CONSTRAINT "menus_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "menu_clicks_account_time_idx" ON "menu_clicks" USING btree ("account_id","occurred_at");--> statement-breakpoint
-- A menu tap is pushed like a follow event or a scan: its webhook push is written in the tap's own transaction, in
-- the follower's lane (see 0008). The push's kind is WeChat's Event (CLICK, VIEW, scancode_push, …).
CREATE FUNCTION webhook_enqueue_menu_clicks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE queued bigint;
BEGIN
  INSERT INTO webhook_pushes (account_id, lane, openid, kind, source, create_time, content, next_attempt_at)
  SELECT e.account_id, f.openid, f.openid, e.event, 'menu_clicks:' || e.id,
         floor(extract(epoch FROM e.occurred_at))::bigint,
         jsonb_build_object('eventKey', e.event_key, 'menuId', e.menu_id::text, 'details', e.details),
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
CREATE TRIGGER menu_clicks_webhook_push AFTER INSERT ON menu_clicks REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_enqueue_menu_clicks();
