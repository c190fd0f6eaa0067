//! The operations of every service, read from the OpenAPI documents the running
//! platform serves, and the values the generated requests put in their parameters.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::Method;
use serde_json::Value;

use crate::platform::{Platform, Who};

/// Services whose documents the platform serves at `/openapi/<service>.json`.
pub const SERVICES: &[&str] = &[
    "registry",
    "needs",
    "joint-actions",
    "recommendations",
    "aggregation",
    "notifier",
];

/// One operation of a service's document.
#[derive(Debug, Clone)]
pub struct Operation {
    pub service: &'static str,
    pub method: Method,
    /// Path template, such as `/v1/npos/{id}`.
    pub path: String,
    /// The operation object.
    pub spec: Value,
    /// The whole document, for `$ref` lookups.
    pub document: Arc<Value>,
}

impl Operation {
    /// Returns the parameters of the operation in `location` (`query` or `path`).
    pub fn parameters(&self, location: &str) -> Vec<&Value> {
        self.spec["parameters"]
            .as_array()
            .map(|all| all.iter().filter(|p| p["in"] == location).collect())
            .unwrap_or_default()
    }

    /// Returns whether the operation can be called without a token.
    pub fn is_public(&self) -> bool {
        self.spec
            .get("security")
            .and_then(Value::as_array)
            .is_none_or(|requirements| {
                requirements
                    .iter()
                    .any(|r| r.as_object().is_some_and(|r| r.is_empty()))
            })
    }

    /// Returns the schema of a JSON request body, resolved, when the operation has one.
    pub fn json_body(&self) -> Option<&Value> {
        let content = self.spec["requestBody"]["content"].as_object()?;
        let (_, media) = content
            .iter()
            .find(|(media_type, _)| media_type.ends_with("json"))?;
        Some(self.resolve(&media["schema"]))
    }

    /// Follows a `$ref`, and picks the object or array variant of a nullable `oneOf`.
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.trim_start_matches("#/components/schemas/");
            return self.resolve(&self.document["components"]["schemas"][name]);
        }
        for combinator in ["oneOf", "anyOf", "allOf"] {
            if let Some(variants) = schema[combinator].as_array()
                && let Some(variant) = variants.iter().find(|v| v["type"] != "null")
            {
                return self.resolve(variant);
            }
        }
        schema
    }

    /// Returns the URL path with each path parameter replaced by `value(name, schema)`,
    /// percent-encoded.
    pub fn path_with(&self, mut value: impl FnMut(&str, &Value) -> String) -> String {
        let mut path = self.path.clone();
        for parameter in self.parameters("path") {
            let name = parameter["name"].as_str().unwrap_or_default();
            let schema = self.resolve(&parameter["schema"]);
            let encoded = encode_segment(&value(name, schema));
            path = path.replace(&format!("{{{name}}}"), &encoded);
        }
        path
    }

    /// Returns a value that passes the checks of a parameter's type: the first value
    /// of an enum, a date, a year, a number, a boolean or a word.
    pub fn sample(&self, name: &str, schema: &Value) -> String {
        let schema = self.resolve(schema);
        if name == "service" {
            return "registry".into();
        }
        if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
            return first
                .as_str()
                .map_or_else(|| first.to_string(), str::to_owned);
        }
        match (type_of(schema), schema["format"].as_str()) {
            (Some("integer"), _) if name.contains("year") || name == "from" || name == "to" => {
                "2026".into()
            }
            (Some("integer" | "number"), _) => "1".into(),
            (Some("boolean"), _) => "true".into(),
            (_, Some("date")) => "2026-01-15".into(),
            _ => "01a00000-0000-7000-8000-000000000000".into(),
        }
    }
}

/// Returns the type of a schema, ignoring `null` in a list of types.
pub fn type_of(schema: &Value) -> Option<&str> {
    match &schema["type"] {
        Value::String(kind) => Some(kind),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null"),
        _ => None,
    }
}

/// Percent-encodes every byte of a path segment except the unreserved characters of
/// RFC 3986.
pub fn encode_segment(value: &str) -> String {
    let mut encoded = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Reads every service's document from the platform and returns its operations. The
/// platform routes that every document lists appear once.
pub async fn operations(platform: &Platform) -> Vec<Operation> {
    let mut operations = Vec::new();
    let mut seen = HashSet::new();
    for service in SERVICES {
        let document = platform
            .get(Who::Anonymous, &format!("/openapi/{service}.json"))
            .await
            .ok(&format!("the {service} document"));
        let document = Arc::new(document);
        let paths = document["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, spec) in item {
                let Ok(method) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                if !seen.insert((method.clone(), path.clone())) {
                    continue;
                }
                operations.push(Operation {
                    service,
                    method,
                    path: path.clone(),
                    spec: spec.clone(),
                    document: document.clone(),
                });
            }
        }
    }
    operations
}
