//! An NPO as the registry keeps it: names, identifiers, classification, personal data
//! of its staff, and where each fact came from.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use common_models::event::registry::{KeyStaffEntry, NpoReportCard};
use common_models::{
    Bin, Catalogue, FormOfWork, InformationSource, KatoCode, LegalForm, NpoStatus, Oked, Sphere,
    TargetGroup,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Errors, parse_code, parse_codes, parse_date, text, web_url};

const MAX_NAME: usize = 500;
const MAX_ITEMS: usize = 100;
const MAX_ADDRESS: usize = 500;

/// A person in the NPO's management. Personal data: shown only to officers, the
/// ministry and the NPO itself, and never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyStaff {
    pub full_name: String,
    #[serde(default)]
    pub position: Option<String>,
}

/// Contacts of the NPO. Personal data, like key staff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// Kind of a work product of an NPO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkProductKind {
    Study,
    Report,
    Technology,
    InformationProduct,
}

/// A study, report, technology or information product of the NPO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkProduct {
    pub kind: WorkProductKind,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Source of a field's value and the time it was last confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldSource {
    pub source: InformationSource,
    pub confirmed_at: DateTime<Utc>,
    /// The register or system that pushed the value in a batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// When the value was current in that register. A later batch row from the same
    /// origin that is older than this does not overwrite the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// The facts about an NPO, all valid.
#[derive(Debug, Clone, PartialEq)]
pub struct NpoFacts {
    pub bin: Option<Bin>,
    pub name_ru: Option<String>,
    pub name_kk: Option<String>,
    pub legal_form: LegalForm,
    pub status: NpoStatus,
    pub registered_on: Option<NaiveDate>,
    pub founded_on: Option<NaiveDate>,
    pub oked: Option<Oked>,
    pub legal_address: Option<String>,
    pub territories: Vec<KatoCode>,
    pub spheres: Vec<Sphere>,
    pub target_groups: Vec<TargetGroup>,
    pub forms_of_work: Vec<FormOfWork>,
    pub key_staff: Vec<KeyStaff>,
    pub contacts: Contacts,
    pub web_resources: Vec<String>,
    pub work_products: Vec<WorkProduct>,
}

/// Names of the fields that carry a source, in the order of the card.
pub const FIELDS: &[&str] = &[
    "bin",
    "name_ru",
    "name_kk",
    "legal_form",
    "status",
    "registered_on",
    "founded_on",
    "oked",
    "legal_address",
    "territories",
    "spheres",
    "target_groups",
    "forms_of_work",
    "key_staff",
    "contacts",
    "web_resources",
    "work_products",
];

