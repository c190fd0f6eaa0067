//! Search of NPOs: filters, sort orders with keyset pagination, facet counts, and the
//! collation keys the name orders compare.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common_models::text::{COLLATION_KEY_LAST, collation_key};
use common_models::{Bin, Catalogue, KatoCode, LegalForm, NpoStatus, Sphere, TargetGroup};
use diesel::dsl::{count, count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use service_kit::{AnyConnection, StoreError, with_backend};

use super::like_contains;
use super::npos::NpoRow;
use crate::domain::npo::NpoRecord;
use crate::schema::{npo_spheres, npo_target_groups, npo_territories, npos, territories};

/// Rows the start-up backfill of collation keys updates per transaction.
const BACKFILL_BATCH: i64 = 1_000;

/// Filters of an NPO search; every filter present must match.
#[derive(Debug, Clone, Default)]
pub struct NpoFilter {
    /// Folded text that must occur in the Russian or the Kazakh name.
    pub text: Option<String>,
    /// A territory; NPOs working in it or in any territory inside it match.
    pub territory: Option<KatoCode>,
    pub sphere: Option<Sphere>,
    pub target_group: Option<TargetGroup>,
    pub status: Option<NpoStatus>,
    pub legal_form: Option<LegalForm>,
    pub bin: Option<Bin>,
    /// Earliest registration date, inclusive.
    pub registered_from: Option<NaiveDate>,
    /// Latest registration date, inclusive.
    pub registered_to: Option<NaiveDate>,
}

/// A filter whose territory was looked up in the classifier.
#[derive(Debug, Clone)]
pub struct ResolvedFilter {
    filter: NpoFilter,
    /// Codes of the filter's territory and of every territory inside it.
    territory_codes: Option<Vec<String>>,
}

/// Looks up the territory of `filter` and the territories inside it. Returns `None`
/// when the territory is not in the classifier, so that no NPO can match.
///
/// The codes are read here and bound as values, rather than read by a subquery in the
/// search, so that PostgreSQL estimates how many NPOs each code has. Through a subquery
/// it assumes the average of about ten per code, where a city has thousands, and can
/// pick a plan that is tens of times slower.
pub fn resolve(
    conn: &mut AnyConnection,
    filter: NpoFilter,
) -> Result<Option<ResolvedFilter>, StoreError> {
    let territory_codes = match &filter.territory {
        Some(code) => match super::territories::path_of(conn, code.as_str())? {
            // Inside means below in the classifier's tree, which code prefixes do not
            // always follow: some settlements sit under another settlement's code.
            Some(path) => Some(
                territories::table
                    .filter(territories::path.like(format!("{path}%")))
                    .select(territories::code)
                    .load(conn)?,
            ),
            None => return Ok(None),
        },
        None => None,
    };
    Ok(Some(ResolvedFilter {
        filter,
        territory_codes,
    }))
}

impl ResolvedFilter {
    /// Returns whether every NPO matches.
    fn is_empty(&self) -> bool {
        // Listing every field makes a new filter a compile error here until it is
        // counted.
        let NpoFilter {
            text,
            territory,
            sphere,
            target_group,
            status,
            legal_form,
            bin,
            registered_from,
            registered_to,
        } = &self.filter;
        text.is_none()
            && territory.is_none()
            && sphere.is_none()
            && target_group.is_none()
            && status.is_none()
            && legal_form.is_none()
            && bin.is_none()
            && registered_from.is_none()
            && registered_to.is_none()
    }
}

/// Adds a `WHERE` condition per filter of `$filter` (a [`ResolvedFilter`]) to `$query`,
/// a boxed query whose sources include `npos`. A macro rather than a function, because
/// each query has its own source type, and a boxed condition would be valid for one
/// source only.
macro_rules! apply_filter {
    ($query:expr, $filter:expr) => {{
        let resolved: &ResolvedFilter = $filter;
        let filter = &resolved.filter;
        // An SQL literal keeps diesel from caching the statement, so PostgreSQL plans
        // each search for its own values. After five runs of a cached statement it may
        // switch to one generic plan for all values, which can be tens of times slower
        // for a search in a large region.
        let mut query = $query.filter(sql::<Bool>("TRUE"));
        // An NPO merged into another is kept only for its history and its redirect.
        query = query.filter(npos::merged_into.is_null());
        if let Some(text) = &filter.text {
            query = query.filter(npos::search_text.like(like_contains(text)).escape('\\'));
        }
        if let Some(codes) = &resolved.territory_codes {
            query = query.filter(
                npos::id.eq_any(
                    npo_territories::table
                        .filter(npo_territories::kato_code.eq_any(codes.clone()))
                        .select(npo_territories::npo_id),
                ),
            );
        }
        if let Some(sphere) = filter.sphere {
            query = query.filter(
                npos::id.eq_any(
                    npo_spheres::table
                        .filter(npo_spheres::sphere.eq(sphere.code()))
                        .select(npo_spheres::npo_id),
                ),
            );
        }
        if let Some(group) = filter.target_group {
            query = query.filter(
                npos::id.eq_any(
                    npo_target_groups::table
                        .filter(npo_target_groups::target_group.eq(group.code()))
                        .select(npo_target_groups::npo_id),
                ),
            );
        }
        if let Some(status) = filter.status {
            query = query.filter(npos::status.eq(status.code()));
        }
        if let Some(form) = filter.legal_form {
            query = query.filter(npos::legal_form.eq(form.code()));
        }
        if let Some(bin) = &filter.bin {
            query = query.filter(npos::bin.eq(bin.as_str().to_owned()));
        }
        // A comparison with NULL is not true, so NPOs without a registration date never
        // match a date bound.
        if let Some(from) = filter.registered_from {
            query = query.filter(npos::registered_on.ge(from));
        }
        if let Some(to) = filter.registered_to {
            query = query.filter(npos::registered_on.le(to));
        }
        query
    }};
}

/// Order of an NPO list. Every order ends with the id, so it is total and a keyset
/// cursor never skips or repeats an NPO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NpoSort {
    /// Creation order (ids are UUIDv7).
    #[default]
    Id,
    /// Russian name in alphabetical order; NPOs without one come last.
    NameRu,
    /// Kazakh name in alphabetical order; NPOs without one come last.
    NameKk,
    /// Registration date, oldest first; NPOs without one come last.
    RegisteredOn,
    /// Registration date, newest first; NPOs without one still come last.
    RegisteredOnDesc,
}

