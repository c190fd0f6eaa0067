//! Route access rules: which callers may reach each route, checked before the handler
//! and its extractors run.
//!
//! Every service declares one [`Rule`] per route of its OpenAPI document. A request whose
//! method and route have no rule is rejected, so a route added without a rule stays
//! closed to everyone, and a service whose rules and document disagree does not start.
//! The rules decide by role only. The handler decides which records of a route a caller
//! may see or change, such as their own body's or their own submissions.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use utoipa::openapi::OpenApi;

use crate::auth::{self, Role};
use crate::problem::ApiError;

/// The callers a route admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    /// Anyone, with or without a token. A token that is sent must still be valid.
    Anyone,
    /// Callers with a valid token and one of these roles.
    Roles(&'static [Role]),
}

/// The access rule of one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// HTTP method in upper case, such as `GET`.
    pub method: &'static str,
    /// Route as the OpenAPI document and the router spell it, such as `/v1/npos/{id}`.
    pub path: &'static str,
    pub allow: Allow,
}

impl Rule {
    /// Creates the rule of a route anyone may call.
    pub const fn public(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            allow: Allow::Anyone,
        }
    }

    /// Creates the rule of a route for every caller with a valid token, whatever the role.
    pub const fn signed_in(method: &'static str, path: &'static str) -> Self {
        Self::roles(method, path, ANY_ROLE)
    }

    /// Creates the rule of a route for callers with one of `roles`.
    pub const fn roles(method: &'static str, path: &'static str, roles: &'static [Role]) -> Self {
        Self {
            method,
            path,
            allow: Allow::Roles(roles),
        }
    }
}

/// Every role.
pub const ANY_ROLE: &[Role] = &[Role::Officer, Role::Ministry, Role::Integrator, Role::Npo];

/// Rules of the routes every process serves besides its services' own.
pub const PLATFORM_RULES: &[Rule] = &[
    Rule::public("GET", "/healthz"),
    Rule::public("GET", "/readyz"),
    Rule::public("GET", "/metrics"),
    Rule::public("GET", "/openapi.json"),
    Rule::public("GET", "/docs"),
    Rule::public("GET", "/docs/{_:.*}"),
    // The aggregation service's reference dashboard: static files without data.
    Rule::public("GET", "/dashboard"),
    Rule::public("GET", "/dashboard/{file:.*}"),
    // The notifier's opt-out page, which every message links to.
    Rule::public("GET", "/opt-out"),
    Rule::public("GET", "/opt-out/{file:.*}"),
    Rule::roles("GET", "/v1/events/{service}", &[Role::Ministry]),
    Rule::roles(
        "GET",
        "/v1/audit/{service}",
        &[Role::Officer, Role::Ministry],
    ),
];

/// Operations of the platform's own document that every service document includes.
const PLATFORM_DOCUMENTED: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/events/{service}",
    "/v1/audit/{service}",
];

/// The rules of every route a process serves, looked up by method and route.
#[derive(Debug, Clone, Default)]
pub struct AccessRules {
    rules: Arc<HashMap<(String, String), Allow>>,
}

impl AccessRules {
    /// Collects the platform's rules and `services`' rules. Each service's rules must
    /// match the operations of its document, one rule per operation.
    pub fn build<'a>(
        services: impl IntoIterator<Item = (&'a str, &'a [Rule], &'a OpenApi)>,
    ) -> anyhow::Result<Self> {
        let mut rules = HashMap::new();
        let mut problems = Vec::new();
        for rule in PLATFORM_RULES {
            rules.insert(key(rule.method, rule.path), rule.allow);
        }
        for (service, service_rules, document) in services {
            rules.insert(
                key("GET", &format!("/openapi/{service}.json")),
                Allow::Anyone,
            );
            problems.extend(compare(service, service_rules, document));
            for rule in service_rules {
                rules.insert(key(rule.method, rule.path), rule.allow);
            }
        }
        if !problems.is_empty() {
            anyhow::bail!(
                "the access rules do not match the OpenAPI documents:\n  {}",
                problems.join("\n  ")
            );
        }
        Ok(Self {
            rules: Arc::new(rules),
        })
    }

    /// Returns the methods `route` has rules for, in alphabetical order.
    pub fn methods(&self, route: &str) -> Vec<String> {
        let mut methods: Vec<String> = self
            .rules
            .keys()
            .filter(|(_, path)| path == route)
            .map(|(method, _)| method.clone())
            .collect();
        methods.sort();
        methods
    }

    /// Returns who may call `method` on `route`, or `None` when the route has no rule.
    pub fn find(&self, method: &str, route: &str) -> Option<Allow> {
        self.rules.get(&key(method, route)).copied()
    }
}