impl NpoFacts {
    /// Names of the fields whose values differ between `self` and `other`.
    pub fn changed_fields(&self, other: &Self) -> Vec<String> {
        let checks = [
            ("bin", self.bin != other.bin),
            ("name_ru", self.name_ru != other.name_ru),
            ("name_kk", self.name_kk != other.name_kk),
            ("legal_form", self.legal_form != other.legal_form),
            ("status", self.status != other.status),
            ("registered_on", self.registered_on != other.registered_on),
            ("founded_on", self.founded_on != other.founded_on),
            ("oked", self.oked != other.oked),
            ("legal_address", self.legal_address != other.legal_address),
            ("territories", self.territories != other.territories),
            ("spheres", self.spheres != other.spheres),
            ("target_groups", self.target_groups != other.target_groups),
            ("forms_of_work", self.forms_of_work != other.forms_of_work),
            ("key_staff", self.key_staff != other.key_staff),
            ("contacts", self.contacts != other.contacts),
            ("web_resources", self.web_resources != other.web_resources),
            ("work_products", self.work_products != other.work_products),
        ];
        checks
            .into_iter()
            .filter(|(_, changed)| *changed)
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// Names of the fields that hold a value.
    pub fn present_fields(&self) -> Vec<String> {
        let checks = [
            ("bin", self.bin.is_some()),
            ("name_ru", self.name_ru.is_some()),
            ("name_kk", self.name_kk.is_some()),
            ("legal_form", true),
            ("status", true),
            ("registered_on", self.registered_on.is_some()),
            ("founded_on", self.founded_on.is_some()),
            ("oked", self.oked.is_some()),
            ("legal_address", self.legal_address.is_some()),
            ("territories", !self.territories.is_empty()),
            ("spheres", !self.spheres.is_empty()),
            ("target_groups", !self.target_groups.is_empty()),
            ("forms_of_work", !self.forms_of_work.is_empty()),
            ("key_staff", !self.key_staff.is_empty()),
            ("contacts", self.contacts != Contacts::default()),
            ("web_resources", !self.web_resources.is_empty()),
            ("work_products", !self.work_products.is_empty()),
        ];
        checks
            .into_iter()
            .filter(|(_, present)| *present)
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// Builds the NPO's row of the annual report's table of NPOs, which the
    /// `npo.registered` and `npo.updated` events carry. Its address is the contact
    /// address, not the legal address.
    pub fn report_card(&self) -> NpoReportCard {
        NpoReportCard {
            bin: self.bin.as_ref().map(|b| b.as_str().to_owned()),
            name_ru: self.name_ru.clone(),
            name_kk: self.name_kk.clone(),
            status: self.status.code().to_owned(),
            founded_on: self.founded_on,
            spheres: codes(&self.spheres),
            target_groups: codes(&self.target_groups),
            territories: self
                .territories
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            forms_of_work: codes(&self.forms_of_work),
            key_staff: self
                .key_staff
                .iter()
                .map(|staff| KeyStaffEntry {
                    full_name: staff.full_name.clone(),
                    position: staff.position.clone(),
                })
                .collect(),
            phone: self.contacts.phone.clone(),
            email: self.contacts.email.clone(),
            // NPOs taken from the register of legal entities often have only the legal
            // address, which is where the ministry reaches them then.
            address: self
                .contacts
                .address
                .clone()
                .or_else(|| self.legal_address.clone()),
            web_resources: self.web_resources.clone(),
        }
    }

    /// Returns the key that matches an NPO without a BIN to the same NPO in a later
    /// batch: its folded name (Russian, else Kazakh) with punctuation dropped, and its
    /// first territory. NPOs with a BIN have none, because the BIN identifies them.
    pub fn dedup_key(&self) -> Option<String> {
        if self.bin.is_some() {
            return None;
        }
        let name = self.name_ru.as_deref().or(self.name_kk.as_deref())?;
        let territory = self.territories.first().map_or("", KatoCode::as_str);
        Some(format!("{}|{territory}", normalised_name(name)))
    }

    /// Checks the rules that span fields; pointers name the field to fix.
    fn check_across(&self, errors: &mut Errors) {
        let name_rejected = errors.has("/name_ru") || errors.has("/name_kk");
        if self.name_ru.is_none() && self.name_kk.is_none() && !name_rejected {
            errors.add(
                "/name_ru",
                "at least one of name_ru and name_kk is required",
            );
        }
        let today = common_models::time::today();
        for (field, date) in [
            ("registered_on", self.registered_on),
            ("founded_on", self.founded_on),
        ] {
            if date.is_some_and(|d| d > today) {
                errors.add(
                    format!("/{field}"),
                    "must not be in the future (local date in Kazakhstan)",
                );
            }
        }
        if let (Some(founded), Some(registered)) = (self.founded_on, self.registered_on)
            && founded > registered
        {
            errors.add("/founded_on", "must not be later than registered_on");
        }
    }
}

fn codes<T: Catalogue>(values: &[T]) -> Vec<String> {
    values.iter().map(|v| v.code().to_owned()).collect()
}

/// Folds `name` and keeps only its letters and digits, one space between words, so
/// that quotes, dashes and letter case do not tell two spellings apart.
pub fn normalised_name(name: &str) -> String {
    let folded = common_models::text::fold(name);
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Body of a request that registers an NPO.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NpoInput {
    /// Business identification number, 12 digits; spaces are ignored. Optional,
    /// because some registered NPOs have none.
    #[schema(example = "940140000385")]
    pub bin: Option<String>,
    /// Name in Russian; at least one of `name_ru` and `name_kk` is required.
    pub name_ru: Option<String>,
    /// Name in Kazakh.
    pub name_kk: Option<String>,
    #[schema(value_type = LegalForm)]
    pub legal_form: String,
    /// Defaults to `active`.
    #[schema(value_type = Option<NpoStatus>)]
    pub status: Option<String>,
    /// Registration date, `YYYY-MM-DD`.
    #[schema(value_type = Option<NaiveDate>)]
    pub registered_on: Option<String>,
    /// Founding date, `YYYY-MM-DD`.
    #[schema(value_type = Option<NaiveDate>)]
    pub founded_on: Option<String>,
    /// Main activity code of the OKED classifier, 2 to 5 digits; dots are ignored.
    #[schema(example = "94990")]
    pub oked: Option<String>,
    /// Legal address as registered. Public, unlike the contact address.
    pub legal_address: Option<String>,
    /// KATO codes of the territories the NPO works in.
    #[serde(default)]
    #[schema(value_type = Vec<KatoCode>)]
    pub territories: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Sphere>)]
    pub spheres: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<TargetGroup>)]
    pub target_groups: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<FormOfWork>)]
    pub forms_of_work: Vec<String>,
    #[serde(default)]
    pub key_staff: Vec<KeyStaff>,
    #[serde(default)]
    pub contacts: Contacts,
    #[serde(default)]
    pub web_resources: Vec<String>,
    #[serde(default)]
    pub work_products: Vec<WorkProduct>,
    /// Source of these facts.
    #[schema(value_type = InformationSource)]
    pub source: String,
}

