//! Storage of identified priorities and their ranking across assessments.

use chrono::{DateTime, NaiveDateTime, Utc};
use common_models::{AssessmentStatus, Catalogue, KatoCode, RiskLevel, Sphere, TargetGroup};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{Scope, from_code, like_prefix, utc};
use crate::domain::priority::{Priority, PriorityFacts};
use crate::schema::{needs_assessments, needs_priorities};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = needs_priorities)]
struct PriorityRow {
    id: String,
    assessment_id: String,
    sphere: String,
    territory: String,
    territory_name: Option<String>,
    target_group: String,
    problem: String,
    information_source: String,
    source_details: Option<String>,
    risks: String,
    risk_level: String,
    people_affected: Option<i64>,
    created_at: NaiveDateTime,
}

fn into_priority((row, government_body): (PriorityRow, String)) -> Result<Priority, StoreError> {
    Ok(Priority {
        id: row.id,
        assessment_id: row.assessment_id,
        government_body,
        sphere: from_code(&row.sphere)?,
        territory: row.territory,
        territory_name: row.territory_name,
        target_group: from_code(&row.target_group)?,
        problem: row.problem,
        information_source: from_code(&row.information_source)?,
        source_details: row.source_details,
        risks: row.risks,
        risk_level: from_code(&row.risk_level)?,
        people_affected: row.people_affected,
        created_at: utc(row.created_at),
    })
}

/// Position of a priority in the ranking: risk rank, people rank (descending), id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankPosition {
    pub risk_rank: i32,
    pub people_rank: i64,
    pub id: String,
}

impl RankPosition {
    /// Returns the position of `priority`.
    pub fn of(priority: &Priority) -> Self {
        Self {
            risk_rank: priority.risk_level.rank(),
            people_rank: priority.people_affected.unwrap_or(-1),
            id: priority.id.clone(),
        }
    }

    /// Encodes the position for a cursor.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.risk_rank, self.people_rank, self.id)
    }

    /// Decodes a position from a cursor key.
    pub fn decode(key: &str) -> Option<Self> {
        let mut parts = key.splitn(3, '.');
        let risk_rank = parts.next()?.parse().ok()?;
        let people_rank = parts.next()?.parse().ok()?;
        let id = parts.next().filter(|id| !id.is_empty())?.to_owned();
        Some(Self {
            risk_rank,
            people_rank,
            id,
        })
    }
}

