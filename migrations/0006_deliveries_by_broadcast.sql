-- Deliveries are keyed by (broadcast_id, follower_id) instead of (follower_id, broadcast_id): a fan-out then appends
-- at the right edge of the primary key instead of touching pages all over an index that grows every day. The rows
-- are copied in key order into a new table (its heap clustered by broadcast too), the key is built once after the
-- copy, and the tables swap. SHARE mode holds writers back during the copy, so no delivery is lost; inboxes read on.
LOCK TABLE "deliveries" IN SHARE MODE;--> statement-breakpoint
CREATE TABLE "deliveries_by_broadcast" (
	"broadcast_id" bigint NOT NULL,
	"follower_id" bigint NOT NULL,
	"delivered_at" timestamp with time zone NOT NULL
);--> statement-breakpoint
INSERT INTO "deliveries_by_broadcast" ("broadcast_id", "follower_id", "delivered_at")
SELECT "broadcast_id", "follower_id", "delivered_at" FROM "deliveries" ORDER BY "broadcast_id", "follower_id";--> statement-breakpoint
DROP TABLE "deliveries";--> statement-breakpoint
ALTER TABLE "deliveries_by_broadcast" RENAME TO "deliveries";--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_broadcast_id_follower_id_pk" PRIMARY KEY("broadcast_id","follower_id");