/// Body of a request that changes an NPO. Absent fields stay as they are, `null`
/// clears a value (an empty list for lists), and lists and contacts are replaced
/// whole. `legal_form` and `status` cannot be cleared.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NpoPatch {
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub bin: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub name_ru: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub name_kk: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<LegalForm>)]
    pub legal_form: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<NpoStatus>)]
    pub status: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub registered_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub founded_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub oked: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub legal_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<KatoCode>>)]
    pub territories: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<Sphere>>)]
    pub spheres: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<TargetGroup>>)]
    pub target_groups: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<FormOfWork>>)]
    pub forms_of_work: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<KeyStaff>>)]
    pub key_staff: Option<Option<Vec<KeyStaff>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Contacts>)]
    pub contacts: Option<Option<Contacts>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub web_resources: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<WorkProduct>>)]
    pub work_products: Option<Option<Vec<WorkProduct>>>,
    /// Source of the changed facts.
    #[schema(value_type = InformationSource)]
    pub source: String,
}

fn parse_bin(errors: &mut Errors, raw: Option<&str>) -> Option<Bin> {
    let raw = raw?;
    errors.check("/bin", Bin::parse(raw))
}

fn parse_name(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<String> {
    errors
        .check(format!("/{field}"), text(raw, MAX_NAME))
        .flatten()
}

fn parse_optional_date(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    let raw = raw.filter(|r| !r.trim().is_empty())?;
    errors.check(format!("/{field}"), parse_date(raw))
}

fn parse_oked(errors: &mut Errors, raw: Option<&str>) -> Option<Oked> {
    let raw = raw.filter(|r| !r.trim().is_empty())?;
    errors.check("/oked", Oked::parse(raw))
}

fn parse_legal_address(errors: &mut Errors, raw: Option<&str>) -> Option<String> {
    errors
        .check("/legal_address", text(raw, MAX_ADDRESS))
        .flatten()
}

fn parse_territories(errors: &mut Errors, raw: &[String]) -> Vec<KatoCode> {
    if raw.len() > MAX_ITEMS {
        errors.add("/territories", format!("at most {MAX_ITEMS} territories"));
        return Vec::new();
    }
    let mut codes: Vec<KatoCode> = Vec::new();
    for (index, code) in raw.iter().enumerate() {
        if let Some(code) = errors.check(format!("/territories/{index}"), KatoCode::parse(code))
            && !codes.contains(&code)
        {
            codes.push(code);
        }
    }
    codes
}

fn parse_key_staff(errors: &mut Errors, raw: &[KeyStaff]) -> Vec<KeyStaff> {
    if raw.len() > 50 {
        errors.add("/key_staff", "at most 50 people");
        return Vec::new();
    }
    raw.iter()
        .enumerate()
        .filter_map(|(index, person)| {
            let full_name = errors.check(
                format!("/key_staff/{index}/full_name"),
                text(Some(&person.full_name), 200),
            );
            let position = errors
                .check(
                    format!("/key_staff/{index}/position"),
                    text(person.position.as_deref(), 200),
                )
                .flatten();
            match full_name {
                Some(Some(full_name)) => Some(KeyStaff {
                    full_name,
                    position,
                }),
                Some(None) => {
                    errors.add(format!("/key_staff/{index}/full_name"), "must not be empty");
                    None
                }
                None => None,
            }
        })
        .collect()
}

fn parse_contacts(errors: &mut Errors, raw: &Contacts) -> Contacts {
    let phone = errors
        .check("/contacts/phone", text(raw.phone.as_deref(), 50))
        .flatten();
    let address = errors
        .check("/contacts/address", text(raw.address.as_deref(), 500))
        .flatten();
    let email = errors
        .check("/contacts/email", text(raw.email.as_deref(), 254))
        .flatten();
    if let Some(email) = &email
        && !is_email(email)
    {
        errors.add("/contacts/email", "is not an e-mail address");
    }
    Contacts {
        phone,
        email,
        address,
    }
}

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && labels.len() >= 2
        && labels
            .iter()
            .all(|label| !label.is_empty() && !label.contains('@'))
        && !value.contains(char::is_whitespace)
}

