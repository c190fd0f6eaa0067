//! Request extractors: JSON bodies with field-level errors, `If-Match`, and
//! `Idempotency-Key`.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::problem::{ApiError, FieldError};

/// Maximum characters of any string in a JSON body. The longest text field of the
/// platform, the minutes of a meeting, takes 50,000; each field also checks a maximum
/// of its own, which is usually lower.
pub const MAX_STRING_CHARS: usize = 50_000;

/// Maximum items of any array in a JSON body. The longest list field, the government
/// bodies an information request is addressed to, takes 2,000.
pub const MAX_ARRAY_ITEMS: usize = 2_000;

/// Maximum characters of an object key in a JSON body. The platform's field names are
/// far shorter, and the error that rejects an unknown key repeats the key.
pub const MAX_KEY_CHARS: usize = 100;

/// Maximum request body in bytes, set once for the whole application.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body decoded into `T`, with the raw bytes kept for idempotency hashing.
///
/// Syntax errors return 400 and invalid values 422, each naming the field as a JSON
/// pointer. Unknown fields are rejected where `T` denies them.
#[derive(Debug)]
pub struct ValidJson<T> {
    pub value: T,
    pub raw: web::Bytes,
}

/// Reads the request body up to the configured limit.
pub async fn read_body(req: &HttpRequest, payload: &mut Payload) -> Result<web::Bytes, ApiError> {
    let limit = req
        .app_data::<BodyLimit>()
        .map_or(1024 * 1024, |limit| limit.0);
    read_body_within(req, payload, limit).await
}

/// Reads the request body, failing with 413 when it exceeds `limit` bytes. A
/// `Content-Length` above the limit fails before any of the body is read.
pub async fn read_body_within(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && length > limit
    {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("reading the body failed: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Decodes a JSON object into `T`, turning serde's error into a field error with a
/// pointer. Trailing data after the object is a syntax error. A leading UTF-8 byte
/// order mark, which some Windows tools write, is skipped, as RFC 8259 allows.
// NOTE: serde's derived structs also accept a JSON array of the field values. Only the
// top level is required to be an object here; nested values still pass every check of
// the input type.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(syntax_error("/", "the body must be a JSON object".into()));
    }
    check_sizes(bytes)?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let mut pointer = pointer_of(error.path());
        let inner = error.into_inner();
        let message = inner.to_string();
        if let Some(field) = quoted_field(&message, "unknown field `")
            .or_else(|| quoted_field(&message, "missing field `"))
            .or_else(|| quoted_field(&message, "duplicate field `"))
        {
            let last = format!("/{}", escape(field));
            if !pointer.ends_with(&last) {
                pointer = format!("{}{last}", pointer.trim_end_matches('/'));
            }
        }
        let message = strip_position(&message);
        if inner.is_syntax() || inner.is_eof() {
            syntax_error(&pointer, format!("the body is not valid JSON: {message}"))
        } else {
            ApiError::field(pointer, message)
        }
    })?;
    deserializer.end().map_err(|e| {
        syntax_error(
            "/",
            format!(
                "the body is not valid JSON: {}",
                strip_position(&e.to_string())
            ),
        )
    })?;
    Ok(value)
}

/// Fails with 422 at the first string, array or object key of `bytes` that exceeds
/// `MAX_STRING_CHARS`, `MAX_ARRAY_ITEMS` or `MAX_KEY_CHARS`, whatever the input type,
/// so that no field takes megabytes before its own check. Syntax errors pass, because
/// the typed decoding reports them with the field they belong to.
fn check_sizes(bytes: &[u8]) -> Result<(), ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, SizeCheck>(&mut deserializer) {
        Ok(SizeCheck) => Ok(()),
        Err(error) => {
            let pointer = pointer_of(error.path());
            let inner = error.into_inner();
            if inner.is_data() {
                Err(ApiError::field(pointer, strip_position(&inner.to_string())))
            } else {
                Ok(())
            }
        }
    }
}

/// Any JSON value, read only to check the sizes of its strings, arrays and keys.
struct SizeCheck;

impl<'de> serde::Deserialize<'de> for SizeCheck {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SizeCheck)
    }
}

