//! The KATO classifier: import from the statistics bureau's CSV and look-ups.

use std::collections::HashMap;
use std::path::Path;

use common_models::KatoCode;
use common_models::text::{fold, repair_kazakh_letters};
use diesel::prelude::*;
use service_kit::{AnyConnection, Database, StoreError, with_backend};

use super::like_contains;
use crate::domain::territory::Territory;
use crate::schema::territories;

/// The classifier edition of 17 October 2022, loaded on first start.
pub const BUNDLED_KATO: &[u8] = include_bytes!("../../data/kato-2022-10-17-ru.csv");

/// Rows inserted per statement.
const BATCH: usize = 500;

/// Outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Territories stored.
    pub territories: usize,
    /// Names in which legacy look-alike letters were replaced by Kazakh ones.
    pub repaired_names: usize,
    /// Rows skipped, with the line number and the reason.
    pub skipped: Vec<String>,
    /// Parent links removed because they formed a cycle, one line per territory.
    pub cut_links: Vec<String>,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} territories imported, {} names repaired, {} rows skipped, {} parent links cut",
            self.territories,
            self.repaired_names,
            self.skipped.len(),
            self.cut_links.len()
        )
    }
}

/// One parsed row before it is stored.
#[derive(Debug, Clone)]
struct ParsedRow {
    code: KatoCode,
    name_ru: String,
    parent_code: Option<String>,
}

/// Parses a KATO CSV in either published layout: `id;parent_id;code;name` (the full
/// classifier, where `parent_id` points to another row's `id`) or
/// `code,name_ru,parent_code,level` (regions and districts).
fn parse_csv(bytes: &[u8], summary: &mut ImportSummary) -> anyhow::Result<Vec<ParsedRow>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "the file is not UTF-8 (byte {}); save it as UTF-8",
            e.valid_up_to()
        )
    })?;
    let header = text.lines().next().unwrap_or_default();
    let delimiter = if header.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let position = |name: &str| columns.iter().position(|c| c == name);

    let by_id = match (
        position("id"),
        position("parent_id"),
        position("code"),
        position("name"),
    ) {
        (Some(id), Some(parent), Some(code), Some(name)) => Some((id, parent, code, name)),
        _ => None,
    };
    let by_code = match (
        position("code"),
        position("name_ru"),
        position("parent_code"),
    ) {
        (Some(code), Some(name), Some(parent)) => Some((code, name, parent)),
        _ => None,
    };

    let mut raw: Vec<(String, String, String, String)> = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                summary.skipped.push(format!("line {line}: {error}"));
                continue;
            }
        };
        let field = |i: usize| record.get(i).unwrap_or("").trim().to_owned();
        match (by_id, by_code) {
            (Some((id, parent, code, name)), _) => {
                raw.push((field(id), field(parent), field(code), field(name)))
            }
            (None, Some((code, name, parent))) => {
                raw.push((String::new(), field(parent), field(code), field(name)))
            }
            (None, None) => anyhow::bail!(
                "unknown columns {columns:?}: expected id;parent_id;code;name or code,name_ru,parent_code,level"
            ),
        }
    }

    let code_of_id: HashMap<&str, &str> = raw
        .iter()
        .filter(|(id, ..)| !id.is_empty())
        .map(|(id, _, code, _)| (id.as_str(), code.as_str()))
        .collect();
    let mut rows = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashSet::new();
    for (index, (id, parent, code, name)) in raw.iter().enumerate() {
        let line = index + 2;
        let code = match KatoCode::parse(code) {
            Ok(code) => code,
            Err(error) => {
                summary
                    .skipped
                    .push(format!("line {line}: code '{code}': {error}"));
                continue;
            }
        };
        if name.is_empty() {
            summary
                .skipped
                .push(format!("line {line}: code {code} has no name"));
            continue;
        }
        if !seen.insert(code.as_str().to_owned()) {
            summary
                .skipped
                .push(format!("line {line}: code {code} repeats an earlier row"));
            continue;
        }
        let parent_code = if id.is_empty() {
            Some(parent.clone()).filter(|p| !p.is_empty())
        } else {
            code_of_id.get(parent.as_str()).map(|c| (*c).to_owned())
        };
        let repaired = repair_kazakh_letters(name);
        if repaired != *name {
            summary.repaired_names += 1;
        }
        rows.push(ParsedRow {
            code,
            name_ru: repaired,
            parent_code,
        });
    }
    Ok(rows)
}

