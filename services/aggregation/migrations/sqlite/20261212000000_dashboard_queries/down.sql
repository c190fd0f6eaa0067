DELETE FROM read_record_tags WHERE dimension = 'risk_level';
DROP INDEX read_records_status;
