//! Types and rules of the register of government bodies, officer positions and
//! appointments, officers' public profiles, the ministry's requests for express
//! information and the schedule of meetings of the bodies' heads with NPOs. Nothing
//! here touches the database or HTTP.

pub mod analytics;
pub mod bodies;
pub mod compliance;
pub mod head_meetings;
pub mod information_requests;
pub mod officers;
pub mod positions;
pub mod profiles;
pub mod reports;

pub use service_kit::validate::{
    Errors, email, multiline_text, parse_code, parse_date, phone, present, text,
};

/// Implements [`common_models::Catalogue`] for a fieldless enum whose serde names are
/// the codes listed here.
macro_rules! codes {
    ($name:ident as $catalogue:literal { $($variant:ident = $code:literal { $ru:literal, $kk:literal, $en:literal }),+ $(,)? }) => {
        impl common_models::Catalogue for $name {
            const NAME: &'static str = $catalogue;

            fn all() -> &'static [Self] {
                &[$(Self::$variant),+]
            }

            fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code),+
                }
            }

            fn labels(self) -> common_models::Labels {
                match self {
                    $(Self::$variant => common_models::Labels { ru: $ru, kk: $kk, en: $en }),+
                }
            }

            fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use codes;

/// Checks a required one-line text at `pointer`, recording "is required" when blank.
pub fn required_line(errors: &mut Errors, pointer: &str, raw: &str, max: usize) -> Option<String> {
    let value = errors.check(pointer, text(Some(raw), max)).flatten();
    if value.is_none() && !errors.has(pointer) {
        errors.add(pointer, "is required");
    }
    value
}
