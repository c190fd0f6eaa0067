-- Joint actions of government bodies with NPOs, their parties and steps, the
-- monitoring and evaluation plan with its measurements, and the joint planning that
-- precedes them: working groups, their meetings and reports, consultative bodies and
-- versioned joint work plans. Lists and structured values are JSON in TEXT columns so
-- that the schema is the same on PostgreSQL and SQLite.
CREATE TABLE joint_actions (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    title TEXT NOT NULL,
    initiator TEXT NOT NULL,
    initiating_npo_id TEXT,
    fit_assessment TEXT,
    spheres TEXT NOT NULL,
    territory TEXT,
    goals TEXT NOT NULL,
    tasks TEXT NOT NULL,
    status TEXT NOT NULL,
    started_on DATE,
    completed_on DATE,
    -- {"effectiveness", "results", "conclusions", "recommendations", "evaluated_on"}
    evaluation TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX joint_actions_body ON joint_actions (government_body, id);

CREATE TABLE joint_action_parties (
    id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL REFERENCES joint_actions (id),
    kind TEXT NOT NULL,
    npo_id TEXT,
    name TEXT NOT NULL,
    zone_of_responsibility TEXT,
    -- full name of the party's responsible person: personal data
    representative TEXT,
    consent_on DATE,
    consent_document TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX joint_action_parties_action ON joint_action_parties (action_id, id);

CREATE TABLE joint_action_steps (
    id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL REFERENCES joint_actions (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    deadline DATE,
    expected_result TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (action_id, position)
);

CREATE TABLE monitoring_rows (
    id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL REFERENCES joint_actions (id),
    activity TEXT NOT NULL,
    frequency TEXT NOT NULL,
    -- [{"name", "unit", "target", "higher_is_better"}]
    indicators TEXT NOT NULL,
    comments TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX monitoring_rows_action ON monitoring_rows (action_id, id);

CREATE TABLE measurements (
    id TEXT PRIMARY KEY,
    row_id TEXT NOT NULL REFERENCES monitoring_rows (id),
    action_id TEXT NOT NULL REFERENCES joint_actions (id),
    indicator TEXT NOT NULL,
    measured_on DATE NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    evidence TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX measurements_row ON measurements (row_id, measured_on, id);

CREATE TABLE working_groups (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    name TEXT NOT NULL,
    origin TEXT NOT NULL,
    goal_match TEXT,
    format TEXT,
    spheres TEXT NOT NULL,
    -- [{"kind", "government_body", "npo_id", "name", "role", "responsibilities"}]
    members TEXT NOT NULL,
    closed BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX working_groups_body ON working_groups (government_body, id);

CREATE TABLE working_group_reports (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES working_groups (id),
    kind TEXT NOT NULL,
    reported_on DATE NOT NULL,
    summary TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX working_group_reports_group ON working_group_reports (group_id, id);

CREATE TABLE working_group_meetings (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES working_groups (id),
    held_on DATE NOT NULL,
    form TEXT NOT NULL,
    participant_categories TEXT NOT NULL,
    participants INTEGER,
    responsible_staff TEXT NOT NULL,
    minutes TEXT,
    result TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX working_group_meetings_group ON working_group_meetings (group_id, id);

CREATE TABLE consultative_bodies (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    name TEXT NOT NULL,
    sphere TEXT,
    role TEXT,
    joined_on DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX consultative_bodies_body ON consultative_bodies (government_body, id);

CREATE TABLE consultative_progress (
    id TEXT PRIMARY KEY,
    consultative_body_id TEXT NOT NULL REFERENCES consultative_bodies (id),
    noted_on DATE NOT NULL,
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX consultative_progress_body ON consultative_progress (consultative_body_id, id);

CREATE TABLE joint_plans (
    id TEXT PRIMARY KEY,
    government_body TEXT NOT NULL,
    working_group_id TEXT,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX joint_plans_body ON joint_plans (government_body, id);

-- Every version of a plan's rows; versions after approval are never changed.
CREATE TABLE joint_plan_versions (
    plan_id TEXT NOT NULL REFERENCES joint_plans (id),
    number INTEGER NOT NULL,
    rows TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (plan_id, number)
);
