-- Memoranda of cooperation between a government body and NPOs, their NPO parties
-- with each party's signatory, and the joint actions carried out under them.
-- Spheres are a JSON list of catalogue codes in TEXT, as in joint_actions.
CREATE TABLE memoranda (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    subject TEXT NOT NULL,
    spheres TEXT NOT NULL,
    signed_on DATE,
    -- last day of the term; NULL for a memorandum without an end date
    valid_until DATE,
    -- full name and position of the body's signatory: personal data
    body_signatory_name TEXT,
    body_signatory_position TEXT,
    document_ref TEXT,
    status TEXT NOT NULL,
    terminated_on DATE,
    termination_reason TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX memoranda_body ON memoranda (government_body, id);
CREATE INDEX memoranda_term ON memoranda (status, valid_until);

CREATE TABLE memorandum_parties (
    memorandum_id TEXT NOT NULL REFERENCES memoranda (id),
    npo_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    npo_bin TEXT,
    npo_name TEXT NOT NULL,
    -- full name and position of the NPO's signatory: personal data
    signatory_name TEXT,
    signatory_position TEXT,
    PRIMARY KEY (memorandum_id, npo_id)
);
CREATE INDEX memorandum_parties_npo ON memorandum_parties (npo_id);
CREATE INDEX memorandum_parties_bin ON memorandum_parties (npo_bin);

CREATE TABLE memorandum_actions (
    memorandum_id TEXT NOT NULL REFERENCES memoranda (id),
    action_id TEXT NOT NULL REFERENCES joint_actions (id),
    linked_at TIMESTAMP NOT NULL,
    linked_by TEXT NOT NULL,
    PRIMARY KEY (memorandum_id, action_id)
);
