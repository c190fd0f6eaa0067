//! `/v1/correspondence`: the correspondence register of the officer's body, with the
//! incoming entries whose answer is late.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::validate::parse_date;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::competence::CompetenceMap;
use super::{Recommendations, registry};
use crate::domain::correspondence::{
    CorrespondenceDirection, CorrespondenceEntry, CorrespondenceInput, CorrespondenceKind,
    CorrespondencePatch, CorrespondenceStatus, Counterpart, CounterpartKind, EntryFacts,
};
use crate::store::correspondence::{self as store, Filter};

const ENTITY: &str = "correspondence_entry";

/// Checks that the NPO or the government body a counterpart names exists, and fills in
/// the registry's name of an NPO named by id alone.
async fn check_counterpart(
    service: &Recommendations,
    counterpart: &mut Counterpart,
) -> Result<(), ApiError> {
    match counterpart.kind {
        CounterpartKind::Npo => {
            let id = counterpart.npo_id.clone().unwrap_or_default();
            let npo = registry::npo_by_id(service, &id, "/counterpart/npo_id").await?;
            if counterpart.name.is_none() {
                counterpart.name = Some(npo.display_name());
            }
            counterpart.npo_id = Some(npo.id);
        }
        CounterpartKind::GovernmentBody => {
            let id = counterpart.government_body.clone().unwrap_or_default();
            CompetenceMap::of(service)
                .check_named_body(&id, "/counterpart/government_body")
                .await?;
        }
        CounterpartKind::Person | CounterpartKind::Media | CounterpartKind::Other => {}
    }
    Ok(())
}

/// Checks that the recommendation and the request between officers an entry links to
/// are records of `body`.
fn check_links(
    conn: &mut AnyConnection,
    body: &str,
    recommendation_id: Option<&str>,
    officer_request_id: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(id) = recommendation_id
        && !store::is_recommendation_of_body(conn, id, body)?
    {
        return Err(ApiError::field(
            "/recommendation_id",
            format!("no recommendation {id} is handled or was forwarded by {body}"),
        ));
    }
    if let Some(id) = officer_request_id
        && !store::is_officer_request_of_body(conn, id, body)?
    {
        return Err(ApiError::field(
            "/officer_request_id",
            format!("no request between officers {id} was sent or received by {body}"),
        ));
    }
    Ok(())
}

/// Loads the incoming entry of `body` that a new outgoing entry registered on
/// `registered_on` answers.
fn answered_entry(
    conn: &mut AnyConnection,
    body: &str,
    id: &str,
    registered_on: NaiveDate,
    today: NaiveDate,
) -> Result<CorrespondenceEntry, ApiError> {
    let entry = store::find(conn, id, today)?
        .filter(|entry| entry.government_body == body)
        .ok_or_else(|| {
            ApiError::field(
                "/answers_id",
                format!("no entry {id} is in the correspondence register of {body}"),
            )
        })?;
    if entry.direction != CorrespondenceDirection::Incoming {
        return Err(ApiError::field(
            "/answers_id",
            format!("entry {id} is outgoing; an answer links to an incoming entry"),
        ));
    }
    if registered_on < entry.registered_on {
        return Err(ApiError::field(
            "/registered_on",
            format!(
                "{registered_on} is before entry {id} was registered ({})",
                entry.registered_on
            ),
        ));
    }
    Ok(entry)
}

/// Returns the number an entry gets: the one given, when no other entry of `body` has
/// it, or the next free one of the body's sequence for its direction and year.
fn registration_number(
    conn: &mut AnyConnection,
    body: &str,
    facts: &EntryFacts,
) -> Result<String, ApiError> {
    if let Some(number) = &facts.number {
        if let Some(holder) = store::number_holder(conn, body, number)? {
            return Err(ApiError::Conflict(format!(
                "number {number} is already registered in the register of {body} as entry {holder}"
            )));
        }
        return Ok(number.clone());
    }
    let year = facts.registered_on.year();
    loop {
        let sequence = store::next_sequence(conn, body, facts.direction, year)?;
        let number = facts.direction.number(year, sequence);
        // An officer may have given this number by hand, so the sequence skips it.
        if store::number_holder(conn, body, &number)?.is_none() {
            return Ok(number);
        }
    }
}

fn respond(entry: &CorrespondenceEntry) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(entry.version)))
        .json(entry)
}

