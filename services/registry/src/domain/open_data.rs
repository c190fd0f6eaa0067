//! The open-data record of an NPO: its public fields as one flat row of the CSV and
//! JSON exports. Key staff and contacts are personal data and never part of it.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::Catalogue;
use serde::Serialize;
use utoipa::ToSchema;

use super::npo::NpoRecord;

/// Column names of the CSV export, in order; the JSON export uses the same names.
pub const CSV_COLUMNS: [&str; 19] = [
    "id",
    "bin",
    "name_ru",
    "name_kk",
    "legal_form",
    "legal_form_ru",
    "status",
    "status_ru",
    "registered_on",
    "founded_on",
    "oked",
    "legal_address",
    "territories",
    "spheres",
    "target_groups",
    "forms_of_work",
    "web_resources",
    "work_products",
    "updated_at",
];

/// Separator of the values of a list column in the CSV export.
pub const CSV_LIST_SEPARATOR: &str = ";";

/// One NPO in the open-data exports. The CSV export has one column per field, in the
/// order its route documents, and writes an absent value as an empty cell. The JSON
/// export has one object per NPO with the same names, `null` for an absent value and
/// arrays for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpenDataNpo {
    /// Registry id of the NPO, a UUID; stable, and the key of `/v1/npos/{id}`.
    #[schema(example = "0190c1c8-4c2a-7d31-8e6b-3f1f2a0b9c11")]
    pub id: String,
    /// Business identification number (BIN), 12 digits; absent when not known.
    #[schema(example = "940140000385")]
    pub bin: Option<String>,
    /// Name in Russian; absent when the NPO has only a Kazakh name.
    pub name_ru: Option<String>,
    /// Name in Kazakh, in Cyrillic script; absent when the NPO has only a Russian name.
    pub name_kk: Option<String>,
    /// Code of the legal form, from the `legal_form` catalogue.
    #[schema(example = "public_association")]
    pub legal_form: String,
    /// Russian label of the legal form.
    #[schema(example = "Общественное объединение")]
    pub legal_form_ru: String,
    /// Code of the status in the registry, from the `npo_status` catalogue.
    #[schema(example = "active")]
    pub status: String,
    /// Russian label of the status.
    pub status_ru: String,
    /// Date of state registration, YYYY-MM-DD; absent when not known.
    pub registered_on: Option<NaiveDate>,
    /// Date of foundation, YYYY-MM-DD; absent when not known.
    pub founded_on: Option<NaiveDate>,
    /// Main activity code of the OKED classifier, digits only; absent when not known.
    #[schema(example = "94990")]
    pub oked: Option<String>,
    /// Legal address as registered; absent when not known.
    pub legal_address: Option<String>,
    /// KATO codes (9 digits) of the territories the NPO works in. In CSV, joined with
    /// `;`.
    #[schema(example = json!(["620000000"]))]
    pub territories: Vec<String>,
    /// Codes of the spheres of activity, from the `sphere` catalogue. In CSV, joined
    /// with `;`.
    #[schema(example = json!(["youth", "ecology"]))]
    pub spheres: Vec<String>,
    /// Codes of the target groups, from the `target_group` catalogue. In CSV, joined
    /// with `;`.
    pub target_groups: Vec<String>,
    /// Codes of the forms of work, from the `form_of_work` catalogue. In CSV, joined
    /// with `;`.
    pub forms_of_work: Vec<String>,
    /// Web sites and social network pages, absolute http or https URLs. In CSV, joined
    /// with `;`.
    pub web_resources: Vec<String>,
    /// Titles of the NPO's studies, reports, technologies and information products.
    /// In CSV, joined with `;`; a title may itself contain `;`, which the JSON export
    /// keeps apart. The card at `/v1/npos/{id}` has their kind, year and URL.
    pub work_products: Vec<String>,
    /// Time of the last change of the record, RFC 3339 in UTC.
    pub updated_at: DateTime<Utc>,
}

impl OpenDataNpo {
    /// Builds the open-data record of an NPO from its public fields.
    pub fn from_record(record: &NpoRecord) -> Self {
        let facts = &record.facts;
        Self {
            id: record.id.clone(),
            bin: facts.bin.as_ref().map(|bin| bin.as_str().to_owned()),
            name_ru: facts.name_ru.clone(),
            name_kk: facts.name_kk.clone(),
            legal_form: facts.legal_form.code().to_owned(),
            legal_form_ru: facts.legal_form.labels().ru.to_owned(),
            status: facts.status.code().to_owned(),
            status_ru: facts.status.labels().ru.to_owned(),
            registered_on: facts.registered_on,
            founded_on: facts.founded_on,
            oked: facts.oked.as_ref().map(|oked| oked.as_str().to_owned()),
            legal_address: facts.legal_address.clone(),
            territories: facts
                .territories
                .iter()
                .map(|code| code.as_str().to_owned())
                .collect(),
            spheres: codes(&facts.spheres),
            target_groups: codes(&facts.target_groups),
            forms_of_work: codes(&facts.forms_of_work),
            web_resources: facts.web_resources.clone(),
            work_products: facts
                .work_products
                .iter()
                .map(|product| product.title.clone())
                .collect(),
            updated_at: record.updated_at,
        }
    }

