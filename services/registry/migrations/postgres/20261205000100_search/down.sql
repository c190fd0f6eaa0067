DROP TABLE npo_target_groups;
DROP INDEX territories_path_pattern;
DROP INDEX npos_search_text_trgm;
DROP INDEX npos_registered_on;
DROP INDEX npos_sort_kk;
DROP INDEX npos_sort_ru;
ALTER TABLE npos DROP COLUMN sort_kk;
ALTER TABLE npos DROP COLUMN sort_ru;
