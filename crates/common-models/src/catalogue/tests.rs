use std::collections::HashSet;
use std::fmt::{Debug, Display};
use std::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::PartialSchema;

use super::*;

/// Letters of the Kazakh Cyrillic alphabet that Russian does not use.
const KAZAKH_LETTERS: &[char] = &[
    'ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'һ', 'і', 'Ә', 'Ғ', 'Қ', 'Ң', 'Ө', 'Ұ', 'Ү', 'Һ', 'І',
];

/// Bounds every catalogue in this module satisfies.
trait TestedCatalogue:
    Catalogue
    + Debug
    + PartialEq
    + Display
    + FromStr<Err = UnknownCode>
    + Serialize
    + DeserializeOwned
    + PartialSchema
{
}

impl<C> TestedCatalogue for C where
    C: Catalogue
        + Debug
        + PartialEq
        + Display
        + FromStr<Err = UnknownCode>
        + Serialize
        + DeserializeOwned
        + PartialSchema
{
}

/// Runs the generic check `$check` once for every catalogue.
macro_rules! for_each_catalogue {
    ($check:ident) => {
        $check::<Sphere>();
        $check::<TargetGroup>();
        $check::<LegalForm>();
        $check::<NpoStatus>();
        $check::<FormOfWork>();
        $check::<InformationSource>();
        $check::<InteractionForm>();
        $check::<InteractionChannel>();
        $check::<NeedsInformationSource>();
        $check::<AssessmentStatus>();
        $check::<RiskLevel>();
        $check::<AssessmentActivityForm>();
        $check::<ParticipantCategory>();
        $check::<ProposalStatus>();
        $check::<ActionStatus>();
        $check::<MeasurementFrequency>();
    };
}

fn assert_codes_unique<C: TestedCatalogue>() {
    let mut seen = HashSet::new();
    for &value in C::all() {
        assert!(
            seen.insert(value.code()),
            "{}: duplicate code {}",
            C::NAME,
            value.code()
        );
    }
}

fn assert_codes_snake_case<C: TestedCatalogue>() {
    for &value in C::all() {
        let code = value.code();
        let well_formed = !code.is_empty()
            && !code.starts_with('_')
            && !code.ends_with('_')
            && !code.contains("__")
            && code.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        assert!(well_formed, "{}: code {code:?} is not snake_case", C::NAME);
    }
}

fn assert_labels_present<C: TestedCatalogue>() {
    for &value in C::all() {
        let labels = value.labels();
        let code = value.code();
        assert!(
            !labels.ru.trim().is_empty(),
            "{}: {code} has no Russian label",
            C::NAME
        );
        assert!(
            !labels.kk.trim().is_empty(),
            "{}: {code} has no Kazakh label",
            C::NAME
        );
        assert!(
            !labels.en.trim().is_empty(),
            "{}: {code} has no English label",
            C::NAME
        );
    }
}

fn assert_label_scripts<C: TestedCatalogue>() {
    for &value in C::all() {
        let labels = value.labels();
        let code = value.code();
        assert!(
            !labels.ru.contains(KAZAKH_LETTERS),
            "{}: Russian label of {code} has Kazakh letters: {}",
            C::NAME,
            labels.ru
        );
        assert!(
            labels
                .ru
                .chars()
                .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c))),
            "{}: Russian label of {code} has no Cyrillic letters: {}",
            C::NAME,
            labels.ru
        );
        assert!(
            labels.en.is_ascii(),
            "{}: English label of {code} is not ASCII: {}",
            C::NAME,
            labels.en
        );
    }
}

fn assert_kazakh_letters_used<C: TestedCatalogue>() {
    let with_kazakh_letters = C::all()
        .iter()
        .filter(|value| value.labels().kk.contains(KAZAKH_LETTERS))
        .count();
    assert!(
        with_kazakh_letters > 0,
        "{}: no Kazakh label uses Kazakh letters",
        C::NAME
    );
}

fn assert_serde_uses_code<C: TestedCatalogue>() {
    for &value in C::all() {
        let json = serde_json::to_value(value).unwrap();
        assert_eq!(json, serde_json::Value::from(value.code()), "{}", C::NAME);
        let back: C = serde_json::from_value(json).unwrap();
        assert_eq!(back, value, "{}", C::NAME);
    }
}

