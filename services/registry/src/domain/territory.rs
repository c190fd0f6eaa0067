//! Territories of the KATO classifier.

use serde::Serialize;
use utoipa::ToSchema;

/// One territory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Territory {
    /// 9-digit KATO code.
    #[schema(example = "620000000")]
    pub code: String,
    pub name_ru: String,
    /// Kazakh name, where the classifier edition carries one.
    pub name_kk: Option<String>,
    pub parent_code: Option<String>,
    /// 1 region or city of republican significance, 2 district or city, 3 rural
    /// district, 4 settlement.
    pub level: i32,
}