fn parse_web_resources(errors: &mut Errors, raw: &[String]) -> Vec<String> {
    if raw.len() > 20 {
        errors.add("/web_resources", "at most 20 addresses");
        return Vec::new();
    }
    raw.iter()
        .enumerate()
        .filter_map(|(index, url)| errors.check(format!("/web_resources/{index}"), web_url(url)))
        .collect()
}

fn parse_work_products(errors: &mut Errors, raw: &[WorkProduct]) -> Vec<WorkProduct> {
    if raw.len() > MAX_ITEMS {
        errors.add(
            "/work_products",
            format!("at most {MAX_ITEMS} work products"),
        );
        return Vec::new();
    }
    let this_year = chrono::Datelike::year(&common_models::time::today());
    raw.iter()
        .enumerate()
        .filter_map(|(index, product)| {
            let title = errors.check(
                format!("/work_products/{index}/title"),
                text(Some(&product.title), 500),
            );
            if let Some(year) = product.year
                && !(1900..=this_year).contains(&year)
            {
                errors.add(
                    format!("/work_products/{index}/year"),
                    format!("must be between 1900 and {this_year}"),
                );
            }
            let url = match &product.url {
                Some(url) => errors.check(format!("/work_products/{index}/url"), web_url(url)),
                None => None,
            };
            match title {
                Some(Some(title)) => Some(WorkProduct {
                    kind: product.kind,
                    title,
                    year: product.year,
                    url,
                }),
                Some(None) => {
                    errors.add(format!("/work_products/{index}/title"), "must not be empty");
                    None
                }
                None => None,
            }
        })
        .collect()
}

/// Parses the `source` of a write.
pub fn parse_source(errors: &mut Errors, raw: &str) -> Option<InformationSource> {
    errors.check("/source", parse_code::<InformationSource>(raw))
}

impl NpoInput {
    /// Parses the request into valid facts, or lists every invalid field.
    pub fn parse(&self) -> Result<(NpoFacts, InformationSource), service_kit::ApiError> {
        let mut errors = Errors::default();
        let bin = parse_bin(&mut errors, self.bin.as_deref());
        let name_ru = parse_name(&mut errors, "name_ru", self.name_ru.as_deref());
        let name_kk = parse_name(&mut errors, "name_kk", self.name_kk.as_deref());
        let legal_form = errors.check("/legal_form", parse_code::<LegalForm>(&self.legal_form));
        let status = match &self.status {
            Some(raw) => errors.check("/status", parse_code::<NpoStatus>(raw)),
            None => Some(NpoStatus::Active),
        };
        let registered_on =
            parse_optional_date(&mut errors, "registered_on", self.registered_on.as_deref());
        let founded_on = parse_optional_date(&mut errors, "founded_on", self.founded_on.as_deref());
        let oked = parse_oked(&mut errors, self.oked.as_deref());
        let legal_address = parse_legal_address(&mut errors, self.legal_address.as_deref());
        let territories = parse_territories(&mut errors, &self.territories);
        let spheres = parse_codes(&mut errors, "/spheres", &self.spheres);
        let target_groups = parse_codes(&mut errors, "/target_groups", &self.target_groups);
        let forms_of_work = parse_codes(&mut errors, "/forms_of_work", &self.forms_of_work);
        let key_staff = parse_key_staff(&mut errors, &self.key_staff);
        let contacts = parse_contacts(&mut errors, &self.contacts);
        let web_resources = parse_web_resources(&mut errors, &self.web_resources);
        let work_products = parse_work_products(&mut errors, &self.work_products);
        let source = parse_source(&mut errors, &self.source);

        let (Some(legal_form), Some(status), Some(source)) = (legal_form, status, source) else {
            return Err(errors_or_internal(errors));
        };
        let facts = NpoFacts {
            bin,
            name_ru,
            name_kk,
            legal_form,
            status,
            registered_on,
            founded_on,
            oked,
            legal_address,
            territories,
            spheres,
            target_groups,
            forms_of_work,
            key_staff,
            contacts,
            web_resources,
            work_products,
        };
        facts.check_across(&mut errors);
        errors.into_result()?;
        Ok((facts, source))
    }
}

