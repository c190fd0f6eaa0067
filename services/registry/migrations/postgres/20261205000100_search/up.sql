-- Search, facets and open data of NPOs.

-- Name order: collation keys built by the service, compared byte by byte. '' marks a
-- row written before these columns existed; the service fills such rows at start.
ALTER TABLE npos ADD COLUMN sort_ru TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE npos ADD COLUMN sort_kk TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX npos_sort_ru ON npos (sort_ru, id);
CREATE INDEX npos_sort_kk ON npos (sort_kk, id);
CREATE INDEX npos_registered_on ON npos (registered_on, id);

-- search_text is folded to lower case by the service, so `LIKE '%fragment%'` on it
-- can use a trigram index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX npos_search_text_trgm ON npos USING gin (search_text gin_trgm_ops);

-- The territory filter selects a subtree with `path LIKE '/620000000/%'`; a plain
-- index serves that prefix match only under the C collation.
CREATE INDEX territories_path_pattern ON territories (path text_pattern_ops);

CREATE TABLE npo_target_groups (
    npo_id TEXT NOT NULL REFERENCES npos (id) ON DELETE CASCADE,
    target_group TEXT NOT NULL,
    PRIMARY KEY (npo_id, target_group)
);
CREATE INDEX npo_target_groups_group ON npo_target_groups (target_group, npo_id);

INSERT INTO npo_target_groups (npo_id, target_group)
SELECT DISTINCT npos.id, groups.code
FROM npos, jsonb_array_elements_text(npos.profile::jsonb -> 'target_groups') AS groups (code);
