-- Replaced by stats_message_periods (0027), which holds the same figures in a row per period.
DROP TABLE "stats_messages" CASCADE;