fn errors_or_internal(errors: Errors) -> service_kit::ApiError {
    match errors.into_result() {
        Err(error) => error,
        Ok(()) => service_kit::ApiError::internal(anyhow::anyhow!(
            "a required field was dropped without an error"
        )),
    }
}

impl NpoPatch {
    /// Applies the patch to `current`, returning the new facts and the names of the
    /// fields the request named, or every invalid field.
    pub fn apply(
        &self,
        current: &NpoFacts,
    ) -> Result<(NpoFacts, Vec<String>, InformationSource), service_kit::ApiError> {
        let mut errors = Errors::default();
        let mut next = current.clone();
        let mut named = Vec::new();
        let mut name = |field: &str| named.push(field.to_owned());

        if let Some(bin) = &self.bin {
            name("bin");
            next.bin = parse_bin(&mut errors, bin.as_deref());
            // The BIN links the NPO's users to this card, so changing it would give the
            // card, key staff and contacts included, to the holder of the new BIN.
            if current.bin.is_some() && next.bin != current.bin {
                errors.add(
                    "/bin",
                    "cannot change once recorded, because it identifies the NPO's users; \
                     register the other BIN as its own NPO",
                );
            }
        }
        if let Some(value) = &self.name_ru {
            name("name_ru");
            next.name_ru = parse_name(&mut errors, "name_ru", value.as_deref());
        }
        if let Some(value) = &self.name_kk {
            name("name_kk");
            next.name_kk = parse_name(&mut errors, "name_kk", value.as_deref());
        }
        if let Some(raw) = &self.legal_form {
            name("legal_form");
            match raw {
                Some(raw) => {
                    if let Some(value) = errors.check("/legal_form", parse_code(raw)) {
                        next.legal_form = value;
                    }
                }
                None => errors.add("/legal_form", "is required and cannot be cleared"),
            }
        }
        if let Some(raw) = &self.status {
            name("status");
            match raw {
                Some(raw) => {
                    if let Some(value) = errors.check("/status", parse_code(raw)) {
                        next.status = value;
                    }
                }
                None => errors.add("/status", "is required and cannot be cleared"),
            }
        }
        if let Some(value) = &self.registered_on {
            name("registered_on");
            next.registered_on =
                parse_optional_date(&mut errors, "registered_on", value.as_deref());
        }
        if let Some(value) = &self.founded_on {
            name("founded_on");
            next.founded_on = parse_optional_date(&mut errors, "founded_on", value.as_deref());
        }
        if let Some(value) = &self.oked {
            name("oked");
            next.oked = parse_oked(&mut errors, value.as_deref());
        }
        if let Some(value) = &self.legal_address {
            name("legal_address");
            next.legal_address = parse_legal_address(&mut errors, value.as_deref());
        }
        let empty = Vec::new();
        if let Some(raw) = &self.territories {
            name("territories");
            next.territories = parse_territories(&mut errors, raw.as_ref().unwrap_or(&empty));
        }
        if let Some(raw) = &self.spheres {
            name("spheres");
            next.spheres = parse_codes(&mut errors, "/spheres", raw.as_ref().unwrap_or(&empty));
        }
        if let Some(raw) = &self.target_groups {
            name("target_groups");
            next.target_groups = parse_codes(
                &mut errors,
                "/target_groups",
                raw.as_ref().unwrap_or(&empty),
            );
        }
        if let Some(raw) = &self.forms_of_work {
            name("forms_of_work");
            next.forms_of_work = parse_codes(
                &mut errors,
                "/forms_of_work",
                raw.as_ref().unwrap_or(&empty),
            );
        }
        if let Some(raw) = &self.key_staff {
            name("key_staff");
            next.key_staff = parse_key_staff(&mut errors, raw.as_deref().unwrap_or_default());
        }
        if let Some(raw) = &self.contacts {
            name("contacts");
            next.contacts = parse_contacts(&mut errors, &raw.clone().unwrap_or_default());
        }
        if let Some(raw) = &self.web_resources {
            name("web_resources");
            next.web_resources = parse_web_resources(&mut errors, raw.as_ref().unwrap_or(&empty));
        }
        if let Some(raw) = &self.work_products {
            name("work_products");
            next.work_products =
                parse_work_products(&mut errors, raw.as_deref().unwrap_or_default());
        }
        if named.is_empty() {
            errors.add(
                "/",
                "names no field to change; send at least one field besides source",
            );
        }
        let source = parse_source(&mut errors, &self.source);
        next.check_across(&mut errors);
        errors.into_result()?;
        let source =
            source.ok_or_else(|| service_kit::ApiError::field("/source", "is required"))?;
        Ok((next, named, source))
    }
}