impl NpoSort {
    /// Every order, in the order the API documents them.
    pub const ALL: [Self; 5] = [
        Self::Id,
        Self::NameRu,
        Self::NameKk,
        Self::RegisteredOn,
        Self::RegisteredOnDesc,
    ];

    /// Returns the code of the order as the `sort` parameter writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::NameRu => "name_ru",
            Self::NameKk => "name_kk",
            Self::RegisteredOn => "registered_on",
            Self::RegisteredOnDesc => "-registered_on",
        }
    }

    /// Looks up the order with exactly this code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sort| sort.code() == code)
    }
}

/// The value an NPO sorts by, besides its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    /// The id order has no other value.
    None,
    /// A collation key of a name.
    Key(String),
    /// A registration date; `None` for NPOs without one.
    Date(Option<NaiveDate>),
}

/// Place of an NPO in a sort order: the position a keyset cursor continues after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub value: SortValue,
    pub id: String,
}

/// Returns the collation key stored for a name; an absent name sorts last.
pub fn sort_key(name: Option<&str>) -> String {
    name.map_or_else(|| COLLATION_KEY_LAST.to_owned(), collation_key)
}

/// An NPO row with its two collation keys.
type LoadedRow = (NpoRow, String, String);

/// Builds the boxed query of matching NPOs with their collation keys, which each sort
/// order extends with its keyset condition and its `ORDER BY`.
macro_rules! matching {
    ($filter:expr) => {
        apply_filter!(
            npos::table
                .select((NpoRow::as_select(), npos::sort_ru, npos::sort_kk))
                .into_boxed(),
            $filter
        )
    };
}

fn mismatch(sort: NpoSort, after: &Position) -> StoreError {
    StoreError::Query(anyhow::anyhow!(
        "the position {after:?} does not belong to the sort order {}",
        sort.code()
    ))
}

