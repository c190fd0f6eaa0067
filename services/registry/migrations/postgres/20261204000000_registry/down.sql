DROP TABLE territories;
DROP TABLE collection_campaigns;
DROP TABLE npo_projects;
DROP TABLE npo_spheres;
DROP TABLE npo_territories;
DROP TABLE npos;