/// Removes the parent link of each territory whose chain of parents leads back to
/// itself, so every chain ends at a root.
fn cut_parent_cycles(rows: &mut [ParsedRow], summary: &mut ImportSummary) {
    let mut parents: HashMap<String, Option<String>> = rows
        .iter()
        .map(|row| (row.code.as_str().to_owned(), row.parent_code.clone()))
        .collect();
    for row in rows.iter_mut() {
        let start = row.code.as_str();
        let mut seen = vec![start.to_owned()];
        let mut next = parents.get(start).cloned().flatten();
        while let Some(parent) = next {
            if parent == start {
                summary.cut_links.push(format!(
                    "code {start}: its parent links lead back to itself"
                ));
                row.parent_code = None;
                parents.insert(start.to_owned(), None);
                break;
            }
            if seen.contains(&parent) {
                // A cycle further up; it is cut when its own member is visited.
                break;
            }
            seen.push(parent.clone());
            next = parents.get(&parent).cloned().flatten();
        }
    }
}

/// Builds each row's path of codes from the root, following the parent links. A parent
/// missing from the file ends the path there.
fn materialise_paths(rows: &[ParsedRow], summary: &mut ImportSummary) -> Vec<String> {
    let parents: HashMap<&str, Option<&str>> = rows
        .iter()
        .map(|row| (row.code.as_str(), row.parent_code.as_deref()))
        .collect();
    rows.iter()
        .map(|row| {
            let mut chain = vec![row.code.as_str()];
            let mut next = row.parent_code.as_deref();
            while let Some(parent) = next {
                if chain.contains(&parent) || chain.len() > 8 {
                    summary.cut_links.push(format!(
                        "code {}: its parent chain runs deeper than the four KATO levels; the path stops at {parent}",
                        row.code
                    ));
                    break;
                }
                chain.push(parent);
                next = parents.get(parent).copied().flatten();
            }
            chain.reverse();
            format!("/{}/", chain.join("/"))
        })
        .collect()
}

/// Replaces the stored classifier with the rows of `bytes`, in one transaction.
pub fn import_csv(conn: &mut AnyConnection, bytes: &[u8]) -> anyhow::Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let mut rows = parse_csv(bytes, &mut summary)?;
    if rows.is_empty() {
        anyhow::bail!("the file contains no territories; nothing was changed");
    }
    cut_parent_cycles(&mut rows, &mut summary);
    let paths = materialise_paths(&rows, &mut summary);
    service_kit::db::in_transaction::<_, StoreError, _>(conn, |conn| {
        diesel::delete(territories::table).execute(conn)?;
        for (chunk, chunk_paths) in rows.chunks(BATCH).zip(paths.chunks(BATCH)) {
            let values: Vec<_> = chunk
                .iter()
                .zip(chunk_paths)
                .map(|(row, path)| {
                    (
                        territories::code.eq(row.code.as_str()),
                        territories::name_ru.eq(row.name_ru.as_str()),
                        territories::name_kk.eq(None::<String>),
                        territories::parent_code.eq(row.parent_code.as_deref()),
                        territories::level.eq(i32::from(row.code.level())),
                        territories::path.eq(path.as_str()),
                        territories::search_text.eq(fold(&row.name_ru)),
                    )
                })
                .collect();
            let insert = diesel::insert_into(territories::table).values(values);
            with_backend!(conn, |c| insert.execute(c))?;
        }
        Ok(())
    })?;
    summary.territories = rows.len();
    Ok(summary)
}

/// Imports a KATO CSV file into the registry database.
pub fn import_kato_file(db: &Database, path: &Path) -> anyhow::Result<ImportSummary> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    db.run_blocking(|conn| import_csv(conn, &bytes).map_err(StoreError::Query))
        .map_err(Into::into)
}

/// Counts stored territories.
pub fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(territories::table.count().get_result(conn)?)
}

type Row = (String, String, Option<String>, Option<String>, i32);

fn columns() -> (
    territories::code,
    territories::name_ru,
    territories::name_kk,
    territories::parent_code,
    territories::level,
) {
    (
        territories::code,
        territories::name_ru,
        territories::name_kk,
        territories::parent_code,
        territories::level,
    )
}

fn into_territory((code, name_ru, name_kk, parent_code, level): Row) -> Territory {
    Territory {
        code,
        name_ru,
        name_kk,
        parent_code,
        level,
    }
}

/// Finds one territory.
pub fn find(conn: &mut AnyConnection, code: &str) -> Result<Option<Territory>, StoreError> {
    Ok(territories::table
        .filter(territories::code.eq(code))
        .select(columns())
        .first::<Row>(conn)
        .optional()?
        .map(into_territory))
}

