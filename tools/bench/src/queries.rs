//! The SQL the registry runs for a search and for a read by id, written with the same
//! diesel expressions as `services/registry/src/store/{search,npos,territories}.rs` over
//! the registry's own table definitions, so the baselines run the registry's SQL.
//!
//! NOTE: the expressions are copies. A change to `store::search::resolve`,
//! `store::search::list`, `store::npos::find`, `store::npos::merged_into` or
//! `store::territories::path_of` must be repeated here, or the baselines drift.

use anyhow::ensure;
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::QueryFragment;
use diesel::sql_types::Bool;
use registry::schema::{npo_territories, npos, territories};

use crate::postgres::QueryMode;

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
    oked: Option<String>,
    legal_address: Option<String>,
}

/// A row of a search page: the card's columns and the two collation keys that the
/// registry reads for its cursors.
type SearchRow = (NpoRow, String, String);

/// Builds `store::territories::path_of`: the stored path of one territory.
macro_rules! path_of_query {
    ($code:expr) => {
        territories::table
            .filter(territories::code.eq($code))
            .select(territories::path)
            .limit(1)
    };
}

/// Builds the second statement of `store::search::resolve`: the codes of the
/// territories whose path starts with the pattern's prefix.
macro_rules! subtree_codes_query {
    ($path_pattern:expr) => {
        territories::table
            .filter(territories::path.like($path_pattern))
            .select(territories::code)
    };
}

/// Builds the statement of `store::search::list` for the first page in the default
/// (id) order, with a name filter and the territory codes that `resolve` read.
macro_rules! search_query {
    ($pattern:expr, $codes:expr, $limit:expr) => {
        npos::table
            .select((NpoRow::as_select(), npos::sort_ru, npos::sort_kk))
            .into_boxed()
            // The registry adds this literal so that diesel does not cache the
            // statement. It keeps the copy uncached on SQLite too.
            .filter(sql::<Bool>("TRUE"))
            .filter(npos::merged_into.is_null())
            .filter(npos::search_text.like($pattern).escape('\\'))
            .filter(
                npos::id.eq_any(
                    npo_territories::table
                        .filter(npo_territories::kato_code.eq_any($codes))
                        .select(npo_territories::npo_id),
                ),
            )
            .order(npos::id.asc())
            .limit($limit)
    };
}

