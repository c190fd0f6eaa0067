-- The dashboard counts the records of a kind and status, such as the active NPOs, of
-- a year. With the day and the id in the index, those counts and the ids they join
-- to the tags are read from the index alone, not from the rows with their data.
CREATE INDEX read_records_status ON read_records (kind, status, day, id);

-- The dashboard counts priorities by risk level, which the read models now keep as a
-- tag of each priority, as they keep its sphere and territory.
INSERT OR IGNORE INTO read_record_tags (kind, id, dimension, value)
SELECT kind, id, 'risk_level', json_extract(data, '$.risk_level')
FROM read_records
WHERE kind = 'priority' AND json_extract(data, '$.risk_level') IS NOT NULL;
