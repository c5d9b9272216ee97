-- Replaced by stats_period_senders (0021), which holds the same counts.
DROP TABLE "stats_message_senders" CASCADE;
