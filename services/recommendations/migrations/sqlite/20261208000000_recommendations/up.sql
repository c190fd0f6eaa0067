-- Recommendations of NPOs to government bodies with their handling, the officer's
-- requests for clarification, and NPO requests to be received by the officer.
CREATE TABLE recommendations (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    sphere TEXT NOT NULL,
    text TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    author_name TEXT NOT NULL,
    npo_id TEXT,
    npo_bin TEXT,
    -- contact person: personal data, shown to the body, the ministry and the author
    contacts TEXT,
    received_on DATE NOT NULL,
    initiator TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    feedback TEXT,
    answered_on DATE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX recommendations_body ON recommendations (government_body, id);
CREATE INDEX recommendations_bin ON recommendations (npo_bin, id);

CREATE TABLE recommendation_clarifications (
    recommendation_id TEXT NOT NULL REFERENCES recommendations (id),
    number INTEGER NOT NULL,
    question TEXT NOT NULL,
    asked_on DATE NOT NULL,
    answer TEXT,
    answered_on DATE,
    PRIMARY KEY (recommendation_id, number)
);

CREATE TABLE reception_requests (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    npo_id TEXT,
    npo_bin TEXT,
    topic TEXT NOT NULL,
    requested_on DATE NOT NULL,
    status TEXT NOT NULL,
    appointed_on DATE,
    place TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX reception_requests_body ON reception_requests (government_body, id);
