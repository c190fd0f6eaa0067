//! Cursor pagination: `limit` and `cursor` in, `items` and `next_cursor` out.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::problem::ApiError;

/// Page size when the request names none.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page a request may ask for.
pub const MAX_LIMIT: i64 = 200;

/// Paging parameters of a list request.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl PageParams {
    /// Returns the page size, checked against the bounds.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
            Some(_) => Err(ApiError::field(
                "#/query/limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    /// Decodes the cursor: the sort key of the last item of the previous page.
    pub fn after(&self) -> Result<Option<String>, ApiError> {
        let Some(cursor) = &self.cursor else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|key| !key.is_empty() && !key.chars().any(char::is_control))
            .map(Some)
            .ok_or_else(|| {
                ApiError::field("#/query/cursor", "is not a cursor returned by this API")
            })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` loaded items; the extra one only shows that
    /// another page exists.
    pub fn from_overfetch(mut items: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| URL_SAFE_NO_PAD.encode(key(last)))
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overfetch_sets_cursor() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, ToString::to_string);

        assert_eq!(page.items, vec![1, 2]);
        let params = PageParams {
            limit: None,
            cursor: page.next_cursor,
        };
        assert_eq!(params.after().unwrap().as_deref(), Some("2"));
    }

    #[test]
    fn limit_bounds() {
        assert!(
            PageParams {
                limit: Some(0),
                cursor: None
            }
            .limit()
            .is_err()
        );
        assert!(
            PageParams {
                limit: Some(201),
                cursor: None
            }
            .limit()
            .is_err()
        );
        assert_eq!(PageParams::default().limit().unwrap(), 50);
    }
}