impl<'de> serde::de::Visitor<'de> for SizeCheck {
    type Value = Self;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self, E> {
        // The byte length bounds the character count, so most strings skip the count.
        if value.len() > MAX_STRING_CHARS {
            let length = value.chars().count();
            if length > MAX_STRING_CHARS {
                return Err(E::custom(format!(
                    "must be at most {MAX_STRING_CHARS} characters, found {length}"
                )));
            }
        }
        Ok(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        let mut items = 0;
        while seq.next_element::<SizeCheck>()?.is_some() {
            items += 1;
            if items > MAX_ARRAY_ITEMS {
                return Err(serde::de::Error::custom(format!(
                    "must have at most {MAX_ARRAY_ITEMS} items"
                )));
            }
        }
        Ok(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key.chars().count() > MAX_KEY_CHARS {
                return Err(serde::de::Error::custom(format!(
                    "has a field name longer than {MAX_KEY_CHARS} characters"
                )));
            }
            map.next_value::<SizeCheck>()?;
        }
        Ok(self)
    }
}

fn syntax_error(pointer: &str, message: String) -> ApiError {
    ApiError::Validation {
        status: actix_web::http::StatusCode::BAD_REQUEST,
        errors: vec![FieldError::new(pointer, message)],
    }
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } => pointer.push_str(&escape(key)),
            Segment::Enum { variant } => pointer.push_str(&escape(variant)),
            Segment::Unknown => pointer.push('?'),
        }
    }
    if pointer.is_empty() {
        "/".to_owned()
    } else {
        pointer
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn quoted_field<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            check_json_media_type(&content_type)?;
            let encoding = req
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase());
            if encoding.is_some_and(|e| e != "identity") {
                return Err(ApiError::UnsupportedMediaType(
                    "compressed request bodies are not accepted; send the JSON uncompressed".into(),
                ));
            }
            let raw = read_body(&req, &mut payload).await?;
            let value = decode_json(&raw)?;
            Ok(Self { value, raw })
        })
    }
}

/// Deserializes a field that may be absent (outer `None`), `null` (`Some(None)`) or a
/// value, for JSON merge-patch bodies. Use with `#[serde(default)]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Query parameters decoded into `T`; an invalid or unknown parameter is a 422 that
/// names it as `#/query/<name>`.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T> ValidQuery<T> {
    /// Returns the decoded parameters.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ValidQuery<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Decodes a query string into `T`, naming the offending parameter on failure.
pub fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        let name = quoted_field(&message, "unknown field `")
            .or_else(|| quoted_field(&message, "missing field `"))
            .or_else(|| quoted_field(&message, "duplicate field `"))
            .map(str::to_owned)
            .or_else(|| (path != ".").then_some(path))
            .unwrap_or_default();
        let pointer = if name.is_empty() {
            "#/query".to_owned()
        } else {
            format!("#/query/{name}")
        };
        ApiError::field(pointer, message)
    })
}

impl<T: DeserializeOwned> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(decode_query(req.query_string()).map(Self))
    }
}

/// Accepts `application/json` and other `+json` types in UTF-8; JSON has no other
/// encoding (RFC 8259).
fn check_json_media_type(content_type: &str) -> Result<(), ApiError> {
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("");
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    let utf8 = parts
        .filter_map(|p| p.strip_prefix("charset="))
        .all(|charset| charset.trim_matches('"') == "utf-8");
    if json && utf8 {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "the body must be application/json in UTF-8".into(),
        ))
    }
}

/// The `If-Match` header of an update.
#[derive(Debug, Clone)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// Fails unless the header names the current version: 428 when it is missing,
    /// 412 when it is stale.
    pub fn check(&self, current_etag: &str) -> Result<(), ApiError> {
        let Some(value) = &self.0 else {
            return Err(ApiError::PreconditionRequired);
        };
        // If-Match uses the strong comparison (RFC 9110, 13.1.1): weak tags never match.
        let matches = value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == current_etag);
        if matches {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed)
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A header that is not ASCII matches no ETag, but it was sent, so it is kept.
        let value = req
            .headers()
            .get(header::IF_MATCH)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        std::future::ready(Ok(Self(value)))
    }
}

