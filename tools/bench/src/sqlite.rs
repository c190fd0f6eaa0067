//! SQLite side of the benchmark: the baseline of ingestion and the database file the
//! read baselines query.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::generate::NpoRow;

diesel::table! {
    /// A bare table with the CSV's columns and no index, constraint or trigger.
    bench_insert_baseline (rowid) {
        rowid -> BigInt,
        bin -> Nullable<Text>,
        name_ru -> Nullable<Text>,
        name_kk -> Nullable<Text>,
        legal_form -> Text,
        status -> Text,
        registered_on -> Text,
        kato -> Text,
        spheres -> Text,
        oked -> Text,
    }
}

/// Opens a SQLite file with the PRAGMAs the registry sets on each pooled connection
/// (`service_kit::db`), so a baseline runs under the same journal and sync modes.
pub fn connect(path: &Path) -> anyhow::Result<SqliteConnection> {
    let location = path.to_string_lossy();
    let mut conn = SqliteConnection::establish(&location)
        .with_context(|| format!("cannot open the SQLite file {location}"))?;
    conn.batch_execute(
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
         PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
    )?;
    Ok(conn)
}

/// Inserts the rows into a bare table of a new SQLite file in one transaction, one
/// prepared statement executed per row, and returns the time from `BEGIN` to the
/// end of `COMMIT`.
pub fn insert_baseline(path: &Path, rows: &[NpoRow]) -> anyhow::Result<Duration> {
    let mut conn = connect(path)?;
    conn.batch_execute(
        "CREATE TABLE bench_insert_baseline (bin TEXT, name_ru TEXT, name_kk TEXT, \
         legal_form TEXT NOT NULL, status TEXT NOT NULL, registered_on TEXT NOT NULL, \
         kato TEXT NOT NULL, spheres TEXT NOT NULL, oked TEXT NOT NULL)",
    )?;
    let started = Instant::now();
    let inserted = conn.transaction(|conn| {
        let mut inserted = 0;
        for row in rows {
            let [
                bin,
                name_ru,
                name_kk,
                legal_form,
                status,
                registered_on,
                kato,
                spheres,
                oked,
            ] = row.fields();
            let non_empty = |value: String| Some(value).filter(|v| !v.is_empty());
            // One statement shape for every row, so diesel prepares it once and caches it.
            inserted += diesel::insert_into(bench_insert_baseline::table)
                .values((
                    bench_insert_baseline::bin.eq(non_empty(bin)),
                    bench_insert_baseline::name_ru.eq(non_empty(name_ru)),
                    bench_insert_baseline::name_kk.eq(non_empty(name_kk)),
                    bench_insert_baseline::legal_form.eq(legal_form),
                    bench_insert_baseline::status.eq(status),
                    bench_insert_baseline::registered_on.eq(registered_on),
                    bench_insert_baseline::kato.eq(kato),
                    bench_insert_baseline::spheres.eq(spheres),
                    bench_insert_baseline::oked.eq(oked),
                ))
                .execute(conn)?;
        }
        diesel::QueryResult::Ok(inserted)
    })?;
    let elapsed = started.elapsed();
    if inserted != rows.len() {
        bail!(
            "the SQLite baseline stored {inserted} rows of {}",
            rows.len()
        );
    }
    Ok(elapsed)
}

/// Returns the ids of all NPOs in the registry's SQLite file, in id order.
pub fn npo_ids(path: &Path) -> anyhow::Result<Vec<String>> {
    use registry::schema::npos;
    npos::table
        .select(npos::id)
        .order(npos::id.asc())
        .load(&mut connect(path)?)
        .context("cannot read the NPO ids")
}
