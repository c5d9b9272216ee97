CREATE TABLE "chat_reads" (
	"wechat_user_id" bigint NOT NULL,
	"account_id" bigint NOT NULL,
	"read_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chat_reads_wechat_user_id_account_id_pk" PRIMARY KEY("wechat_user_id","account_id")
);
--> statement-breakpoint
CREATE TABLE "custom_message_quotas" (
	"account_id" bigint NOT NULL,
	"follower_id" bigint NOT NULL,
	"trigger" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"used" integer NOT NULL,
	CONSTRAINT "custom_message_quotas_account_id_follower_id_trigger_pk" PRIMARY KEY("account_id","follower_id","trigger"),
	CONSTRAINT "custom_message_quotas_trigger" CHECK ("custom_message_quotas"."trigger" IN ('message', 'menu', 'scan', 'follow')),
	CONSTRAINT "custom_message_quotas_used_positive" CHECK ("custom_message_quotas"."used" > 0)
);
--> statement-breakpoint
ALTER TABLE "chat_reads" ADD CONSTRAINT "chat_reads_wechat_user_id_wechat_users_id_fk" FOREIGN KEY ("wechat_user_id") REFERENCES "public"."wechat_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_reads" ADD CONSTRAINT "chat_reads_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "custom_message_quotas" ADD CONSTRAINT "custom_message_quotas_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "custom_message_quotas" ADD CONSTRAINT "custom_message_quotas_follower_id_followers_id_fk" FOREIGN KEY ("follower_id") REFERENCES "public"."followers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "followers_wechat_user_idx" ON "followers" USING btree ("wechat_user_id");