-- The notifier's directory of NPO contacts, built from the registry's events, so that
-- it never asks another service for an address.
CREATE TABLE npo_contacts (
    npo_id TEXT PRIMARY KEY NOT NULL,
    bin TEXT,
    email TEXT,
    -- registry status code: active, inactive, suspended, liquidated, merged …
    status TEXT NOT NULL,
    -- JSON arrays of sphere codes and KATO codes
    spheres TEXT NOT NULL,
    territories TEXT NOT NULL,
    -- the NPO this one was merged into, whose address is used instead
    merged_into TEXT,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX npo_contacts_bin ON npo_contacts (bin);

-- Every e-mail the service composed, one row per recipient, with its delivery state.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    recipient TEXT NOT NULL,
    npo_id TEXT,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    -- what the notification is about, such as meeting:<id>, so a later change of the
    -- same meeting is told as a change
    topic TEXT NOT NULL,
    -- pending, failed_retrying, sent, dead or skipped
    status TEXT NOT NULL,
    -- why a skipped notification was not sent: opted_out
    skip_reason TEXT,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    -- SMTP reply code and text, or the connection failure, of the last attempt
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_event ON notifications (event_id);
CREATE INDEX notifications_topic ON notifications (topic, recipient);

-- Addresses that asked to receive no more mail, lower-cased.
CREATE TABLE opt_outs (
    address TEXT PRIMARY KEY NOT NULL,
    -- link (the token of an e-mail) or npo (an NPO user for its own address)
    source TEXT NOT NULL,
    opted_out_at TIMESTAMP NOT NULL
);
