//! Storage of the national schedule of meetings of the bodies' heads with NPOs. Each
//! meeting has one row, and its spheres, territories and invited NPOs have rows of
//! their own. The invited NPOs are chosen from the read model of the registry.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use common_models::{Catalogue, KatoCode, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, utc};
use crate::domain::head_meetings::{HeadMeeting, MeetingFacts, MeetingStatus};
use crate::readmodel::{Dimension, Kind};
use crate::schema::{
    head_meeting_invitations as invitations, head_meeting_spheres as spheres,
    head_meeting_territories as territories, head_meetings as meetings, read_record_tags as tags,
    read_records as records,
};

/// Rows written by one INSERT, well below SQLite's limit of 32,766 bound parameters.
const INSERT_ROWS: usize = 1_000;

/// Status of an NPO record of the read model that takes part in meetings.
const ACTIVE: &str = "active";

/// Place of a meeting in the order of the schedule: its start, then its id.
pub type SchedulePosition = (DateTime<Utc>, String);

/// Filters of the schedule. A listed meeting matches every filter present.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// First instant of the period the meeting starts in.
    pub starts_from: Option<DateTime<Utc>>,
    /// Instant after the period the meeting starts in.
    pub starts_before: Option<DateTime<Utc>>,
    pub government_body: Option<String>,
    /// Meetings inviting NPOs of this territory: one of their territories lies inside
    /// it or contains it.
    pub territory: Option<KatoCode>,
    /// Meetings inviting NPOs of this sphere, including those open to every sphere.
    pub sphere: Option<Sphere>,
    pub status: Option<MeetingStatus>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = meetings)]