    /// Returns the cells of the CSV row, in the order of [`CSV_COLUMNS`]. A cell that
    /// a spreadsheet would run as a formula gets a leading `'`.
    pub fn csv_record(&self) -> [String; CSV_COLUMNS.len()] {
        self.raw_csv_record()
            .map(service_kit::export::defuse_formula)
    }

    fn raw_csv_record(&self) -> [String; CSV_COLUMNS.len()] {
        let optional = |value: &Option<String>| value.clone().unwrap_or_default();
        let date = |value: Option<NaiveDate>| value.map(|d| d.to_string()).unwrap_or_default();
        [
            self.id.clone(),
            optional(&self.bin),
            optional(&self.name_ru),
            optional(&self.name_kk),
            self.legal_form.clone(),
            self.legal_form_ru.clone(),
            self.status.clone(),
            self.status_ru.clone(),
            date(self.registered_on),
            date(self.founded_on),
            optional(&self.oked),
            optional(&self.legal_address),
            self.territories.join(CSV_LIST_SEPARATOR),
            self.spheres.join(CSV_LIST_SEPARATOR),
            self.target_groups.join(CSV_LIST_SEPARATOR),
            self.forms_of_work.join(CSV_LIST_SEPARATOR),
            self.web_resources.join(CSV_LIST_SEPARATOR),
            self.work_products.join(CSV_LIST_SEPARATOR),
            self.updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ]
    }
}

/// Prefixes `'` to a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return, which spreadsheets read as the start of a formula (CSV injection, OWASP).
fn codes<C: Catalogue>(values: &[C]) -> Vec<String> {
    values.iter().map(|value| value.code().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use common_models::{LegalForm, NpoStatus, Sphere};

    use super::*;
    use crate::domain::npo::{Contacts, KeyStaff, NpoFacts};

    fn record() -> NpoRecord {
        NpoRecord {
            id: "0190c1c8-4c2a-7d31-8e6b-3f1f2a0b9c11".into(),
            facts: NpoFacts {
                bin: None,
                name_ru: Some("Фонд «Ақ жол»".into()),
                name_kk: None,
                legal_form: LegalForm::PublicFoundation,
                status: NpoStatus::Active,
                registered_on: NaiveDate::from_ymd_opt(2003, 12, 15),
                founded_on: None,
                oked: None,
                legal_address: Some("г. Астана, ул. Абая, 1".into()),
                territories: Vec::new(),
                spheres: vec![Sphere::Youth, Sphere::Ecology],
                target_groups: Vec::new(),
                forms_of_work: Vec::new(),
                key_staff: vec![KeyStaff {
                    full_name: "Айгерім Сейітова".into(),
                    position: None,
                }],
                contacts: Contacts {
                    email: Some("info@example.kz".into()),
                    ..Contacts::default()
                },
                web_resources: Vec::new(),
                work_products: Vec::new(),
            },
            provenance: BTreeMap::new(),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn json_names_match_csv_columns() {
        let json = serde_json::to_value(OpenDataNpo::from_record(&record())).unwrap();

        let names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut columns = CSV_COLUMNS.to_vec();
        columns.sort_unstable();
        let mut names_sorted = names.clone();
        names_sorted.sort_unstable();
        assert_eq!(names_sorted, columns);
    }

    #[test]
    fn csv_record_joins_lists() {
        let row = OpenDataNpo::from_record(&record()).csv_record();

        assert_eq!(row[2], "Фонд «Ақ жол»");
        assert_eq!(row[1], "");
        assert_eq!(row[8], "2003-12-15");
        assert_eq!(row[11], "г. Астана, ул. Абая, 1");
        assert_eq!(row[13], "youth;ecology");
        assert_eq!(row[5], LegalForm::PublicFoundation.labels().ru);
    }

    #[test]
    fn formula_cells_defused() {
        let mut npo = OpenDataNpo::from_record(&record());
        npo.name_ru = Some("=HYPERLINK(\"http://x\")".into());
        npo.legal_address = Some("+7 @SUM(1)".into());

        let row = npo.csv_record();

        assert_eq!(row[2], "'=HYPERLINK(\"http://x\")");
        assert_eq!(row[11], "'+7 @SUM(1)");
        assert_eq!(row[8], "2003-12-15");
    }

    #[test]
    fn record_leaves_personal_data_out() {
        let json = serde_json::to_string(&OpenDataNpo::from_record(&record())).unwrap();

        assert!(!json.contains("Сейітова"));
        assert!(!json.contains("info@example.kz"));
    }
}
