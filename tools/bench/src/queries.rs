//! The SQL the registry runs for a search and for a read by id, written with the same
//! diesel expressions as `services/registry/src/store/{npos,territories}.rs` over the
//! registry's own table definitions, so the baselines run the registry's SQL.
//!
//! NOTE: the expressions are copies. A change to `store::npos::list`, `store::npos::find`
//! or `store::territories::path_of` must be repeated here, or the baselines drift.

use anyhow::ensure;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::QueryFragment;
use registry::schema::{npo_territories, npos, territories};

/// The columns the registry loads for a card (`NpoRow` in the registry's store).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = npos)]
// The columns are loaded so that a baseline pays what the registry pays to fetch
// them; nothing reads them afterwards.
#[allow(dead_code)]
pub struct NpoRow {
    id: String,
    bin: Option<String>,
    name_ru: Option<String>,
    name_kk: Option<String>,
    legal_form: String,
    status: String,
    registered_on: Option<chrono::NaiveDate>,
    founded_on: Option<chrono::NaiveDate>,
    profile: String,
    personal: String,
    provenance: String,
    version: i32,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// Builds `store::territories::path_of`: the stored path of one territory.
macro_rules! path_of_query {
    ($code:expr) => {
        territories::table
            .filter(territories::code.eq($code))
            .select(territories::path)
            .limit(1)
    };
}

/// Builds `store::npos::list` with a name filter and a territory filter: NPOs whose
/// folded names contain the text and that work in the territory or below it.
macro_rules! search_query {
    ($pattern:expr, $path_pattern:expr, $limit:expr) => {{
        let inside = territories::table
            .filter(territories::path.like($path_pattern))
            .select(territories::code);
        npos::table
            .select(NpoRow::as_select())
            .into_boxed()
            .filter(npos::search_text.like($pattern).escape('\\'))
            .filter(
                npos::id.eq_any(
                    npo_territories::table
                        .filter(npo_territories::kato_code.eq_any(inside))
                        .select(npo_territories::npo_id),
                ),
            )
            .order(npos::id.asc())
            .limit($limit)
    }};
}

/// Builds `store::npos::find`: one NPO by id.
macro_rules! find_query {
    ($id:expr) => {
        npos::table
            .filter(npos::id.eq($id))
            .select(NpoRow::as_select())
            .limit(1)
    };
}

/// Returns the rows the registry fetches for a page of `limit` items: one more, to know whether a
/// next page exists.
pub fn fetched_rows(limit: i64) -> i64 {
    limit + 1
}

/// Returns the LIKE pattern the registry builds from a search text: the folded text
/// with `%`, `_` and `\` escaped, between two `%`.
pub fn like_contains(text: &str) -> String {
    let folded = common_models::text::fold(text);
    let mut pattern = String::with_capacity(folded.len() + 2);
    pattern.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Runs the two queries of a search on SQLite; returns whether it found nothing.
pub fn search_sqlite(
    conn: &mut SqliteConnection,
    pattern: &str,
    region: &str,
    limit: i64,
) -> QueryResult<bool> {
    let Some(path) = path_of_query!(region).first::<String>(conn).optional()? else {
        return Ok(true);
    };
    let rows: Vec<NpoRow> =
        search_query!(pattern, format!("{path}%"), fetched_rows(limit)).load(conn)?;
    Ok(rows.is_empty())
}

/// Runs the query of a read by id on SQLite; returns whether it found nothing.
pub fn find_sqlite(conn: &mut SqliteConnection, id: &str) -> QueryResult<bool> {
    let row: Option<NpoRow> = find_query!(id).first(conn).optional()?;
    Ok(row.is_none())
}

/// Returns a pgbench script that runs the registry's search SQL for a random fragment
/// and region from the lists: the path look-up, whose result `\gset` keeps, then the
/// list query. Run it with `-M prepared`, because diesel also prepares these
/// statements once per connection and caches them by their SQL.
pub fn pgbench_search_script(
    fragments: &[&str],
    regions: &[&str],
    limit: i64,
) -> anyhow::Result<String> {
    let patterns: Vec<String> = fragments.iter().map(|f| like_contains(f)).collect();
    let path_sql = substitute_binds(
        &path_of_query!("750000000"),
        &[&pick_literal(regions, "r"), "1"],
    )?;
    let search_sql = substitute_binds(
        &search_query!("%", "/%".to_owned(), fetched_rows(limit)),
        &[
            &pick_literal(&patterns, "f"),
            r"E'\\'",
            ":path || '%'",
            &fetched_rows(limit).to_string(),
        ],
    )?;
    Ok(format!(
        "\\set f random(1, {})\n\\set r random(1, {})\n{path_sql} \\gset\n{search_sql};\n",
        patterns.len(),
        regions.len()
    ))
}

/// Returns a pgbench script that runs the registry's read by id for a random id of
/// the table `bench_ids (k, id)`, numbered from 1 to `count`. The sub-select replaces
/// the id the registry binds; it costs one primary-key look-up in a small table.
pub fn pgbench_find_script(count: usize) -> anyhow::Result<String> {
    let find_sql = substitute_binds(
        &find_query!("id"),
        &["(SELECT id FROM bench_ids WHERE k = :k)", "1"],
    )?;
    Ok(format!("\\set k random(1, {count})\n{find_sql};\n"))
}

/// `(ARRAY['a', 'b'])[:variable]`: one of the values, chosen by a pgbench variable.
fn pick_literal<S: AsRef<str>>(values: &[S], variable: &str) -> String {
    let literals: Vec<String> = values
        .iter()
        .map(|v| format!("'{}'", v.as_ref().replace('\'', "''")))
        .collect();
    format!("(ARRAY[{}])[:{variable}]", literals.join(", "))
}

/// Renders a query as PostgreSQL SQL and replaces its bind parameters `$1`, `$2`…
/// by the given SQL expressions, in order.
fn substitute_binds<Q: QueryFragment<Pg>>(query: &Q, binds: &[&str]) -> anyhow::Result<String> {
    let rendered = diesel::debug_query::<Pg, _>(query).to_string();
    let mut sql = rendered
        .split(" -- binds: ")
        .next()
        .unwrap_or_default()
        .to_owned();
    ensure!(
        sql.contains(&format!("${}", binds.len()))
            && !sql.contains(&format!("${}", binds.len() + 1)),
        "expected {} bind parameters in {sql}",
        binds.len()
    );
    // From the highest number down, so `$1` never matches the start of `$12`.
    for (index, expression) in binds.iter().enumerate().rev() {
        sql = sql.replace(&format!("${}", index + 1), expression);
    }
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_contains_folds_and_escapes() {
        assert_eq!(like_contains("ҚАМҚОР"), "%қамқор%");
        assert_eq!(like_contains("50%_a\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn search_script_has_no_binds_left() {
        let script = pgbench_search_script(&["Жастар", "ҚОРЫ"], &["750000000"], 20).unwrap();

        assert!(script.contains("'%жастар%', '%қоры%'"), "{script}");
        assert!(
            script.contains(r#""territories"."path" LIKE :path || '%'"#),
            "{script}"
        );
        assert!(script.contains("ESCAPE E'\\\\'"), "{script}");
        assert!(script.contains("LIMIT 21"), "{script}");
        assert!(script.contains("\\gset\n"), "{script}");
        assert!(!script.contains('$'), "{script}");
    }

    #[test]
    fn find_script_reads_bench_ids() {
        let script = pgbench_find_script(100).unwrap();

        assert!(script.starts_with("\\set k random(1, 100)\n"), "{script}");
        assert!(
            script.contains(r#""npos"."id" = (SELECT id FROM bench_ids WHERE k = :k)"#),
            "{script}"
        );
        assert!(!script.contains('$'), "{script}");
    }
}
