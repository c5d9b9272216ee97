CREATE TABLE "conditional_menus" (
	"menu_id" bigint PRIMARY KEY NOT NULL,
	"account_id" bigint NOT NULL,
	"buttons" jsonb NOT NULL,
	"match_rule" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conditional_menus" ADD CONSTRAINT "conditional_menus_account_id_menus_account_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."menus"("account_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conditional_menus_account_idx" ON "conditional_menus" USING btree ("account_id","menu_id");