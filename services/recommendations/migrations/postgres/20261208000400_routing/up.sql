-- Routing of recommendations between bodies, stage deadlines, the officer responsible
-- for each open item, and the current officer of each body as the ministry announces it.
ALTER TABLE recommendations ADD COLUMN territory TEXT;
ALTER TABLE recommendations ADD COLUMN received_by TEXT NOT NULL DEFAULT '';
UPDATE recommendations SET received_by = government_body;
ALTER TABLE recommendations ADD COLUMN responsible TEXT;
ALTER TABLE recommendations ADD COLUMN responsible_name TEXT;
ALTER TABLE recommendations ADD COLUMN due_on DATE;
ALTER TABLE recommendations ADD COLUMN request_id TEXT;
-- versions at which the body last decided and last gave feedback: the feedback that
-- closing needs is the one given after the decision
ALTER TABLE recommendations ADD COLUMN decided_version INTEGER;
ALTER TABLE recommendations ADD COLUMN feedback_version INTEGER;
UPDATE recommendations SET decided_version = 0 WHERE status NOT IN ('in_work', 'forwarded');
UPDATE recommendations SET feedback_version = 1 WHERE feedback IS NOT NULL;
CREATE INDEX recommendations_due ON recommendations (due_on);

CREATE TABLE recommendation_forwardings (
    recommendation_id TEXT NOT NULL REFERENCES recommendations (id),
    number INTEGER NOT NULL,
    from_body TEXT NOT NULL,
    to_body TEXT NOT NULL,
    reason TEXT,
    routed_by TEXT NOT NULL,
    forwarded_on DATE NOT NULL,
    forwarded_by TEXT NOT NULL,
    PRIMARY KEY (recommendation_id, number)
);
CREATE INDEX recommendation_forwardings_from ON recommendation_forwardings (from_body, recommendation_id);

ALTER TABLE reception_requests ADD COLUMN responsible TEXT;
ALTER TABLE reception_requests ADD COLUMN responsible_name TEXT;
ALTER TABLE officer_requests ADD COLUMN responsible TEXT;
ALTER TABLE officer_requests ADD COLUMN responsible_name TEXT;
ALTER TABLE officer_requests ADD COLUMN asked_officer TEXT;
ALTER TABLE officer_requests ADD COLUMN asked_officer_name TEXT;
ALTER TABLE recommendation_requests ADD COLUMN responsible TEXT;
ALTER TABLE recommendation_requests ADD COLUMN responsible_name TEXT;

CREATE TABLE body_officers (
    government_body TEXT PRIMARY KEY,
    officer TEXT NOT NULL,
    full_name TEXT NOT NULL,
    since DATE NOT NULL
);
