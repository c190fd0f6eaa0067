-- The register of experts and expert groups each body engages, and the expert or
-- group named on a record of consultation support.
CREATE TABLE experts (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    full_name TEXT NOT NULL,
    organisation TEXT,
    npo_id TEXT,
    expertise TEXT NOT NULL,
    -- contact details: personal data, shown to the body's officer and the ministry
    contacts TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX experts_body ON experts (government_body, id);

-- Spheres of an expert in the order the officer gave them.
CREATE TABLE expert_spheres (
    expert_id TEXT NOT NULL REFERENCES experts (id),
    sphere TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (expert_id, sphere)
);
CREATE INDEX expert_spheres_sphere ON expert_spheres (sphere, expert_id);

CREATE TABLE expert_groups (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    sphere TEXT,
    formed_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX expert_groups_body ON expert_groups (government_body, id);

-- Members of an expert group in the order the officer gave them.
CREATE TABLE expert_group_members (
    group_id TEXT NOT NULL REFERENCES expert_groups (id),
    expert_id TEXT NOT NULL REFERENCES experts (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (group_id, expert_id)
);

ALTER TABLE consultations ADD COLUMN expert_id TEXT REFERENCES experts (id);
ALTER TABLE consultations ADD COLUMN expert_group_id TEXT REFERENCES expert_groups (id);
