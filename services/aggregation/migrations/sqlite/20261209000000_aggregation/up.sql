-- The ministry's register of government bodies and the appointments of their liaison
-- officers.
CREATE TABLE government_bodies (
    id TEXT PRIMARY KEY,
    name_ru TEXT NOT NULL,
    name_kk TEXT NOT NULL,
    level TEXT NOT NULL,
    -- KATO code of the body's territory; NULL for a central body
    territory TEXT,
    -- day since which the body has no officer; NULL while it has one
    vacant_since DATE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX government_bodies_vacant ON government_bodies (vacant_since, id);

-- Spheres of a body in the order the ministry gave them.
CREATE TABLE government_body_spheres (
    body_id TEXT NOT NULL REFERENCES government_bodies (id),
    sphere TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (body_id, sphere)
);
CREATE INDEX government_body_spheres_sphere ON government_body_spheres (sphere, body_id);

-- Every appointment of an officer, kept after it ends.
CREATE TABLE officer_appointments (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL REFERENCES government_bodies (id),
    -- subject of the officer's tokens
    officer TEXT NOT NULL,
    full_name TEXT NOT NULL,
    position TEXT NOT NULL,
    appointed_on DATE NOT NULL,
    -- public contacts {room, phone, email} as JSON
    contacts TEXT,
    reception_schedule TEXT,
    ended_on DATE,
    -- dismissal or transfer
    end_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    ended_by TEXT
);
-- A body has at most one current officer.
CREATE UNIQUE INDEX officer_appointments_current ON officer_appointments (government_body)
    WHERE ended_on IS NULL;
CREATE INDEX officer_appointments_body ON officer_appointments (government_body, appointed_on);
