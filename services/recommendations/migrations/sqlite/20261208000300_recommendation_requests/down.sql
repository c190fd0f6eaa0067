DROP TABLE recommendation_request_npos;
DROP TABLE recommendation_requests;
