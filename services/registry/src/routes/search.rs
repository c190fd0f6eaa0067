//! Search parameters shared by the NPO list, the facets and the open-data export, the
//! keyset cursors of the list, and `/v1/npo-facets`.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use common_models::{Bin, KatoCode, LegalForm, NpoStatus, Sphere, TargetGroup};
use serde::{Deserialize, Serialize};
use service_kit::extract::ValidQuery;
use service_kit::pagination::PageParams;
use service_kit::{ApiError, ApiResult, MaybeCaller};
use utoipa::{IntoParams, ToSchema};

use super::Registry;
use crate::domain::{Errors, parse_code, parse_date};
use crate::store::search::{self, NpoFilter, NpoSort, Position, SortValue};

/// Maximum length of the search text, in characters after folding.
const MAX_QUERY_CHARS: usize = 200;

/// Filters of NPO searches: every filter present must match.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NpoFilterQuery {
    /// Text found in the Russian or Kazakh name, ignoring letter case.
    pub q: Option<String>,
    /// KATO code; NPOs in this territory or any territory inside it.
    pub territory: Option<String>,
    #[param(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    #[param(value_type = Option<TargetGroup>)]
    pub target_group: Option<String>,
    #[param(value_type = Option<NpoStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<LegalForm>)]
    pub legal_form: Option<String>,
    /// Exact BIN.
    pub bin: Option<String>,
    /// NPOs registered on this date (YYYY-MM-DD) or later; NPOs without a registration
    /// date do not match.
    #[param(value_type = Option<String>, format = Date)]
    pub registered_from: Option<String>,
    /// NPOs registered on this date (YYYY-MM-DD) or earlier; NPOs without a
    /// registration date do not match.
    #[param(value_type = Option<String>, format = Date)]
    pub registered_to: Option<String>,
}

impl NpoFilterQuery {
    /// Parses the filters, or lists every invalid one.
    pub fn filter(&self) -> Result<NpoFilter, ApiError> {
        let mut errors = Errors::default();
        let text = self
            .q
            .as_deref()
            .map(common_models::text::fold)
            .filter(|t| !t.is_empty());
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS)
        {
            errors.add(
                "#/query/q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            );
        }

        let date = |errors: &mut Errors, name: &str, raw: &Option<String>| {
            raw.as_deref()
                .and_then(|raw| errors.check(format!("#/query/{name}"), parse_date(raw)))
        };
        let registered_from = date(&mut errors, "registered_from", &self.registered_from);
        let registered_to = date(&mut errors, "registered_to", &self.registered_to);
        if let (Some(from), Some(to)) = (registered_from, registered_to)
            && from > to
        {
            errors.add(
                "#/query/registered_from",
                format!("{from} is after registered_to {to}; the range would match nothing"),
            );
        }

        let filter = NpoFilter {
            text,
            territory: self
                .territory
                .as_deref()
                .and_then(|raw| errors.check("#/query/territory", KatoCode::parse(raw))),
            sphere: self
                .sphere
                .as_deref()
                .and_then(|raw| errors.check("#/query/sphere", parse_code::<Sphere>(raw))),
            target_group: self.target_group.as_deref().and_then(|raw| {
                errors.check("#/query/target_group", parse_code::<TargetGroup>(raw))
            }),
            status: self
                .status
                .as_deref()
                .and_then(|raw| errors.check("#/query/status", parse_code::<NpoStatus>(raw))),
            legal_form: self
                .legal_form
                .as_deref()
                .and_then(|raw| errors.check("#/query/legal_form", parse_code::<LegalForm>(raw))),
            bin: self
                .bin
                .as_deref()
                .and_then(|raw| errors.check("#/query/bin", Bin::parse(raw))),
            registered_from,
            registered_to,
        };
        errors.into_result()?;
        Ok(filter)
    }
}

/// Merges the 422 problems of several parameters into one, so a response lists every
/// invalid parameter.
pub fn invalid_parameters(errors: impl IntoIterator<Item = Option<ApiError>>) -> ApiError {
    let fields = errors
        .into_iter()
        .flatten()
        .flat_map(|error| error.problem().errors)
        .collect();
    ApiError::invalid(fields)
}

/// Order of the NPO list; without `sort`, NPOs come in creation order.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum NpoSortCode {
    /// Russian name, alphabetical (Kazakh alphabet order, letter case and punctuation
    /// ignored); NPOs without one last.
    #[serde(rename = "name_ru")]
    NameRu,
    /// Kazakh name, alphabetical; NPOs without one last.
    #[serde(rename = "name_kk")]
    NameKk,
    /// Registration date, oldest first; NPOs without one last.
    #[serde(rename = "registered_on")]
    RegisteredOn,
    /// Registration date, newest first; NPOs without one last.
    #[serde(rename = "-registered_on")]
    RegisteredOnDesc,
}

