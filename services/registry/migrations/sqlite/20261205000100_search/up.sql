-- Search, facets and open data of NPOs.

-- Name order: collation keys built by the service, compared byte by byte (SQLite's
-- default BINARY collation). '' marks a row written before these columns existed;
-- the service fills such rows at start.
ALTER TABLE npos ADD COLUMN sort_ru TEXT NOT NULL DEFAULT '';
ALTER TABLE npos ADD COLUMN sort_kk TEXT NOT NULL DEFAULT '';
CREATE INDEX npos_sort_ru ON npos (sort_ru, id);
CREATE INDEX npos_sort_kk ON npos (sort_kk, id);
CREATE INDEX npos_registered_on ON npos (registered_on, id);

CREATE TABLE npo_target_groups (
    npo_id TEXT NOT NULL REFERENCES npos (id) ON DELETE CASCADE,
    target_group TEXT NOT NULL,
    PRIMARY KEY (npo_id, target_group)
);
CREATE INDEX npo_target_groups_group ON npo_target_groups (target_group, npo_id);

INSERT INTO npo_target_groups (npo_id, target_group)
SELECT DISTINCT npos.id, groups.value
FROM npos, json_each(npos.profile, '$.target_groups') AS groups;
