//! Input limits of every JSON write operation and every list of the platform, found in
//! the OpenAPI documents: body size, unknown and server-owned fields, string lengths,
//! array lengths and page sizes.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::matrix::allowed_caller;
use crate::openapi::{Operation, operations, type_of};
use crate::platform::{Platform, Reply, Who, read};

/// Largest body the platform accepts by default (`LIAISON_BODY_LIMIT`).
const BODY_LIMIT: usize = 1024 * 1024;
/// Maximum characters of a string in a JSON body (`service_kit::extract::MAX_STRING_CHARS`).
const MAX_STRING_CHARS: usize = 50_000;
/// Maximum items of an array in a JSON body (`service_kit::extract::MAX_ARRAY_ITEMS`).
const MAX_ARRAY_ITEMS: usize = 2_000;

/// Fields the server sets on every record it stores. An input type that declares one
/// of them as its own input, such as the `status` an officer sets on an NPO, is listed
/// in the test's output and skipped.
const SERVER_OWNED: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "status",
    "version",
    "etag",
];

/// Write operations with a JSON body.
fn json_writes(operations: &[Operation]) -> Vec<&Operation> {
    operations
        .iter()
        .filter(|op| matches!(op.method, Method::POST | Method::PUT | Method::PATCH))
        .filter(|op| op.json_body().is_some())
        .collect()
}

/// Sends `body` to the operation as a caller its access table lets through (officer A
/// when the table has no row), with placeholder path parameters.
async fn send(platform: &Platform, op: &Operation, body: Vec<u8>) -> Reply {
    let path = op.path_with(|name, schema| op.sample(name, schema));
    let who = allowed_caller(op.service, &op.method, &op.path).unwrap_or(Who::OfficerA);
    let request = platform
        .request(who, op.method.clone(), &path)
        .header("content-type", "application/json")
        .body(body);
    read(request).await
}

/// Returns why `reply` is not a problem of `status` naming `pointer`, if it is not.
fn check_problem(reply: &Reply, status: StatusCode, pointer: Option<&str>) -> Option<String> {
    let pointers: Vec<&str> = reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["pointer"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let named = pointer.is_none_or(|pointer| pointers.contains(&pointer));
    let valid = reply.status == status
        && reply.content_type.as_deref() == Some("application/problem+json")
        && reply.body["status"] == status.as_u16()
        && named;
    (!valid).then(|| {
        let text: String = reply.text.chars().take(300).collect();
        format!(
            "expected {status} naming {pointer:?}, got {} {text}",
            reply.status
        )
    })
}

/// Builds bodies that each put one value made by `leaf` at one place of `schema`,
/// with the JSON pointer of that place. `pick` chooses the places: it returns the
/// value for a schema, or `None` to descend into it.
fn bodies_for(
    op: &Operation,
    schema: &Value,
    pick: &dyn Fn(&Operation, &Value) -> Option<Value>,
    depth: usize,
) -> Vec<(String, Value)> {
    let schema = op.resolve(schema);
    if let Some(value) = pick(op, schema) {
        return vec![(String::new(), value)];
    }
    if depth == 0 {
        return Vec::new();
    }
    let mut bodies = Vec::new();
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            for (pointer, value) in bodies_for(op, property, pick, depth - 1) {
                let mut object = Map::new();
                object.insert(name.clone(), value);
                bodies.push((format!("/{name}{pointer}"), Value::Object(object)));
            }
        }
    } else if type_of(schema) == Some("array") {
        for (pointer, value) in bodies_for(op, &schema["items"], pick, depth - 1) {
            bodies.push((format!("/0{pointer}"), json!([value])));
        }
    }
    bodies
}

/// Picks every string field and puts one character more than the maximum in it.
fn long_string(op: &Operation, schema: &Value) -> Option<Value> {
    let schema = op.resolve(schema);
    let is_string = type_of(schema) == Some("string") || schema["enum"].is_array();
    is_string.then(|| Value::String("ж".repeat(MAX_STRING_CHARS + 1)))
}

