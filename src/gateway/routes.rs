//! The gateway's route table: which service serves a path, and the path to send it.
//!
//! Resource names are unique across services, so the first segment after `/v1/`
//! names the service. The routes every service has are reached by naming the service:
//! `/v1/events/<service>` and `/v1/audit/<service>` carry the name already, the
//! OpenAPI document is served at `/openapi/<service>.json` as under `serve all`, and
//! health and readiness move under `/services/<service>/`. `/metrics` and the Swagger
//! UI at `/docs` are not routed: metrics are scraped from each process directly, and
//! the UI loads its assets and `/openapi.json` from absolute paths of one service.

/// The services behind the gateway and the first segments under `/v1/` of their
/// resources, from the paths of the OpenAPI documents in `openapi/`.
pub const SERVICE_ROUTES: &[(&str, &[&str])] = &[
    (
        "registry",
        &[
            "catalogues",
            "collection-campaigns",
            "npo-duplicates",
            "npo-facets",
            "npo-imports",
            "npo-merges",
            "npos",
            "open-data",
            "territories",
        ],
    ),
    (
        "needs",
        &[
            "needs-assessment-schedule",
            "needs-assessments",
            "needs-priorities",
            "needs-priorities.csv",
            "needs-priorities.xlsx",
        ],
    ),
    (
        "joint-actions",
        &[
            "consultative-bodies",
            "joint-actions",
            "joint-actions-overdue-measurements",
            "joint-plans",
            "memoranda",
            "working-groups",
        ],
    ),
    (
        "recommendations",
        &[
            "consultations",
            "correspondence",
            "expert-groups",
            "experts",
            "officer-requests",
            "reception-requests",
            "recommendation-requests",
            "recommendations",
        ],
    ),
    (
        "aggregation",
        &[
            "analytics",
            "annual-reports",
            "competence-map",
            "compliance",
            "government-bodies",
            "head-meetings",
            "information-requests",
            "officer-positions",
            "read-models",
            "vacancies",
        ],
    ),
    ("notifier", &["notifications", "opt-outs"]),
];

/// Routes under `/v1/` whose second segment is the name of the service that serves them.
const PER_SERVICE_LOGS: &[&str] = &["events", "audit"];

/// The service that serves the reference dashboard at `/dashboard/`.
pub const DASHBOARD_SERVICE: &str = "aggregation";

/// Static pages: the folder each is served under, and the service that serves it.
pub const PAGES: &[(&str, &str)] = &[("dashboard", DASHBOARD_SERVICE), ("opt-out", "notifier")];

/// Paths every service serves that the gateway exposes as `/services/<service><path>`.
pub const PER_SERVICE_PATHS: &[&str] = &["/healthz", "/readyz", "/openapi.json"];

/// Destination of a request: a service and the path on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Name of the service, as `liaison serve` names it.
    pub service: &'static str,
    /// Path on the service, without the query.
    pub path: String,
}

/// Returns the names of the services behind the gateway.
pub fn services() -> impl Iterator<Item = &'static str> {
    SERVICE_ROUTES.iter().map(|(service, _)| *service)
}

/// Returns the route of `path`, or `None` when no service serves it.
///
/// Paths with empty, `.` or `..` segments (also percent-encoded) match nothing,
/// because a URL parser on the way to the service would resolve them to another path.
/// So do paths with a backslash or a control character. The WHATWG URL parser that
/// builds the service's URL reads `\` as `/` in http URLs and drops tabs and line
/// breaks. It would turn `/v1/npos/..\..\metrics` into `/metrics`, which the gateway
/// does not route.
pub fn resolve(path: &str) -> Option<Route> {
    if path.chars().any(|c| c == '\\' || c.is_control()) {
        return None;
    }
    for (folder, service) in PAGES {
        if path.strip_prefix('/') == Some(folder) || page_file(path, folder).is_some() {
            return Some(Route {
                service,
                path: path.to_owned(),
            });
        }
    }
    let rest = path.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    if segments.iter().any(|segment| is_dot_or_empty(segment)) {
        return None;
    }
    let service = match segments.as_slice() {
        ["v1", log, service] if PER_SERVICE_LOGS.contains(log) => known_service(service)?,
        ["v1", first, ..] => owner_of(first)?,
        ["openapi", document] => known_service(document.strip_suffix(".json")?)?,
        ["services", service, local] => {
            let service = known_service(service)?;
            let local = format!("/{local}");
            if !PER_SERVICE_PATHS.contains(&local.as_str()) {
                return None;
            }
            return Some(Route {
                service,
                path: local,
            });
        }
        _ => return None,
    };
    Some(Route {
        service,
        path: path.to_owned(),
    })
}

