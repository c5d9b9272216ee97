CREATE TYPE "public"."webhook_mode" AS ENUM('plaintext', 'compatible', 'safe');--> statement-breakpoint
CREATE TABLE "webhook_configs" (
	"account_id" bigint PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"token" text NOT NULL,
	"encoding_aes_key" text NOT NULL,
	"mode" "webhook_mode" NOT NULL,
	"verified_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhook_configs_token_format" CHECK ("webhook_configs"."token" ~ '^[A-Za-z0-9]{3,32}$'),
	CONSTRAINT "webhook_configs_aes_key_format" CHECK ("webhook_configs"."encoding_aes_key" ~ '^[A-Za-z0-9]{43}$'),
	CONSTRAINT "webhook_configs_url_scheme" CHECK ("webhook_configs"."url" ~ '^https?://')
);
--> statement-breakpoint
ALTER TABLE "webhook_configs" ADD CONSTRAINT "webhook_configs_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;