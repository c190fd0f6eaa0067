-- The audit trail route lists entries newest first, across records or of one body.
CREATE INDEX audit_entries_at ON audit_entries (at, id);
CREATE INDEX audit_entries_government_body ON audit_entries (government_body, at, id);
