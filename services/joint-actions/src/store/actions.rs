//! Storage of joint actions, their parties and steps.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{ActionStatus, Catalogue, KatoCode, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::action::{
    Action, ActionFacts, Evaluation, Initiator, Party, PartyFacts, PartyKind, PartyTerms, Step,
};
use crate::schema::{joint_action_parties as parties, joint_action_steps as steps, joint_actions};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = joint_actions)]
struct ActionRow {
    id: String,
    government_body: String,
    title: String,
    initiator: String,
    initiating_npo_id: Option<String>,
    fit_assessment: Option<String>,
    spheres: String,
    territory: Option<String>,
    goals: String,
    tasks: String,
    status: String,
    started_on: Option<NaiveDate>,
    completed_on: Option<NaiveDate>,
    evaluation: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = parties)]
struct PartyRow {
    id: String,
    kind: String,
    npo_id: Option<String>,
    name: String,
    zone_of_responsibility: Option<String>,
    representative: Option<String>,
    consent_on: Option<NaiveDate>,
    consent_document: Option<String>,
}

fn kind_code(kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Npo => "npo",
        PartyKind::GovernmentBody => "government_body",
        PartyKind::Other => "other",
    }
}

fn stored_error(what: &str, raw: &str) -> StoreError {
    StoreError::Query(anyhow::anyhow!("stored {what} '{raw}' is unknown"))
}

impl PartyRow {
    fn into_party(self) -> Result<Party, StoreError> {
        let kind = match self.kind.as_str() {
            "npo" => PartyKind::Npo,
            "government_body" => PartyKind::GovernmentBody,
            "other" => PartyKind::Other,
            other => return Err(stored_error("party kind", other)),
        };
        Ok(Party {
            id: self.id,
            kind,
            npo_id: self.npo_id,
            name: self.name,
            zone_of_responsibility: self.zone_of_responsibility,
            representative: self.representative,
            consent_on: self.consent_on,
            consent_document: self.consent_document,
        })
    }
}

