DROP INDEX audit_entries_government_body;
DROP INDEX audit_entries_at;
