DROP TABLE npo_target_groups;
DROP INDEX npos_registered_on;
DROP INDEX npos_sort_kk;
DROP INDEX npos_sort_ru;
ALTER TABLE npos DROP COLUMN sort_kk;
ALTER TABLE npos DROP COLUMN sort_ru;
