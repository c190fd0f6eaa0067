//! The schedule of next assessments: the last completed assessment of every sphere and
//! territory of a body, and the notices sent when one falls overdue.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::AssessmentStatus;
use common_models::Catalogue;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::from_code;
use crate::domain::schedule::LastCompleted;
use crate::schema::{needs_assessment_spheres, needs_assessments, needs_overdue_notices};

/// Body, sphere, territory, territory name, assessment id and completion date.
type CompletionRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<NaiveDate>,
);

/// Returns the last completed assessment of every (body, sphere, territory), only of
/// `government_body` when given. An assessment is completed once it is analysed.
pub fn last_completed(
    conn: &mut AnyConnection,
    government_body: Option<&str>,
) -> Result<Vec<LastCompleted>, StoreError> {
    let completed = [
        AssessmentStatus::Analysed.code(),
        AssessmentStatus::Published.code(),
    ];
    let mut query = needs_assessments::table
        .inner_join(needs_assessment_spheres::table)
        .filter(needs_assessments::status.eq_any(completed))
        .filter(needs_assessments::completed_on.is_not_null())
        .filter(needs_assessments::territory.is_not_null())
        .into_boxed();
    if let Some(body) = government_body {
        query = query.filter(needs_assessments::government_body.eq(body.to_owned()));
    }
    let rows: Vec<CompletionRow> = query
        .order((
            needs_assessments::completed_on.desc(),
            needs_assessments::id.desc(),
        ))
        .select((
            needs_assessments::government_body,
            needs_assessment_spheres::sphere,
            needs_assessments::territory,
            needs_assessments::territory_name,
            needs_assessments::id,
            needs_assessments::completed_on,
        ))
        .load(conn)?;

    // Rows come newest first, so the first row of each key is its last completion.
    let mut latest: Vec<LastCompleted> = Vec::new();
    for (body, sphere, territory, territory_name, id, completed_on) in rows {
        let (Some(territory), Some(completed_on)) = (territory, completed_on) else {
            continue;
        };
        let sphere = from_code(&sphere)?;
        let seen = latest
            .iter()
            .any(|l| l.government_body == body && l.sphere == sphere && l.territory == territory);
        if !seen {
            latest.push(LastCompleted {
                government_body: body,
                sphere,
                territory,
                territory_name,
                assessment_id: id,
                completed_on,
            });
        }
    }
    Ok(latest)
}

/// Records that the overdue notice of `due` was sent; returns false when it already was.
pub fn record_notice(
    conn: &mut AnyConnection,
    due: &LastCompleted,
    next_due_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let sphere = due.sphere.code();
    let sent = needs_overdue_notices::table
        .filter(needs_overdue_notices::government_body.eq(&due.government_body))
        .filter(needs_overdue_notices::sphere.eq(sphere))
        .filter(needs_overdue_notices::territory.eq(&due.territory))
        .filter(needs_overdue_notices::next_due_on.eq(next_due_on))
        .count()
        .get_result::<i64>(conn)?;
    if sent > 0 {
        return Ok(false);
    }
    diesel::insert_into(needs_overdue_notices::table)
        .values((
            needs_overdue_notices::government_body.eq(&due.government_body),
            needs_overdue_notices::sphere.eq(sphere),
            needs_overdue_notices::territory.eq(&due.territory),
            needs_overdue_notices::next_due_on.eq(next_due_on),
            needs_overdue_notices::noticed_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(true)
}
