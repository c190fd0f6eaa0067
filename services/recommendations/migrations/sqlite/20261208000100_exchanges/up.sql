-- Requests for information between officers of different bodies, and the expert and
-- consultation support a body gives to NPOs or receives from them.
CREATE TABLE officer_requests (
    id TEXT PRIMARY KEY,
    from_body TEXT NOT NULL,
    to_body TEXT NOT NULL,
    question TEXT NOT NULL,
    sphere TEXT,
    format TEXT,
    -- contact person of the asking body: personal data, shown to both bodies and the ministry
    contacts TEXT,
    sent_on DATE NOT NULL,
    deadline DATE NOT NULL,
    answer TEXT,
    result TEXT,
    answered_on DATE,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX officer_requests_from ON officer_requests (from_body, id);
CREATE INDEX officer_requests_to ON officer_requests (to_body, id);

CREATE TABLE consultations (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    direction TEXT NOT NULL,
    held_on DATE NOT NULL,
    counterpart TEXT NOT NULL,
    npo_id TEXT,
    contacts TEXT,
    sphere TEXT,
    question TEXT NOT NULL,
    form TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX consultations_body ON consultations (government_body, id);