/// Register an incoming or outgoing document of the officer's body.
///
/// Officers only. Without `number`, the register assigns the next number of the body
/// for the direction and the year of `registered_on`, such as `ВХ-2026/15` or
/// `ИСХ-2026/7`. A number the body already registered is a 409. An NPO counterpart
/// must be in the registry, and a government body in the ministry's register when the
/// aggregation service is configured. An outgoing entry with `answers_id` answers an incoming entry of the same register,
/// which becomes answered on the outgoing entry's day.
#[utoipa::path(
    post, path = "/v1/correspondence", tag = "correspondence",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body(content = CorrespondenceInput, example = json!({
        "direction": "incoming",
        "kind": "appeal",
        "registered_on": "2026-11-10",
        "counterpart": {"kind": "npo", "npo_id": "0190c1c8-4c2a-7d31-8e6b-3f1f2a0b9c11"},
        "subject": "О выделении помещения для молодёжного центра",
        "channel": "email",
        "answer_due_on": "2026-12-10"
    })),
    responses(
        (status = 201, body = CorrespondenceEntry, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/correspondence")]
pub async fn create_entry(
    service: web::Data<Recommendations>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<CorrespondenceInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let today = common_models::time::today();
    let mut facts = body.value.parse(today)?;
    check_counterpart(&service, &mut facts.editable.counterpart).await?;
    let scope = caller.idempotency_scope("POST /v1/correspondence");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let answered = match &facts.answers_id {
                Some(id) => Some(answered_entry(
                    conn,
                    &government_body,
                    id,
                    facts.registered_on,
                    today,
                )?),
                None => None,
            };
            let editable = &facts.editable;
            check_links(
                conn,
                &government_body,
                editable.recommendation_id.as_deref(),
                editable.officer_request_id.as_deref(),
            )?;
            let number = registration_number(conn, &government_body, &facts)?;

            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            store::insert(
                conn,
                &id,
                &government_body,
                &number,
                &facts,
                &caller.subject,
                now,
            )?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "registered",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["number".to_owned(), "subject".to_owned()],
                },
            )?;
            if let Some(incoming) = &answered
                && store::mark_answered(conn, &incoming.id, &id, facts.registered_on, now)?
            {
                audit::record(
                    conn,
                    Change {
                        entity: ENTITY,
                        entity_id: &incoming.id,
                        action: "answered",
                        actor: &caller.subject,
                        government_body: Some(&government_body),
                        fields: &["status".to_owned(), "answered_on".to_owned()],
                    },
                )?;
            }

            let entry = store::find(conn, &id, today)?
                .ok_or_else(|| ApiError::NotFound(format!("correspondence entry {id}")))?;
            tracing::info!(
                entry.id = %id,
                body.id = %government_body,
                direction = entry.direction.code(),
                kind = entry.kind.code(),
                answers.id = facts.answers_id.as_deref(),
                "correspondence entry registered"
            );
            Created::new(
                entry.clone(),
                format!("/v1/correspondence/{id}"),
                Some(etag(entry.version)),
            )
        })
        .await
}

/// Filters of the correspondence register.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CorrespondenceQuery {
    #[param(value_type = Option<CorrespondenceDirection>)]
    pub direction: Option<String>,
    #[param(value_type = Option<CorrespondenceKind>)]
    pub kind: Option<String>,
    /// Answer status of incoming entries.
    #[param(value_type = Option<CorrespondenceStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<CounterpartKind>)]
    pub counterpart_kind: Option<String>,
    /// Only entries with the NPO of this registry id.
    pub counterpart_npo_id: Option<String>,
    /// Only entries with this government body.
    pub counterpart_body: Option<String>,
    /// Only entries registered on or after this day, `YYYY-MM-DD`.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Only entries registered on or before this day, `YYYY-MM-DD`.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
    /// Only the register of this body, for the ministry.
    pub government_body: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Parses an optional query parameter `name` with `parse`.
