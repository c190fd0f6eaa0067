//! Reads of the read-model records by change stamp, for the analytics snapshot: the
//! current stamp, and the records of some kinds written after a stamp with their tags.
//! Each read uses the primary key or the index on (kind, change_seq), so its cost does
//! not depend on the planner's statistics of freshly written tables.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use crate::readmodel::Kind;
use crate::schema::{
    read_model_changes as changes, read_record_tags as tags, read_records as records,
};

/// Ids per query when the tags of changed records are read by id.
const IDS_PER_QUERY: usize = 500;

/// Position in the sequence of read-model writes: every record stamped up to `seq` in
/// `generation` is visible to a reader that sees this mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeMark {
    /// Grows when records are deleted, as a rebuild does.
    pub generation: i64,
    pub seq: i64,
}

/// A record written after some change mark, with its tags as (dimension, value).
#[derive(Debug, Clone)]
pub struct ChangedRecord {
    pub kind: Kind,
    pub id: String,
    pub government_body: Option<String>,
    pub status: String,
    pub day: Option<NaiveDate>,
    /// The record's JSON; `None` for the kinds read without data.
    pub data: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// Records written after a change mark, and the mark they were read at.
#[derive(Debug)]
pub struct Changes {
    pub mark: ChangeMark,
    pub records: Vec<ChangedRecord>,
}

/// Reads the current change mark.
pub fn mark(conn: &mut AnyConnection) -> Result<ChangeMark, StoreError> {
    let (generation, seq) = changes::table
        .filter(changes::id.eq(1))
        .select((changes::generation, changes::seq))
        .first::<(i64, i64)>(conn)?;
    Ok(ChangeMark { generation, seq })
}

/// Reads, in one transaction, the change mark and the records of `with_data` and
/// `without_data` stamped after `after` (every record when `after` is `None`), with
/// their tags. The records of `without_data` are read without their JSON.
///
/// On PostgreSQL the transaction is REPEATABLE READ, so the mark and the records come
/// from one snapshot of the database; SQLite transactions read one snapshot anyway.
/// The records returned are then exactly those stamped after `after` up to the mark.
pub fn since(
    conn: &mut AnyConnection,
    with_data: &[Kind],
    without_data: &[Kind],
    after: Option<i64>,
) -> Result<Changes, StoreError> {
    conn.transaction(|conn| {
        if matches!(conn, AnyConnection::Postgresql(_)) {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        let mark = mark(conn)?;
        let mut found = Vec::new();
        for kind in with_data {
            found.extend(read_kind(conn, *kind, after, true)?);
        }
        for kind in without_data {
            found.extend(read_kind(conn, *kind, after, false)?);
        }
        Ok(Changes {
            mark,
            records: found,
        })
    })
}

/// Reads the records of `kind` stamped after `after`, with their tags.
fn read_kind(
    conn: &mut AnyConnection,
    kind: Kind,
    after: Option<i64>,
    with_data: bool,
) -> Result<Vec<ChangedRecord>, StoreError> {
    let code = kind.code();
    let mut query = records::table.filter(records::kind.eq(code)).into_boxed();
    if let Some(after) = after {
        query = query.filter(records::change_seq.gt(after));
    }
    type Columns = (String, Option<String>, String, Option<NaiveDate>);
    let rows: Vec<(Columns, Option<String>)> = if with_data {
        query
            .select((
                (
                    records::id,
                    records::government_body,
                    records::status,
                    records::day,
                ),
                records::data,
            ))
            .load::<(Columns, String)>(conn)?
            .into_iter()
            .map(|(columns, data)| (columns, Some(data)))
            .collect()
    } else {
        query
            .select((
                records::id,
                records::government_body,
                records::status,
                records::day,
            ))
            .load::<Columns>(conn)?
            .into_iter()
            .map(|columns| (columns, None))
            .collect()
    };

    let mut tagged: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut add = |rows: Vec<(String, String, String)>| {
        for (id, dimension, value) in rows {
            tagged.entry(id).or_default().push((dimension, value));
        }
    };
    match after {
        None => add(tags::table
            .filter(tags::kind.eq(code))
            .select((tags::id, tags::dimension, tags::value))
            .load(conn)?),
        Some(_) => {
            let ids: Vec<&str> = rows.iter().map(|(columns, _)| columns.0.as_str()).collect();
            for chunk in ids.chunks(IDS_PER_QUERY) {
                add(tags::table
                    .filter(tags::kind.eq(code))
                    .filter(tags::id.eq_any(chunk))
                    .select((tags::id, tags::dimension, tags::value))
                    .load(conn)?);
            }
        }
    }

    Ok(rows
        .into_iter()
        .map(|((id, government_body, status, day), data)| ChangedRecord {
            kind,
            tags: tagged.remove(&id).unwrap_or_default(),
            id,
            government_body,
            status,
            day,
            data,
        })
        .collect())
}