/// Parses the `sort` parameter; absent means creation order.
pub fn parse_sort(raw: Option<&str>) -> Result<NpoSort, ApiError> {
    let Some(raw) = raw else {
        return Ok(NpoSort::Id);
    };
    match NpoSort::from_code(raw).filter(|sort| *sort != NpoSort::Id) {
        Some(sort) => Ok(sort),
        None => Err(ApiError::field(
            "#/query/sort",
            format!(
                "unknown sort order '{raw}'; expected one of name_ru, name_kk, registered_on, -registered_on"
            ),
        )),
    }
}

/// A cursor as encoded before base64: the sort order, the sort value of the last item
/// (a collation key, a date, or null) and its id.
#[derive(Debug, Serialize, Deserialize)]
struct CursorData(String, Option<String>, String);

/// Encodes the position of the last item of a page for `next_cursor`; the page wraps
/// the text in base64.
pub fn cursor_text(sort: NpoSort, position: &Position) -> String {
    let value = match &position.value {
        SortValue::None => None,
        SortValue::Key(key) => Some(key.clone()),
        SortValue::Date(date) => date.map(|d| d.to_string()),
    };
    let data = CursorData(sort.code().to_owned(), value, position.id.clone());
    // A tuple of strings always serializes.
    serde_json::to_string(&data).unwrap_or_default()
}

/// Decodes a cursor of the list in `sort` order. A cursor of another order, or one this
/// API did not return, is a 422 on `#/query/cursor`.
pub fn parse_cursor(sort: NpoSort, cursor: Option<String>) -> Result<Option<Position>, ApiError> {
    let params = PageParams {
        limit: None,
        cursor,
    };
    let Some(text) = params.after()? else {
        return Ok(None);
    };
    let invalid = || ApiError::field("#/query/cursor", "is not a cursor returned by this API");
    let CursorData(code, value, id) = serde_json::from_str(&text).map_err(|_| invalid())?;
    let cursor_sort = NpoSort::from_code(&code).ok_or_else(invalid)?;
    if cursor_sort != sort {
        return Err(ApiError::field(
            "#/query/cursor",
            format!(
                "belongs to the sort order {}, not {}; send it with the sort it came with, or start again without a cursor",
                cursor_sort.code(),
                sort.code()
            ),
        ));
    }
    if id.is_empty() {
        return Err(invalid());
    }
    let value = match (sort, value) {
        (NpoSort::Id, None) => SortValue::None,
        (NpoSort::NameRu | NpoSort::NameKk, Some(key)) if !key.is_empty() => SortValue::Key(key),
        (NpoSort::RegisteredOn | NpoSort::RegisteredOnDesc, None) => SortValue::Date(None),
        (NpoSort::RegisteredOn | NpoSort::RegisteredOnDesc, Some(date)) => {
            let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| invalid())?;
            SortValue::Date(Some(date))
        }
        _ => return Err(invalid()),
    };
    Ok(Some(Position { value, id }))
}

/// Counts of the NPOs that match the filters.
#[derive(Debug, Serialize, ToSchema)]
pub struct NpoFacets {
    /// Number of matching NPOs.
    pub total: i64,
    /// Matching NPOs per sphere code; spheres without any are absent.
    #[schema(example = json!({"youth": 12, "ecology": 3}))]
    pub spheres: BTreeMap<String, i64>,
    /// Matching NPOs per region, keyed by the region's 9-digit KATO code. An NPO counts
    /// once in each region that contains one of its territories.
    #[schema(example = json!({"620000000": 5}))]
    pub regions: BTreeMap<String, i64>,
}

/// Count NPOs per sphere and region.
///
/// Open to everyone. Takes the filters of the NPO list; counts distinct NPOs.
#[utoipa::path(
    get, path = "/v1/npo-facets", tag = "npos", params(NpoFilterQuery),
    responses((status = 200, body = NpoFacets), (status = 422, body = service_kit::problem::Problem))
)]
#[get("/v1/npo-facets")]
pub async fn npo_facets(
    registry: web::Data<Registry>,
    _caller: MaybeCaller,
    query: ValidQuery<NpoFilterQuery>,
) -> ApiResult<HttpResponse> {
    let filter = query.filter()?;
    let facets = registry
        .db
        .run(move |conn| match search::resolve(conn, filter)? {
            Some(filter) => search::facets(conn, &filter).map_err(ApiError::from),
            None => Ok(search::Facets::default()),
        })
        .await?;
    Ok(HttpResponse::Ok().json(NpoFacets {
        total: facets.total,
        spheres: facets.spheres,
        regions: facets.regions,
    }))
}
