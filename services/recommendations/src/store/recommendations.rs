//! Storage of recommendations and their clarifications.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::Catalogue;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::recommendation::{
    AuthorKind, Clarification, Contacts, Initiator, Proposal, Recommendation, Status,
};
use crate::schema::{recommendation_clarifications as clarifications, recommendations};

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
}

fn unknown(what: &str, raw: &str) -> StoreError {
    StoreError::Query(anyhow::anyhow!("stored {what} '{raw}' is unknown"))
}

impl Row {
    fn into_recommendation(
        self,
        clarifications: Vec<Clarification>,
    ) -> Result<Recommendation, StoreError> {
        Ok(Recommendation {
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
            status: Status::from_code(&self.status)
                .ok_or_else(|| unknown("status", &self.status))?,
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

/// Inserts a recommendation, accepted into work.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    proposal: &Proposal,
    author: &Author<'_>,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(recommendations::table)
        .values((
            recommendations::id.eq(id),
            recommendations::government_body.eq(government_body),
            recommendations::sphere.eq(proposal.sphere.code()),
            recommendations::text.eq(&proposal.text),
            recommendations::author_kind.eq(match author.kind {
                AuthorKind::Npo => "npo",
                AuthorKind::Person => "person",
            }),
            recommendations::author_name.eq(author.name),
            recommendations::npo_id.eq(author.npo_id),
            recommendations::npo_bin.eq(author.npo_bin),
            recommendations::contacts.eq(proposal.contacts.as_ref().map(to_json).transpose()?),
            recommendations::received_on.eq(author.received_on),
            recommendations::initiator.eq(match author.initiator {
                Initiator::Npo => "npo",
                Initiator::GovernmentBody => "government_body",
            }),
            recommendations::status.eq(Status::InWork.code()),
            recommendations::version.eq(1),
            recommendations::created_at.eq(now.naive_utc()),
            recommendations::created_by.eq(created_by),
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
    row.into_recommendation(clarifications).map(Some)
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

/// Range of recommendations a list shows.
#[derive(Debug, Clone)]
pub enum Scope {
    Body(String),
    Bin(String),
    Everything,
}

/// Lists recommendations in arrival order.
pub fn list(
    conn: &mut AnyConnection,
    scope: &Scope,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Recommendation>, StoreError> {
    let mut query = recommendations::table.into_boxed();
    query = match scope {
        Scope::Body(body) => query.filter(recommendations::government_body.eq(body.clone())),
        Scope::Bin(bin) => query.filter(recommendations::npo_bin.eq(bin.clone())),
        Scope::Everything => query,
    };
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
            row.into_recommendation(clarifications)
        })
        .collect()
}

/// Stores a new status, reason and feedback if the recommendation is still at
/// `version`; returns whether it was.
pub fn update(
    conn: &mut AnyConnection,
    current: &Recommendation,
    status: Status,
    reason: Option<&str>,
    feedback: Option<&str>,
    answered_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
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
    Ok(changed == 1)
}
