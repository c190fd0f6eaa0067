DROP TABLE annual_report_versions;
DROP TABLE annual_reports;
