-- Change stamps of the read models, from which the analytics keep their figures'
-- records in memory and read only what changed since.
--
-- Every write of a record takes the next `seq` of the one row below and stores it in
-- the record's `change_seq`. The UPDATE that takes it holds the row's lock until its
-- transaction commits, so writers take stamps one after another and commit in stamp
-- order: once a reader sees `seq` = N, every record stamped up to N is visible to it.
-- A sequence would not do, because its values are taken without waiting and
-- transactions commit in any order.
--
-- `generation` grows when records are deleted, as a rebuild does, so readers reload
-- every record rather than only the changed ones.
CREATE TABLE read_model_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL,
    seq BIGINT NOT NULL
);
INSERT INTO read_model_changes (id, generation, seq) VALUES (1, 1, 0);

-- Records written before this migration keep stamp 0 and are read by a full load.
ALTER TABLE read_records ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX read_records_changes ON read_records (kind, change_seq);
