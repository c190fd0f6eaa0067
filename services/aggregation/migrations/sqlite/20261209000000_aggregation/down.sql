DROP TABLE officer_appointments;
DROP TABLE government_body_spheres;
DROP TABLE government_bodies;
