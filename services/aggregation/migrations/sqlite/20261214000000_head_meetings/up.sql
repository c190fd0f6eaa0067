-- The national schedule of meetings of government bodies' heads with NPOs.
CREATE TABLE head_meetings (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL REFERENCES government_bodies (id),
    -- position and full name of the head who meets the NPOs, both public
    head_position TEXT NOT NULL,
    head_full_name TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    -- address of the meeting; NULL for a meeting held only online
    place TEXT,
    -- http or https link to join online; NULL for a meeting held only in person
    online_url TEXT,
    agenda TEXT NOT NULL,
    -- scheduled, cancelled or held
    status TEXT NOT NULL,
    -- what the meeting decided, once held
    outcome TEXT,
    cancellation_reason TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX head_meetings_starts ON head_meetings (starts_at, id);
CREATE INDEX head_meetings_body ON head_meetings (government_body, starts_at);

-- Spheres of the NPOs a meeting invites, in the order given; none means every sphere.
CREATE TABLE head_meeting_spheres (
    meeting_id TEXT NOT NULL REFERENCES head_meetings (id),
    sphere TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, sphere)
);
CREATE INDEX head_meeting_spheres_sphere ON head_meeting_spheres (sphere, meeting_id);

-- KATO codes of the territories whose NPOs a meeting invites, in the order given.
CREATE TABLE head_meeting_territories (
    meeting_id TEXT NOT NULL REFERENCES head_meetings (id),
    territory TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, territory)
);
CREATE INDEX head_meeting_territories_territory ON head_meeting_territories (territory, meeting_id);

-- Registry ids of the NPOs a meeting invites, as chosen from the read model of NPOs
-- when the meeting was scheduled or last changed.
CREATE TABLE head_meeting_invitations (
    meeting_id TEXT NOT NULL REFERENCES head_meetings (id),
    npo_id TEXT NOT NULL,
    PRIMARY KEY (meeting_id, npo_id)
);
