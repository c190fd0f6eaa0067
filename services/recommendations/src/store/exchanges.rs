//! Storage of requests between officers and of consultations.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::Catalogue;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::Responsible;
use crate::domain::exchange::{
    Consultation, ConsultationFacts, Direction, OfficerRequest, OfficerRequestFacts,
};
use crate::domain::recommendation::Contacts;
use crate::schema::{consultations, officer_requests as requests};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = requests)]
struct RequestRow {
    id: String,
    from_body: String,
    to_body: String,
    question: String,
    sphere: Option<String>,
    format: Option<String>,
    contacts: Option<String>,
    sent_on: NaiveDate,
    deadline: NaiveDate,
    answer: Option<String>,
    result: Option<String>,
    answered_on: Option<NaiveDate>,
    created_at: NaiveDateTime,
    responsible: Option<String>,
    responsible_name: Option<String>,
    asked_officer: Option<String>,
    asked_officer_name: Option<String>,
}

fn contacts_of(raw: Option<&str>) -> Result<Option<Contacts>, StoreError> {
    raw.map(|raw| from_json::<Contacts>("contacts", raw))
        .transpose()
}

impl RequestRow {
    fn into_request(self, today: NaiveDate) -> Result<OfficerRequest, StoreError> {
        Ok(OfficerRequest {
            sphere: self.sphere.as_deref().map(from_code).transpose()?,
            contacts: contacts_of(self.contacts.as_deref())?,
            overdue: self.answered_on.is_none() && self.deadline < today,
            id: self.id,
            from_body: self.from_body,
            to_body: self.to_body,
            question: self.question,
            format: self.format,
            sent_on: self.sent_on,
            deadline: self.deadline,
            answer: self.answer,
            result: self.result,
            answered_on: self.answered_on,
            created_at: utc(self.created_at),
            responsible: Responsible::from_columns(self.responsible, self.responsible_name),
            asked_officer: Responsible::from_columns(self.asked_officer, self.asked_officer_name),
        })
    }
}

