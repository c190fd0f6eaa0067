//! `/v1/notifications`: the mail the service composed, its delivery state, the
//! dead-letter list and retries from it.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::ValidQuery;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::validate::Errors;
use service_kit::{ApiError, ApiResult, Caller, Role};
use utoipa::IntoParams;

use super::Notifier;
use crate::domain::notification::{Notification, Status};
use crate::domain::templates::Template;
use crate::store::notifications::{self, Filter};

/// Filters and paging of the notification list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `pending`, `failed_retrying`, `sent`, `dead` or `skipped`.
    pub status: Option<String>,
    /// `meeting_invitation`, `meeting_changed`, `meeting_cancelled`,
    /// `recommendation_feedback`, `reception_appointed` or `recommendation_request`.
    pub template: Option<String>,
    /// E-mail address of the recipient, matched exactly.
    pub recipient: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

impl NotificationQuery {
    fn parse(&self) -> Result<(Filter, i64, Option<String>), ApiError> {
        let mut errors = Errors::default();
        let status = self.status.as_deref().and_then(|raw| {
            errors.check(
                "#/query/status",
                Status::from_code(raw).ok_or_else(|| {
                    let codes: Vec<&str> = Status::ALL.iter().map(|s| s.code()).collect();
                    format!("must be one of {}", codes.join(", "))
                }),
            )
        });
        let template = self.template.as_deref().and_then(|raw| {
            errors.check(
                "#/query/template",
                Template::from_code(raw).ok_or_else(|| {
                    let codes: Vec<&str> = Template::ALL.iter().map(|t| t.code()).collect();
                    format!("must be one of {}", codes.join(", "))
                }),
            )
        });
        let recipient = self.recipient.as_deref().map(str::trim);
        if recipient.is_some_and(|r| r.is_empty() || r.len() > 254) {
            errors.add(
                "#/query/recipient",
                "must be an e-mail address of 1 to 254 characters",
            );
        }
        errors.into_result()?;
        let page = PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        };
        let filter = Filter {
            statuses: status.into_iter().collect(),
            template: template.map(|t| t.code().to_owned()),
            recipient: recipient.map(str::to_owned),
        };
        Ok((filter, page.limit()?, page.after()?))
    }
}

/// List notifications, newest first, with their delivery state.
///
/// For the ministry only: the list shows whom the platform wrote to about what, and
/// why a message did not arrive. It never shows message bodies.
#[utoipa::path(
    get, path = "/v1/notifications", tag = "notifications", params(NotificationQuery),
    responses(
        (status = 200, body = inline(Page<Notification>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/notifications")]
pub async fn list_notifications(
    service: web::Data<Notifier>,
    caller: Caller,
    query: ValidQuery<NotificationQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let (filter, limit, after) = query.parse()?;

    let items = service
        .db
        .run(move |conn| notifications::list(conn, &filter, after.as_deref(), limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |n| n.id.clone())))
}

/// Paging of the dead-letter list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterQuery {
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// List the dead notifications, newest first: those the SMTP server rejected for good
/// or that failed every attempt, each with the last SMTP reply or connection failure.
#[utoipa::path(
    get, path = "/v1/notifications/dead-letters", tag = "notifications", params(DeadLetterQuery),
    responses(
        (status = 200, body = inline(Page<Notification>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/notifications/dead-letters")]
pub async fn list_dead_letters(
    service: web::Data<Notifier>,
    caller: Caller,
    query: ValidQuery<DeadLetterQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after = page.after()?;
    let filter = Filter {
        statuses: vec![Status::Dead],
        ..Filter::default()
    };

    let items = service
        .db
        .run(move |conn| notifications::list(conn, &filter, after.as_deref(), limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |n| n.id.clone())))
}

/// Put a dead notification back in the queue, with a fresh count of attempts, once
/// the cause (a full mailbox, a rejecting server) is dealt with.
#[utoipa::path(
    post, path = "/v1/notifications/{id}/retry", tag = "notifications",
    params(("id" = String, Path, description = "Notification id")),
    responses(
        (status = 200, body = Notification), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/notifications/{id}/retry")]
pub async fn retry_notification(
    service: web::Data<Notifier>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let id = id.into_inner();

    let notification = service
        .db
        .transaction(move |conn| {
            let current = notifications::get(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("notification {id}")))?;
            if current.status != Status::Dead {
                return Err(ApiError::Conflict(format!(
                    "notification {id} is {}; only a dead notification can be retried",
                    current.status.code()
                )));
            }
            notifications::requeue(conn, &id)?;
            let fields = ["status".to_owned(), "attempts".to_owned()];
            audit::record(
                conn,
                Change {
                    entity: "notification",
                    entity_id: &id,
                    action: "requeued",
                    actor: &caller.subject,
                    government_body: None,
                    fields: &fields,
                },
            )?;
            tracing::info!(notification.id = %id, "dead notification requeued");
            notifications::get(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("notification {id}")))
        })
        .await?;
    Ok(HttpResponse::Ok().json(notification))
}
