-- The NPO registry. Lists and structured values are JSON in TEXT columns so that the
-- schema is the same on PostgreSQL and SQLite; the link tables exist for filtering,
-- and the audit trail records who created and changed each record.
CREATE TABLE npos (
    id TEXT PRIMARY KEY,
    bin TEXT UNIQUE,
    name_ru TEXT,
    name_kk TEXT,
    search_text TEXT NOT NULL,
    legal_form TEXT NOT NULL,
    status TEXT NOT NULL,
    registered_on DATE,
    founded_on DATE,
    -- territories, spheres, target groups, forms of work, web resources, work products
    profile TEXT NOT NULL,
    -- key staff and contacts: personal data, kept apart from the public profile
    personal TEXT NOT NULL,
    provenance TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE npo_territories (
    npo_id TEXT NOT NULL REFERENCES npos (id) ON DELETE CASCADE,
    kato_code TEXT NOT NULL,
    PRIMARY KEY (npo_id, kato_code)
);
CREATE INDEX npo_territories_code ON npo_territories (kato_code, npo_id);

CREATE TABLE npo_spheres (
    npo_id TEXT NOT NULL REFERENCES npos (id) ON DELETE CASCADE,
    sphere TEXT NOT NULL,
    PRIMARY KEY (npo_id, sphere)
);
CREATE INDEX npo_spheres_sphere ON npo_spheres (sphere, npo_id);

CREATE TABLE npo_projects (
    id TEXT PRIMARY KEY,
    npo_id TEXT NOT NULL REFERENCES npos (id),
    name TEXT NOT NULL,
    starts_on DATE,
    ends_on DATE,
    funding_source TEXT,
    sphere TEXT,
    territory TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    created_by_body TEXT
);
CREATE INDEX npo_projects_npo ON npo_projects (npo_id, id);

CREATE TABLE collection_campaigns (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    year INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    started_on DATE NOT NULL,
    finished_on DATE NOT NULL,
    sources TEXT NOT NULL,
    npos_added INTEGER NOT NULL,
    npos_updated INTEGER NOT NULL,
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX collection_campaigns_body_year ON collection_campaigns (government_body, year);

CREATE TABLE territories (
    code TEXT PRIMARY KEY,
    name_ru TEXT NOT NULL,
    name_kk TEXT,
    parent_code TEXT,
    level INTEGER NOT NULL,
    -- codes from the region down to this territory, as /620000000/623800000/; the
    -- classifier's parent links, not the digits of a code, define what lies inside what
    path TEXT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX territories_parent ON territories (parent_code, code);
CREATE INDEX territories_path ON territories (path);
