ALTER TABLE inbox_events DROP COLUMN duplicates;