/// Searches names for folded `text`, in code order (a region before its districts).
pub fn search(
    conn: &mut AnyConnection,
    text: &str,
    parent: Option<&KatoCode>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Territory>, StoreError> {
    let mut query = territories::table.select(columns()).into_boxed();
    if !text.is_empty() {
        query = query.filter(
            territories::search_text
                .like(like_contains(text))
                .escape('\\'),
        );
    }
    if let Some(parent) = parent {
        let Some(parent_path) = path_of(conn, parent.as_str())? else {
            return Ok(Vec::new());
        };
        query = query.filter(territories::path.like(format!("{parent_path}%")));
        query = query.filter(territories::code.ne(parent.as_str().to_owned()));
    }
    if let Some(after) = after {
        query = query.filter(territories::code.gt(after.to_owned()));
    }
    Ok(query
        .order(territories::code.asc())
        .limit(limit)
        .load::<Row>(conn)?
        .into_iter()
        .map(into_territory)
        .collect())
}

/// Returns the stored path of a territory, such as `/620000000/623800000/`.
pub fn path_of(conn: &mut AnyConnection, code: &str) -> Result<Option<String>, StoreError> {
    Ok(territories::table
        .filter(territories::code.eq(code))
        .select(territories::path)
        .first(conn)
        .optional()?)
}

/// Lists the direct children of a territory.
pub fn children(conn: &mut AnyConnection, code: &str) -> Result<Vec<Territory>, StoreError> {
    Ok(territories::table
        .filter(territories::parent_code.eq(code))
        .order(territories::code.asc())
        .select(columns())
        .load::<Row>(conn)?
        .into_iter()
        .map(into_territory)
        .collect())
}

/// Returns the territory and its ancestors, from the root down.
pub fn path(conn: &mut AnyConnection, code: &str) -> Result<Vec<Territory>, StoreError> {
    let Some(stored) = path_of(conn, code)? else {
        return Ok(Vec::new());
    };
    let codes: Vec<&str> = stored.split('/').filter(|c| !c.is_empty()).collect();
    let found: Vec<Territory> = territories::table
        .filter(territories::code.eq_any(&codes))
        .select(columns())
        .load::<Row>(conn)?
        .into_iter()
        .map(into_territory)
        .collect();
    Ok(codes
        .iter()
        .filter_map(|code| found.iter().find(|t| t.code == *code).cloned())
        .collect())
}

/// Returns the codes of `codes` that are not in the classifier.
pub fn unknown(conn: &mut AnyConnection, codes: &[KatoCode]) -> Result<Vec<KatoCode>, StoreError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let requested: Vec<&str> = codes.iter().map(KatoCode::as_str).collect();
    let known: Vec<String> = territories::table
        .filter(territories::code.eq_any(requested))
        .select(territories::code)
        .load(conn)?;
    Ok(codes
        .iter()
        .filter(|code| !known.iter().any(|k| k == code.as_str()))
        .cloned()
        .collect())
}

/// Returns every code of the classifier, for checking many codes at once.
pub fn all_codes(
    conn: &mut AnyConnection,
) -> Result<std::collections::HashSet<String>, StoreError> {
    Ok(territories::table
        .select(territories::code)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_file_parses_with_parents() {
        let mut summary = ImportSummary::default();

        let rows = parse_csv(BUNDLED_KATO, &mut summary).unwrap();

        let ulytau = rows
            .iter()
            .find(|r| r.code.as_str() == "620000000")
            .unwrap();
        assert_eq!(ulytau.name_ru, "область Ұлытау");
        let district = rows
            .iter()
            .find(|r| r.code.as_str() == "623800000")
            .unwrap();
        assert_eq!(district.parent_code.as_deref(), Some("620000000"));
        assert!(rows.len() > 16_000);
        assert_eq!(summary.repaired_names, 3);
        assert!(rows.iter().all(|r| !r.name_ru.contains(['Ќ', 'ў'])));
    }

    #[test]
    fn paths_follow_parent_links() {
        let mut summary = ImportSummary::default();
        let rows = parse_csv(BUNDLED_KATO, &mut summary).unwrap();

        let paths = materialise_paths(&rows, &mut summary);

        let village = rows
            .iter()
            .position(|r| r.code.as_str() == "623830100")
            .unwrap();
        assert_eq!(paths[village], "/620000000/623800000/623830000/623830100/");
        assert!(summary.skipped.is_empty());
    }

    #[test]
    fn parent_cycles_cut() {
        let csv = "code,name_ru,parent_code,level\n620000000,A,,1\n621000000,B,622000000,2\n622000000,C,621000000,2\n623000000,D,623000000,2\n";
        let mut summary = ImportSummary::default();
        let mut rows = parse_csv(csv.as_bytes(), &mut summary).unwrap();

        cut_parent_cycles(&mut rows, &mut summary);
        let paths = materialise_paths(&rows, &mut summary);

        assert_eq!(summary.cut_links.len(), 2, "{:?}", summary.cut_links);
        assert!(summary.skipped.is_empty());
        assert!(
            paths.iter().all(|p| p.matches('/').count() <= 4),
            "{paths:?}"
        );
        assert!(
            rows.iter()
                .all(|r| r.parent_code.as_deref() != Some(r.code.as_str()))
        );
    }

    #[test]
    fn regions_layout_parses() {
        let csv = "code,name_ru,parent_code,level\n620000000,область Ұлытау,,1\n623800000,Улытауский район,620000000,2\n";
        let mut summary = ImportSummary::default();

        let rows = parse_csv(csv.as_bytes(), &mut summary).unwrap();

        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].parent_code.as_deref(), Some("620000000"));
    }
}
