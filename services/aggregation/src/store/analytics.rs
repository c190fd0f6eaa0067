//! Queries behind the dashboard figures and the compliance monitor: read-model records
//! of a year or a body, the register's bodies with the day each entered it, and the
//! inputs of the compliance rules.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use common_models::event::needs::AssessmentPublished;
use common_models::event::recommendations::{
    OfficerRequestChanged, ReceptionChanged, RecommendationChanged,
};
use common_models::event::registry::CampaignRecorded;
use common_models::{KatoCode, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::records::StoredRecord;
use super::{from_code, utc};
use crate::domain::analytics::{NpoFacts, RegisteredBody, Territory};
use crate::domain::compliance::{AnnualReportDue, Inputs, PublishedAssessment};
use crate::readmodel::{Dimension, GONE, Kind};
use crate::schema::{
    government_bodies as bodies, government_body_spheres as spheres,
    officer_appointments as appointments, read_record_tags as tags, read_records as records,
};

/// Status of an officer request that was answered.
pub const ANSWERED: &str = "answered";

/// Status of a recommendation closed after feedback to its author.
pub const CLOSED: &str = "closed";

/// Reads the records of `kind` whose day falls in `year` (every record without a
/// year), of `body` or tagged with it (every body without one), leaving out those with
/// a status in `excluded`.
pub fn records_in(
    conn: &mut AnyConnection,
    kind: Kind,
    year: Option<i32>,
    body: Option<&str>,
    excluded: &[&str],
) -> Result<Vec<StoredRecord>, StoreError> {
    let mut query = records::table
        .filter(records::kind.eq(kind.code()))
        .filter(records::status.ne_all(excluded))
        .into_boxed();
    if let Some(year) = year {
        let (first, last) = year_bounds(year)?;
        query = query.filter(records::day.between(first, last));
    }
    if let Some(body) = body {
        let tagged = tags::table
            .filter(tags::kind.eq(kind.code()))
            .filter(tags::dimension.eq(Dimension::Body.code()))
            .filter(tags::value.eq(body.to_owned()))
            .select(tags::id);
        query = query.filter(
            records::government_body
                .eq(body.to_owned())
                .or(records::id.eq_any(tagged)),
        );
    }
    Ok(query
        .order((records::day.asc(), records::id.asc()))
        .select(StoredRecord::as_select())
        .load(conn)?)
}

/// Reads what the NPO figures count of every NPO registered in `year` (every NPO
/// without a year), merged ones left out. It reads the records' columns and tags
/// and never decodes their data, which contains each NPO's whole card. The service
/// counts from its snapshot (`crate::snapshot`), and tests and the bench compare it
/// with this read.
pub fn npo_facts(conn: &mut AnyConnection, year: Option<i32>) -> Result<Vec<NpoFacts>, StoreError> {
    let kind = Kind::Npo.code();
    let mut query = records::table
        .filter(records::kind.eq(kind))
        .filter(records::status.ne_all(GONE))
        .into_boxed();
    if let Some(year) = year {
        let (first, last) = year_bounds(year)?;
        query = query.filter(records::day.between(first, last));
    }
    let rows: Vec<(String, String, Option<NaiveDate>)> = query
        .select((records::id, records::status, records::day))
        .load(conn)?;
    type Columns = (String, Option<NaiveDate>, Vec<String>, Vec<String>);
    let mut npos: HashMap<String, Columns> = rows
        .into_iter()
        .map(|(id, status, day)| (id, (status, day, Vec::new(), Vec::new())))
        .collect();
    let tagged: Vec<(String, String, String)> = tags::table
        .filter(tags::kind.eq(kind))
        .filter(tags::dimension.eq_any([Dimension::Territory.code(), Dimension::Sphere.code()]))
        .select((tags::id, tags::dimension, tags::value))
        .load(conn)?;
    for (id, dimension, value) in tagged {
        let Some((_, _, territories, spheres)) = npos.get_mut(&id) else {
            continue;
        };
        if dimension == Dimension::Territory.code() {
            territories.push(value);
        } else {
            spheres.push(value);
        }
    }
    Ok(npos
        .into_values()
        .map(|(status, day, territories, spheres)| NpoFacts {
            status: status.into(),
            registered_on: day,
            territories: Territory::parse_all(&territories).into(),
            spheres: spheres.into_iter().map(Into::into).collect(),
        })
        .collect())
}

fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate), StoreError> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .zip(NaiveDate::from_ymd_opt(year, 12, 31))
        .ok_or_else(|| StoreError::Query(anyhow::anyhow!("year {year} has no calendar dates")))
}

/// Reads the data of each of `rows` as `T`, with the record's day.
pub fn with_days<T: serde::de::DeserializeOwned>(
    rows: &[StoredRecord],
) -> Result<Vec<(Option<NaiveDate>, T)>, StoreError> {
    rows.iter()
        .map(|row| Ok((row.day, row.data::<T>()?)))
        .collect()
}

/// Reads the data of each of `rows` as `T`.
pub fn data_of<T: serde::de::DeserializeOwned>(
    rows: &[StoredRecord],
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(StoredRecord::data::<T>).collect()
}

