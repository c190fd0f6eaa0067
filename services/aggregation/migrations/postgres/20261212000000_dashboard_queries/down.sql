DELETE FROM read_record_tags WHERE dimension = 'risk_level';
DROP STATISTICS read_record_tags_kind_dimension;
DROP STATISTICS read_records_kind_status;
DROP INDEX read_records_status;