/// Inserts a priority of an assessment.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    assessment_id: &str,
    facts: &PriorityFacts,
    territory_name: Option<&str>,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(needs_priorities::table)
        .values((
            needs_priorities::id.eq(id),
            needs_priorities::assessment_id.eq(assessment_id),
            needs_priorities::sphere.eq(facts.sphere.code()),
            needs_priorities::territory.eq(facts.territory.as_str()),
            needs_priorities::territory_name.eq(territory_name),
            needs_priorities::target_group.eq(facts.target_group.code()),
            needs_priorities::problem.eq(&facts.problem),
            needs_priorities::information_source.eq(facts.information_source.code()),
            needs_priorities::source_details.eq(&facts.source_details),
            needs_priorities::risks.eq(&facts.risks),
            needs_priorities::risk_level.eq(facts.risk_level.code()),
            needs_priorities::risk_rank.eq(facts.risk_level.rank()),
            needs_priorities::people_affected.eq(facts.people_affected),
            needs_priorities::people_rank.eq(facts.people_affected.unwrap_or(-1)),
            needs_priorities::created_at.eq(now.naive_utc()),
            needs_priorities::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lists the priorities of one assessment in ranking order.
pub fn for_assessment(
    conn: &mut AnyConnection,
    assessment_id: &str,
) -> Result<Vec<Priority>, StoreError> {
    needs_priorities::table
        .inner_join(needs_assessments::table)
        .filter(needs_priorities::assessment_id.eq(assessment_id))
        .order((
            needs_priorities::risk_rank.asc(),
            needs_priorities::people_rank.desc(),
            needs_priorities::id.asc(),
        ))
        .select((PriorityRow::as_select(), needs_assessments::government_body))
        .load::<(PriorityRow, String)>(conn)?
        .into_iter()
        .map(into_priority)
        .collect()
}

/// Counts the priorities of one assessment.
pub fn count(conn: &mut AnyConnection, assessment_id: &str) -> Result<i64, StoreError> {
    Ok(needs_priorities::table
        .filter(needs_priorities::assessment_id.eq(assessment_id))
        .count()
        .get_result(conn)?)
}

/// Returns which of `ids` are not priorities of the assessment.
pub fn foreign_ids(
    conn: &mut AnyConnection,
    assessment_id: &str,
    ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let known: Vec<String> = needs_priorities::table
        .filter(needs_priorities::assessment_id.eq(assessment_id))
        .filter(needs_priorities::id.eq_any(ids))
        .select(needs_priorities::id)
        .load(conn)?;
    Ok(ids
        .iter()
        .filter(|id| !known.contains(id))
        .cloned()
        .collect())
}

/// Deletes a priority of an assessment; returns whether it existed.
pub fn delete(conn: &mut AnyConnection, assessment_id: &str, id: &str) -> Result<bool, StoreError> {
    let deleted = diesel::delete(
        needs_priorities::table
            .filter(needs_priorities::assessment_id.eq(assessment_id))
            .filter(needs_priorities::id.eq(id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// Filters of the ranked priority list; every filter present must match.
#[derive(Debug, Clone)]
pub struct PriorityFilter {
    pub scope: Scope,
    pub government_body: Option<String>,
    pub territory: Option<KatoCode>,
    pub sphere: Option<Sphere>,
    pub target_group: Option<TargetGroup>,
    pub risk_level: Option<RiskLevel>,
}

/// Lists priorities across assessments in ranking order: high risk first, then more
/// people affected first (unknown counts last), then id.
pub fn ranked(
    conn: &mut AnyConnection,
    filter: &PriorityFilter,
    after: Option<&RankPosition>,
    limit: i64,
) -> Result<Vec<Priority>, StoreError> {
    let published = AssessmentStatus::Published.code();
    let mut query = needs_priorities::table
        .inner_join(needs_assessments::table)
        .into_boxed();
    query = match &filter.scope {
        Scope::Everything => query,
        // Priorities are part of the report, so open calls show none before publication.
        Scope::PublishedOnly | Scope::OpenCalls => {
            query.filter(needs_assessments::status.eq(published))
        }
        Scope::AlsoBody(body) => query.filter(
            needs_assessments::status
                .eq(published)
                .or(needs_assessments::government_body.eq(body.clone())),
        ),
    };
    if let Some(body) = &filter.government_body {
        query = query.filter(needs_assessments::government_body.eq(body.clone()));
    }
    if let Some(territory) = &filter.territory {
        query =
            query.filter(needs_priorities::territory.like(like_prefix(territory.subtree_prefix())));
    }
    if let Some(sphere) = filter.sphere {
        query = query.filter(needs_priorities::sphere.eq(sphere.code()));
    }
    if let Some(group) = filter.target_group {
        query = query.filter(needs_priorities::target_group.eq(group.code()));
    }
    if let Some(level) = filter.risk_level {
        query = query.filter(needs_priorities::risk_level.eq(level.code()));
    }
    if let Some(position) = after {
        let (risk, people, id) = (
            position.risk_rank,
            position.people_rank,
            position.id.clone(),
        );
        query = query.filter(
            needs_priorities::risk_rank
                .gt(risk)
                .or(needs_priorities::risk_rank
                    .eq(risk)
                    .and(needs_priorities::people_rank.lt(people)))
                .or(needs_priorities::risk_rank
                    .eq(risk)
                    .and(needs_priorities::people_rank.eq(people))
                    .and(needs_priorities::id.gt(id))),
        );
    }
    query
        .order((
            needs_priorities::risk_rank.asc(),
            needs_priorities::people_rank.desc(),
            needs_priorities::id.asc(),
        ))
        .limit(limit)
        .select((PriorityRow::as_select(), needs_assessments::government_body))
        .load::<(PriorityRow, String)>(conn)?
        .into_iter()
        .map(into_priority)
        .collect()
}
