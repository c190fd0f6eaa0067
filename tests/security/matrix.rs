//! The authorization matrix: every operation of every service's OpenAPI document, asked
//! by each of the seven callers, against the tables in `tests/security/access/`.
//!
//! A cell is `ok` when the caller is let through, or the status the caller must get:
//! `401`, `403` or `404` (a record of another body or organisation may get 404 as if it
//! did not exist). A read let through must return 2xx. A write let through may still be
//! rejected by its own checks (409, 422, 428), but never with 401, 403, 404 or 5xx.
//! Rejected callers are asked first, so a write that succeeds for an allowed caller
//! cannot hide a rejection behind a changed state.
//!
//! Lists, exports and event logs must be filtered as single reads are: the id of a
//! private record never appears in a read returned to a caller its own route rejects.
//!
//! `LIAISON_ACCESS_RECORD=1` rewrites the tables with the observed statuses, for review
//! with `git diff` after a deliberate change.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::fixtures::Fixtures;
use crate::platform::{Platform, Reply, Who, read};

const SERVICES: &[&str] = &[
    "registry",
    "needs",
    "joint-actions",
    "recommendations",
    "aggregation",
    "notifier",
];

/// Routes of the platform itself, which every service's document lists; they are
/// walked once, with the first service.
const PLATFORM_ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/events/{service}",
    "/v1/audit/{service}",
];

/// What one caller must get from one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Refused(u16),
}

impl Expect {
    fn parse(cell: &str) -> Option<Self> {
        match cell {
            "ok" => Some(Self::Allowed),
            "401" | "403" | "404" => cell.parse().ok().map(Self::Refused),
            _ => None,
        }
    }

    /// Returns the cell a table records for a response of `status`.
    fn observed(status: StatusCode) -> String {
        match status.as_u16() {
            code @ (401 | 403 | 404) => code.to_string(),
            _ => "ok".into(),
        }
    }

    fn admits(self, method: &Method, status: StatusCode) -> bool {
        match self {
            Self::Refused(code) => status.as_u16() == code,
            Self::Allowed if *method == Method::GET => status.is_success(),
            Self::Allowed => {
                !status.is_server_error() && !matches!(status.as_u16(), 401 | 403 | 404 | 405)
            }
        }
    }
}

/// One row of a table: a route and what each caller gets from it.
#[derive(Debug, Clone)]
struct Row {
    method: Method,
    route: String,
    expect: BTreeMap<usize, Expect>,
}

fn table_path(service: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/security/access")
        .join(format!("{service}.txt"))
}

/// Reads a table: `METHOD ROUTE` then one cell per caller, in the order of `Who::ALL`.
fn load_table(service: &str) -> Vec<Row> {
    let path = table_path(service);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut rows = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let place = format!("{}:{}", path.display(), number + 1);
        assert_eq!(
            fields.len(),
            2 + Who::ALL.len(),
            "{place}: expected METHOD ROUTE and {} cells",
            Who::ALL.len()
        );
        let method = Method::from_bytes(fields[0].as_bytes())
            .unwrap_or_else(|_| panic!("{place}: bad method {}", fields[0]));
        let expect = fields[2..]
            .iter()
            .enumerate()
            .map(|(column, cell)| {
                let expect = Expect::parse(cell)
                    .unwrap_or_else(|| panic!("{place}: cell {cell:?} is not ok, 401, 403 or 404"));
                (column, expect)
            })
            .collect();
        rows.push(Row {
            method,
            route: fields[1].to_owned(),
            expect,
        });
    }
    rows
}

/// Returns the first of officer A, the ministry, the integrator and NPO X that the table
/// of `service` lets through on `method route`, for tests that need a caller who gets
/// past the access rules.
pub fn allowed_caller(service: &str, method: &Method, route: &str) -> Option<Who> {
    static TABLES: std::sync::LazyLock<BTreeMap<&str, Vec<Row>>> = std::sync::LazyLock::new(|| {
        SERVICES
            .iter()
            .map(|service| (*service, load_table(service)))
            .collect()
    });
    let row = TABLES
        .get(service)?
        .iter()
        .find(|row| row.method == *method && row.route == route)?;
    [Who::OfficerA, Who::Ministry, Who::Integrator, Who::NpoX]
        .into_iter()
        .find(|who| {
            let column = Who::ALL.iter().position(|w| w == who).unwrap_or_default();
            row.expect.get(&column) == Some(&Expect::Allowed)
        })
}

fn write_table(service: &str, observed: &[(Method, String, Vec<String>)]) {
    let mut text = format!(
        "# Who may call each route of the {service} service. Cells: ok, or the status the\n\
         # caller gets (401, 403, or 404 for a record of another body or organisation).\n\
         # Records addressed by {{id}} and the like belong to body A and NPO X.\n"
    );
    let header: Vec<&str> = Who::ALL.iter().map(|who| who.column()).collect();
    let width = observed
        .iter()
        .map(|(_, route, _)| route.len() + 2)
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        text,
        "# {:<7}{:<width$}{}",
        "method",
        "route",
        header.join(" ")
    );
    for (method, route, cells) in observed {
        let cells: Vec<String> = cells
            .iter()
            .zip(&header)
            .map(|(cell, column)| format!("{cell:<width$}", width = column.len()))
            .collect();
        let _ = writeln!(
            text,
            "{:<9}{:<width$}{}",
            method.as_str(),
            route,
            cells.join(" ").trim_end()
        );
    }
    std::fs::write(table_path(service), text).expect("the table is written");
}

