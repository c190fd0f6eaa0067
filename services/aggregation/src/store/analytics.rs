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
use diesel::dsl::{count, count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use service_kit::{AnyConnection, StoreError, with_backend};

use super::records::StoredRecord;
use super::{from_code, utc};
use crate::domain::analytics::{
    ACTIVE, NpoCounts, NpoSelection, PUBLISHED, PriorityGroup, PrioritySelection, RegisteredBody,
};
use crate::domain::compliance::{AnnualReportDue, Inputs, PublishedAssessment};
use crate::readmodel::{Dimension, Kind};
use crate::schema::{
    government_bodies as bodies, government_body_spheres as spheres,
    officer_appointments as appointments, read_record_tags as tags, read_records as records,
};

/// Status of an officer request that was answered.
const ANSWERED: &str = "answered";

/// Status of a recommendation closed after feedback to its author.
const CLOSED: &str = "closed";

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

/// Returns a boxed query of the active NPO records of `$selection` (an
/// [`NpoSelection`]) whose day lies in `$days`, each once. With `$sphere_tags_counted`
/// true, the condition on the sphere tags is left out, for a query that reads those
/// tags itself under the same condition.
macro_rules! counted_npos {
    ($selection:expr, $days:expr, $sphere_tags_counted:expr) => {{
        let selection: &NpoSelection = $selection;
        // An SQL literal keeps diesel from caching the statement, so that PostgreSQL
        // plans each query for its own year, region and spheres rather than switching to
        // one generic plan for all of them.
        let mut query = records::table
            .filter(sql::<Bool>("TRUE"))
            .filter(records::kind.eq(Kind::Npo.code()))
            .filter(records::status.eq(ACTIVE))
            .into_boxed();
        if let Some((first, last)) = $days {
            query = query.filter(records::day.between(first, last));
        }
        if let Some(scope) = &selection.territories {
            let mut kept = tags::table
                .filter(tags::kind.eq(Kind::Npo.code()))
                .filter(tags::dimension.eq(Dimension::Territory.code()))
                .select(tags::id)
                .into_boxed();
            if let Some(region) = &scope.region {
                kept = kept.filter(tags::value.between(region.first.clone(), region.last.clone()));
            }
            if let Some(body) = &scope.body {
                let inside =
                    tags::value.between(body.inside.first.clone(), body.inside.last.clone());
                kept = kept.filter(inside.or(tags::value.eq_any(body.containing.clone())));
            }
            query = query.filter(records::id.eq_any(kept));
        }
        if let Some(codes) = &selection.spheres
            && !$sphere_tags_counted
        {
            let kept = tags::table
                .filter(tags::kind.eq(Kind::Npo.code()))
                .filter(tags::dimension.eq(Dimension::Sphere.code()))
                .filter(tags::value.eq_any(codes.clone()))
                .select(tags::id)
                .into_boxed();
            query = query.filter(records::id.eq_any(kept));
        }
        query
    }};
}

/// Counts the NPOs of `selection` in the database: in total, per top-level region of
/// the territories that count, and per sphere that counts.
///
/// Territory tags hold the KATO codes the registry sent, which it accepts only from its
/// classifier, so every code is taken as valid: its top-level region is its first two
/// digits followed by seven zeros.
pub fn npo_counts(
    conn: &mut AnyConnection,
    selection: &NpoSelection,
) -> Result<NpoCounts, StoreError> {
    let days = selection.year.map(year_bounds).transpose()?;
    // A boxed subquery is built for one backend, so the queries are built per backend.
    let (total, by_sphere, regions) = with_backend!(conn, |c| {
        let total: i64 = counted_npos!(selection, days, false)
            .count()
            .get_result(c)?;

        // A tag names an NPO and a value once, so a plain count is a count of NPOs.
        let mut spheres = tags::table
            .filter(tags::kind.eq(Kind::Npo.code()))
            .filter(tags::dimension.eq(Dimension::Sphere.code()))
            .group_by(tags::value)
            .select((tags::value, count_star()))
            .into_boxed();
        if let Some(codes) = &selection.spheres {
            spheres = spheres.filter(tags::value.eq_any(codes.clone()));
        }
        let counted = counted_npos!(selection, days, true);
        let by_sphere: Vec<(String, i64)> = spheres
            .filter(tags::id.eq_any(counted.select(records::id)))
            .load(c)?;

        // Under a territory condition, every NPO counted has a territory that counts and
        // they all lie in one top-level region, so the total is that region's count.
        let mut regions: Vec<(String, i64)> = Vec::new();
        if selection.territories.is_none() {
            // An NPO with two territories in one region counts once in it.
            let region = || sql::<Text>("substr(read_record_tags.value, 1, 2)");
            let counted = counted_npos!(selection, days, false);
            regions = tags::table
                .filter(tags::kind.eq(Kind::Npo.code()))
                .filter(tags::dimension.eq(Dimension::Territory.code()))
                .filter(tags::id.eq_any(counted.select(records::id)))
                .group_by(region())
                .select((region(), count(tags::id).aggregate_distinct()))
                .load(c)?;
        }
        Ok::<_, diesel::result::Error>((total, by_sphere, regions))
    })?;

    let by_region = match &selection.territories {
        Some(scope) if total > 0 => vec![(scope.top_region.clone(), total)],
        Some(_) => Vec::new(),
        None => regions
            .into_iter()
            .map(|(digits, count)| Ok((region_code(&digits, "an NPO")?, count)))
            .collect::<Result<Vec<_>, StoreError>>()?,
    };
    Ok(NpoCounts {
        total,
        by_region,
        by_sphere,
    })
}

/// Returns the condition that `$alias`, an alias of `read_record_tags`, is a tag of the
/// joined record in `$dimension`.
macro_rules! tag_of {
    ($alias:expr, $dimension:expr) => {
        $alias
            .field(tags::kind)
            .eq(records::kind)
            .and($alias.field(tags::id).eq(records::id))
            .and($alias.field(tags::dimension).eq($dimension.code()))
    };
}

/// Counts the published priorities of `selection` in the database, grouped by the
/// top-level region of their territory, their sphere and their risk level.
///
/// The read models tag each priority with one territory, one sphere and one risk
/// level. Territories are KATO codes that the needs service accepted, so every code is
/// taken as valid, as for NPOs.
pub fn priority_groups(
    conn: &mut AnyConnection,
    selection: &PrioritySelection,
) -> Result<Vec<PriorityGroup>, StoreError> {
    let days = selection.year.map(year_bounds).transpose()?;
    let (territory, sphere, risk) =
        diesel::alias!(tags as territory, tags as sphere, tags as risk_level);
    // Grouping by aliased columns needs SQL literals, which diesel accepts in any
    // `GROUP BY`.
    let keys = || {
        (
            sql::<Text>(r#"substr("territory"."value", 1, 2)"#),
            sql::<Text>(r#""sphere"."value""#),
            sql::<Text>(r#""risk_level"."value""#),
        )
    };
    let groups: Vec<(String, String, String, i64)> = with_backend!(conn, |c| {
        let mut query = records::table
            .inner_join(territory.on(tag_of!(territory, Dimension::Territory)))
            .inner_join(sphere.on(tag_of!(sphere, Dimension::Sphere)))
            .inner_join(risk.on(tag_of!(risk, Dimension::RiskLevel)))
            // An SQL literal keeps diesel from caching the statement, as for NPOs.
            .filter(sql::<Bool>("TRUE"))
            .filter(records::kind.eq(Kind::Priority.code()))
            .filter(records::status.eq(PUBLISHED))
            .group_by(keys())
            .select((keys().0, keys().1, keys().2, count_star()))
            .into_boxed();
        if let Some((first, last)) = days {
            query = query.filter(records::day.between(first, last));
        }
        if let Some(body) = &selection.body {
            let tagged = tags::table
                .filter(tags::kind.eq(Kind::Priority.code()))
                .filter(tags::dimension.eq(Dimension::Body.code()))
                .filter(tags::value.eq(body.clone()))
                .select(tags::id);
            query = query.filter(
                records::government_body
                    .eq(body.clone())
                    .or(records::id.eq_any(tagged)),
            );
        }
        if let Some(region) = &selection.region {
            let value = territory.field(tags::value);
            query = query.filter(value.between(region.first.clone(), region.last.clone()));
        }
        if let Some(code) = &selection.sphere {
            query = query.filter(sphere.field(tags::value).eq(code.clone()));
        }
        query.load(c)
    })?;

    groups
        .into_iter()
        .map(|(digits, sphere, risk_level, count)| {
            Ok(PriorityGroup {
                region: region_code(&digits, "a priority")?,
                sphere,
                risk_level,
                count,
            })
        })
        .collect()
}

/// Returns the top-level region whose code starts with `digits`, the first two digits
/// of a territory tag of `what`.
fn region_code(digits: &str, what: &str) -> Result<KatoCode, StoreError> {
    let code = format!("{digits}0000000");
    KatoCode::parse(&code).map_err(|e| {
        StoreError::Query(anyhow::anyhow!(
            "a territory tag of {what} names the invalid region {code}: {e}"
        ))
    })
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
