//! Storage of recommendations and their clarifications.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::Catalogue;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::Responsible;
use crate::domain::recommendation::{
    AuthorKind, Clarification, Contacts, Forwarding, Initiator, Proposal, Recommendation, RoutedBy,
    Status, feedback_follows, stage_of,
};
use crate::schema::{
    recommendation_clarifications as clarifications, recommendation_forwardings as forwardings,
    recommendations,
};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = recommendations)]
struct Row {
    id: String,
    government_body: String,
    sphere: String,
    text: String,
    author_kind: String,
    author_name: String,
    npo_id: Option<String>,
    npo_bin: Option<String>,
    contacts: Option<String>,
    received_on: NaiveDate,
    initiator: String,
    status: String,
    reason: Option<String>,
    feedback: Option<String>,
    answered_on: Option<NaiveDate>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    territory: Option<String>,
    received_by: String,
    responsible: Option<String>,
    responsible_name: Option<String>,
    due_on: Option<NaiveDate>,
    request_id: Option<String>,
    decided_version: Option<i32>,
    feedback_version: Option<i32>,
    handling: Option<String>,
    decided_on: Option<NaiveDate>,
}

fn unknown(what: &str, raw: &str) -> StoreError {
    StoreError::Query(anyhow::anyhow!("stored {what} '{raw}' is unknown"))
}

