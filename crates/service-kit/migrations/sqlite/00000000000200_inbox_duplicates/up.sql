-- How many times an applied event arrived again and was absorbed by the inbox, so an
-- operator sees redeliveries (after a crash, a lost connection or a second publish).
ALTER TABLE inbox_events ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