/// Builds `store::npos::merged_into`: the NPO that an id was merged into, which the
/// registry reads before the card, so that it can return a redirect.
macro_rules! merged_into_query {
    ($id:expr) => {
        npos::table
            .filter(npos::id.eq($id))
            .select(npos::merged_into)
            .limit(1)
    };
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

/// Runs the three statements of a search on SQLite: the path of the region, the codes
/// of the territories inside it, then the page. Returns whether it found nothing.
pub fn search_sqlite(
    conn: &mut SqliteConnection,
    pattern: &str,
    region: &str,
    limit: i64,
) -> QueryResult<bool> {
    let Some(path) = path_of_query!(region).first::<String>(conn).optional()? else {
        return Ok(true);
    };
    let codes: Vec<String> = subtree_codes_query!(format!("{path}%")).load(conn)?;
    let rows: Vec<SearchRow> = search_query!(pattern, codes, fetched_rows(limit)).load(conn)?;
    Ok(rows.is_empty())
}

/// Runs the two statements of a read by id on SQLite: the merge look-up, then the
/// card. Returns whether it found nothing.
pub fn find_sqlite(conn: &mut SqliteConnection, id: &str) -> QueryResult<bool> {
    let _merged_into: Option<Option<String>> = merged_into_query!(id).first(conn).optional()?;
    let row: Option<NpoRow> = find_query!(id).first(conn).optional()?;
    Ok(row.is_none())
}

/// A pgbench script and the query mode that runs its statements the way diesel runs
/// the registry's.
#[derive(Debug, Clone)]
pub struct PgbenchScript {
    pub text: String,
    pub mode: QueryMode,
}

/// Returns a pgbench script that runs the registry's search SQL for a random fragment
/// and region from the lists, in three statements as the registry does:
///
/// 1. the path of the region, which `\gset` keeps in `:path`;
/// 2. the registry's statement for the codes of the territories under that path,
///    wrapped in `array_agg` so that `\gset` can keep its rows in `:codes` as one
///    array value;
/// 3. the list statement, with `:codes` as the array value that the registry binds.
///
/// The script runs in the extended query mode: each statement is parsed and planned
/// with its values, which is what diesel does for the list statement, because the
/// registry keeps it out of the statement cache. The registry does cache the two
/// territory statements, so the baseline pays a parse and a plan for them that the
/// registry does not.
pub fn pgbench_search_script(
    fragments: &[&str],
    regions: &[&str],
    limit: i64,
) -> anyhow::Result<PgbenchScript> {
    let patterns: Vec<String> = fragments.iter().map(|f| like_contains(f)).collect();
    let path_sql = substitute_binds(
        &path_of_query!("750000000"),
        &[&pick_literal(regions, "r"), "1"],
    )?;
    let codes_sql = substitute_binds(&subtree_codes_query!("/%".to_owned()), &[":path || '%'"])?;
    let search_sql = substitute_binds(
        &search_query!("%", Vec::<String>::new(), fetched_rows(limit)),
        &[
            &pick_literal(&patterns, "f"),
            r"E'\\'",
            ":codes",
            &fetched_rows(limit).to_string(),
        ],
    )?;
    let text = format!(
        "\\set f random(1, {})\n\\set r random(1, {})\n{path_sql} \\gset\n\
         SELECT array_agg(code) AS codes FROM ({codes_sql}) AS subtree \\gset\n\
         {search_sql};\n",
        patterns.len(),
        regions.len()
    );
    Ok(PgbenchScript {
        text,
        mode: QueryMode::Extended,
    })
}

/// Returns a pgbench script that runs the registry's read by id for a random id of
/// the table `bench_ids (k, id)`, numbered from 1 to `count`: the merge look-up, then
/// the card. A sub-select replaces the id that the registry binds in each statement,
/// and costs one primary-key look-up in a small table. The script runs in the
/// prepared query mode, because diesel prepares both statements once per connection
/// and caches them by their SQL.
pub fn pgbench_find_script(count: usize) -> anyhow::Result<PgbenchScript> {
    let id = "(SELECT id FROM bench_ids WHERE k = :k)";
    let merged_sql = substitute_binds(&merged_into_query!("id"), &[id, "1"])?;
    let find_sql = substitute_binds(&find_query!("id"), &[id, "1"])?;
    Ok(PgbenchScript {
        text: format!("\\set k random(1, {count})\n{merged_sql};\n{find_sql};\n"),
        mode: QueryMode::Prepared,
    })
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
        let text = &script.text;

        assert_eq!(script.mode, QueryMode::Extended);
        assert!(text.contains("'%жастар%', '%қоры%'"), "{text}");
        assert!(text.contains("ESCAPE E'\\\\'"), "{text}");
        assert!(text.contains("LIMIT 21"), "{text}");
        assert!(!text.contains('$'), "{text}");
    }

    #[test]
    fn search_script_reads_codes_first() {
        let script = pgbench_search_script(&["Жастар"], &["750000000"], 20).unwrap();
        let lines: Vec<&str> = script.text.lines().collect();

        assert_eq!(lines.len(), 5, "{}", script.text);
        assert!(lines[2].ends_with(" \\gset"), "{}", lines[2]);
        assert!(
            lines[3].starts_with("SELECT array_agg(code) AS codes FROM (SELECT"),
            "{}",
            lines[3]
        );
        assert!(
            lines[3].contains(r#""territories"."path" LIKE :path || '%'"#),
            "{}",
            lines[3]
        );
        assert!(lines[3].ends_with(") AS subtree \\gset"), "{}", lines[3]);
        assert!(
            lines[4].contains(r#""npo_territories"."kato_code" = ANY(:codes)"#),
            "{}",
            lines[4]
        );
    }

    #[test]
    fn search_script_keeps_registry_conditions() {
        let script = pgbench_search_script(&["Жастар"], &["750000000"], 20).unwrap();
        let list = script.text.lines().last().unwrap();

        assert!(list.contains("WHERE (((TRUE AND"), "{list}");
        assert!(list.contains(r#""npos"."merged_into" IS NULL"#), "{list}");
        assert!(
            list.contains(r#""npos"."sort_ru", "npos"."sort_kk""#),
            "{list}"
        );
        assert!(list.contains(r#""npos"."legal_address""#), "{list}");
    }

    #[test]
    fn find_script_reads_bench_ids() {
        let script = pgbench_find_script(100).unwrap();
        let text = &script.text;

        assert_eq!(script.mode, QueryMode::Prepared);
        assert!(text.starts_with("\\set k random(1, 100)\n"), "{text}");
        assert_eq!(
            text.matches(r#""npos"."id" = (SELECT id FROM bench_ids WHERE k = :k)"#)
                .count(),
            2,
            "{text}"
        );
        assert!(!text.contains('$'), "{text}");
    }

    #[test]
    fn find_script_checks_merge_first() {
        let script = pgbench_find_script(100).unwrap();
        let lines: Vec<&str> = script.text.lines().collect();

        assert_eq!(lines.len(), 3, "{}", script.text);
        assert!(
            lines[1].starts_with(r#"SELECT "npos"."merged_into" FROM "npos""#),
            "{}",
            lines[1]
        );
        assert!(lines[2].contains(r#""npos"."profile""#), "{}", lines[2]);
    }
}
