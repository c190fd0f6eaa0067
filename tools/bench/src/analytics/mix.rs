//! The requests of the analytics scenario: the endpoints of the dashboard and the mix
//! of filters each one is sent with.

use aggregation::domain::analytics::Filter;
use anyhow::Context;
use common_models::{Catalogue, KatoCode, Sphere};

use super::seed;
use crate::generate::Rng;

/// Region filters: eight regions, among them the three cities of republican
/// significance, and two districts.
const REGIONS: &[&str] = &[
    "750000000",
    "710000000",
    "620000000",
    "790000000",
    "350000000",
    "610000000",
    "630000000",
    "100000000",
    "623800000",
    "111600000",
];

/// Years of the year filter, and of the annual reports.
const YEARS: std::ops::RangeInclusive<i32> = seed::FIRST_YEAR..=seed::LAST_YEAR;
const REPORT_YEARS: std::ops::RangeInclusive<i32> = 2020..=seed::LAST_YEAR;

/// Rules of the compliance filter.
const RULES: &[&str] = &["needs_assessment", "reception", "recommendation_feedback"];

/// An endpoint of the national dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Endpoint {
    Npos,
    Priorities,
    JointActions,
    Recommendations,
    AnnualReports,
    Compliance,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Self::Npos => "/v1/analytics/npos",
            Self::Priorities => "/v1/analytics/priorities",
            Self::JointActions => "/v1/analytics/joint-actions",
            Self::Recommendations => "/v1/analytics/recommendations",
            Self::AnnualReports => "/v1/analytics/annual-reports",
            Self::Compliance => "/v1/analytics/compliance",
        }
    }

    /// Returns the filter combinations of the mix, each as likely as the others,
    /// among those the endpoint takes.
    fn mix(self) -> &'static [Mix] {
        match self {
            Self::Npos | Self::Priorities | Self::JointActions | Self::Recommendations => &[
                Mix::None,
                Mix::Year,
                Mix::Region,
                Mix::Sphere,
                Mix::RegionAndSphere,
                Mix::Body,
            ],
            Self::AnnualReports => &[
                Mix::None,
                Mix::Year,
                Mix::Region,
                Mix::Sphere,
                Mix::RegionAndSphere,
            ],
            Self::Compliance => &[Mix::None, Mix::Region, Mix::Body, Mix::Rule],
        }
    }
}

/// The filters that one request of the mix sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mix {
    None,
    Year,
    Region,
    Sphere,
    RegionAndSphere,
    Body,
    Rule,
}

/// The filters of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub year: Option<i32>,
    pub region: Option<&'static str>,
    pub sphere: Option<&'static str>,
    pub body: Option<String>,
    pub rule: Option<&'static str>,
}

impl Query {
    /// Returns the query string, without `?`, with the parameters in a fixed order.
    pub fn query_string(&self) -> String {
        let pairs: Vec<String> = [
            self.year.map(|year| format!("year={year}")),
            self.region.map(|region| format!("region={region}")),
            self.sphere.map(|sphere| format!("sphere={sphere}")),
            self.body.as_ref().map(|body| format!("body={body}")),
            self.rule.map(|rule| format!("rule={rule}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        pairs.join("&")
    }

    /// Returns the dashboard filter of the query, as the endpoint parses it.
    pub fn filter(&self) -> anyhow::Result<Filter> {
        Ok(Filter {
            year: self.year,
            region: self.region.map(KatoCode::parse).transpose()?,
            sphere: self
                .sphere
                .map(|code| Sphere::from_code(code).context("a sphere of the catalogue"))
                .transpose()?,
            body: self.body.clone(),
        })
    }
}

/// Returns `count` requests of `endpoint`, taking the combinations of its mix in turn
/// and the years, regions, spheres, bodies and rules at random.
pub fn query_mix(endpoint: Endpoint, bodies: &[String], count: usize, seed: u64) -> Vec<Query> {
    let mut rng = Rng::new(seed);
    let years: Vec<i32> = match endpoint {
        Endpoint::AnnualReports => REPORT_YEARS.collect(),
        _ => YEARS.collect(),
    };
    let spheres: Vec<&'static str> = Sphere::all().iter().map(|s| s.code()).collect();
    let mix = endpoint.mix();
    (0..count)
        .map(|index| {
            let mut query = Query::default();
            match mix[index % mix.len()] {
                Mix::None => {}
                Mix::Year => query.year = Some(*rng.pick(&years)),
                Mix::Region => query.region = Some(*rng.pick(REGIONS)),
                Mix::Sphere => query.sphere = Some(*rng.pick(&spheres)),
                Mix::RegionAndSphere => {
                    query.region = Some(*rng.pick(REGIONS));
                    query.sphere = Some(*rng.pick(&spheres));
                }
                Mix::Body => query.body = Some(rng.pick(bodies).clone()),
                Mix::Rule => query.rule = Some(*rng.pick(RULES)),
            }
            query
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Classifier;

    fn bodies() -> Vec<String> {
        vec!["ministry-of-health".into(), "akimat-620000000".into()]
    }

    #[test]
    fn mix_takes_combinations_in_turn() {
        let queries = query_mix(Endpoint::Npos, &bodies(), 12, 1);

        assert_eq!(queries[0], Query::default());
        assert!(queries[1].year.is_some());
        assert!(queries[1].region.is_none());
        assert!(queries[2].region.is_some());
        assert!(queries[2].sphere.is_none());
        assert!(queries[3].sphere.is_some());
        assert!(queries[3].region.is_none());
        assert!(queries[4].region.is_some());
        assert!(queries[4].sphere.is_some());
        assert!(queries[5].body.is_some());
        assert_eq!(queries[6], Query::default());
    }

    #[test]
    fn mix_sends_only_accepted_filters() {
        for query in query_mix(Endpoint::Compliance, &bodies(), 40, 2) {
            assert!(query.year.is_none(), "{query:?}");
            assert!(query.sphere.is_none(), "{query:?}");
        }
        for query in query_mix(Endpoint::AnnualReports, &bodies(), 40, 3) {
            assert!(query.body.is_none(), "{query:?}");
            assert!(query.rule.is_none(), "{query:?}");
            assert!(query.year.is_none_or(|year| REPORT_YEARS.contains(&year)));
        }
    }

    #[test]
    fn query_string_orders_parameters() {
        let query = Query {
            year: Some(2024),
            region: Some("620000000"),
            sphere: Some("youth"),
            body: Some("akimat-620000000".into()),
            rule: None,
        };

        assert_eq!(
            query.query_string(),
            "year=2024&region=620000000&sphere=youth&body=akimat-620000000"
        );
        assert_eq!(Query::default().query_string(), "");
    }

    #[test]
    fn query_parses_into_filter() {
        let query = Query {
            region: Some("623800000"),
            sphere: Some("ecology"),
            ..Query::default()
        };

        let filter = query.filter().unwrap();

        assert_eq!(filter.region.unwrap().as_str(), "623800000");
        assert_eq!(filter.sphere, Some(Sphere::Ecology));
        assert_eq!(filter.year, None);
    }

    #[test]
    fn regions_are_in_classifier() {
        let classifier = Classifier::parse(registry::territories::BUNDLED_KATO).unwrap();
        let regions: Vec<&str> = REGIONS
            .iter()
            .filter(|r| r.ends_with("0000000"))
            .copied()
            .collect();

        for region in regions {
            assert!(classifier.regions().iter().any(|r| r == region), "{region}");
        }
    }
}