fn assert_from_code_round_trips<C: TestedCatalogue>() {
    for &value in C::all() {
        assert_eq!(C::from_code(value.code()), Some(value), "{}", C::NAME);
        assert_eq!(value.code().parse::<C>(), Ok(value), "{}", C::NAME);
        assert_eq!(value.to_string(), value.code(), "{}", C::NAME);
    }
    assert_eq!(C::from_code("no_such_code"), None, "{}", C::NAME);
}

fn assert_schema_lists_codes<C: TestedCatalogue>() {
    let schema = serde_json::to_value(C::schema()).unwrap();
    let listed: Vec<&str> = schema["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: schema has no enum: {schema}", C::NAME))
        .iter()
        .map(|code| code.as_str().unwrap())
        .collect();
    let codes: Vec<&str> = C::all().iter().map(|value| value.code()).collect();
    assert_eq!(listed, codes, "{}", C::NAME);
}

fn assert_entries_match_all<C: TestedCatalogue>() {
    let listed = entries::<C>();
    assert_eq!(listed.len(), C::all().len(), "{}", C::NAME);
    for (entry, &value) in listed.iter().zip(C::all()) {
        assert_eq!(entry.code, value.code(), "{}", C::NAME);
        assert_eq!(entry.labels, value.labels(), "{}", C::NAME);
    }
}

#[test]
fn codes_are_unique() {
    for_each_catalogue!(assert_codes_unique);
}

#[test]
fn codes_are_snake_case() {
    for_each_catalogue!(assert_codes_snake_case);
}

#[test]
fn labels_are_present() {
    for_each_catalogue!(assert_labels_present);
}

#[test]
fn labels_use_expected_scripts() {
    for_each_catalogue!(assert_label_scripts);
}

#[test]
fn kazakh_labels_use_kazakh_letters() {
    for_each_catalogue!(assert_kazakh_letters_used);
}

#[test]
fn serde_name_equals_code() {
    for_each_catalogue!(assert_serde_uses_code);
}

#[test]
fn from_code_round_trips() {
    for_each_catalogue!(assert_from_code_round_trips);
}

#[test]
fn schema_lists_codes() {
    for_each_catalogue!(assert_schema_lists_codes);
}

#[test]
fn entries_match_all() {
    for_each_catalogue!(assert_entries_match_all);
}

#[test]
fn catalogue_names_are_unique() {
    let names = [
        Sphere::NAME,
        TargetGroup::NAME,
        LegalForm::NAME,
        NpoStatus::NAME,
        FormOfWork::NAME,
        InformationSource::NAME,
        InteractionForm::NAME,
        InteractionChannel::NAME,
        NeedsInformationSource::NAME,
        AssessmentStatus::NAME,
        RiskLevel::NAME,
        AssessmentActivityForm::NAME,
        ParticipantCategory::NAME,
        ProposalStatus::NAME,
        ActionStatus::NAME,
        MeasurementFrequency::NAME,
    ];
    let unique: HashSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len());
}

#[test]
fn from_str_error_names_catalogue() {
    let error = "x".parse::<Sphere>().unwrap_err();
    assert_eq!(
        error,
        UnknownCode {
            catalogue: "sphere",
            code: "x".to_owned(),
        }
    );
    assert!(
        error.to_string().starts_with("unknown sphere code 'x'"),
        "message was {error}"
    );
    let error = "x".parse::<TargetGroup>().unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("unknown target group code 'x'"),
        "message was {error}"
    );
}

#[test]
fn from_code_is_exact() {
    assert_eq!(Sphere::from_code("Education"), None);
    assert_eq!(Sphere::from_code(" education"), None);
    assert_eq!(Sphere::from_code(""), None);
}

#[test]
fn deserialize_rejects_unknown_code() {
    assert!(serde_json::from_str::<Sphere>("\"astrology\"").is_err());
}

#[test]
fn needs_source_primary_split() {
    let primary: Vec<&str> = NeedsInformationSource::all()
        .iter()
        .filter(|source| source.is_primary())
        .map(|source| source.code())
        .collect();
    assert_eq!(primary, ["npo_meetings", "own_studies", "npo_proposals"]);
    assert!(!NeedsInformationSource::Media.is_primary());
    assert!(!NeedsInformationSource::Studies.is_primary());
}

#[test]
fn entry_serialises_code_and_labels() {
    let entry = &entries::<NpoStatus>()[0];
    let json = serde_json::to_value(entry).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "code": "active",
            "labels": {"ru": "Действующая", "kk": "Жұмыс істеп тұрған", "en": "Active"}
        })
    );
}
