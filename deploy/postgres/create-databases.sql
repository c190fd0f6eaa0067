-- One database per service. Search compares text folded by the services themselves,
-- so the databases need no particular collation; UTF-8 is required for names in
-- Kazakh and Russian.
CREATE DATABASE liaison_registry ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE liaison_needs ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE liaison_joint_actions ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE liaison_recommendations ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE liaison_aggregation ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE liaison_notifier ENCODING 'UTF8' TEMPLATE template0;