fn key(method: &str, path: &str) -> (String, String) {
    (method.to_ascii_uppercase(), path.to_owned())
}

/// Lists the operations of `document` without a rule, rules without an operation, and
/// routes with two rules.
fn compare(service: &str, rules: &[Rule], document: &OpenApi) -> Vec<String> {
    let mut documented = Vec::new();
    for (path, item) in &document.paths.paths {
        if PLATFORM_DOCUMENTED.contains(&path.as_str()) {
            continue;
        }
        let operations = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (method, present) in operations {
            if present {
                documented.push(key(method, path));
            }
        }
    }
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for rule in rules {
        let rule_key = key(rule.method, rule.path);
        if seen.contains(&rule_key) {
            problems.push(format!(
                "{service}: {} {} has two rules",
                rule.method, rule.path
            ));
        }
        if !documented.contains(&rule_key) {
            problems.push(format!(
                "{service}: the rule for {} {} names no documented operation",
                rule.method, rule.path
            ));
        }
        seen.push(rule_key);
    }
    for (method, path) in documented {
        if !seen.contains(&(method.clone(), path.clone())) {
            problems.push(format!("{service}: {method} {path} has no access rule"));
        }
    }
    problems
}

/// Refuses a request before its handler runs: 401 without a valid token where one is
/// needed, 403 for a role the rule leaves out, 405 for a route that has no rule. The
/// verified caller is kept in the request for the handler's extractor.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match check(&req).await {
        Ok(()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Err(error) => {
            let response = actix_web::ResponseError::error_response(&error);
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

async fn check(req: &ServiceRequest) -> Result<(), ApiError> {
    // A path that matches no route goes on to the 404 handler.
    let Some(route) = req.match_pattern() else {
        return Ok(());
    };
    let rules = req
        .app_data::<web::Data<AccessRules>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no access rules configured")))?;
    let Some(allow) = rules.find(req.method().as_str(), &route) else {
        tracing::debug!(http.route = %route, "no access rule for this method and route");
        return Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allowed: rules.methods(&route).join(", "),
        });
    };
    let Allow::Roles(roles) = allow else {
        return Ok(());
    };
    let caller = auth::authenticate(req.request().clone())
        .await?
        .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))?;
    caller.require(roles)?;
    req.extensions_mut().insert(auth::Verified(caller));
    Ok(())
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder};
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder, Paths};

    use super::*;

    fn document(operations: &[(HttpMethod, &str)]) -> OpenApi {
        let mut paths = Paths::new();
        for (method, path) in operations {
            paths.add_path_operation(*path, vec![method.clone()], OperationBuilder::new().build());
        }
        OpenApiBuilder::new()
            .info(InfoBuilder::new().title("test").version("1").build())
            .paths(paths)
            .build()
    }

    const RULES: &[Rule] = &[
        Rule::public("GET", "/v1/things"),
        Rule::roles("POST", "/v1/things", &[Role::Officer]),
    ];

    #[test]
    fn rules_found_by_method_and_route() {
        let doc = document(&[
            (HttpMethod::Get, "/v1/things"),
            (HttpMethod::Post, "/v1/things"),
        ]);
        let rules = AccessRules::build([("things", RULES, &doc)]).unwrap();

        assert_eq!(rules.find("GET", "/v1/things"), Some(Allow::Anyone));
        assert_eq!(
            rules.find("post", "/v1/things"),
            Some(Allow::Roles(&[Role::Officer]))
        );
        assert_eq!(rules.find("DELETE", "/v1/things"), None);
        assert_eq!(
            rules.find("GET", "/openapi/things.json"),
            Some(Allow::Anyone)
        );
        assert_eq!(
            rules.find("GET", "/v1/events/{service}"),
            Some(Allow::Roles(&[Role::Ministry]))
        );
    }

    #[test]
    fn undocumented_rule_missing_stops_start() {
        let doc = document(&[
            (HttpMethod::Get, "/v1/things"),
            (HttpMethod::Post, "/v1/things"),
            (HttpMethod::Delete, "/v1/things/{id}"),
        ]);
        let error = AccessRules::build([("things", RULES, &doc)])
            .unwrap_err()
            .to_string();

        assert!(
            error.contains("things: DELETE /v1/things/{id} has no access rule"),
            "{error}"
        );
    }

    #[test]
    fn extra_and_repeated_rules_stop_start() {
        let doc = document(&[(HttpMethod::Get, "/v1/things")]);
        let rules = [RULES[0], RULES[0], RULES[1]];
        let error = AccessRules::build([("things", &rules[..], &doc)])
            .unwrap_err()
            .to_string();

        assert!(error.contains("GET /v1/things has two rules"), "{error}");
        assert!(
            error.contains("the rule for POST /v1/things names no documented operation"),
            "{error}"
        );
    }
}
