-- Unsubscribe events now carry the scene (and QR scene) of the follow they end, so statistics can split
-- cancellations by source. Old unsubscribe rows take the scene of the same follower's latest subscribe event before
-- them; without one, the follower's own subscribe scene; without a follower row, ADD_SCENE_OTHERS.
WITH ordered AS (
  SELECT id, kind, follower_id, occurred_at, scene, qr_scene, qr_scene_str,
         count(*) FILTER (WHERE kind = 'subscribe') OVER (PARTITION BY follower_id ORDER BY occurred_at, id) AS follow_no
  FROM follow_events
  WHERE follower_id IN (SELECT follower_id FROM follow_events WHERE kind = 'unsubscribe' AND scene IS NULL)
), sourced AS (
  SELECT id, kind, follow_no,
         first_value(scene) OVER w AS scene, first_value(qr_scene) OVER w AS qr_scene, first_value(qr_scene_str) OVER w AS qr_scene_str
  FROM ordered
  WINDOW w AS (PARTITION BY follower_id, follow_no ORDER BY occurred_at, id)
)
UPDATE follow_events e SET scene = s.scene, qr_scene = s.qr_scene, qr_scene_str = s.qr_scene_str
FROM sourced s
WHERE e.id = s.id AND s.kind = 'unsubscribe' AND s.follow_no > 0 AND e.scene IS NULL;--> statement-breakpoint
UPDATE follow_events e SET scene = f.subscribe_scene, qr_scene = f.qr_scene, qr_scene_str = f.qr_scene_str
FROM followers f
WHERE e.scene IS NULL AND f.id = e.follower_id;--> statement-breakpoint
UPDATE follow_events SET scene = 'ADD_SCENE_OTHERS' WHERE scene IS NULL;--> statement-breakpoint
ALTER TABLE "follow_events" ALTER COLUMN "scene" SET NOT NULL;