impl Row {
    fn into_recommendation(
        self,
        clarifications: Vec<Clarification>,
        forwarding: Vec<Forwarding>,
    ) -> Result<Recommendation, StoreError> {
        let status =
            Status::from_code(&self.status).ok_or_else(|| unknown("status", &self.status))?;
        let stage = stage_of(
            status,
            feedback_follows(self.decided_version, self.feedback_version),
        );
        let due_on = self.due_on.filter(|_| stage.is_some());
        let handling = self
            .handling
            .as_deref()
            .map(|raw| Status::from_code(raw).ok_or_else(|| unknown("handling", raw)))
            .transpose()?;
        Ok(Recommendation {
            handling,
            decided_on: self.decided_on,
            stage,
            due_on,
            overdue: due_on.is_some_and(|due| due < common_models::time::today()),
            forwarding,
            responsible: Responsible::from_columns(self.responsible, self.responsible_name),
            territory: self
                .territory
                .as_deref()
                .map(|raw| {
                    common_models::KatoCode::parse(raw).map_err(|_| unknown("territory", raw))
                })
                .transpose()?,
            received_by: self.received_by,
            request_id: self.request_id,
            decided_version: self.decided_version,
            feedback_version: self.feedback_version,
            author_kind: match self.author_kind.as_str() {
                "npo" => AuthorKind::Npo,
                "person" => AuthorKind::Person,
                other => return Err(unknown("author kind", other)),
            },
            initiator: match self.initiator.as_str() {
                "npo" => Initiator::Npo,
                "government_body" => Initiator::GovernmentBody,
                other => return Err(unknown("initiator", other)),
            },
            status,
            sphere: from_code(&self.sphere)?,
            contacts: self
                .contacts
                .as_deref()
                .map(|raw| from_json::<Contacts>("contacts", raw))
                .transpose()?,
            id: self.id,
            government_body: self.government_body,
            text: self.text,
            author_name: self.author_name,
            npo_id: self.npo_id,
            npo_bin: self.npo_bin,
            received_on: self.received_on,
            reason: self.reason,
            feedback: self.feedback,
            answered_on: self.answered_on,
            clarifications,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// The author of a new recommendation.
#[derive(Debug, Clone)]
pub struct Author<'a> {
    pub kind: AuthorKind,
    pub name: &'a str,
    pub npo_id: Option<&'a str>,
    pub npo_bin: Option<&'a str>,
    pub initiator: Initiator,
    pub received_on: NaiveDate,
}

/// Bookkeeping of a new recommendation: who is responsible, when its decision is due,
/// and the request for recommendations it replies to.
#[derive(Debug, Clone)]
pub struct Intake<'a> {
    pub responsible: Option<&'a Responsible>,
    pub due_on: NaiveDate,
    pub request_id: Option<&'a str>,
    /// Subject of the token that submitted or recorded it.
    pub created_by: &'a str,
}

/// Inserts a recommendation, accepted into work.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    proposal: &Proposal,
    author: &Author<'_>,
    intake: &Intake<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(recommendations::table)
        .values((
            (
                recommendations::territory.eq(proposal.territory.as_ref().map(|t| t.as_str())),
                recommendations::received_by.eq(government_body),
                recommendations::responsible.eq(intake.responsible.map(|r| r.officer.as_str())),
                recommendations::responsible_name
                    .eq(intake.responsible.and_then(|r| r.name.as_deref())),
                recommendations::due_on.eq(intake.due_on),
                recommendations::request_id.eq(intake.request_id),
            ),
            recommendations::id.eq(id),
            recommendations::government_body.eq(government_body),
            recommendations::sphere.eq(proposal.sphere.code()),
            recommendations::text.eq(&proposal.text),
            recommendations::author_kind.eq(author.kind.code()),
            recommendations::author_name.eq(author.name),
            recommendations::npo_id.eq(author.npo_id),
            recommendations::npo_bin.eq(author.npo_bin),
            recommendations::contacts.eq(proposal.contacts.as_ref().map(to_json).transpose()?),
            recommendations::received_on.eq(author.received_on),
            recommendations::initiator.eq(author.initiator.code()),
            recommendations::status.eq(Status::InWork.code()),
            recommendations::version.eq(1),
            recommendations::created_at.eq(now.naive_utc()),
            recommendations::created_by.eq(intake.created_by),
            recommendations::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Finds a recommendation with its clarifications.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Recommendation>, StoreError> {
    let Some(row) = recommendations::table
        .filter(recommendations::id.eq(id))
        .select(Row::as_select())
        .first::<Row>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let clarifications = clarifications_of(conn, id)?;
    let forwarding = forwarding_of(conn, id)?;
    row.into_recommendation(clarifications, forwarding)
        .map(Some)
}

/// Number, question, asked on, answer and answered on of a clarification.
type ClarificationRow = (i32, String, NaiveDate, Option<String>, Option<NaiveDate>);

fn clarifications_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<Clarification>, StoreError> {
    let rows: Vec<ClarificationRow> = clarifications::table
        .filter(clarifications::recommendation_id.eq(id))
        .order(clarifications::number.asc())
        .select((
            clarifications::number,
            clarifications::question,
            clarifications::asked_on,
            clarifications::answer,
            clarifications::answered_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(number, question, asked_on, answer, answered_on)| Clarification {
                number,
                question,
                asked_on,
                answer,
                answered_on,
            },
        )
        .collect())
}

/// From, to, reason, routed by and day of a forwarding, by number.
type ForwardingRow = (i32, String, String, Option<String>, String, NaiveDate);

fn forwarding_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<Forwarding>, StoreError> {
    let rows: Vec<ForwardingRow> = forwardings::table
        .filter(forwardings::recommendation_id.eq(id))
        .order(forwardings::number.asc())
        .select((
            forwardings::number,
            forwardings::from_body,
            forwardings::to_body,
            forwardings::reason,
            forwardings::routed_by,
            forwardings::forwarded_on,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(number, from_body, to_body, reason, routed_by, forwarded_on)| {
                Ok(Forwarding {
                    number,
                    from_body,
                    to_body,
                    reason,
                    routed_by: RoutedBy::from_code(&routed_by)
                        .ok_or_else(|| unknown("routing", &routed_by))?,
                    forwarded_on,
                })
            },
        )
        .collect()
}

/// Range of recommendations a list shows.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Those a body handles now or handled before forwarding them.
    Body(String),
    Bin(String),
    Everything,
}

/// Filters of a list of recommendations.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<Status>,
    /// Only those whose current stage was due before the day (`true`), or only the
    /// others (`false`).
    pub overdue: Option<(bool, NaiveDate)>,
    pub responsible: Option<String>,
    pub government_body: Option<String>,
}

/// Lists recommendations in arrival order.
pub fn list(
    conn: &mut AnyConnection,
    scope: &Scope,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Recommendation>, StoreError> {
    let mut query = recommendations::table.into_boxed();
    query = match scope {
        Scope::Body(body) => query.filter(
            recommendations::government_body
                .eq(body.clone())
                .or(recommendations::id.eq_any(
                    forwardings::table
                        .filter(forwardings::from_body.eq(body.clone()))
                        .select(forwardings::recommendation_id),
                )),
        ),
        Scope::Bin(bin) => query.filter(recommendations::npo_bin.eq(bin.clone())),
        Scope::Everything => query,
    };
    if let Some(status) = filter.status {
        query = query.filter(recommendations::status.eq(status.code()));
    }
    match filter.overdue {
        Some((true, day)) => query = query.filter(open_and_due_before(day)),
        Some((false, day)) => query = query.filter(diesel::dsl::not(open_and_due_before(day))),
        None => {}
    }
    if let Some(responsible) = &filter.responsible {
        query = query.filter(recommendations::responsible.eq(responsible.clone()));
    }
    if let Some(body) = &filter.government_body {
        query = query.filter(recommendations::government_body.eq(body.clone()));
    }
    if let Some(after) = after {
        query = query.filter(recommendations::id.gt(after.to_owned()));
    }
    let rows = query
        .order(recommendations::id.asc())
        .limit(limit)
        .select(Row::as_select())
        .load::<Row>(conn)?;
    rows.into_iter()
        .map(|row| {
            let clarifications = clarifications_of(conn, &row.id)?;
            let forwarding = forwarding_of(conn, &row.id)?;
            row.into_recommendation(clarifications, forwarding)
        })
        .collect()
}

/// Recommendations whose current stage was due before `day`: not closed, and either
/// undecided, or decided without feedback after the decision.
fn open_and_due_before(
    day: NaiveDate,
) -> Box<
    dyn BoxableExpression<
            recommendations::table,
            <AnyConnection as diesel::Connection>::Backend,
            SqlType = diesel::sql_types::Bool,
        >,
> {
    let undecided = [Status::InWork.code(), Status::Forwarded.code()];
    Box::new(
        // A NULL due day makes the whole condition false, so `not` keeps the row.
        recommendations::due_on
            .is_not_null()
            .and(recommendations::due_on.lt(day).assume_not_null())
            .and(
                recommendations::status
                    .eq_any(undecided)
                    .or(recommendations::status.ne(Status::Closed.code()).and(
                        recommendations::feedback_version.is_null().or(
                            recommendations::feedback_version
                                .assume_not_null()
                                .lt(recommendations::decided_version.assume_not_null()),
                        ),
                    )),
            ),
    )
}

/// Number of overdue recommendations of one body and the earliest day one was due.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct OverdueCount {
    pub government_body: String,
    pub overdue: i64,
    pub oldest_due_on: NaiveDate,
}

/// Counts the recommendations each body handles whose stage was due before `today`,
/// for `body` only when given, sorted by body.
pub fn overdue_by_body(
    conn: &mut AnyConnection,
    body: Option<&str>,
    today: NaiveDate,
) -> Result<Vec<OverdueCount>, StoreError> {
    let mut query = recommendations::table
        .filter(open_and_due_before(today))
        .select((recommendations::government_body, recommendations::due_on))
        .into_boxed();
    if let Some(body) = body {
        query = query.filter(recommendations::government_body.eq(body.to_owned()));
    }
    let rows: Vec<(String, Option<NaiveDate>)> = query.load(conn)?;
    let mut counts: std::collections::BTreeMap<String, OverdueCount> = Default::default();
    for (government_body, due_on) in rows {
        let Some(due_on) = due_on else { continue };
        counts
            .entry(government_body.clone())
            .and_modify(|count| {
                count.overdue += 1;
                count.oldest_due_on = count.oldest_due_on.min(due_on);
            })
            .or_insert(OverdueCount {
                government_body,
                overdue: 1,
                oldest_due_on: due_on,
            });
    }
    Ok(counts.into_values().collect())
}

/// The state a change leaves a recommendation in.
#[derive(Debug, Clone)]
pub struct Next<'a> {
    pub status: Status,
    pub reason: Option<&'a str>,
    pub feedback: Option<&'a str>,
    pub answered_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub responsible: Option<&'a Responsible>,
    /// Version of the last decision and of the last feedback.
    pub decided_version: Option<i32>,
    pub feedback_version: Option<i32>,
    /// Handling and day of the last decision.
    pub handling: Option<Status>,
    pub decided_on: Option<NaiveDate>,
}

impl Next<'_> {
    /// Returns the names of the fields of `current` that this state changes, for the
    /// audit trail.
    pub fn changed_fields(&self, current: &Recommendation) -> Vec<String> {
        let changes = [
            ("status", self.status != current.status),
            ("reason", self.reason != current.reason.as_deref()),
            ("handling", self.handling != current.handling),
            ("decided_on", self.decided_on != current.decided_on),
            ("feedback", self.feedback != current.feedback.as_deref()),
            ("answered_on", self.answered_on != current.answered_on),
            ("due_on", self.due_on != current.due_on),
            (
                "responsible",
                self.responsible != current.responsible.as_ref(),
            ),
        ];
        changes
            .into_iter()
            .filter(|(_, changed)| *changed)
            .map(|(name, _)| name.to_owned())
            .collect()
    }
}

/// Stores the next state if the recommendation is still at its version; returns
/// whether it was.
pub fn update(
    conn: &mut AnyConnection,
    current: &Recommendation,
    next: &Next<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Next {
        status,
        reason,
        feedback,
        answered_on,
        due_on,
        responsible,
        decided_version,
        feedback_version,
        handling,
        decided_on,
    } = *next;
    let changed = diesel::update(
        recommendations::table
            .filter(recommendations::id.eq(&current.id))
            .filter(recommendations::version.eq(current.version)),
    )
    .set((
        recommendations::status.eq(status.code()),
        recommendations::reason.eq(reason),
        recommendations::feedback.eq(feedback),
        recommendations::answered_on.eq(answered_on),
        recommendations::due_on.eq(due_on),
        recommendations::decided_version.eq(decided_version),
        recommendations::feedback_version.eq(feedback_version),
        recommendations::handling.eq(handling.map(Status::code)),
        recommendations::decided_on.eq(decided_on),
        recommendations::responsible.eq(responsible.map(|r| r.officer.as_str())),
        recommendations::responsible_name.eq(responsible.and_then(|r| r.name.as_deref())),
        recommendations::version.eq(current.version + 1),
        recommendations::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Adds clarification `number` with its question.
pub fn ask(
    conn: &mut AnyConnection,
    id: &str,
    number: i32,
    question: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    diesel::insert_into(clarifications::table)
        .values((
            clarifications::recommendation_id.eq(id),
            clarifications::number.eq(number),
            clarifications::question.eq(question),
            clarifications::asked_on.eq(today),
        ))
        .execute(conn)?;
    touch(conn, id)
}

/// Gives a recommendation a new version, so its ETag changes with its clarifications.
fn touch(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    diesel::update(recommendations::table.filter(recommendations::id.eq(id)))
        .set((
            recommendations::version.eq(recommendations::version + 1),
            recommendations::updated_at.eq(service_kit::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores the answer to clarification `number` if it has none yet; returns whether it
/// was stored.
pub fn answer(
    conn: &mut AnyConnection,
    id: &str,
    number: i32,
    answer: &str,
    today: NaiveDate,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        clarifications::table
            .filter(clarifications::recommendation_id.eq(id))
            .filter(clarifications::number.eq(number))
            .filter(clarifications::answer.is_null()),
    )
    .set((
        clarifications::answer.eq(answer),
        clarifications::answered_on.eq(today),
    ))
    .execute(conn)?;
    if changed == 1 {
        touch(conn, id)?;
    }
    Ok(changed == 1)
}

/// A step of a recommendation to another body.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    pub to_body: &'a str,
    pub reason: Option<&'a str>,
    pub routed_by: RoutedBy,
    pub forwarded_on: NaiveDate,
    pub forwarded_by: &'a str,
}

/// Records a forwarding of `current` and hands it to the receiving body. Returns false,
/// writing nothing, when `current` is no longer at its version.
pub fn forward(
    conn: &mut AnyConnection,
    current: &Recommendation,
    step: &Step<'_>,
    next: &Next<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        recommendations::table
            .filter(recommendations::id.eq(&current.id))
            .filter(recommendations::version.eq(current.version)),
    )
    .set((
        recommendations::government_body.eq(step.to_body),
        recommendations::status.eq(next.status.code()),
        recommendations::due_on.eq(next.due_on),
        recommendations::responsible.eq(next.responsible.map(|r| r.officer.as_str())),
        recommendations::responsible_name.eq(next.responsible.and_then(|r| r.name.as_deref())),
        recommendations::version.eq(current.version + 1),
        recommendations::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    if changed != 1 {
        return Ok(false);
    }
    diesel::insert_into(forwardings::table)
        .values((
            forwardings::recommendation_id.eq(&current.id),
            forwardings::number.eq(current.forwarding.len() as i32 + 1),
            forwardings::from_body.eq(&current.government_body),
            forwardings::to_body.eq(step.to_body),
            forwardings::reason.eq(step.reason),
            forwardings::routed_by.eq(step.routed_by.code()),
            forwardings::forwarded_on.eq(step.forwarded_on),
            forwardings::forwarded_by.eq(step.forwarded_by),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Makes `to` responsible for every open recommendation of `body` that has no
/// responsible officer or has `from`; returns the ids changed.
pub fn reassign(
    conn: &mut AnyConnection,
    body: &str,
    from: Option<&str>,
    to: &Responsible,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let mut query = recommendations::table
        .filter(recommendations::government_body.eq(body.to_owned()))
        .filter(recommendations::status.ne(Status::Closed.code()))
        .into_boxed();
    query = match from {
        Some(from) => query.filter(
            recommendations::responsible
                .eq(from.to_owned())
                .or(recommendations::responsible.is_null()),
        ),
        None => query.filter(recommendations::responsible.is_null()),
    };
    let ids: Vec<String> = query.select(recommendations::id).load(conn)?;
    for id in &ids {
        diesel::update(recommendations::table.filter(recommendations::id.eq(id)))
            .set((
                recommendations::responsible.eq(&to.officer),
                recommendations::responsible_name.eq(to.name.as_deref()),
                recommendations::version.eq(recommendations::version + 1),
                recommendations::updated_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(ids)
}
