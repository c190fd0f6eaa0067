-- Requests of an officer for recommendations of NPOs on a topic, by a deadline, and
-- the NPOs each request invites. A request without invited NPOs is open to every NPO.
CREATE TABLE recommendation_requests (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    topic TEXT NOT NULL,
    sphere TEXT,
    format TEXT NOT NULL,
    sent_on DATE NOT NULL,
    deadline DATE NOT NULL,
    -- true when the request invites no NPO in particular, so every NPO may answer
    open_to_all BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    closed_on DATE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX recommendation_requests_body ON recommendation_requests (government_body, id);

CREATE TABLE recommendation_request_npos (
    request_id TEXT NOT NULL REFERENCES recommendation_requests (id),
    npo_id TEXT NOT NULL,
    -- BIN from the registry card when the NPO was invited; matches the BIN of an NPO user's token
    npo_bin TEXT,
    PRIMARY KEY (request_id, npo_id)
);
CREATE INDEX recommendation_request_npos_bin ON recommendation_request_npos (npo_bin, request_id);
