-- The parts of an officer's public profile that the appointment row does not hold,
-- one row per appointment, so a successor starts with an empty profile.
CREATE TABLE officer_profiles (
    appointment_id TEXT PRIMARY KEY REFERENCES officer_appointments (id),
    work_plan TEXT,
    -- how to appeal to the officer: a JSON list of {channel, address, note}
    appeal_forms TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);

-- The photo of an officer's public profile, deleted when the appointment ends.
CREATE TABLE officer_photos (
    appointment_id TEXT PRIMARY KEY REFERENCES officer_appointments (id),
    -- image/jpeg or image/png, as the signature bytes of the data showed
    content_type TEXT NOT NULL,
    data BYTEA NOT NULL,
    -- hex SHA-256 of data, the photo's ETag
    sha256 TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    uploaded_by TEXT NOT NULL
);

-- Express information the ministry requests from officers.
CREATE TABLE information_requests (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_on DATE NOT NULL,
    -- last day of an answer on time; a later answer is accepted and counts as late
    deadline DATE NOT NULL,
    -- whether the request went to every body of the register on the day it was sent
    all_bodies BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX information_requests_deadline ON information_requests (deadline, id);

-- The bodies a request is addressed to, each with its one answer once given.
CREATE TABLE information_request_bodies (
    request_id TEXT NOT NULL REFERENCES information_requests (id),
    government_body TEXT NOT NULL REFERENCES government_bodies (id),
    answer TEXT,
    answered_on DATE,
    answered_at TIMESTAMP,
    -- subject of the tokens of the officer who answered
    answered_by TEXT,
    PRIMARY KEY (request_id, government_body)
);
CREATE INDEX information_request_bodies_body ON information_request_bodies (government_body, request_id);
CREATE INDEX information_request_bodies_unanswered ON information_request_bodies (request_id)
    WHERE answered_on IS NULL;
