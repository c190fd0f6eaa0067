//! The dashboard's filters as conditions on the codes that the read models tag their
//! records with, which the store turns into SQL.

use common_models::{Catalogue, KatoCode};

use super::{Filter, RegisteredBody, region_of};

/// The NPOs that the NPO figures count under a filter, and which of their territories
/// and spheres count, as conditions on the KATO and sphere codes of their tags.
///
/// An active NPO counts when its day falls in `year`, when it has a territory that
/// counts if `territories` is present, and when it has a sphere that counts if
/// `spheres` is present. Without `territories` every territory counts, and without
/// `spheres` every sphere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpoSelection {
    pub year: Option<i32>,
    pub territories: Option<TerritoryScope>,
    pub spheres: Option<Vec<String>>,
}

/// Conditions on the KATO code of a territory that counts. Each present one applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryScope {
    /// The codes inside the region of the filter.
    pub region: Option<CodeRange>,
    /// The territory of the body whose figures these are.
    pub body: Option<BodyTerritory>,
    /// The top-level region of every territory that counts. A territory inside another
    /// or containing it shares its first two digits, so the territories inside the
    /// region filter and those where the body works lie in the filter's or the body's
    /// top-level region. When the two differ, no territory counts.
    pub top_region: KatoCode,
}

/// The territories where a territorial body works, as KATO codes: those that contain
/// the body's territory or lie inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyTerritory {
    /// The codes inside the body's territory.
    pub inside: CodeRange,
    /// The body's territory and every territory that contains it, top level first.
    pub containing: Vec<String>,
}

impl BodyTerritory {
    /// Describes where a body of `territory` works.
    pub fn of(territory: &KatoCode) -> Self {
        Self {
            inside: CodeRange::inside(territory),
            containing: containing(territory)
                .iter()
                .map(|code| code.as_str().to_owned())
                .collect(),
        }
    }
}

/// The KATO codes from `first` to `last`, both included, in the order of their digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRange {
    pub first: String,
    pub last: String,
}

impl CodeRange {
    /// Returns the codes of `code` and of the territories inside it: every code of 9
    /// digits that starts with its subtree prefix lies from the prefix followed by
    /// zeros to the prefix followed by nines.
    pub fn inside(code: &KatoCode) -> Self {
        let prefix = code.subtree_prefix();
        Self {
            first: format!("{prefix:0<9}"),
            last: format!("{prefix:9<9}"),
        }
    }
}

/// Returns the valid KATO codes that contain `code`, `code` included, top level first.
///
/// A code contains `code` when `code` starts with its subtree prefix, of 2, 4, 6 or 9
/// digits. So each such code is a prefix of `code` of one of those lengths followed by
/// zeros, and it is one when its own subtree prefix has that length.
pub fn containing(code: &KatoCode) -> Vec<KatoCode> {
    let digits = code.as_str();
    let mut found: Vec<KatoCode> = Vec::new();
    for length in [2, 4, 6, 9] {
        let padded = format!("{:0<9}", &digits[..length]);
        let Ok(candidate) = KatoCode::parse(&padded) else {
            continue;
        };
        if candidate.contains(code) && !found.contains(&candidate) {
            found.push(candidate);
        }
    }
    found
}

impl Filter {
    /// Returns the NPOs and tags that the NPO figures count under this filter. With
    /// `area`, only the NPOs working in that body's territory in one of its spheres
    /// count, as in [`super::npo_figures`].
    pub fn npo_selection(&self, area: Option<&RegisteredBody>) -> NpoSelection {
        let body_territory = area.and_then(|body| body.territory.as_ref());
        let top = self.region.as_ref().or(body_territory);
        let territories = top.map(|top| TerritoryScope {
            region: self.region.as_ref().map(CodeRange::inside),
            body: body_territory.map(BodyTerritory::of),
            top_region: region_of(top),
        });

        let spheres = match (area, self.sphere) {
            (Some(body), sphere) => Some(
                body.spheres
                    .iter()
                    .filter(|own| sphere.is_none_or(|s| s == **own))
                    .map(|own| own.code().to_owned())
                    .collect(),
            ),
            (None, Some(sphere)) => Some(vec![sphere.code().to_owned()]),
            (None, None) => None,
        };

        NpoSelection {
            year: self.year,
            territories,
            spheres,
        }
    }
}