/// Formats the strong ETag of a record at `version`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The `Idempotency-Key` header of a creating POST.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get("idempotency-key") {
            None => Ok(Self(None)),
            Some(value) => match value.to_str() {
                Ok(key)
                    if !key.is_empty()
                        && key.len() <= 255
                        && key.chars().all(|c| c.is_ascii_graphic()) =>
                {
                    Ok(Self(Some(key.to_owned())))
                }
                _ => Err(ApiError::Validation {
                    status: actix_web::http::StatusCode::BAD_REQUEST,
                    errors: vec![FieldError::new(
                        "#/header/idempotency-key",
                        "must be 1 to 255 visible ASCII characters",
                    )],
                }),
            },
        };
        std::future::ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        items: Vec<u8>,
    }

    #[test]
    fn wrong_type_names_pointer() {
        let error = decode_json::<Sample>(br#"{"name": "x", "items": [1, "a"]}"#).unwrap_err();

        let problem = error.problem();

        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].pointer, "/items/1");
    }

    #[test]
    fn unknown_field_names_pointer() {
        let error = decode_json::<Sample>(br#"{"name": "x", "items": [], "id": 1}"#).unwrap_err();

        assert_eq!(error.problem().errors[0].pointer, "/id");
    }

    #[test]
    fn trailing_data_is_400() {
        let error =
            decode_json::<Sample>(br#"{"name": "x", "items": []} {"name": "y"}"#).unwrap_err();

        assert_eq!(error.problem().status, 400);
    }

    #[test]
    fn byte_order_mark_skipped() {
        let decoded = decode_json::<Sample>(b"\xEF\xBB\xBF{\"name\": \"x\", \"items\": []}");

        assert_eq!(decoded.unwrap().name, "x");
    }

    #[test]
    fn array_body_is_400() {
        let error = decode_json::<Sample>(br#"["x", []]"#).unwrap_err();

        assert_eq!(error.problem().status, 400);
    }

    #[test]
    fn missing_field_names_pointer() {
        let error = decode_json::<Sample>(br#"{"name": "x"}"#).unwrap_err();

        assert_eq!(error.problem().errors[0].pointer, "/items");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Filters {
        limit: Option<i64>,
        q: Option<String>,
    }

    #[test]
    fn query_errors_name_parameter() {
        let wrong_type = decode_query::<Filters>("limit=abc").unwrap_err();
        let unknown = decode_query::<Filters>("q=x&color=red").unwrap_err();

        assert_eq!(wrong_type.problem().errors[0].pointer, "#/query/limit");
        assert_eq!(unknown.problem().errors[0].pointer, "#/query/color");
        assert_eq!(
            decode_query::<Filters>("q=%D2%B1").unwrap().q.as_deref(),
            Some("ұ")
        );
    }

    #[test]
    fn media_types() {
        assert!(check_json_media_type("application/json").is_ok());
        assert!(check_json_media_type("application/json; charset=utf-8").is_ok());
        assert!(check_json_media_type("application/merge-patch+json").is_ok());
        assert!(check_json_media_type("application/json; charset=latin1").is_err());
        assert!(check_json_media_type("text/plain").is_err());
    }

    #[test]
    fn long_string_names_pointer() {
        let long = "қ".repeat(MAX_STRING_CHARS + 1);
        let body = format!(r#"{{"name": "x", "items": [], "nested": [{{"text": "{long}"}}]}}"#);

        let error = decode_json::<serde_json::Value>(body.as_bytes()).unwrap_err();
        let problem = error.problem();

        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].pointer, "/nested/0/text");
        assert!(
            problem.errors[0]
                .message
                .contains("at most 50000 characters")
        );
    }

    #[test]
    fn string_at_maximum_accepted() {
        let body = format!(
            r#"{{"name": "{}", "items": []}}"#,
            "қ".repeat(MAX_STRING_CHARS)
        );

        assert!(decode_json::<Sample>(body.as_bytes()).is_ok());
    }

    #[test]
    fn long_array_names_pointer() {
        let items = vec!["1"; MAX_ARRAY_ITEMS + 1].join(",");
        let body = format!(r#"{{"name": "x", "items": [{items}]}}"#);

        let error = decode_json::<Sample>(body.as_bytes()).unwrap_err();

        assert_eq!(error.problem().status, 422);
        assert_eq!(error.problem().errors[0].pointer, "/items");
    }

    #[test]
    fn long_key_rejected() {
        let body = format!(r#"{{"name": "x", "items": [], "{}": 1}}"#, "k".repeat(5000));

        let error = decode_json::<Sample>(body.as_bytes()).unwrap_err();
        let problem = error.problem();

        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].pointer, "/");
        assert!(
            problem.errors[0].message.len() < 200,
            "the key is not echoed"
        );
    }

    #[test]
    fn syntax_error_is_400() {
        let error = decode_json::<Sample>(br#"{"name": "#).unwrap_err();

        assert_eq!(error.problem().status, 400);
    }

    #[test]
    fn if_match_checks() {
        assert!(IfMatch(None).check("\"1\"").is_err());
        assert!(IfMatch(Some("\"1\"".into())).check("\"1\"").is_ok());
        assert!(IfMatch(Some("W/\"1\"".into())).check("\"1\"").is_err());
        assert!(IfMatch(Some("\"2\"".into())).check("\"1\"").is_err());
    }
}
