DROP TABLE read_record_tags;
DROP TABLE read_records;
