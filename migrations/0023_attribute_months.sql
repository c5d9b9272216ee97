CREATE TABLE "stats_attribute_monthly" (
	"account_id" bigint NOT NULL,
	"month_start" date NOT NULL,
	"attribute" text NOT NULL,
	"value" text NOT NULL,
	"delta" integer NOT NULL,
	CONSTRAINT "stats_attribute_monthly_account_id_month_start_attribute_value_pk" PRIMARY KEY("account_id","month_start","attribute","value"),
	CONSTRAINT "stats_attribute_monthly_month_start" CHECK (extract(day FROM "stats_attribute_monthly"."month_start") = 1)
);
--> statement-breakpoint
-- The months of the attribute days folded so far. The follow_events cursor is held to the end of the migration, so a
-- fold in progress commits its days before they are summed here, and a fold after the migration adds its events to
-- both tables.
SELECT 1 FROM stats_cursors WHERE source = 'follow_events' FOR UPDATE;
--> statement-breakpoint
INSERT INTO "stats_attribute_monthly" (account_id, month_start, attribute, value, delta)
SELECT account_id, date_trunc('month', day::timestamp)::date, attribute, value, sum(delta)::int
FROM "stats_attribute_daily"
GROUP BY 1, 2, 3, 4;
