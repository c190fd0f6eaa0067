-- How the body decided to handle each recommendation and on which day, kept after
-- closing, when the status becomes closed.
ALTER TABLE recommendations ADD COLUMN handling TEXT;
ALTER TABLE recommendations ADD COLUMN decided_on DATE;
-- A decided recommendation that is still open shows its handling in its status. A
-- closed one no longer does, so its handling stays unknown.
UPDATE recommendations SET handling = status
    WHERE status IN ('rejected', 'included_in_plans', 'implemented');
-- The day of the latest decision in the audit trail, whose times are in UTC, as a date
-- in Kazakhstan (UTC+5).
UPDATE recommendations SET decided_on = (
    SELECT date(MAX(audit_entries.at), '+5 hours')
    FROM audit_entries
    WHERE audit_entries.entity = 'recommendation'
        AND audit_entries.entity_id = recommendations.id
        AND audit_entries.action = 'decided'
);