/// The published priorities that the priority figures count under a filter. Each
/// priority has one territory and one sphere, so it counts once in its region and
/// once in its sphere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrioritySelection {
    pub year: Option<i32>,
    /// Government body whose priorities count, or `None` for every body's.
    pub body: Option<String>,
    /// The codes inside the region of the filter.
    pub region: Option<CodeRange>,
    pub sphere: Option<String>,
}

impl Filter {
    /// Returns the published priorities that the priority figures count under this
    /// filter, as in [`super::priority_figures`].
    pub fn priority_selection(&self) -> PrioritySelection {
        PrioritySelection {
            year: self.year,
            body: self.body.clone(),
            region: self.region.as_ref().map(CodeRange::inside),
            sphere: self.sphere.map(|sphere| sphere.code().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use common_models::Sphere;

    use super::*;

    fn kato(code: &str) -> KatoCode {
        KatoCode::parse(code).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn containing_lists_ancestors() {
        let codes = |code: &str| -> Vec<String> {
            containing(&kato(code))
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect()
        };

        assert_eq!(codes("620000000"), ["620000000"]);
        assert_eq!(codes("623800000"), ["620000000", "623800000"]);
        assert_eq!(
            codes("623830100"),
            ["620000000", "623800000", "623830000", "623830100"]
        );
        // A settlement directly under a district has no rural district above it.
        assert_eq!(codes("111600100"), ["110000000", "111600000", "111600100"]);
    }

    #[test]
    fn code_range_spans_subtree() {
        let range = CodeRange::inside(&kato("623800000"));

        assert_eq!(range.first, "623800000");
        assert_eq!(range.last, "623899999");
        assert_eq!(CodeRange::inside(&kato("623830100")).last, "623830100");
        assert_eq!(CodeRange::inside(&kato("750000000")).last, "759999999");
    }

    #[test]
    fn selection_without_filters_requires_nothing() {
        let selection = Filter::default().npo_selection(None);

        assert_eq!(
            selection,
            NpoSelection {
                year: None,
                territories: None,
                spheres: None
            }
        );
    }

    #[test]
    fn selection_of_body_and_sphere() {
        let district = RegisteredBody {
            id: "district".into(),
            territory: Some(kato("623800000")),
            spheres: vec![Sphere::Youth, Sphere::Ecology],
            in_register_since: day("2025-01-01"),
            vacant_since: None,
        };
        let filter = Filter {
            year: Some(2025),
            region: Some(kato("620000000")),
            sphere: Some(Sphere::Ecology),
            body: Some("district".into()),
        };

        let selection = filter.npo_selection(Some(&district));

        assert_eq!(selection.year, Some(2025));
        assert_eq!(selection.spheres, Some(vec!["ecology".to_owned()]));
        let territories = selection.territories.expect("a territorial body");
        assert_eq!(territories.top_region, kato("620000000"));
        assert_eq!(
            territories.region,
            Some(CodeRange::inside(&kato("620000000")))
        );
        let body = territories.body.expect("the body's territory");
        assert_eq!(body.inside, CodeRange::inside(&kato("623800000")));
        assert_eq!(body.containing, ["620000000", "623800000"]);
    }

    #[test]
    fn selection_of_central_body() {
        let central = RegisteredBody {
            id: "ministry".into(),
            territory: None,
            spheres: vec![Sphere::Culture],
            in_register_since: day("2025-01-01"),
            vacant_since: None,
        };
        let filter = Filter {
            sphere: Some(Sphere::Youth),
            ..Filter::default()
        };

        let selection = filter.npo_selection(Some(&central));

        assert_eq!(selection.territories, None);
        assert_eq!(
            selection.spheres,
            Some(Vec::new()),
            "youth is not its sphere"
        );
    }
}
