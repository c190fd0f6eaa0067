DROP TABLE correspondence_sequences;
DROP TABLE correspondence;