/// Reads the bodies of the register, or only body `only`, in the order of their ids.
pub fn registered_bodies(
    conn: &mut AnyConnection,
    only: Option<&str>,
) -> Result<Vec<RegisteredBody>, StoreError> {
    let mut query = bodies::table
        .select((
            bodies::id,
            bodies::territory,
            bodies::vacant_since,
            bodies::created_at,
        ))
        .order(bodies::id.asc())
        .into_boxed();
    let mut sphere_query = spheres::table
        .select((spheres::body_id, spheres::sphere))
        .order((spheres::body_id.asc(), spheres::position.asc()))
        .into_boxed();
    let mut appointment_query = appointments::table
        .select((appointments::government_body, appointments::appointed_on))
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(bodies::id.eq(id.to_owned()));
        sphere_query = sphere_query.filter(spheres::body_id.eq(id.to_owned()));
        appointment_query =
            appointment_query.filter(appointments::government_body.eq(id.to_owned()));
    }
    let rows: Vec<(
        String,
        Option<String>,
        Option<NaiveDate>,
        chrono::NaiveDateTime,
    )> = query.load(conn)?;

    let mut body_spheres: HashMap<String, Vec<Sphere>> = HashMap::new();
    for (id, code) in sphere_query.load::<(String, String)>(conn)? {
        body_spheres
            .entry(id)
            .or_default()
            .push(from_code::<Sphere>(&code)?);
    }
    let mut first_appointed: HashMap<String, NaiveDate> = HashMap::new();
    for (id, appointed_on) in appointment_query.load::<(String, NaiveDate)>(conn)? {
        first_appointed
            .entry(id)
            .and_modify(|first| *first = (*first).min(appointed_on))
            .or_insert(appointed_on);
    }

    rows.into_iter()
        .map(|(id, territory, vacant_since, created_at)| {
            let territory = territory
                .as_deref()
                .map(KatoCode::parse)
                .transpose()
                .map_err(|e| {
                    StoreError::Query(anyhow::anyhow!(
                        "stored territory of body {id} is invalid: {e}"
                    ))
                })?;
            let added_on = common_models::time::local_date(utc(created_at));
            let in_register_since = first_appointed
                .get(&id)
                .map_or(added_on, |first| added_on.min(*first));
            Ok(RegisteredBody {
                spheres: body_spheres.remove(&id).unwrap_or_default(),
                id,
                territory,
                in_register_since,
                vacant_since,
            })
        })
        .collect()
}

/// Reads what the compliance rules need, for every body or only for `body`: the
/// register, the campaigns and published assessments, the reception requests, the
/// recommendations not closed and the officer requests not answered.
pub fn compliance_inputs(
    conn: &mut AnyConnection,
    body: Option<&str>,
    report_due: (u32, u32),
    today: NaiveDate,
) -> Result<Inputs, StoreError> {
    let bodies = registered_bodies(conn, body)?;
    let annual_reports = annual_reports_due(conn, &bodies, report_due, today)?;
    let assessments = records_in(conn, Kind::Assessment, None, body, &[])?
        .iter()
        .map(|row| {
            let published: AssessmentPublished = row.data()?;
            Ok(PublishedAssessment {
                published_on: row
                    .day
                    .or(published.completed_on)
                    .unwrap_or(published.period_end),
                assessment_id: published.assessment_id,
                government_body: published.government_body,
                spheres: published.spheres,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Inputs {
        bodies,
        campaigns: data_of::<CampaignRecorded>(&records_in(
            conn,
            Kind::Campaign,
            None,
            body,
            &[],
        )?)?,
        assessments,
        receptions: data_of::<ReceptionChanged>(&records_in(
            conn,
            Kind::Reception,
            None,
            body,
            &[],
        )?)?,
        recommendations: data_of::<RecommendationChanged>(&records_in(
            conn,
            Kind::Recommendation,
            None,
            body,
            &[CLOSED],
        )?)?,
        officer_requests: data_of::<OfficerRequestChanged>(&records_in(
            conn,
            Kind::OfficerRequest,
            None,
            body,
            &[ANSWERED],
        )?)?,
        annual_reports,
    })
}

/// First year an annual report can be opened for.
const FIRST_REPORT_YEAR: i32 = 2020;

/// Lists the annual reports of `bodies` due by `today`: each body's report on every
/// year it was in the register for, from 2020, and on every year it opened a report
/// for, whose deadline has passed or which was submitted. A body that never opened a
/// report is listed as not having submitted it.
pub fn annual_reports_due(
    conn: &mut AnyConnection,
    bodies: &[RegisteredBody],
    report_due: (u32, u32),
    today: NaiveDate,
) -> Result<Vec<AnnualReportDue>, StoreError> {
    let opened: HashMap<(String, i32), (NaiveDate, Option<NaiveDate>)> =
        crate::store::reports::deadlines(conn)?
            .into_iter()
            .map(|(body, year, due_on, submitted_on)| ((body, year), (due_on, submitted_on)))
            .collect();
    let mut due = Vec::new();
    for body in bodies {
        let first = body.in_register_since.year().max(FIRST_REPORT_YEAR);
        let mut years: Vec<i32> = (first..=today.year()).collect();
        years.extend(
            opened
                .keys()
                .filter(|(id, year)| *id == body.id && *year < first)
                .map(|(_, year)| *year),
        );
        years.sort_unstable();
        for year in years {
            let report = opened.get(&(body.id.clone(), year)).copied().or_else(|| {
                crate::domain::reports::due_on(report_due, year).map(|due_on| (due_on, None))
            });
            let Some((due_on, submitted_on)) = report else {
                continue;
            };
            if submitted_on.is_some() || today > due_on {
                due.push(AnnualReportDue {
                    government_body: body.id.clone(),
                    year,
                    due_on,
                    submitted_on,
                });
            }
        }
    }
    Ok(due)
}
