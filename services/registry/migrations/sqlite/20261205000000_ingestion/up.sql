-- Registration-data ingestion: facts that government registers carry, the key that
-- matches NPOs without a BIN, merges of duplicates, and batch import jobs.
ALTER TABLE npos ADD COLUMN oked TEXT;
ALTER TABLE npos ADD COLUMN legal_address TEXT;
-- folded name and first territory of an NPO without a BIN; see domain::npo::dedup_key
ALTER TABLE npos ADD COLUMN dedup_key TEXT;
-- id of the NPO this one was merged into; merged NPOs are kept for their history
ALTER TABLE npos ADD COLUMN merged_into TEXT;
CREATE INDEX npos_dedup_key ON npos (dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX npos_merged_into ON npos (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    -- format, layout, delimiter, encoding, source, as_of and dry_run, as JSON
    options TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    rows_total INTEGER,
    rows_done INTEGER NOT NULL,
    -- last line of the input whose row result is committed; a resumed job skips to it
    line_done INTEGER NOT NULL,
    summary TEXT NOT NULL,
    -- how the batch was read: format, layout, separator, encoding and unknown columns
    reading TEXT,
    error TEXT,
    lease_until TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX import_jobs_status ON import_jobs (status, lease_until);

-- the request body of a job, kept until the job finishes so that it survives a restart
CREATE TABLE import_job_parts (
    job_id TEXT NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE import_job_rows (
    job_id TEXT NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    bin TEXT,
    npo_id TEXT,
    superseded_by INTEGER,
    errors TEXT,
    PRIMARY KEY (job_id, line)
);
CREATE INDEX import_job_rows_outcome ON import_job_rows (job_id, outcome, line);
