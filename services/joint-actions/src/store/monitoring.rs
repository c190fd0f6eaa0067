//! Storage of monitoring plans and measurements.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::Catalogue;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::monitoring::{Measurement, RowFacts, RowRecord};
use crate::schema::{measurements, monitoring_rows};

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    NaiveDateTime,
);
type MeasurementRow = (String, NaiveDate, f64, Option<String>);

/// Inserts a row of an action's monitoring plan.
pub fn insert_row(
    conn: &mut AnyConnection,
    id: &str,
    action_id: &str,
    facts: &RowFacts,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(monitoring_rows::table)
        .values((
            monitoring_rows::id.eq(id),
            monitoring_rows::action_id.eq(action_id),
            monitoring_rows::activity.eq(&facts.activity),
            monitoring_rows::frequency.eq(facts.frequency.code()),
            monitoring_rows::indicators.eq(to_json(&facts.indicators)?),
            monitoring_rows::comments.eq(&facts.comments),
            monitoring_rows::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lists the rows of an action's plan with their measurements, in creation order.
pub fn rows(conn: &mut AnyConnection, action_id: &str) -> Result<Vec<RowRecord>, StoreError> {
    let rows: Vec<Row> = monitoring_rows::table
        .filter(monitoring_rows::action_id.eq(action_id))
        .order(monitoring_rows::id.asc())
        .select((
            monitoring_rows::id,
            monitoring_rows::activity,
            monitoring_rows::frequency,
            monitoring_rows::indicators,
            monitoring_rows::comments,
            monitoring_rows::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, activity, frequency, indicators, comments, created_at)| {
                let measurements = measurements_of(conn, &id)?;
                Ok(RowRecord {
                    id,
                    facts: RowFacts {
                        activity,
                        frequency: from_code(&frequency)?,
                        indicators: from_json("indicators", &indicators)?,
                        comments,
                    },
                    measurements,
                    created_at: utc(created_at),
                })
            },
        )
        .collect()
}

fn measurements_of(conn: &mut AnyConnection, row_id: &str) -> Result<Vec<Measurement>, StoreError> {
    let rows: Vec<MeasurementRow> = measurements::table
        .filter(measurements::row_id.eq(row_id))
        .order((measurements::measured_on.asc(), measurements::id.asc()))
        .select((
            measurements::indicator,
            measurements::measured_on,
            measurements::value,
            measurements::evidence,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(indicator, measured_on, value, evidence)| Measurement {
            indicator,
            measured_on,
            value,
            evidence,
        })
        .collect())
}

/// Inserts a measurement of a row.
pub fn insert_measurement(
    conn: &mut AnyConnection,
    id: &str,
    action_id: &str,
    row_id: &str,
    measurement: &Measurement,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(measurements::table)
        .values((
            measurements::id.eq(id),
            measurements::row_id.eq(row_id),
            measurements::action_id.eq(action_id),
            measurements::indicator.eq(&measurement.indicator),
            measurements::measured_on.eq(measurement.measured_on),
            measurements::value.eq(measurement.value),
            measurements::evidence.eq(&measurement.evidence),
            measurements::created_at.eq(now.naive_utc()),
            measurements::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(())
}