/// Returns the file name of a path under `/<folder>/`: empty for the page itself, or one
/// plain file name. Anything with another slash or a dot segment matches nothing.
fn page_file<'a>(path: &'a str, folder: &str) -> Option<&'a str> {
    let file = path
        .strip_prefix('/')?
        .strip_prefix(folder)?
        .strip_prefix('/')?;
    let plain = file
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    (plain && !file.starts_with('.')).then_some(file)
}

fn owner_of(first_segment: &str) -> Option<&'static str> {
    SERVICE_ROUTES
        .iter()
        .find(|(_, segments)| segments.contains(&first_segment))
        .map(|(service, _)| *service)
}

fn known_service(name: &str) -> Option<&'static str> {
    services().find(|service| *service == name)
}

fn is_dot_or_empty(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    matches!(decoded.as_str(), "" | "." | "..")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use serde_json::Value;

    use super::*;

    /// Reads the paths of the checked-in OpenAPI document of `service`.
    fn documented_paths(service: &str) -> Vec<String> {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("openapi")
            .join(format!("{service}.json"));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let document: Value = serde_json::from_str(&text).expect("the document is JSON");
        document["paths"]
            .as_object()
            .expect("the document has paths")
            .keys()
            .cloned()
            .collect()
    }

    /// Replaces each `{parameter}` of a documented path with a sample value; the
    /// service parameter of the per-service routes becomes `service`.
    fn sample_path(template: &str, service: &str) -> String {
        template
            .split('/')
            .map(|segment| match segment {
                "{service}" => service.to_owned(),
                s if s.starts_with('{') && s.ends_with('}') => "0192f0c4-7d21".to_owned(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn table_lists_every_service() {
        let binary: Vec<&str> = crate::services().iter().map(|s| s.name).collect();
        let table: Vec<&str> = services().collect();

        assert_eq!(table, binary);
    }

    #[test]
    fn every_documented_path_reaches_its_service() {
        let mut checked = 0;
        for service in services() {
            for template in documented_paths(service) {
                let path = sample_path(&template, service);
                checked += 1;

                if template == "/metrics" {
                    assert_eq!(resolve(&path), None, "{path} is not routed");
                    continue;
                }
                if PER_SERVICE_PATHS.contains(&template.as_str()) {
                    let exposed = format!("/services/{service}{template}");
                    let expected = Route {
                        service,
                        path: template.clone(),
                    };
                    assert_eq!(resolve(&path), None, "{path} is not routed at the root");
                    assert_eq!(resolve(&exposed), Some(expected), "{exposed}");
                    continue;
                }
                let expected = Route {
                    service,
                    path: path.clone(),
                };
                assert_eq!(resolve(&path), Some(expected), "{template} of {service}");
            }
        }

        assert!(checked > 100, "only {checked} documented paths were found");
    }

    /// Reads the pairs of path and backend service of the Kubernetes Ingress.
    fn ingress_routes() -> BTreeSet<(String, String)> {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s/base/ingress.yaml");
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let mut routes = BTreeSet::new();
        let mut path = None;
        for line in text.lines().map(str::trim) {
            if let Some(value) = line.strip_prefix("- path: ") {
                path = Some(value.to_owned());
            } else if let Some(backend) = line.strip_prefix("name: liaison-") {
                let path = path.take().expect("a backend follows its path");
                routes.insert((path, backend.to_owned()));
            }
        }
        routes
    }

    #[test]
    fn ingress_matches_table() {
        let mut expected = BTreeSet::new();
        for (service, segments) in SERVICE_ROUTES {
            for segment in *segments {
                expected.insert((format!("/v1/{segment}"), service.to_string()));
            }
            for log in PER_SERVICE_LOGS {
                expected.insert((format!("/v1/{log}/{service}"), service.to_string()));
            }
            expected.insert((format!("/openapi/{service}.json"), service.to_string()));
        }
        for (folder, service) in PAGES {
            expected.insert((format!("/{folder}"), service.to_string()));
        }

        assert_eq!(ingress_routes(), expected);
    }

    #[test]
    fn dashboard_files_go_to_its_service() {
        for path in ["/dashboard", "/dashboard/", "/dashboard/app.js"] {
            assert_eq!(
                resolve(path),
                Some(Route {
                    service: DASHBOARD_SERVICE,
                    path: path.to_owned()
                })
            );
        }
        for path in ["/opt-out", "/opt-out/", "/opt-out/opt-out.js"] {
            assert_eq!(
                resolve(path),
                Some(Route {
                    service: "notifier",
                    path: path.to_owned()
                })
            );
        }
        assert_eq!(resolve("/opt-out/../metrics"), None);
        assert_eq!(resolve("/opt-outs"), None);
        for path in [
            "/dashboard/..%2fmetrics",
            "/dashboard/../metrics",
            "/dashboard/.env",
            "/dashboard/a/b.js",
            "/dashboard//app.js",
        ] {
            assert_eq!(resolve(path), None, "{path}");
        }
    }

    #[test]
    fn openapi_document_per_service() {
        for service in services() {
            let path = format!("/openapi/{service}.json");

            assert_eq!(
                resolve(&path),
                Some(Route {
                    service,
                    path: path.clone()
                })
            );
        }
        assert_eq!(resolve("/openapi/nowhere.json"), None);
        assert_eq!(resolve("/openapi/registry"), None);
        assert_eq!(resolve("/openapi.json"), None);
    }

    #[test]
    fn logs_of_unknown_service_unrouted() {
        assert_eq!(resolve("/v1/events/nowhere"), None);
        assert_eq!(resolve("/v1/audit/nowhere"), None);
        assert_eq!(resolve("/v1/events"), None);
        assert_eq!(resolve("/v1/events/registry/extra"), None);
    }

    #[test]
    fn segment_matches_whole() {
        assert_eq!(resolve("/v1/npos-extra"), None);
        assert_eq!(resolve("/v1/np"), None);
        assert_eq!(resolve("/npos"), None);
        assert_eq!(resolve("/v2/npos"), None);
        assert_eq!(resolve("/services/registry/metrics"), None);
        assert_eq!(resolve("/services/registry/healthz/extra"), None);
        assert_eq!(resolve("/services/nowhere/healthz"), None);
        assert_eq!(resolve(""), None);
        assert_eq!(resolve("/"), None);
    }

    #[test]
    fn dot_segments_rejected() {
        for path in [
            "/v1/npos/../government-bodies",
            "/v1/npos/./1",
            "/v1/npos/%2E%2E/analytics",
            "/v1/npos/.%2e",
            "/v1//npos",
            "/v1/npos/",
        ] {
            assert_eq!(resolve(path), None, "{path}");
        }
    }

    #[test]
    fn backslash_and_control_rejected() {
        for path in [
            "/v1/needs-assessments/..\\..\\metrics",
            "/v1/npos/x\\y",
            "/v1/npos/.\t./metrics",
            "/v1/npos/1\n",
        ] {
            assert_eq!(resolve(path), None, "{path:?}");
        }
    }

    #[test]
    fn path_sent_unchanged() {
        let route = resolve("/v1/npos/0192f0c4/history").expect("a route");

        assert_eq!(route.service, "registry");
        assert_eq!(route.path, "/v1/npos/0192f0c4/history");
        assert_eq!(
            resolve("/v1/needs-priorities.xlsx").map(|r| r.service),
            Some("needs")
        );
        assert_eq!(
            resolve("/v1/events/joint-actions").map(|r| r.service),
            Some("joint-actions")
        );
    }
}
