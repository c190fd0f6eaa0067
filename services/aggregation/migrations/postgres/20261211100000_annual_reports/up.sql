-- Annual reports of the officers to the ministry, one per body and year.
CREATE TABLE annual_reports (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL REFERENCES government_bodies (id),
    year INTEGER NOT NULL,
    status TEXT NOT NULL,
    -- last day of submission, from the settings when the report was opened
    due_on DATE NOT NULL,
    -- the narrative parts as JSON, as the officer last saved them
    narrative TEXT NOT NULL,
    -- first submission, and the acceptance
    submitted_on DATE,
    accepted_on DATE,
    -- number of the latest frozen version; 0 before the first submission
    current_version INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX annual_reports_body_year ON annual_reports (government_body, year);
CREATE INDEX annual_reports_year ON annual_reports (year, status);

-- Every submitted version with the content as submitted, and the ministry's review.
CREATE TABLE annual_report_versions (
    report_id TEXT NOT NULL REFERENCES annual_reports (id),
    number INTEGER NOT NULL,
    content TEXT NOT NULL,
    submitted_on DATE NOT NULL,
    submitted_by TEXT NOT NULL,
    -- accepted or returned, with the ministry's comments
    review TEXT,
    comments TEXT,
    reviewed_on DATE,
    reviewed_by TEXT,
    PRIMARY KEY (report_id, number)
);