/// Lists up to `limit` NPOs that match `filter`, in `sort` order, after `after`, each
/// with its position for the next page's cursor.
// NOTE: for a common word in a small region, PostgreSQL walks the id index and tests
// the name of each NPO until the page fills. With 100,000 generated NPOs on a 2-core
// machine under other load, such a page took 25 to 35 ms, and most searches 1 to 12 ms.
pub fn list(
    conn: &mut AnyConnection,
    filter: &ResolvedFilter,
    sort: NpoSort,
    after: Option<&Position>,
    limit: i64,
) -> Result<Vec<(NpoRecord, Position)>, StoreError> {
    let rows = match sort {
        NpoSort::Id => load_by_id(conn, filter, after, limit)?,
        NpoSort::NameRu | NpoSort::NameKk => load_by_name(conn, filter, sort, after, limit)?,
        NpoSort::RegisteredOn | NpoSort::RegisteredOnDesc => {
            load_by_date(conn, filter, sort, after, limit)?
        }
    };
    rows.into_iter()
        .map(|(row, sort_ru, sort_kk)| {
            let record = row.into_record()?;
            let value = match sort {
                NpoSort::Id => SortValue::None,
                NpoSort::NameRu => SortValue::Key(sort_ru),
                NpoSort::NameKk => SortValue::Key(sort_kk),
                NpoSort::RegisteredOn | NpoSort::RegisteredOnDesc => {
                    SortValue::Date(record.facts.registered_on)
                }
            };
            let id = record.id.clone();
            Ok((record, Position { value, id }))
        })
        .collect()
}

fn load_by_id(
    conn: &mut AnyConnection,
    filter: &ResolvedFilter,
    after: Option<&Position>,
    limit: i64,
) -> Result<Vec<LoadedRow>, StoreError> {
    let mut query = matching!(filter);
    match after {
        None => {}
        Some(Position {
            value: SortValue::None,
            id,
        }) => query = query.filter(npos::id.gt(id.clone())),
        Some(other) => return Err(mismatch(NpoSort::Id, other)),
    }
    Ok(query.order(npos::id.asc()).limit(limit).load(conn)?)
}

/// Applies the name order on `$key` and the keyset condition after `$after` to `$query`.
macro_rules! by_name {
    ($query:expr, $key:expr, $sort:expr, $after:expr) => {{
        let mut query = $query;
        match $after {
            None => {}
            // `key >= k` bounds the index range; the rest skips the NPOs with key k that
            // the previous pages listed.
            Some(Position {
                value: SortValue::Key(k),
                id,
            }) => {
                query = query.filter(
                    $key.ge(k.clone())
                        .and($key.gt(k.clone()).or(npos::id.gt(id.clone()))),
                )
            }
            Some(other) => return Err(mismatch($sort, other)),
        }
        query.order(($key.asc(), npos::id.asc()))
    }};
}

fn load_by_name(
    conn: &mut AnyConnection,
    filter: &ResolvedFilter,
    sort: NpoSort,
    after: Option<&Position>,
    limit: i64,
) -> Result<Vec<LoadedRow>, StoreError> {
    let query = if sort == NpoSort::NameKk {
        by_name!(matching!(filter), npos::sort_kk, sort, after)
    } else {
        by_name!(matching!(filter), npos::sort_ru, sort, after)
    };
    Ok(query.limit(limit).load(conn)?)
}

/// Loads NPOs by registration date in two ranges, each served by the index on
/// `(registered_on, id)`: those with a date, then those without one, whichever the
/// direction. A `NULLS LAST` clause would do the same in one query, but diesel builds
/// it for PostgreSQL only.
fn load_by_date(
    conn: &mut AnyConnection,
    filter: &ResolvedFilter,
    sort: NpoSort,
    after: Option<&Position>,
    limit: i64,
) -> Result<Vec<LoadedRow>, StoreError> {
    let descending = sort == NpoSort::RegisteredOnDesc;
    let date = npos::registered_on.assume_not_null();
    let (dated_after, undated_after) = match after {
        None => (None, None),
        Some(Position {
            value: SortValue::Date(Some(on)),
            id,
        }) => (Some((*on, id.clone())), None),
        Some(Position {
            value: SortValue::Date(None),
            id,
        }) => (None, Some(id.clone())),
        Some(other) => return Err(mismatch(sort, other)),
    };

    let mut rows = Vec::new();
    if undated_after.is_none() {
        let mut query = matching!(filter).filter(npos::registered_on.is_not_null());
        query = match (dated_after, descending) {
            (None, _) => query,
            (Some((on, id)), false) => {
                query.filter(date.ge(on).and(date.gt(on).or(npos::id.gt(id))))
            }
            (Some((on, id)), true) => {
                query.filter(date.le(on).and(date.lt(on).or(npos::id.lt(id))))
            }
        };
        query = if descending {
            query.order((npos::registered_on.desc(), npos::id.desc()))
        } else {
            query.order((npos::registered_on.asc(), npos::id.asc()))
        };
        rows = query.limit(limit).load(conn)?;
    }

    let left = limit - i64::try_from(rows.len()).unwrap_or(limit);
    if left > 0 {
        let mut query = matching!(filter).filter(npos::registered_on.is_null());
        query = match (undated_after, descending) {
            (None, _) => query,
            (Some(id), false) => query.filter(npos::id.gt(id)),
            (Some(id), true) => query.filter(npos::id.lt(id)),
        };
        query = if descending {
            query.order(npos::id.desc())
        } else {
            query.order(npos::id.asc())
        };
        rows.extend(query.limit(left).load::<LoadedRow>(conn)?);
    }
    Ok(rows)
}

