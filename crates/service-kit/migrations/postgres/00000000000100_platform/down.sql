DROP TABLE dead_letters; DROP TABLE audit_entries; DROP TABLE idempotency_keys; DROP TABLE inbox_events; DROP TABLE outbox_events;