fn query_value<T>(
    name: &str,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ApiError> {
    raw.map(|raw| parse(raw).map_err(|message| ApiError::field(format!("#/query/{name}"), message)))
        .transpose()
}

impl CorrespondenceQuery {
    fn filter(&self, own_body: Option<&str>) -> Result<Filter, ApiError> {
        let government_body = match (own_body, &self.government_body) {
            (Some(own), Some(asked)) if own != asked => {
                return Err(ApiError::Forbidden(
                    "an officer reads the correspondence register of their own body".into(),
                ));
            }
            (Some(own), _) => Some(own.to_owned()),
            (None, asked) => asked.clone(),
        };
        let filter = Filter {
            government_body,
            direction: query_value(
                "direction",
                self.direction.as_deref(),
                CorrespondenceDirection::parse,
            )?,
            kind: query_value("kind", self.kind.as_deref(), CorrespondenceKind::parse)?,
            status: query_value(
                "status",
                self.status.as_deref(),
                CorrespondenceStatus::parse,
            )?,
            counterpart_kind: query_value(
                "counterpart_kind",
                self.counterpart_kind.as_deref(),
                CounterpartKind::parse,
            )?,
            counterpart_npo_id: self.counterpart_npo_id.clone(),
            counterpart_body: self.counterpart_body.clone(),
            from: query_value("from", self.from.as_deref(), parse_date)?,
            to: query_value("to", self.to.as_deref(), parse_date)?,
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from > to
        {
            return Err(ApiError::field(
                "#/query/to",
                format!("{to} is before from ({from})"),
            ));
        }
        Ok(filter)
    }
}

/// List the correspondence register in registration order: an officer's own body's,
/// or every body's for the ministry.
#[utoipa::path(
    get, path = "/v1/correspondence", tag = "correspondence", params(CorrespondenceQuery),
    responses(
        (status = 200, body = inline(Page<CorrespondenceEntry>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/correspondence")]
pub async fn list_entries(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<CorrespondenceQuery>,
) -> ApiResult<HttpResponse> {
    let filter = query.filter(caller.reading_scope()?)?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after = page.after()?;
    let today = common_models::time::today();
    let items = service
        .db
        .run(move |conn| {
            store::list(conn, &filter, after.as_deref(), limit + 1, today).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |e| e.id.clone())))
}

/// Incoming entries awaiting an answer past their deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueCorrespondence {
    /// Entries with the oldest deadline first. `days_overdue` counts the days since it
    /// passed.
    pub items: Vec<CorrespondenceEntry>,
}

/// Filter of the overdue entries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverdueQuery {
    /// Only this body. An officer may name only their own.
    pub government_body: Option<String>,
}

/// List the incoming entries that await an answer past their deadline, oldest
/// deadline first, with the days overdue counted in Asia/Almaty.
///
/// An officer lists their own body's, the ministry every body's.
#[utoipa::path(
    get, path = "/v1/correspondence/overdue", tag = "correspondence", params(OverdueQuery),
    responses(
        (status = 200, body = OverdueCorrespondence), (status = 401, body = Problem),
        (status = 403, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/correspondence/overdue")]
pub async fn overdue_entries(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<OverdueQuery>,
) -> ApiResult<HttpResponse> {
    let body = match (caller.reading_scope()?, &query.government_body) {
        (Some(own), Some(asked)) if own != asked => {
            return Err(ApiError::Forbidden(
                "an officer lists the overdue correspondence of their own body".into(),
            ));
        }
        (Some(own), _) => Some(own.to_owned()),
        (None, asked) => asked.clone(),
    };
    let today = common_models::time::today();
    let items = service
        .db
        .run(move |conn| store::overdue(conn, body.as_deref(), today).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(OverdueCorrespondence { items }))
}

/// Loads an entry of `body`, or of any body when `None`. Other entries are a 404.
fn readable(
    conn: &mut AnyConnection,
    id: &str,
    body: Option<&str>,
    today: NaiveDate,
) -> Result<CorrespondenceEntry, ApiError> {
    store::find(conn, id, today)?
        .filter(|entry| body.is_none_or(|own| entry.government_body == own))
        .ok_or_else(|| ApiError::NotFound(format!("correspondence entry {id}")))
}

/// Read an entry of the correspondence register: the body's officer or the ministry.
#[utoipa::path(
    get, path = "/v1/correspondence/{id}", tag = "correspondence",
    params(("id" = String, Path, description = "Entry id")),
    responses(
        (status = 200, body = CorrespondenceEntry, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/correspondence/{id}")]
pub async fn get_entry(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let body = caller.reading_scope()?.map(str::to_owned);
    let id = id.into_inner();
    let today = common_models::time::today();
    let entry = service
        .db
        .run(move |conn| readable(conn, &id, body.as_deref(), today))
        .await?;
    Ok(respond(&entry))
}

/// Change an entry: its kind, counterpart, subject, channel, form, deadline, status,
/// links and file reference.
///
/// The body's officer only, with `If-Match`. Fields left out stay as they are. The
/// direction, number, day of registration and the answered entry never change. The
/// status of an incoming entry moves between `awaiting_answer` and `no_answer_needed`
/// until an answer is registered. After that, a change of it is a 409.
#[utoipa::path(
    patch, path = "/v1/correspondence/{id}", tag = "correspondence",
    params(("id" = String, Path, description = "Entry id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body(content = CorrespondencePatch, example = json!({
        "answer_due_on": "2026-12-20",
        "file_ref": "edo://2026/vh/15"
    })),
    responses(
        (status = 200, body = CorrespondenceEntry, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/v1/correspondence/{id}")]
pub async fn update_entry(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<CorrespondencePatch>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let id = id.into_inner();
    let mut counterpart = body.value.counterpart()?;
    if let Some(counterpart) = &mut counterpart {
        check_counterpart(&service, counterpart).await?;
    }
    let today = common_models::time::today();

    let entry = service
        .db
        .transaction(move |conn| {
            let current = readable(conn, &id, Some(&government_body), today)?;
            if_match.check(&etag(current.version))?;
            let next = body.value.apply(&current, counterpart)?;
            let before = current.editable();
            let changed = next.changed_fields(&before);
            if changed.is_empty() {
                return Ok(current);
            }
            check_links(
                conn,
                &government_body,
                next.recommendation_id
                    .as_deref()
                    .filter(|_| next.recommendation_id != before.recommendation_id),
                next.officer_request_id
                    .as_deref()
                    .filter(|_| next.officer_request_id != before.officer_request_id),
            )?;
            if !store::update(conn, &id, current.version, &next, service_kit::now())? {
                return Err(ApiError::PreconditionFailed);
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "changed",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &changed,
                },
            )?;
            tracing::info!(entry.id = %id, body.id = %government_body, fields = ?changed, "correspondence entry changed");
            readable(conn, &id, Some(&government_body), today)
        })
        .await?;
    Ok(respond(&entry))
}
