-- Needs assessments of government bodies: the assessment with its report, the events
-- held to collect information, the priorities found (one row of the "identified
-- priorities" form each), proposals for joint action drawn from the report, and
-- proposals sent by NPOs. Lists and structured values are JSON in TEXT columns so that
-- the schema is the same on PostgreSQL and SQLite.
CREATE TABLE needs_assessments (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    territory TEXT,
    territory_name TEXT,
    period_start DATE,
    period_end DATE,
    -- [{"group": code, "participants": n}]
    target_groups TEXT NOT NULL,
    methods TEXT,
    -- [{"description": text, "example": text}]
    instruments TEXT NOT NULL,
    -- [{"source": code, "details": text}]
    information_sources TEXT NOT NULL,
    report_course TEXT,
    report_conclusions TEXT,
    report_recommendations TEXT,
    -- period_end, set when the analysis is finished
    completed_on DATE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX needs_assessments_body ON needs_assessments (government_body, id);
CREATE INDEX needs_assessments_status ON needs_assessments (status, id);

CREATE TABLE needs_assessment_spheres (
    assessment_id TEXT NOT NULL REFERENCES needs_assessments (id) ON DELETE CASCADE,
    sphere TEXT NOT NULL,
    PRIMARY KEY (assessment_id, sphere)
);
CREATE INDEX needs_assessment_spheres_sphere ON needs_assessment_spheres (sphere, assessment_id);

CREATE TABLE needs_activities (
    id TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL REFERENCES needs_assessments (id),
    held_on DATE NOT NULL,
    form TEXT NOT NULL,
    participant_categories TEXT NOT NULL,
    participants INTEGER,
    -- names of civil servants: personal data, never shown to the public
    responsible_staff TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX needs_activities_assessment ON needs_activities (assessment_id, id);

CREATE TABLE needs_priorities (
    id TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL REFERENCES needs_assessments (id),
    sphere TEXT NOT NULL,
    territory TEXT NOT NULL,
    territory_name TEXT,
    target_group TEXT NOT NULL,
    problem TEXT NOT NULL,
    information_source TEXT NOT NULL,
    source_details TEXT,
    risks TEXT NOT NULL,
    risk_level TEXT NOT NULL,
    -- 1 high, 2 medium, 3 low: the first key of the ranking
    risk_rank INTEGER NOT NULL,
    people_affected BIGINT,
    -- people_affected, or -1 when unknown, so unknown counts rank last
    people_rank BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX needs_priorities_assessment ON needs_priorities (assessment_id, id);
CREATE INDEX needs_priorities_ranking ON needs_priorities (risk_rank, people_rank DESC, id);
CREATE INDEX needs_priorities_territory ON needs_priorities (territory);

CREATE TABLE needs_joint_action_proposals (
    id TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL REFERENCES needs_assessments (id),
    title TEXT NOT NULL,
    description TEXT,
    addressees TEXT NOT NULL,
    priority_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    agreed_on DATE,
    agreed_by TEXT,
    agreement_document TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX needs_joint_action_proposals_assessment ON needs_joint_action_proposals (assessment_id, id);

CREATE TABLE needs_npo_proposals (
    id TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL REFERENCES needs_assessments (id),
    npo_id TEXT NOT NULL,
    npo_bin TEXT NOT NULL,
    npo_name TEXT,
    text TEXT NOT NULL,
    sphere TEXT,
    target_group TEXT,
    territory TEXT,
    -- the NPO's contact person: personal data, shown only to the body, the ministry and the NPO
    contact TEXT,
    submitted_at TIMESTAMP NOT NULL,
    submitted_by TEXT NOT NULL
);
CREATE INDEX needs_npo_proposals_assessment ON needs_npo_proposals (assessment_id, npo_bin, id);

-- One row per overdue notice sent, so each sphere and territory of a body is reported
-- once per due date, however many processes run the check.
CREATE TABLE needs_overdue_notices (
    government_body TEXT NOT NULL,
    sphere TEXT NOT NULL,
    territory TEXT NOT NULL,
    next_due_on DATE NOT NULL,
    noticed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (government_body, sphere, territory, next_due_on)
);
