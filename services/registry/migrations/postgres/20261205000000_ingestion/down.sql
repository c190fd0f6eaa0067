DROP TABLE import_job_rows;
DROP TABLE import_job_parts;
DROP TABLE import_jobs;
DROP INDEX npos_merged_into;
DROP INDEX npos_dedup_key;
ALTER TABLE npos DROP COLUMN merged_into;
ALTER TABLE npos DROP COLUMN dedup_key;
ALTER TABLE npos DROP COLUMN legal_address;
ALTER TABLE npos DROP COLUMN oked;