/// Picks every array field and puts one item more than the maximum in it.
fn long_array(op: &Operation, schema: &Value) -> Option<Value> {
    let schema = op.resolve(schema);
    if type_of(schema) != Some("array") {
        return None;
    }
    let items = op.resolve(&schema["items"]);
    let item = match type_of(items) {
        Some("object") | None if items["properties"].is_object() => json!({}),
        Some("integer" | "number") => json!(0),
        _ => json!(""),
    };
    Some(Value::Array(vec![item; MAX_ARRAY_ITEMS + 1]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_writes_limited() {
    let mut platform = Platform::start(&[]).await;
    let operations = operations(&platform).await;
    let writes = json_writes(&operations);
    let mut failures = Vec::new();
    let mut declared = Vec::new();
    let mut sent = 0;
    let mut services: Vec<&str> = writes.iter().map(|op| op.service).collect();
    services.dedup();

    for op in &writes {
        let route = format!("{} {} {}", op.service, op.method, op.path);
        let schema = op.json_body().expect("a JSON body");

        let padding = "a".repeat(BODY_LIMIT);
        let oversized = send(
            &platform,
            op,
            format!(r#"{{"padding": "{padding}"}}"#).into_bytes(),
        )
        .await;
        sent += 1;
        if let Some(reason) = check_problem(&oversized, StatusCode::PAYLOAD_TOO_LARGE, None) {
            failures.push(format!("{route}, oversized body: {reason}"));
        }

        let unknown = send(&platform, op, br#"{"zz_unknown_field": 1}"#.to_vec()).await;
        sent += 1;
        let pointer = Some("/zz_unknown_field");
        if let Some(reason) = check_problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, pointer) {
            failures.push(format!("{route}, unknown field: {reason}"));
        }

        for field in SERVER_OWNED {
            if schema["properties"].get(*field).is_some() {
                declared.push(format!("{route}: {field}"));
                continue;
            }
            let body =
                serde_json::to_vec(&json!({ *field: "01a00000-0000-7000-8000-000000000000" }));
            let reply = send(&platform, op, body.expect("a body")).await;
            sent += 1;
            let pointer = format!("/{field}");
            if let Some(reason) =
                check_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some(&pointer))
            {
                failures.push(format!("{route}, server-owned field {field}: {reason}"));
            }
        }

        for (pointer, body) in bodies_for(op, schema, &long_string, 4) {
            let reply = send(&platform, op, serde_json::to_vec(&body).expect("a body")).await;
            sent += 1;
            if let Some(reason) =
                check_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some(&pointer))
            {
                failures.push(format!("{route}, long string at {pointer}: {reason}"));
            }
        }

        for (pointer, body) in bodies_for(op, schema, &long_array, 4) {
            let reply = send(&platform, op, serde_json::to_vec(&body).expect("a body")).await;
            sent += 1;
            if let Some(reason) =
                check_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some(&pointer))
            {
                failures.push(format!("{route}, long array at {pointer}: {reason}"));
            }
        }
    }
    println!(
        "JSON write limits: {sent} requests to {} operations of {}",
        writes.len(),
        services.join(", ")
    );
    println!(
        "server-owned names declared as input fields:\n  {}",
        declared.join("\n  ")
    );

    assert_eq!(
        services.len(),
        crate::openapi::SERVICES.len(),
        "a service has no JSON write"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(platform.process.is_running(), "{}", platform.process.tail());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_sizes_limited() {
    let platform = Platform::start(&[]).await;
    let operations = operations(&platform).await;
    let mut failures = Vec::new();
    let mut lists = 0;

    for op in operations.iter().filter(|op| op.method == Method::GET) {
        let Some(limit) = op
            .parameters("query")
            .into_iter()
            .find(|p| p["name"] == "limit")
        else {
            continue;
        };
        lists += 1;
        let path = op.path_with(|name, schema| op.sample(name, schema));
        let required: Vec<(String, String)> = op
            .parameters("query")
            .into_iter()
            .filter(|p| p["required"] == true && p["name"] != "limit")
            .map(|p| {
                let name = p["name"].as_str().unwrap_or_default();
                (name.to_owned(), op.sample(name, &p["schema"]))
            })
            .collect();
        let who = if op.is_public() {
            Who::Anonymous
        } else {
            Who::Ministry
        };
        let maximum = limit["schema"]["maximum"].as_i64();
        for value in ["0", "-1", "1000001", "99999999999999999999", "ten"] {
            let request = platform
                .request(who, Method::GET, &path)
                .query(&required)
                .query(&[("limit", value)]);
            let reply = read(request).await;
            if let Some(reason) = check_problem(
                &reply,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("#/query/limit"),
            ) {
                failures.push(format!(
                    "GET {path}?limit={value} (maximum {maximum:?}): {reason}"
                ));
            }
        }
    }
    println!("page sizes: {lists} lists, 5 values each");

    assert!(lists > 20, "only {lists} lists have a limit parameter");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
