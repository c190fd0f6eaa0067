ALTER TABLE consultations DROP COLUMN expert_group_id;
ALTER TABLE consultations DROP COLUMN expert_id;
DROP TABLE expert_group_members;
DROP TABLE expert_groups;
DROP TABLE expert_spheres;
DROP TABLE experts;
