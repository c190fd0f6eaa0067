DROP TABLE consultations;
DROP TABLE officer_requests;