/// Stamps `fields` with `source`, confirmed at `at`.
pub fn confirm_fields(
    provenance: &mut BTreeMap<String, FieldSource>,
    fields: &[String],
    source: InformationSource,
    at: DateTime<Utc>,
) {
    for field in fields {
        provenance.insert(
            field.clone(),
            FieldSource {
                source,
                confirmed_at: at,
                origin: None,
                as_of: None,
            },
        );
    }
}

/// An NPO card. Key staff and contacts are present only for callers entitled to
/// personal data: officers, the ministry and the NPO itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NpoCard {
    pub id: String,
    #[schema(value_type = Option<String>, example = "940140000385")]
    pub bin: Option<Bin>,
    pub name_ru: Option<String>,
    pub name_kk: Option<String>,
    pub legal_form: LegalForm,
    pub status: NpoStatus,
    pub registered_on: Option<NaiveDate>,
    pub founded_on: Option<NaiveDate>,
    #[schema(value_type = Option<String>, example = "94990")]
    pub oked: Option<Oked>,
    pub legal_address: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub territories: Vec<KatoCode>,
    pub spheres: Vec<Sphere>,
    pub target_groups: Vec<TargetGroup>,
    pub forms_of_work: Vec<FormOfWork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_staff: Option<Vec<KeyStaff>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    pub web_resources: Vec<String>,
    pub work_products: Vec<WorkProduct>,
    /// Source and last confirmation of each field, by field name.
    pub provenance: BTreeMap<String, FieldSource>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An NPO as stored.
#[derive(Debug, Clone)]
pub struct NpoRecord {
    pub id: String,
    pub facts: NpoFacts,
    pub provenance: BTreeMap<String, FieldSource>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How much of a card a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Without key staff and contacts.
    Public,
    /// Everything, personal data included.
    Full,
}

