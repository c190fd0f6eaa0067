//! Storage of the activities of needs assessments.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::Catalogue;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::activity::{Activity, ActivityFacts};
use crate::schema::needs_activities;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = needs_activities)]
struct ActivityRow {
    id: String,
    assessment_id: String,
    held_on: NaiveDate,
    form: String,
    participant_categories: String,
    participants: Option<i32>,
    responsible_staff: String,
    description: Option<String>,
    created_at: NaiveDateTime,
}

impl ActivityRow {
    fn into_activity(self) -> Result<Activity, StoreError> {
        Ok(Activity {
            id: self.id,
            assessment_id: self.assessment_id,
            held_on: self.held_on,
            form: from_code(&self.form)?,
            participant_categories: from_json(
                "participant_categories",
                &self.participant_categories,
            )?,
            participants: self.participants,
            responsible_staff: Some(from_json("responsible_staff", &self.responsible_staff)?),
            description: self.description,
            created_at: utc(self.created_at),
        })
    }
}

/// Inserts an activity of an assessment and returns it.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    assessment_id: &str,
    facts: &ActivityFacts,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<Activity, StoreError> {
    diesel::insert_into(needs_activities::table)
        .values((
            needs_activities::id.eq(id),
            needs_activities::assessment_id.eq(assessment_id),
            needs_activities::held_on.eq(facts.held_on),
            needs_activities::form.eq(facts.form.code()),
            needs_activities::participant_categories.eq(to_json(&facts.participant_categories)?),
            needs_activities::participants.eq(facts.participants),
            needs_activities::responsible_staff.eq(to_json(&facts.responsible_staff)?),
            needs_activities::description.eq(&facts.description),
            needs_activities::created_at.eq(now.naive_utc()),
            needs_activities::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(Activity {
        id: id.to_owned(),
        assessment_id: assessment_id.to_owned(),
        held_on: facts.held_on,
        form: facts.form,
        participant_categories: facts.participant_categories.clone(),
        participants: facts.participants,
        responsible_staff: Some(facts.responsible_staff.clone()),
        description: facts.description.clone(),
        created_at: now,
    })
}

/// Lists the activities of an assessment in creation order, after the id `after`.
pub fn list(
    conn: &mut AnyConnection,
    assessment_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Activity>, StoreError> {
    let mut query = needs_activities::table
        .filter(needs_activities::assessment_id.eq(assessment_id.to_owned()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(needs_activities::id.gt(after.to_owned()));
    }
    query
        .order(needs_activities::id.asc())
        .limit(limit)
        .select(ActivityRow::as_select())
        .load::<ActivityRow>(conn)?
        .into_iter()
        .map(ActivityRow::into_activity)
        .collect()
}

/// Lists every activity of an assessment in creation order.
pub fn for_assessment(
    conn: &mut AnyConnection,
    assessment_id: &str,
) -> Result<Vec<Activity>, StoreError> {
    needs_activities::table
        .filter(needs_activities::assessment_id.eq(assessment_id.to_owned()))
        .order(needs_activities::id.asc())
        .select(ActivityRow::as_select())
        .load::<ActivityRow>(conn)?
        .into_iter()
        .map(ActivityRow::into_activity)
        .collect()
}