/// Inserts a request from the officer of `from_body`.
pub fn insert_request(
    conn: &mut AnyConnection,
    id: &str,
    from_body: &str,
    facts: &OfficerRequestFacts,
    officers: (&Responsible, Option<&Responsible>),
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (responsible, asked_officer) = officers;
    diesel::insert_into(requests::table)
        .values((
            (
                requests::responsible.eq(&responsible.officer),
                requests::responsible_name.eq(responsible.name.as_deref()),
                requests::asked_officer.eq(asked_officer.map(|r| r.officer.as_str())),
                requests::asked_officer_name.eq(asked_officer.and_then(|r| r.name.as_deref())),
            ),
            requests::id.eq(id),
            requests::from_body.eq(from_body),
            requests::to_body.eq(&facts.to_body),
            requests::question.eq(&facts.question),
            requests::sphere.eq(facts.sphere.map(Catalogue::code)),
            requests::format.eq(&facts.format),
            requests::contacts.eq(facts.contacts.as_ref().map(to_json).transpose()?),
            requests::sent_on.eq(facts.sent_on),
            requests::deadline.eq(facts.deadline),
            requests::created_at.eq(now.naive_utc()),
            requests::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Finds a request.
pub fn find_request(
    conn: &mut AnyConnection,
    id: &str,
    today: NaiveDate,
) -> Result<Option<OfficerRequest>, StoreError> {
    requests::table
        .filter(requests::id.eq(id))
        .select(RequestRow::as_select())
        .first::<RequestRow>(conn)
        .optional()?
        .map(|row| row.into_request(today))
        .transpose()
}

/// Stores the answer if the request has none yet; returns whether it was stored.
pub fn answer_request(
    conn: &mut AnyConnection,
    id: &str,
    answer: &str,
    result: Option<&str>,
    today: NaiveDate,
    answered_by: &Responsible,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        requests::table
            .filter(requests::id.eq(id))
            .filter(requests::answered_on.is_null()),
    )
    .set((
        requests::answer.eq(answer),
        requests::result.eq(result),
        requests::answered_on.eq(today),
        requests::asked_officer.eq(&answered_by.officer),
        requests::asked_officer_name.eq(answered_by.name.as_deref()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Lists requests sent or received by `body` (every body when `None`), oldest first;
/// with `overdue`, only those past their deadline without an answer.
pub fn list_requests(
    conn: &mut AnyConnection,
    body: Option<&str>,
    overdue: bool,
    today: NaiveDate,
) -> Result<Vec<OfficerRequest>, StoreError> {
    let mut query = requests::table.into_boxed();
    if let Some(body) = body {
        query = query.filter(
            requests::from_body
                .eq(body.to_owned())
                .or(requests::to_body.eq(body.to_owned())),
        );
    }
    if overdue {
        query = query
            .filter(requests::answered_on.is_null())
            .filter(requests::deadline.lt(today));
    }
    query
        .order((requests::sent_on.asc(), requests::id.asc()))
        .limit(1000)
        .select(RequestRow::as_select())
        .load::<RequestRow>(conn)?
        .into_iter()
        .map(|row| row.into_request(today))
        .collect()
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = consultations)]
struct ConsultationRow {
    id: String,
    government_body: String,
    direction: String,
    held_on: NaiveDate,
    counterpart: String,
    npo_id: Option<String>,
    contacts: Option<String>,
    sphere: Option<String>,
    question: String,
    form: String,
    created_at: NaiveDateTime,
    expert_id: Option<String>,
    expert_group_id: Option<String>,
}

impl ConsultationRow {
    fn into_consultation(self) -> Result<Consultation, StoreError> {
        Ok(Consultation {
            direction: match self.direction.as_str() {
                "given" => Direction::Given,
                "received" => Direction::Received,
                other => {
                    return Err(StoreError::Query(anyhow::anyhow!(
                        "stored direction '{other}' is unknown"
                    )));
                }
            },
            sphere: self.sphere.as_deref().map(from_code).transpose()?,
            contacts: contacts_of(self.contacts.as_deref())?,
            id: self.id,
            government_body: self.government_body,
            held_on: self.held_on,
            counterpart: self.counterpart,
            npo_id: self.npo_id,
            question: self.question,
            form: self.form,
            expert_id: self.expert_id,
            expert_group_id: self.expert_group_id,
            created_at: utc(self.created_at),
        })
    }
}

/// Inserts a record of support given or received by `government_body`.
pub fn insert_consultation(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &ConsultationFacts,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(consultations::table)
        .values((
            consultations::id.eq(id),
            consultations::government_body.eq(government_body),
            consultations::direction.eq(facts.direction.code()),
            consultations::held_on.eq(facts.held_on),
            consultations::counterpart.eq(&facts.counterpart),
            consultations::npo_id.eq(&facts.npo_id),
            consultations::contacts.eq(facts.contacts.as_ref().map(to_json).transpose()?),
            consultations::sphere.eq(facts.sphere.map(Catalogue::code)),
            consultations::question.eq(&facts.question),
            consultations::form.eq(&facts.form),
            consultations::expert_id.eq(&facts.expert_id),
            consultations::expert_group_id.eq(&facts.expert_group_id),
            consultations::created_at.eq(now.naive_utc()),
            consultations::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lists the support records of `government_body` (every body when `None`), by date.
pub fn list_consultations(
    conn: &mut AnyConnection,
    government_body: Option<&str>,
    direction: Option<Direction>,
) -> Result<Vec<Consultation>, StoreError> {
    let mut query = consultations::table.into_boxed();
    if let Some(body) = government_body {
        query = query.filter(consultations::government_body.eq(body.to_owned()));
    }
    if let Some(direction) = direction {
        query = query.filter(consultations::direction.eq(direction.code()));
    }
    query
        .order((consultations::held_on.asc(), consultations::id.asc()))
        .limit(1000)
        .select(ConsultationRow::as_select())
        .load::<ConsultationRow>(conn)?
        .into_iter()
        .map(ConsultationRow::into_consultation)
        .collect()
}

/// Finds a support record.
pub fn find_consultation(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<Consultation>, StoreError> {
    consultations::table
        .filter(consultations::id.eq(id))
        .select(ConsultationRow::as_select())
        .first::<ConsultationRow>(conn)
        .optional()?
        .map(ConsultationRow::into_consultation)
        .transpose()
}

/// Makes `to` the officer of `body` on its unanswered requests, on the asking side and
/// on the asked side, where no officer or `from` was; returns the ids changed.
pub fn reassign_requests(
    conn: &mut AnyConnection,
    body: &str,
    from: Option<&str>,
    to: &Responsible,
) -> Result<Vec<String>, StoreError> {
    let unanswered = || {
        requests::table
            .filter(requests::answered_on.is_null())
            .into_boxed()
    };
    let mut sent = unanswered().filter(requests::from_body.eq(body.to_owned()));
    let mut asked = unanswered().filter(requests::to_body.eq(body.to_owned()));
    match from {
        Some(from) => {
            sent = sent.filter(
                requests::responsible
                    .eq(from.to_owned())
                    .or(requests::responsible.is_null()),
            );
            asked = asked.filter(
                requests::asked_officer
                    .eq(from.to_owned())
                    .or(requests::asked_officer.is_null()),
            );
        }
        None => {
            sent = sent.filter(requests::responsible.is_null());
            asked = asked.filter(requests::asked_officer.is_null());
        }
    }
    let sent: Vec<String> = sent.select(requests::id).load(conn)?;
    let asked: Vec<String> = asked.select(requests::id).load(conn)?;
    diesel::update(requests::table.filter(requests::id.eq_any(&sent)))
        .set((
            requests::responsible.eq(&to.officer),
            requests::responsible_name.eq(to.name.as_deref()),
        ))
        .execute(conn)?;
    diesel::update(requests::table.filter(requests::id.eq_any(&asked)))
        .set((
            requests::asked_officer.eq(&to.officer),
            requests::asked_officer_name.eq(to.name.as_deref()),
        ))
        .execute(conn)?;
    Ok(sent.into_iter().chain(asked).collect())
}
