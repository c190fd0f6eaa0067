//! Adjustments every service's OpenAPI document gets.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

use crate::problem::PROBLEM_JSON;

/// Declares error responses as `application/problem+json`, the media type the server
/// sends, adds the `bearer` security scheme that handlers refer to, and documents the
/// errors that shared code returns on every route of a kind (see [`shared_errors`]).
#[derive(Debug, Clone, Copy)]
pub struct PlatformConventions;

impl utoipa::Modify for PlatformConventions {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        for (name, schema) in problem_schemas() {
            components.schemas.entry(name).or_insert(schema);
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let probe = crate::ratelimit::EXEMPT_PATHS.contains(&path.as_str());
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, response) in &mut operation.responses.responses {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if !(status.starts_with('4') || status.starts_with('5')) {
                        continue;
                    }
                    if let Some(content) = response.content.shift_remove("application/json") {
                        response.content.insert(PROBLEM_JSON.to_owned(), content);
                    }
                }
                for (status, description) in shared_errors(operation, probe) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(description));
                }
            }
        }
    }
}

/// Lists the error responses that shared code can return for `operation`, whatever
/// its handler does:
/// - 400 on every route, from the filter of encoded control characters in the URL,
///   and for a body that is not valid JSON;
/// - 401 and 403 on routes with a security requirement, from the access rules;
/// - 422 on routes with query parameters, from `ValidQuery`, which rejects invalid
///   and unknown parameters;
/// - 413, 415 and 422 on routes with a request body, from `ValidJson`;
/// - 429 on every route but the health, readiness and metrics probes (`probe`), from
///   the rate limit.
///
/// A status the handler's annotation documents keeps the handler's description.
fn shared_errors(operation: &Operation, probe: bool) -> Vec<(&'static str, &'static str)> {
    let has_body = operation.request_body.is_some();
    let mut errors = vec![(
        "400",
        if has_body {
            "Malformed request: the URL encodes a control character, or the body is not valid JSON"
        } else {
            "Malformed request: the URL encodes a control character"
        },
    )];
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    if secured {
        errors.push(("401", "Missing or invalid bearer token"));
        errors.push((
            "403",
            "The caller's role may not call this route, or may not change this record",
        ));
    }
    let has_query = operation.parameters.iter().flatten().any(|parameter| {
        matches!(parameter, RefOr::T(parameter) if parameter.parameter_in == ParameterIn::Query)
    });
    if has_body {
        errors.push(("413", "Request body larger than the limit"));
        errors.push((
            "415",
            "Request body of a media type or encoding the route does not accept",
        ));
    }
    if has_body || has_query {
        errors.push((
            "422",
            "Invalid request: `errors` names each invalid field or query parameter",
        ));
    }
    if !probe {
        errors.push((
            "429",
            "Too many requests from this caller: retry after `Retry-After` seconds",
        ));
    }
    errors
}

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

/// Returns the `Problem` schema and the schemas it refers to, for documents whose
/// handlers name none of them.
fn problem_schemas() -> Vec<(String, RefOr<utoipa::openapi::schema::Schema>)> {
    use utoipa::{PartialSchema, ToSchema};

    let mut schemas = vec![(
        crate::problem::Problem::name().into_owned(),
        crate::problem::Problem::schema(),
    )];
    crate::problem::Problem::schemas(&mut schemas);
    schemas
}

#[cfg(test)]
mod tests {
    use utoipa::Modify;
    use utoipa::openapi::path::{
        HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
    };
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::security::SecurityRequirement;
    use utoipa::openapi::{Info, OpenApi, PathsBuilder, RefOr};

    use super::PlatformConventions;

    fn document(operation: utoipa::openapi::path::Operation) -> OpenApi {
        let paths = PathsBuilder::new()
            .path("/v1/things", PathItem::new(HttpMethod::Post, operation))
            .build();
        let mut document = OpenApi::new(Info::new("test", "1"), paths);
        PlatformConventions.modify(&mut document);
        document
    }

    fn statuses(document: &OpenApi) -> Vec<String> {
        let operation = document.paths.paths["/v1/things"].post.as_ref().unwrap();
        operation.responses.responses.keys().cloned().collect()
    }

    #[test]
    fn public_operation_gets_400() {
        let operation = OperationBuilder::new()
            .response("200", utoipa::openapi::Response::new("ok"))
            .build();

        let statuses = statuses(&document(operation));

        assert_eq!(statuses, ["200", "400", "429"]);
    }

    #[test]
    fn secured_operation_with_body_gets_shared_errors() {
        let operation = OperationBuilder::new()
            .request_body(Some(RequestBodyBuilder::new().build()))
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .response("201", utoipa::openapi::Response::new("created"))
            .build();

        let statuses = statuses(&document(operation));

        assert_eq!(
            statuses,
            ["201", "400", "401", "403", "413", "415", "422", "429"]
        );
    }

    #[test]
    fn query_parameters_get_422() {
        let operation = OperationBuilder::new()
            .parameter(
                ParameterBuilder::new()
                    .name("limit")
                    .parameter_in(ParameterIn::Query),
            )
            .response("200", utoipa::openapi::Response::new("ok"))
            .build();

        let statuses = statuses(&document(operation));

        assert_eq!(statuses, ["200", "400", "422", "429"]);
    }

    #[test]
    fn documented_status_keeps_description() {
        let operation = OperationBuilder::new()
            .request_body(Some(RequestBodyBuilder::new().build()))
            .response(
                "413",
                utoipa::openapi::Response::new("larger than the batch limit"),
            )
            .build();

        let document = document(operation);

        let operation = document.paths.paths["/v1/things"].post.as_ref().unwrap();
        let RefOr::T(response) = &operation.responses.responses["413"] else {
            panic!("413 is a reference");
        };
        assert_eq!(response.description, "larger than the batch limit");
    }

    #[test]
    fn added_errors_are_problems() {
        let operation = OperationBuilder::new()
            .response("200", utoipa::openapi::Response::new("ok"))
            .build();

        let document = document(operation);

        let operation = document.paths.paths["/v1/things"].post.as_ref().unwrap();
        let RefOr::T(response) = &operation.responses.responses["400"] else {
            panic!("400 is a reference");
        };
        assert!(response.content.contains_key("application/problem+json"));
        let schemas = &document.components.as_ref().unwrap().schemas;
        assert!(schemas.contains_key("Problem"));
        assert!(schemas.contains_key("FieldError"));
    }
}
