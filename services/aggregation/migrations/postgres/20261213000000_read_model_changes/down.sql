DROP INDEX read_records_changes;
ALTER TABLE read_records DROP COLUMN change_seq;
DROP TABLE read_model_changes;
