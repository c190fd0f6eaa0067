ALTER TABLE recommendations DROP COLUMN decided_on;
ALTER TABLE recommendations DROP COLUMN handling;