impl NpoRecord {
    /// Builds the card of this NPO as seen with `visibility`.
    pub fn card(&self, visibility: Visibility) -> NpoCard {
        let facts = &self.facts;
        let full = visibility == Visibility::Full;
        let mut provenance = self.provenance.clone();
        if !full {
            provenance.remove("key_staff");
            provenance.remove("contacts");
        }
        NpoCard {
            id: self.id.clone(),
            bin: facts.bin.clone(),
            name_ru: facts.name_ru.clone(),
            name_kk: facts.name_kk.clone(),
            legal_form: facts.legal_form,
            status: facts.status,
            registered_on: facts.registered_on,
            founded_on: facts.founded_on,
            oked: facts.oked.clone(),
            legal_address: facts.legal_address.clone(),
            territories: facts.territories.clone(),
            spheres: facts.spheres.clone(),
            target_groups: facts.target_groups.clone(),
            forms_of_work: facts.forms_of_work.clone(),
            key_staff: full.then(|| facts.key_staff.clone()),
            contacts: full.then(|| facts.contacts.clone()),
            web_resources: facts.web_resources.clone(),
            work_products: facts.work_products.clone(),
            provenance,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// Builds the text that search matches against: both names, folded.
    pub fn search_text(facts: &NpoFacts) -> String {
        let names = [facts.name_ru.as_deref(), facts.name_kk.as_deref()];
        common_models::text::fold(&names.into_iter().flatten().collect::<Vec<_>>().join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> NpoInput {
        NpoInput {
            name_ru: Some("Фонд".into()),
            legal_form: "public_foundation".into(),
            source: "npo_representatives".into(),
            ..NpoInput::default()
        }
    }

    #[test]
    fn names_required() {
        let error = NpoInput {
            name_ru: Some("  ".into()),
            ..input()
        }
        .parse()
        .unwrap_err();

        assert_eq!(error.problem().errors[0].pointer, "/name_ru");
    }

    #[test]
    fn every_invalid_field_listed() {
        let bad = NpoInput {
            bin: Some("940140000386".into()),
            legal_form: "corporation".into(),
            territories: vec!["62".into()],
            spheres: vec!["youth".into(), "nonsense".into()],
            ..input()
        };

        let pointers: Vec<String> = bad
            .parse()
            .unwrap_err()
            .problem()
            .errors
            .into_iter()
            .map(|e| e.pointer)
            .collect();

        assert_eq!(
            pointers,
            vec!["/bin", "/legal_form", "/territories/0", "/spheres/1"]
        );
    }

    #[test]
    fn long_name_not_reported_missing() {
        let error = NpoInput {
            name_ru: Some("а".repeat(501)),
            ..input()
        }
        .parse()
        .unwrap_err();

        let pointers: Vec<String> = error
            .problem()
            .errors
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(pointers.len(), 1, "{pointers:?}");
    }

    #[test]
    fn patch_null_clears_lists() {
        let (mut facts, _) = input().parse().unwrap();
        facts.key_staff = vec![KeyStaff {
            full_name: "Иванов".into(),
            position: None,
        }];
        let patch = NpoPatch {
            key_staff: Some(None),
            source: "media".into(),
            ..NpoPatch::default()
        };

        let (next, named, _) = patch.apply(&facts).unwrap();

        assert!(next.key_staff.is_empty());
        assert_eq!(named, vec!["key_staff"]);
    }

    #[test]
    fn patch_cannot_clear_status() {
        let (facts, _) = input().parse().unwrap();
        let patch = NpoPatch {
            status: Some(None),
            source: "media".into(),
            ..NpoPatch::default()
        };

        assert_eq!(
            patch.apply(&facts).unwrap_err().problem().errors[0].pointer,
            "/status"
        );
    }

    #[test]
    fn empty_patch_rejected() {
        let (facts, _) = input().parse().unwrap();
        let patch = NpoPatch {
            source: "media".into(),
            ..NpoPatch::default()
        };

        assert!(patch.apply(&facts).is_err());
    }

    #[test]
    fn founded_after_registration_rejected() {
        let bad = NpoInput {
            registered_on: Some("2010-01-01".into()),
            founded_on: Some("2011-01-01".into()),
            ..input()
        };

        assert_eq!(
            bad.parse().unwrap_err().problem().errors[0].pointer,
            "/founded_on"
        );
    }

    #[test]
    fn patch_reports_changes() {
        let (facts, _) = input().parse().unwrap();
        let patch = NpoPatch {
            name_kk: Some(Some("Қор".into())),
            status: Some(Some("suspended".into())),
            source: "media".into(),
            ..NpoPatch::default()
        };

        let (next, named, _) = patch.apply(&facts).unwrap();

        assert_eq!(named, vec!["name_kk", "status"]);
        assert_eq!(facts.changed_fields(&next), vec!["name_kk", "status"]);
    }

    #[test]
    fn public_card_hides_personal_data() {
        let (mut facts, _) = input().parse().unwrap();
        facts.key_staff = vec![KeyStaff {
            full_name: "Иванов".into(),
            position: None,
        }];
        let record = NpoRecord {
            id: "x".into(),
            facts,
            provenance: BTreeMap::new(),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };

        let card = record.card(Visibility::Public);

        assert!(card.key_staff.is_none());
        assert!(card.contacts.is_none());
    }
}