/// Operations of a service's document, in document order.
fn operations(document: &Value) -> Vec<(Method, String)> {
    let mut operations = Vec::new();
    let paths = document["paths"]
        .as_object()
        .expect("the document has paths");
    for (route, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let method =
                    Method::from_bytes(method.to_uppercase().as_bytes()).expect("a known method");
                operations.push((method, route.clone()));
            }
        }
    }
    operations
}

async fn ask(
    platform: &Platform,
    fixtures: &Fixtures,
    who: Who,
    method: &Method,
    route: &str,
) -> Reply {
    let path = fixtures.path(method, route);
    let mut request = platform.request(who, method.clone(), &path);
    if *method != Method::GET {
        request = request.header("if-match", "*");
        if let Some(body) = fixtures.body(method, route) {
            request = body.attach(request);
        }
    }
    read(request).await
}

#[tokio::test]
async fn routes_match_access_tables() {
    let platform = Platform::start(&[]).await;
    let fixtures = Fixtures::create(&platform).await;
    let record = std::env::var_os("LIAISON_ACCESS_RECORD").is_some();
    let mut failures = Vec::new();
    // Reads let through, kept for the leak check: caller, route, body.
    let mut reads: Vec<(Who, String, String)> = Vec::new();
    // Routes whose read rejected a caller, for the leak check.
    let mut rejected: Vec<(String, Who)> = Vec::new();
    let mut requests = 0;

    for (index, service) in SERVICES.iter().enumerate() {
        let document = platform
            .get(Who::Anonymous, &format!("/openapi/{service}.json"))
            .await
            .ok("the service's document is served");
        let documented: Vec<(Method, String)> = operations(&document)
            .into_iter()
            .filter(|(_, route)| index == 0 || !PLATFORM_ROUTES.contains(&route.as_str()))
            .collect();
        // A recording run still reads the old table, for the order of the callers.
        let table = if record && !table_path(service).exists() {
            Vec::new()
        } else {
            load_table(service)
        };
        for (method, route) in &documented {
            if !record
                && !table
                    .iter()
                    .any(|r| r.method == *method && r.route == *route)
            {
                failures.push(format!(
                    "{service}: {method} {route} has no row in its table"
                ));
            }
        }
        for row in table.iter().filter(|_| !record) {
            if !documented.contains(&(row.method.clone(), row.route.clone())) {
                failures.push(format!(
                    "{service}: the row {} {} names no documented operation",
                    row.method, row.route
                ));
            }
        }

        let mut observed = Vec::new();
        for (method, route) in &documented {
            let row = table
                .iter()
                .find(|r| r.method == *method && r.route == *route);
            // Refused callers first, then the allowed ones.
            let mut order: Vec<(usize, Option<Expect>)> = Who::ALL
                .iter()
                .enumerate()
                .map(|(column, _)| (column, row.map(|r| r.expect[&column])))
                .collect();
            order.sort_by_key(|(_, expect)| matches!(expect, Some(Expect::Allowed)));
            let mut cells = vec![String::new(); Who::ALL.len()];
            let mut deleted = false;
            for (column, expect) in order {
                let who = Who::ALL[column];
                let mut reply = ask(&platform, &fixtures, who, method, route).await;
                requests += 1;
                // What one allowed caller deleted is gone for the next one.
                if *method == Method::DELETE
                    && deleted
                    && expect == Some(Expect::Allowed)
                    && reply.status == StatusCode::NOT_FOUND
                {
                    reply.status = StatusCode::NO_CONTENT;
                }
                deleted |= *method == Method::DELETE && reply.status.is_success();
                cells[column] = Expect::observed(reply.status);
                if reply.status.is_server_error() {
                    failures.push(format!(
                        "{method} {route} as {}: {} {}",
                        who.column(),
                        reply.status,
                        reply.text
                    ));
                    continue;
                }
                if let Some(expect) = expect
                    && !record
                    && !expect.admits(method, reply.status)
                {
                    failures.push(format!(
                        "{method} {route} as {}: expected {expect:?}, got {} {}",
                        who.column(),
                        reply.status,
                        truncate(&reply.text)
                    ));
                }
                if *method == Method::GET {
                    if reply.status.is_success() {
                        reads.push((who, route.clone(), reply.text));
                    } else {
                        rejected.push((route.clone(), who));
                    }
                }
            }
            observed.push((method.clone(), route.clone(), cells));
        }
        if record {
            write_table(service, &observed);
        }

        // A method a route does not document has no rule, and no handler is reached.
        let routes: std::collections::BTreeSet<&String> =
            documented.iter().map(|(_, route)| route).collect();
        for route in routes {
            for method in [
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ] {
                if documented.contains(&(method.clone(), route.clone())) {
                    continue;
                }
                let path = fixtures.path(&Method::GET, route);
                let reply = read(platform.request(Who::Ministry, method.clone(), &path)).await;
                requests += 1;
                if reply.status != StatusCode::METHOD_NOT_ALLOWED {
                    failures.push(format!(
                        "{method} {route}, which is not documented, answered {} instead of 405",
                        reply.status
                    ));
                }
            }
        }
    }

    // The id of a private record never reaches a caller that its own route rejects.
    let mut leaks = 0;
    for (id, route) in fixtures.private_records() {
        for (who, read_route, text) in &reads {
            let rejected_here = rejected.iter().any(|(r, w)| r == route && w == who);
            if rejected_here && text.contains(&id) {
                leaks += 1;
                failures.push(format!(
                    "GET {read_route} shows {} the record {id}, which GET {route} rejects for them",
                    who.column()
                ));
            }
        }
    }

    eprintln!(
        "authorization matrix: {requests} requests, {} private records checked in {} reads, {leaks} leaks",
        fixtures.private_records().len(),
        reads.len()
    );
    assert!(
        failures.is_empty(),
        "{} differences from the access tables:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(300) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
