-- The correspondence register of each government body: incoming and outgoing appeals,
-- requests and answers, information for the media, analytical materials and
-- working-group documents.
CREATE TABLE correspondence (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    registered_on DATE NOT NULL,
    counterpart_kind TEXT NOT NULL,
    counterpart_npo_id TEXT,
    counterpart_body TEXT,
    -- the name of a person is personal data: shown to the body's officer and the ministry
    counterpart_name TEXT,
    subject TEXT NOT NULL,
    channel TEXT NOT NULL,
    form TEXT NOT NULL,
    answers_id TEXT,
    answer_due_on DATE,
    status TEXT,
    answered_on DATE,
    answered_by_id TEXT,
    recommendation_id TEXT,
    officer_request_id TEXT,
    file_ref TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX correspondence_number ON correspondence (government_body, number);
CREATE INDEX correspondence_body ON correspondence (government_body, id);
CREATE INDEX correspondence_awaiting ON correspondence (status, answer_due_on);

-- The last number each body assigned per direction and year.
CREATE TABLE correspondence_sequences (
    government_body TEXT NOT NULL,
    direction TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (government_body, direction, year)
);
