DROP TABLE reception_requests;
DROP TABLE recommendation_clarifications;
DROP TABLE recommendations;