impl ActionRow {
    fn into_action(self, parties: Vec<Party>, steps: Vec<Step>) -> Result<Action, StoreError> {
        let initiator = match self.initiator.as_str() {
            "officer" => Initiator::Officer,
            "npo" => Initiator::Npo,
            other => return Err(stored_error("initiator", other)),
        };
        let spheres: Vec<String> = from_json("spheres", &self.spheres)?;
        Ok(Action {
            id: self.id,
            government_body: self.government_body,
            title: self.title,
            initiator,
            initiating_npo_id: self.initiating_npo_id,
            fit_assessment: self.fit_assessment,
            spheres: spheres
                .iter()
                .map(|s| from_code::<Sphere>(s))
                .collect::<Result<_, _>>()?,
            territory: self.territory,
            goals: from_json("goals", &self.goals)?,
            tasks: from_json("tasks", &self.tasks)?,
            status: from_code(&self.status)?,
            parties,
            steps,
            started_on: self.started_on,
            completed_on: self.completed_on,
            evaluation: self
                .evaluation
                .as_deref()
                .map(|raw| from_json::<Evaluation>("evaluation", raw))
                .transpose()?,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// Inserts a draft action of `government_body`.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &ActionFacts,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let spheres: Vec<&str> = facts.spheres.iter().map(|s| s.code()).collect();
    diesel::insert_into(joint_actions::table)
        .values((
            joint_actions::id.eq(id),
            joint_actions::government_body.eq(government_body),
            joint_actions::title.eq(&facts.title),
            joint_actions::initiator.eq(match facts.initiator {
                Initiator::Officer => "officer",
                Initiator::Npo => "npo",
            }),
            joint_actions::initiating_npo_id.eq(&facts.initiating_npo_id),
            joint_actions::fit_assessment.eq(&facts.fit_assessment),
            joint_actions::spheres.eq(to_json(&spheres)?),
            joint_actions::territory.eq(facts.territory.as_ref().map(KatoCode::as_str)),
            joint_actions::goals.eq(to_json(&facts.goals)?),
            joint_actions::tasks.eq(to_json(&facts.tasks)?),
            joint_actions::status.eq(ActionStatus::Draft.code()),
            joint_actions::version.eq(1),
            joint_actions::created_at.eq(now.naive_utc()),
            joint_actions::created_by.eq(created_by),
            joint_actions::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Finds an action with its parties and steps.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Action>, StoreError> {
    let Some(row) = joint_actions::table
        .filter(joint_actions::id.eq(id))
        .select(ActionRow::as_select())
        .first::<ActionRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let parties = parties_of(conn, id)?;
    let steps = steps_of(conn, id)?;
    row.into_action(parties, steps).map(Some)
}

fn parties_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<Party>, StoreError> {
    parties::table
        .filter(parties::action_id.eq(id))
        .order(parties::id.asc())
        .select(PartyRow::as_select())
        .load::<PartyRow>(conn)?
        .into_iter()
        .map(PartyRow::into_party)
        .collect()
}

/// Id, position, title, deadline and expected result of a step.
type StepRow = (String, i32, String, Option<NaiveDate>, Option<String>);

fn steps_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<Step>, StoreError> {
    let rows: Vec<StepRow> = steps::table
        .filter(steps::action_id.eq(id))
        .order(steps::position.asc())
        .select((
            steps::id,
            steps::position,
            steps::title,
            steps::deadline,
            steps::expected_result,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, order, title, deadline, expected_result)| Step {
            id,
            order,
            title,
            deadline,
            expected_result,
        })
        .collect())
}

/// Lists the actions of `government_body` (every body when `None`) in creation order.
pub fn list(
    conn: &mut AnyConnection,
    government_body: Option<&str>,
    status: Option<ActionStatus>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Action>, StoreError> {
    let mut query = joint_actions::table.into_boxed();
    if let Some(body) = government_body {
        query = query.filter(joint_actions::government_body.eq(body.to_owned()));
    }
    if let Some(status) = status {
        query = query.filter(joint_actions::status.eq(status.code()));
    }
    if let Some(after) = after {
        query = query.filter(joint_actions::id.gt(after.to_owned()));
    }
    let rows = query
        .order(joint_actions::id.asc())
        .limit(limit)
        .select(ActionRow::as_select())
        .load::<ActionRow>(conn)?;
    rows.into_iter()
        .map(|row| {
            let parties = parties_of(conn, &row.id)?;
            let steps = steps_of(conn, &row.id)?;
            row.into_action(parties, steps)
        })
        .collect()
}

/// Moves an action to `status` if it is still at `version`; returns whether it was.
pub fn set_status(
    conn: &mut AnyConnection,
    action: &Action,
    status: ActionStatus,
    evaluation: Option<&Evaluation>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let started_on = match status {
        ActionStatus::InProgress => Some(today),
        _ => action.started_on,
    };
    let completed_on = match status {
        ActionStatus::Completed => Some(today),
        _ => action.completed_on,
    };
    let evaluation = evaluation.map(to_json).transpose()?;
    let changed = diesel::update(
        joint_actions::table
            .filter(joint_actions::id.eq(&action.id))
            .filter(joint_actions::version.eq(action.version)),
    )
    .set((
        joint_actions::status.eq(status.code()),
        joint_actions::started_on.eq(started_on),
        joint_actions::completed_on.eq(completed_on),
        joint_actions::evaluation.eq(evaluation),
        joint_actions::version.eq(action.version + 1),
        joint_actions::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Replaces what an action is about if it is still at `version`; returns whether it
/// was.
pub fn update_facts(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    facts: &ActionFacts,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let spheres: Vec<&str> = facts.spheres.iter().map(|s| s.code()).collect();
    let changed = diesel::update(
        joint_actions::table
            .filter(joint_actions::id.eq(id))
            .filter(joint_actions::version.eq(version)),
    )
    .set((
        joint_actions::title.eq(&facts.title),
        joint_actions::fit_assessment.eq(&facts.fit_assessment),
        joint_actions::spheres.eq(to_json(&spheres)?),
        joint_actions::territory.eq(facts.territory.as_ref().map(KatoCode::as_str)),
        joint_actions::goals.eq(to_json(&facts.goals)?),
        joint_actions::tasks.eq(to_json(&facts.tasks)?),
        joint_actions::version.eq(version + 1),
        joint_actions::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Raises the revision of an action whose parties or steps changed.
pub fn touch(conn: &mut AnyConnection, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    diesel::update(joint_actions::table.filter(joint_actions::id.eq(id)))
        .set((
            joint_actions::version.eq(joint_actions::version + 1),
            joint_actions::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Inserts a party named `name`.
pub fn insert_party(
    conn: &mut AnyConnection,
    id: &str,
    action_id: &str,
    facts: &PartyFacts,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(parties::table)
        .values((
            parties::id.eq(id),
            parties::action_id.eq(action_id),
            parties::kind.eq(kind_code(facts.kind)),
            parties::npo_id.eq(&facts.npo_id),
            parties::name.eq(name),
            parties::zone_of_responsibility.eq(&facts.terms.zone_of_responsibility),
            parties::representative.eq(&facts.terms.representative),
            parties::consent_on.eq(facts.terms.consent_on),
            parties::consent_document.eq(&facts.terms.consent_document),
            parties::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces the terms of a party of an action; returns whether the party exists.
pub fn update_party(
    conn: &mut AnyConnection,
    action_id: &str,
    id: &str,
    terms: &PartyTerms,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        parties::table
            .filter(parties::action_id.eq(action_id))
            .filter(parties::id.eq(id)),
    )
    .set((
        parties::zone_of_responsibility.eq(&terms.zone_of_responsibility),
        parties::representative.eq(&terms.representative),
        parties::consent_on.eq(terms.consent_on),
        parties::consent_document.eq(&terms.consent_document),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Inserts a step; the caller checks that its order is free.
pub fn insert_step(
    conn: &mut AnyConnection,
    action_id: &str,
    step: &Step,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(steps::table)
        .values((
            steps::id.eq(&step.id),
            steps::action_id.eq(action_id),
            steps::position.eq(step.order),
            steps::title.eq(&step.title),
            steps::deadline.eq(step.deadline),
            steps::expected_result.eq(&step.expected_result),
            steps::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a party of an action; returns whether it existed.
pub fn delete_party(
    conn: &mut AnyConnection,
    action_id: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let deleted = diesel::delete(
        parties::table
            .filter(parties::action_id.eq(action_id))
            .filter(parties::id.eq(id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// Deletes a step of an action; returns whether it existed.
pub fn delete_step(
    conn: &mut AnyConnection,
    action_id: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let deleted = diesel::delete(
        steps::table
            .filter(steps::action_id.eq(action_id))
            .filter(steps::id.eq(id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}