/// Restricts `$query`, a boxed query of a link table, to the rows whose `$npo_id` is an
/// NPO that matches `$filter`. Without filters, every row stays and no subquery is
/// added. The subquery is boxed and so has one concrete backend, which is why callers
/// run the query per backend with `with_backend!`. It is a subquery rather than a join
/// because the filters' own subqueries read the link tables too.
macro_rules! of_matching_npos {
    ($query:expr, $npo_id:expr, $filter:expr) => {{
        let resolved: &ResolvedFilter = $filter;
        let mut query = $query;
        if !resolved.is_empty() {
            query = query.filter($npo_id.eq_any(apply_filter!(
                npos::table.select(npos::id).into_boxed(),
                resolved
            )));
        }
        query
    }};
}

/// Counts of the NPOs that match a filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub total: i64,
    /// NPOs per sphere code.
    pub spheres: BTreeMap<String, i64>,
    /// NPOs per region: the KATO code of the first territory in the path of any of
    /// the NPO's territories. An NPO with territories in two regions counts in both.
    pub regions: BTreeMap<String, i64>,
}

/// Counts the NPOs that match `filter`, in all and per sphere and region.
pub fn facets(conn: &mut AnyConnection, filter: &ResolvedFilter) -> Result<Facets, StoreError> {
    let total = apply_filter!(npos::table.into_boxed(), filter)
        .count()
        .get_result::<i64>(conn)?;

    // A link row names an NPO and a sphere once, so a plain count is a count of NPOs.
    let spheres: Vec<(String, i64)> = with_backend!(conn, |c| of_matching_npos!(
        npo_spheres::table
            .group_by(npo_spheres::sphere)
            .select((npo_spheres::sphere, count_star()))
            .into_boxed(),
        npo_spheres::npo_id,
        filter
    )
    .load(c))?;

    // Paths read `/620000000/623800000/`: characters 2 to 10 are the region's code.
    let region = || sql::<Text>("substr(territories.path, 2, 9)");
    let regions: Vec<(String, i64)> = with_backend!(conn, |c| of_matching_npos!(
        npo_territories::table
            .inner_join(territories::table.on(territories::code.eq(npo_territories::kato_code)))
            .group_by(region())
            .select((
                region(),
                count(npo_territories::npo_id).aggregate_distinct()
            ))
            .into_boxed(),
        npo_territories::npo_id,
        filter
    )
    .load(c))?;

    Ok(Facets {
        total,
        spheres: spheres.into_iter().collect(),
        regions: regions.into_iter().collect(),
    })
}

/// Fills the collation keys of NPOs stored before the keys existed (an empty key),
/// in batches, and returns how many it filled. Runs at start; a change of
/// [`collation_key`] needs a migration that empties both columns, so that this
/// recomputes every key.
pub fn backfill_sort_keys(conn: &mut AnyConnection) -> Result<usize, StoreError> {
    let mut filled = 0;
    loop {
        let rows: Vec<(String, i32, Option<String>, Option<String>)> = npos::table
            .filter(npos::sort_ru.eq("").or(npos::sort_kk.eq("")))
            .select((npos::id, npos::version, npos::name_ru, npos::name_kk))
            .order(npos::id.asc())
            .limit(BACKFILL_BATCH)
            .load(conn)?;
        if rows.is_empty() {
            return Ok(filled);
        }
        service_kit::db::in_transaction::<_, StoreError, _>(conn, |conn| {
            for (id, version, name_ru, name_kk) in &rows {
                // The version check leaves a row that a write changed meanwhile; that
                // write stored its own keys, or the next batch reads the row again.
                filled += diesel::update(
                    npos::table
                        .filter(npos::id.eq(id))
                        .filter(npos::version.eq(version)),
                )
                .set((
                    npos::sort_ru.eq(sort_key(name_ru.as_deref())),
                    npos::sort_kk.eq(sort_key(name_kk.as_deref())),
                ))
                .execute(conn)?;
            }
            Ok(())
        })?;
    }
}
