DROP TABLE information_request_bodies;
DROP TABLE information_requests;
DROP TABLE officer_photos;
DROP TABLE officer_profiles;