struct MeetingRow {
    id: String,
    government_body: String,
    head_position: String,
    head_full_name: String,
    starts_at: NaiveDateTime,
    place: Option<String>,
    online_url: Option<String>,
    agenda: String,
    status: String,
    outcome: Option<String>,
    cancellation_reason: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl MeetingRow {
    fn into_meeting(
        self,
        sphere_codes: Vec<String>,
        territory_codes: Vec<String>,
        invited_count: i64,
    ) -> Result<HeadMeeting, StoreError> {
        let spheres = sphere_codes
            .iter()
            .map(|code| from_code::<Sphere>(code))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(HeadMeeting {
            id: self.id,
            government_body: self.government_body,
            head_position: self.head_position,
            head_full_name: self.head_full_name,
            starts_at: utc(self.starts_at),
            place: self.place,
            online_url: self.online_url,
            agenda: self.agenda,
            spheres,
            territories: territory_codes,
            status: from_code(&self.status)?,
            outcome: self.outcome,
            cancellation_reason: self.cancellation_reason,
            invited_count,
            invited_npo_ids: None,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// Chooses the NPOs a meeting of `facts` invites from the read model: active NPOs
/// working in one of its territories or a territory under one, and in one of its
/// spheres, or in any sphere when it names none. Returns their ids in order.
pub fn invited_npos(
    conn: &mut AnyConnection,
    facts: &MeetingFacts,
) -> Result<Vec<String>, StoreError> {
    let npo = Kind::Npo.code();
    let sphere_codes: Vec<&str> = facts.spheres.iter().map(|s| s.code()).collect();
    let mut invited = BTreeSet::new();
    // One query per territory keeps each query static; a meeting has at most 50.
    for territory in &facts.territories {
        let in_territory = tags::table
            .filter(tags::kind.eq(npo))
            .filter(tags::dimension.eq(Dimension::Territory.code()))
            .filter(tags::value.like(format!("{}%", territory.subtree_prefix())))
            .select(tags::id);
        let mut query = records::table
            .filter(records::kind.eq(npo))
            .filter(records::status.eq(ACTIVE))
            .filter(records::id.eq_any(in_territory))
            .into_boxed();
        if !sphere_codes.is_empty() {
            let in_sphere = tags::table
                .filter(tags::kind.eq(npo))
                .filter(tags::dimension.eq(Dimension::Sphere.code()))
                .filter(tags::value.eq_any(sphere_codes.clone()))
                .select(tags::id);
            query = query.filter(records::id.eq_any(in_sphere));
        }
        let ids: Vec<String> = query.select(records::id).load(conn)?;
        invited.extend(ids);
    }
    Ok(invited.into_iter().collect())
}

/// Inserts meeting `id` of `government_body`, scheduled, inviting `invited`.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &MeetingFacts,
    invited: &[String],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(meetings::table)
        .values((
            meetings::id.eq(id),
            meetings::government_body.eq(government_body),
            meetings::head_position.eq(&facts.head_position),
            meetings::head_full_name.eq(&facts.head_full_name),
            meetings::starts_at.eq(facts.starts_at.naive_utc()),
            meetings::place.eq(facts.place.as_deref()),
            meetings::online_url.eq(facts.online_url.as_deref()),
            meetings::agenda.eq(&facts.agenda),
            meetings::status.eq(MeetingStatus::Scheduled.code()),
            meetings::version.eq(1),
            meetings::created_at.eq(now.naive_utc()),
            meetings::created_by.eq(actor),
            meetings::updated_at.eq(now.naive_utc()),
            meetings::updated_by.eq(actor),
        ))
        .execute(conn)?;
    insert_lists(conn, id, facts, invited)
}

/// Inserts the spheres, territories and invited NPOs of meeting `id`.
fn insert_lists(
    conn: &mut AnyConnection,
    id: &str,
    facts: &MeetingFacts,
    invited: &[String],
) -> Result<(), StoreError> {
    for (position, sphere) in (0..).zip(&facts.spheres) {
        diesel::insert_into(spheres::table)
            .values((
                spheres::meeting_id.eq(id),
                spheres::sphere.eq(sphere.code()),
                spheres::position.eq(position),
            ))
            .execute(conn)?;
    }
    for (position, territory) in (0..).zip(&facts.territories) {
        diesel::insert_into(territories::table)
            .values((
                territories::meeting_id.eq(id),
                territories::territory.eq(territory.as_str()),
                territories::position.eq(position),
            ))
            .execute(conn)?;
    }
    for chunk in invited.chunks(INSERT_ROWS) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|npo| (invitations::meeting_id.eq(id), invitations::npo_id.eq(npo)))
            .collect();
        // diesel 2.4 builds a multi-row INSERT only for a concrete backend, not for
        // MultiConnection.
        let insert = diesel::insert_into(invitations::table).values(rows);
        service_kit::with_backend!(&mut *conn, |c| insert.execute(c))?;
    }
    Ok(())
}

/// Replaces the facts and the invited NPOs of meeting `id` read at `version`, unless
/// another request changed it meanwhile. Returns whether it did.
pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    facts: &MeetingFacts,
    invited: &[String],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        meetings::table
            .filter(meetings::id.eq(id))
            .filter(meetings::version.eq(version)),
    )
    .set((
        meetings::head_position.eq(&facts.head_position),
        meetings::head_full_name.eq(&facts.head_full_name),
        meetings::starts_at.eq(facts.starts_at.naive_utc()),
        meetings::place.eq(facts.place.as_deref()),
        meetings::online_url.eq(facts.online_url.as_deref()),
        meetings::agenda.eq(&facts.agenda),
        meetings::version.eq(version + 1),
        meetings::updated_at.eq(now.naive_utc()),
        meetings::updated_by.eq(actor),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    diesel::delete(spheres::table.filter(spheres::meeting_id.eq(id))).execute(conn)?;
    diesel::delete(territories::table.filter(territories::meeting_id.eq(id))).execute(conn)?;
    diesel::delete(invitations::table.filter(invitations::meeting_id.eq(id))).execute(conn)?;
    insert_lists(conn, id, facts, invited)?;
    Ok(true)
}

/// The end of a meeting's time on the schedule: cancelled with an optional reason, or
/// held with its outcome.
#[derive(Debug, Clone)]
pub enum Closing {
    Cancelled { reason: Option<String> },
    Held { outcome: String },
}

/// Cancels or holds meeting `id` read at `version`, unless another request changed it
/// meanwhile. Returns whether it did.
pub fn close(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    closing: &Closing,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (status, outcome, reason) = match closing {
        Closing::Cancelled { reason } => (MeetingStatus::Cancelled, None, reason.as_deref()),
        Closing::Held { outcome } => (MeetingStatus::Held, Some(outcome.as_str()), None),
    };
    let changed = diesel::update(
        meetings::table
            .filter(meetings::id.eq(id))
            .filter(meetings::version.eq(version))
            .filter(meetings::status.eq(MeetingStatus::Scheduled.code())),
    )
    .set((
        meetings::status.eq(status.code()),
        meetings::outcome.eq(outcome),
        meetings::cancellation_reason.eq(reason),
        meetings::version.eq(version + 1),
        meetings::updated_at.eq(now.naive_utc()),
        meetings::updated_by.eq(actor),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Finds meeting `id` with the ids of the NPOs it invites.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<HeadMeeting>, StoreError> {
    let Some(row) = meetings::table
        .filter(meetings::id.eq(id))
        .select(MeetingRow::as_select())
        .first::<MeetingRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let invited = invited_of(conn, id)?;
    let ids = [id.to_owned()];
    let sphere_codes = spheres_of(conn, &ids)?.remove(id).unwrap_or_default();
    let territory_codes = territories_of(conn, &ids)?.remove(id).unwrap_or_default();
    let count = i64::try_from(invited.len()).unwrap_or(i64::MAX);
    let mut meeting = row.into_meeting(sphere_codes, territory_codes, count)?;
    meeting.invited_npo_ids = Some(invited);
    Ok(Some(meeting))
}

/// Returns the ids of the NPOs meeting `id` invites, in order.
pub fn invited_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<String>, StoreError> {
    Ok(invitations::table
        .filter(invitations::meeting_id.eq(id))
        .order(invitations::npo_id.asc())
        .select(invitations::npo_id)
        .load(conn)?)
}

/// Lists the meetings matching `filter` in the order of their start and id, after the
/// meeting `after` that starts at the given time, each with the number it invites.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<SchedulePosition>,
    limit: i64,
) -> Result<Vec<HeadMeeting>, StoreError> {
    let mut query = meetings::table.into_boxed();
    if let Some(from) = filter.starts_from {
        query = query.filter(meetings::starts_at.ge(from.naive_utc()));
    }
    if let Some(before) = filter.starts_before {
        query = query.filter(meetings::starts_at.lt(before.naive_utc()));
    }
    if let Some(body) = &filter.government_body {
        query = query.filter(meetings::government_body.eq(body.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(meetings::status.eq(status.code()));
    }
    if let Some(sphere) = filter.sphere {
        let with_sphere = spheres::table
            .filter(spheres::sphere.eq(sphere.code()))
            .select(spheres::meeting_id);
        let with_any_sphere = spheres::table.select(spheres::meeting_id);
        query = query.filter(
            meetings::id
                .eq_any(with_sphere)
                .or(diesel::dsl::not(meetings::id.eq_any(with_any_sphere))),
        );
    }
    if let Some(territory) = &filter.territory {
        let mut enclosing = Vec::new();
        let mut parent = territory.parent();
        while let Some(code) = parent {
            parent = code.parent();
            enclosing.push(code.as_str().to_owned());
        }
        let related = territories::table
            .filter(
                territories::territory
                    .like(format!("{}%", territory.subtree_prefix()))
                    .or(territories::territory.eq_any(enclosing)),
            )
            .select(territories::meeting_id);
        query = query.filter(meetings::id.eq_any(related));
    }
    if let Some((starts_at, id)) = after {
        let at = starts_at.naive_utc();
        query = query.filter(
            meetings::starts_at
                .gt(at)
                .or(meetings::starts_at.eq(at).and(meetings::id.gt(id))),
        );
    }
    let rows = query
        .order((meetings::starts_at.asc(), meetings::id.asc()))
        .limit(limit)
        .select(MeetingRow::as_select())
        .load::<MeetingRow>(conn)?;

    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let mut sphere_codes = spheres_of(conn, &ids)?;
    let mut territory_codes = territories_of(conn, &ids)?;
    let counts: HashMap<String, i64> = invitations::table
        .filter(invitations::meeting_id.eq_any(&ids))
        .group_by(invitations::meeting_id)
        .select((invitations::meeting_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            let id = row.id.clone();
            row.into_meeting(
                sphere_codes.remove(&id).unwrap_or_default(),
                territory_codes.remove(&id).unwrap_or_default(),
                counts.get(&id).copied().unwrap_or_default(),
            )
        })
        .collect()
}

/// Returns the sphere codes of each of the meetings `ids`, in the order given.
fn spheres_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let rows: Vec<(String, String)> = spheres::table
        .filter(spheres::meeting_id.eq_any(ids))
        .order((spheres::meeting_id.asc(), spheres::position.asc()))
        .select((spheres::meeting_id, spheres::sphere))
        .load(conn)?;
    Ok(group(rows))
}

/// Returns the KATO codes of the territories of each of the meetings `ids`, in the
/// order given.
fn territories_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let rows: Vec<(String, String)> = territories::table
        .filter(territories::meeting_id.eq_any(ids))
        .order((territories::meeting_id.asc(), territories::position.asc()))
        .select((territories::meeting_id, territories::territory))
        .load(conn)?;
    Ok(group(rows))
}

fn group(rows: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut grouped: HashMap<String, Vec<String>> = HashMap::new();
    for (id, value) in rows {
        grouped.entry(id).or_default().push(value);
    }
    grouped
}
