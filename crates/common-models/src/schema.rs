//! OpenAPI schemas for identifiers that travel as strings of digits.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// Builds a string schema with exactly `digits` ASCII digits, one example and a
/// description.
pub(crate) fn digit_string_schema(
    digits: usize,
    example: &str,
    description: &str,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^[0-9]{{{digits}}}$")))
        .min_length(Some(digits))
        .max_length(Some(digits))
        .examples([example])
        .description(Some(description))
        .into()
}
