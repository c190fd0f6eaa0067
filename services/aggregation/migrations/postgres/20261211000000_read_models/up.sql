-- Read models: what the other services' events say about NPOs, assessments, plans,
-- actions, recommendations, consultations, officer requests and receptions. Each
-- record keeps the latest state an event carried, so applying the same events in any
-- order, or again, gives the same rows; they can be dropped and rebuilt from the
-- services' event logs.
CREATE TABLE read_records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    -- body whose record it is; NULL for NPOs and their projects
    government_body TEXT,
    -- state code such as active, published, closed, withdrawn
    status TEXT NOT NULL,
    -- day the record counts for (received, held, published …) and, for periods, the
    -- last day; local dates in Asia/Almaty
    day DATE,
    day_end DATE,
    -- the latest applied event, which later events must be newer than
    event_at TIMESTAMP NOT NULL,
    event_id TEXT NOT NULL,
    -- the record as JSON, in the shape of its event payload
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX read_records_body ON read_records (kind, government_body, day);

-- Spheres, territories and further bodies a record concerns, for filters.
CREATE TABLE read_record_tags (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, id, dimension, value)
);
CREATE INDEX read_record_tags_value ON read_record_tags (kind, dimension, value, id);
