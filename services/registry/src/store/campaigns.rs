//! Storage of collection campaigns.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::npos::Author;
use super::{from_json, to_json, utc};
use crate::domain::campaign::{Campaign, CampaignFacts};
use crate::schema::collection_campaigns as campaigns;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
struct CampaignRow {
    id: String,
    government_body: String,
    year: i32,
    started_at: NaiveDateTime,
    finished_at: NaiveDateTime,
    started_on: NaiveDate,
    finished_on: NaiveDate,
    sources: String,
    npos_added: i32,
    npos_updated: i32,
    notes: Option<String>,
    created_at: NaiveDateTime,
}

impl CampaignRow {
    fn into_campaign(self) -> Result<Campaign, StoreError> {
        let facts = CampaignFacts {
            year: self.year,
            started_at: utc(self.started_at),
            finished_at: utc(self.finished_at),
            started_on: self.started_on,
            finished_on: self.finished_on,
            sources: from_json("sources", &self.sources)?,
            npos_added: self.npos_added,
            npos_updated: self.npos_updated,
            notes: self.notes,
        };
        Ok(to_campaign(
            self.id,
            self.government_body,
            facts,
            utc(self.created_at),
        ))
    }
}

fn to_campaign(
    id: String,
    government_body: String,
    facts: CampaignFacts,
    created_at: DateTime<Utc>,
) -> Campaign {
    Campaign {
        inside_window: facts.inside_window(),
        id,
        government_body,
        year: facts.year,
        started_at: facts.started_at,
        finished_at: facts.finished_at,
        started_on: facts.started_on,
        finished_on: facts.finished_on,
        sources: facts.sources,
        npos_added: facts.npos_added,
        npos_updated: facts.npos_updated,
        notes: facts.notes,
        created_at,
    }
}

/// Inserts a campaign of `government_body`.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &CampaignFacts,
    author: Author<'_>,
    now: DateTime<Utc>,
) -> Result<Campaign, StoreError> {
    diesel::insert_into(campaigns::table)
        .values((
            campaigns::id.eq(id),
            campaigns::government_body.eq(government_body),
            campaigns::year.eq(facts.year),
            campaigns::started_at.eq(facts.started_at.naive_utc()),
            campaigns::finished_at.eq(facts.finished_at.naive_utc()),
            campaigns::started_on.eq(facts.started_on),
            campaigns::finished_on.eq(facts.finished_on),
            campaigns::sources.eq(to_json(&facts.sources)?),
            campaigns::npos_added.eq(facts.npos_added),
            campaigns::npos_updated.eq(facts.npos_updated),
            campaigns::notes.eq(&facts.notes),
            campaigns::created_at.eq(now.naive_utc()),
            campaigns::created_by.eq(author.subject),
        ))
        .execute(conn)?;
    Ok(to_campaign(
        id.to_owned(),
        government_body.to_owned(),
        facts.clone(),
        now,
    ))
}

/// Lists campaigns, optionally of one body and one year, in creation order.
pub fn list(
    conn: &mut AnyConnection,
    government_body: Option<&str>,
    year: Option<i32>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Campaign>, StoreError> {
    let mut query = campaigns::table
        .select(CampaignRow::as_select())
        .into_boxed();
    if let Some(body) = government_body {
        query = query.filter(campaigns::government_body.eq(body.to_owned()));
    }
    if let Some(year) = year {
        query = query.filter(campaigns::year.eq(year));
    }
    if let Some(after) = after {
        query = query.filter(campaigns::id.gt(after.to_owned()));
    }
    query
        .order(campaigns::id.asc())
        .limit(limit)
        .load::<CampaignRow>(conn)?
        .into_iter()
        .map(CampaignRow::into_campaign)
        .collect()
}

/// Finds one campaign.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Campaign>, StoreError> {
    campaigns::table
        .filter(campaigns::id.eq(id))
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()?
        .map(CampaignRow::into_campaign)
        .transpose()
}
