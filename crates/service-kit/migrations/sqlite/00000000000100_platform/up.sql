-- Tables every service has: the transactional outbox (also the service's event log),
-- the consumer inbox, stored idempotent responses and the audit trail.
CREATE TABLE outbox_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    version INTEGER NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    service TEXT NOT NULL,
    actor TEXT,
    government_body TEXT,
    payload TEXT NOT NULL,
    traceparent TEXT,
    published_at TIMESTAMP
);
CREATE INDEX outbox_events_unpublished ON outbox_events (seq) WHERE published_at IS NULL;

CREATE TABLE inbox_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    location TEXT,
    etag TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE audit_entries (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    government_body TEXT,
    fields TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX audit_entries_entity ON audit_entries (entity, entity_id, at);

-- Events a consumer could not apply, kept for an operator to inspect and replay.
CREATE TABLE dead_letters (
    id TEXT PRIMARY KEY,
    consumer TEXT NOT NULL,
    event_id TEXT,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
