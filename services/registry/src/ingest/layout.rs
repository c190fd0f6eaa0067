//! Column layouts of registration-data files: the platform's own, the legal-entity
//! register of the Ministry of Justice and the statistical business register. Each
//! maps the column headers that those systems export to the fields of an NPO.

use common_models::{Catalogue, LegalForm, NpoStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Column layout of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// The platform's field names: `bin`, `name_ru`, `name_kk`, `legal_form`, `status`,
    /// `registered_on`, `founded_on`, `oked`, `legal_address`, `territories` (or
    /// `kato`), `spheres`, `target_groups`, `forms_of_work`, `web_resources`, `as_of`.
    Platform,
    /// The legal-entity register of the Ministry of Justice: BIN, names in Kazakh and
    /// Russian, registration date, address, status, OKED code and head.
    Justice,
    /// The business register of the statistics bureau: BIN, full names, registration
    /// date, OKED code and KATO code.
    Statistics,
}

impl Layout {
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "platform" => Some(Self::Platform),
            "justice" => Some(Self::Justice),
            "statistics" => Some(Self::Statistics),
            _ => None,
        }
    }

    fn columns(self) -> &'static [(Field, &'static [&'static str])] {
        match self {
            Self::Platform => PLATFORM,
            Self::Justice => JUSTICE,
            Self::Statistics => STATISTICS,
        }
    }
}

/// A field a column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Bin,
    NameRu,
    NameKk,
    LegalForm,
    Status,
    RegisteredOn,
    FoundedOn,
    Oked,
    LegalAddress,
    Territories,
    Spheres,
    TargetGroups,
    FormsOfWork,
    WebResources,
    /// The head of the organisation, kept among its key staff.
    Head,
    /// When the row was current in the register that sent it.
    AsOf,
}

impl Field {
    /// Name of the field in a JSON row.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bin => "bin",
            Self::NameRu => "name_ru",
            Self::NameKk => "name_kk",
            Self::LegalForm => "legal_form",
            Self::Status => "status",
            Self::RegisteredOn => "registered_on",
            Self::FoundedOn => "founded_on",
            Self::Oked => "oked",
            Self::LegalAddress => "legal_address",
            Self::Territories => "territories",
            Self::Spheres => "spheres",
            Self::TargetGroups => "target_groups",
            Self::FormsOfWork => "forms_of_work",
            Self::WebResources => "web_resources",
            Self::Head => "head",
            Self::AsOf => "as_of",
        }
    }
}

// Headers are compared after `normalise_header`: lower case, words joined by one space.
const PLATFORM: &[(Field, &[&str])] = &[
    (Field::Bin, &["bin"]),
    (Field::NameRu, &["name ru"]),
    (Field::NameKk, &["name kk"]),
    (Field::LegalForm, &["legal form"]),
    (Field::Status, &["status"]),
    (Field::RegisteredOn, &["registered on"]),
    (Field::FoundedOn, &["founded on"]),
    (Field::Oked, &["oked"]),
    (Field::LegalAddress, &["legal address"]),
    (Field::Territories, &["territories", "kato"]),
    (Field::Spheres, &["spheres"]),
    (Field::TargetGroups, &["target groups"]),
    (Field::FormsOfWork, &["forms of work"]),
    (Field::WebResources, &["web resources"]),
    (Field::AsOf, &["as of"]),
];

const JUSTICE: &[(Field, &[&str])] = &[
    (Field::Bin, &["бин", "bin"]),
    (
        Field::NameKk,
        &[
            "наименование на казахском языке",
            "наименование на государственном языке",
            "наименование каз",
            "атауы",
            "name kz",
            "namekz",
        ],
    ),
    (
        Field::NameRu,
        &[
            "наименование на русском языке",
            "наименование",
            "наименование рус",
            "name ru",
            "nameru",
        ],
    ),
    (
        Field::RegisteredOn,
        &[
            "дата регистрации",
            "дата государственной регистрации",
            "дата первичной регистрации",
            "register date",
            "registerdate",
        ],
    ),
    (
        Field::LegalAddress,
        &["адрес", "юридический адрес", "местонахождение", "address"],
    ),
    (Field::Status, &["статус", "состояние", "status"]),
    (
        Field::Oked,
        &[
            "окэд",
            "код окэд",
            "основной окэд",
            "oked",
            "okedcode",
            "oked code",
        ],
    ),
    (
        Field::Head,
        &[
            "руководитель",
            "фио руководителя",
            "первый руководитель",
            "head",
            "director",
        ],
    ),
    (
        Field::LegalForm,
        &["организационно правовая форма", "опф", "legal form"],
    ),
    (
        Field::AsOf,
        &["дата актуализации", "дата изменения", "as of", "updated at"],
    ),
];

const STATISTICS: &[(Field, &[&str])] = &[
    (Field::Bin, &["бин", "bin"]),
    (
        Field::NameRu,
        &[
            "полное наименование",
            "полное наименование на русском языке",
            "наименование на русском языке",
            "full name ru",
        ],
    ),
    (
        Field::NameKk,
        &[
            "полное наименование на казахском языке",
            "наименование на казахском языке",
            "толық атауы",
            "full name kk",
        ],
    ),
    (
        Field::RegisteredOn,
        &["дата регистрации", "register date", "registration date"],
    ),
    (
        Field::Oked,
        &[
            "окэд",
            "код окэд",
            "основной окэд",
            "основной код окэд",
            "oked",
        ],
    ),
    (
        Field::Territories,
        &["като", "код като", "kato", "kato code"],
    ),
    (
        Field::LegalForm,
        &["организационно правовая форма", "опф", "legal form"],
    ),
    (
        Field::AsOf,
        &["дата актуализации", "дата изменения", "as of", "updated at"],
    ),
];

/// Lower-cases a header and joins its words with one space, so `Name_RU`,
/// `name ru` and ` NAME-RU ` are the same header.
pub fn normalise_header(header: &str) -> String {
    common_models::text::fold(header)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The columns of a file and the field each one fills.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub layout: Layout,
    /// Header as written in the file, and the field it fills, by position.
    pub columns: Vec<(String, Option<Field>)>,
}

/// Failure to map a header row.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error(
        "no column of the header is known to any layout; expected the platform's field names \
         (bin, name_ru, name_kk, legal_form …) or the headers of the justice or statistics \
         register"
    )]
    NoKnownColumn,
    #[error("the header has no column of the {layout} layout; the first columns are: {found}")]
    NoColumnOfLayout { layout: String, found: String },
    #[error("columns '{0}' and '{1}' both fill the field {2}; keep one of them")]
    Duplicate(String, String, &'static str),
    #[error(
        "the {0} layout identifies NPOs by BIN, but no column is the BIN; name it 'БИН' \
         or 'bin'"
    )]
    NoBin(String),
}

impl ColumnMap {
    /// Maps `headers` with `layout`, or with the layout that recognises the most of
    /// them when none is given (the platform's on a tie).
    pub fn new(headers: &[String], layout: Option<Layout>) -> Result<Self, HeaderError> {
        let layout = match layout {
            Some(layout) => layout,
            None => detect(headers)?,
        };
        let columns: Vec<(String, Option<Field>)> = headers
            .iter()
            .map(|header| (header.clone(), field_of(layout, header)))
            .collect();
        if columns.iter().all(|(_, field)| field.is_none()) {
            let found: Vec<&str> = headers.iter().take(5).map(String::as_str).collect();
            return Err(HeaderError::NoColumnOfLayout {
                layout: format!("{layout:?}").to_lowercase(),
                found: found.join(", "),
            });
        }
        let has_bin = columns.iter().any(|(_, field)| *field == Some(Field::Bin));
        if layout != Layout::Platform && !has_bin {
            return Err(HeaderError::NoBin(format!("{layout:?}").to_lowercase()));
        }
        for (i, (header, field)) in columns.iter().enumerate() {
            let Some(field) = field else { continue };
            if let Some((other, _)) = columns[..i].iter().find(|(_, f)| *f == Some(*field)) {
                return Err(HeaderError::Duplicate(
                    other.clone(),
                    header.clone(),
                    field.name(),
                ));
            }
        }
        Ok(Self { layout, columns })
    }

    /// Headers that no field of the layout takes.
    pub fn unknown(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|(_, field)| field.is_none())
            .map(|(header, _)| header.clone())
            .collect()
    }

    /// Header of the column that fills the JSON field `name`.
    pub fn header_of(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(_, field)| field.is_some_and(|f| f.name() == name))
            .map(|(header, _)| header.as_str())
    }

    /// Turns the cells of one record into a JSON row of the platform's fields.
    pub fn row(&self, cells: &[&str]) -> Map<String, Value> {
        let mut row = Map::new();
        for ((_, field), cell) in self.columns.iter().zip(cells) {
            if let Some(field) = field
                && let Some(value) = cell_value(*field, cell)
            {
                row.insert(field.name().to_owned(), value);
            }
        }
        row
    }
}

fn field_of(layout: Layout, header: &str) -> Option<Field> {
    let normalised = normalise_header(header);
    layout
        .columns()
        .iter()
        .find(|(_, aliases)| aliases.contains(&normalised.as_str()))
        .map(|(field, _)| *field)
}

fn detect(headers: &[String]) -> Result<Layout, HeaderError> {
    let score = |layout: Layout| {
        headers
            .iter()
            .filter(|h| field_of(layout, h).is_some())
            .count()
    };
    let best = [Layout::Platform, Layout::Justice, Layout::Statistics]
        .into_iter()
        .map(|layout| (score(layout), layout))
        .fold((0, Layout::Platform), |best, next| {
            if next.0 > best.0 { next } else { best }
        });
    if best.0 == 0 {
        return Err(HeaderError::NoKnownColumn);
    }
    Ok(best.1)
}

/// Converts one cell. An empty cell clears the field, except `legal_form` and
/// `status`, which cannot be cleared and are left as they are.
fn cell_value(field: Field, cell: &str) -> Option<Value> {
    let cell = cell.trim();
    match field {
        Field::LegalForm => (!cell.is_empty()).then(|| Value::String(legal_form_code(cell))),
        Field::Status => (!cell.is_empty()).then(|| Value::String(status_code(cell))),
        Field::Territories
        | Field::Spheres
        | Field::TargetGroups
        | Field::FormsOfWork
        | Field::WebResources => Some(Value::Array(
            split_list(cell)
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        )),
        _ if cell.is_empty() => Some(Value::Null),
        // A spreadsheet cell may hold line breaks (Alt+Enter in Excel); names and
        // addresses are one line, so the breaks become spaces.
        _ if cell.contains(['\r', '\n']) => Some(Value::String(
            cell.split_whitespace().collect::<Vec<_>>().join(" "),
        )),
        _ => Some(Value::String(cell.to_owned())),
    }
}

/// Splits a list cell on `|`, `,`, `;` and white space.
fn split_list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(|c: char| matches!(c, '|' | ',' | ';') || c.is_whitespace())
        .filter(|item| !item.is_empty())
}

/// Finds the code of a legal form written as a code, a catalogue label or a
/// common abbreviation. Anything else is returned as given, so that the validation
/// names it.
pub fn legal_form_code(raw: &str) -> String {
    let key = normalise_header(raw);
    let alias = match key.as_str() {
        "oo" | "оо" | "public association" | "общественное объединение" => {
            Some(LegalForm::PublicAssociation)
        }
        "foundation" | "fund" | "фонд" | "оф" | "общественный фонд" | "қор" => {
            Some(LegalForm::PublicFoundation)
        }
        "association" | "ассоциация" | "союз" | "оюл" | "объединение юридических лиц" => {
            Some(LegalForm::AssociationOfLegalEntities)
        }
        "учреждение" => Some(LegalForm::Institution),
        "чу" | "частное учреждение" => Some(LegalForm::PrivateInstitution),
        "ро" | "религиозное объединение" => {
            Some(LegalForm::ReligiousAssociation)
        }
        "пк" | "потребительский кооператив" => {
            Some(LegalForm::ConsumerCooperative)
        }
        "нао" | "некоммерческое акционерное общество" => {
            Some(LegalForm::NonCommercialJointStockCompany)
        }
        _ => by_label::<LegalForm>(&key),
    };
    alias.map_or_else(|| raw.trim().to_owned(), |form| form.code().to_owned())
}

/// Finds the code of a status written as a code, a catalogue label or the wording
/// of the legal-entity register.
pub fn status_code(raw: &str) -> String {
    let key = normalise_header(raw);
    let alias = match key.as_str() {
        "действующее"
        | "действующий"
        | "действует"
        | "зарегистрировано"
        | "зарегистрирован"
        | "тіркелген"
        | "әрекет етуші" => Some(NpoStatus::Active),
        "ликвидировано" | "ликвидирован" | "ликвидировано по решению суда" | "таратылған" => {
            Some(NpoStatus::Liquidated)
        }
        "приостановлено" | "приостановлена деятельность" | "деятельность приостановлена" => {
            Some(NpoStatus::Suspended)
        }
        "бездействующее" | "бездействующий" | "в процессе ликвидации" | "в стадии ликвидации" => {
            Some(NpoStatus::Inactive)
        }
        _ => by_label::<NpoStatus>(&key),
    };
    alias.map_or_else(|| raw.trim().to_owned(), |status| status.code().to_owned())
}

fn by_label<C: Catalogue + Copy>(key: &str) -> Option<C> {
    C::all().iter().copied().find(|item| {
        let labels = item.labels();
        normalise_header(item.code()) == key
            || [labels.ru, labels.kk, labels.en]
                .iter()
                .any(|label| normalise_header(label) == key)
    })
}

/// Guesses the legal form from the words of an NPO's name, for registers that send
/// no legal form column.
pub fn infer_legal_form(names: &[&str]) -> Option<LegalForm> {
    const WORDS: &[(&str, LegalForm)] = &[
        ("частное учреждение", LegalForm::PrivateInstitution),
        ("жеке мекеме", LegalForm::PrivateInstitution),
        (
            "некоммерческое акционерное общество",
            LegalForm::NonCommercialJointStockCompany,
        ),
        (
            "коммерциялық емес акционерлік қоғам",
            LegalForm::NonCommercialJointStockCompany,
        ),
        ("религиозное объединение", LegalForm::ReligiousAssociation),
        ("діни бірлестік", LegalForm::ReligiousAssociation),
        ("потребительский кооператив", LegalForm::ConsumerCooperative),
        ("тұтыну кооперативі", LegalForm::ConsumerCooperative),
        (
            "объединение юридических лиц",
            LegalForm::AssociationOfLegalEntities,
        ),
        (
            "заңды тұлғалар бірлестігі",
            LegalForm::AssociationOfLegalEntities,
        ),
        ("ассоциация", LegalForm::AssociationOfLegalEntities),
        ("қауымдастығы", LegalForm::AssociationOfLegalEntities),
        ("общественное объединение", LegalForm::PublicAssociation),
        ("қоғамдық бірлестік", LegalForm::PublicAssociation),
        ("оо", LegalForm::PublicAssociation),
        ("фонд", LegalForm::PublicFoundation),
        ("қоры", LegalForm::PublicFoundation),
        ("учреждение", LegalForm::Institution),
        ("мекемесі", LegalForm::Institution),
    ];
    let words: Vec<String> = names.iter().map(|name| normalise_header(name)).collect();
    WORDS.iter().find_map(|(phrase, form)| {
        words
            .iter()
            .any(|name| contains_words(name, phrase))
            .then_some(*form)
    })
}

/// Returns whether `phrase` occurs in `text` as whole words; both are normalised.
fn contains_words(text: &str, phrase: &str) -> bool {
    let padded = format!(" {text} ");
    padded.contains(&format!(" {phrase} "))
        || (phrase.chars().count() > 4 && padded.contains(&format!(" {phrase}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|h| (*h).to_owned()).collect()
    }

    #[test]
    fn platform_detected() {
        let map = ColumnMap::new(&headers(&["bin", "name_ru", "kato", "extra"]), None).unwrap();
        assert_eq!(map.layout, Layout::Platform);
        assert_eq!(map.unknown(), vec!["extra"]);
    }

    #[test]
    fn justice_detected() {
        let map = ColumnMap::new(
            &headers(&[
                "БИН",
                "Наименование на казахском языке",
                "Наименование на русском языке",
                "Дата регистрации",
                "Адрес",
                "Статус",
                "ОКЭД",
                "Руководитель",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(map.layout, Layout::Justice);
        assert!(map.unknown().is_empty());
    }

    #[test]
    fn statistics_detected() {
        let map = ColumnMap::new(
            &headers(&[
                "БИН",
                "Полное наименование",
                "Дата регистрации",
                "ОКЭД",
                "КАТО",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(map.layout, Layout::Statistics);
    }

    #[test]
    fn unknown_header_rejected() {
        assert!(ColumnMap::new(&headers(&["foo", "bar"]), None).is_err());
    }

    #[test]
    fn duplicate_field_rejected() {
        assert!(ColumnMap::new(&headers(&["kato", "territories"]), None).is_err());
    }

    #[test]
    fn legal_form_aliases() {
        assert_eq!(legal_form_code("foundation"), "public_foundation");
        assert_eq!(legal_form_code("ОО"), "public_association");
        assert_eq!(legal_form_code("public_association"), "public_association");
        assert_eq!(legal_form_code("корпорация"), "корпорация");
    }

    #[test]
    fn register_statuses() {
        assert_eq!(status_code("Действующее"), "active");
        assert_eq!(status_code("Ликвидировано"), "liquidated");
        assert_eq!(status_code("active"), "active");
    }

    #[test]
    fn legal_form_from_name() {
        assert_eq!(
            infer_legal_form(&["Общественное объединение «Жастар әлемі»"]),
            Some(LegalForm::PublicAssociation)
        );
        assert_eq!(
            infer_legal_form(&["«Өркен» қоры"]),
            Some(LegalForm::PublicFoundation)
        );
        assert_eq!(
            infer_legal_form(&["Частное учреждение «Центр»"]),
            Some(LegalForm::PrivateInstitution)
        );
        assert_eq!(infer_legal_form(&["Ромашка"]), None);
    }

    #[test]
    fn cells_converted() {
        let map = ColumnMap::new(&headers(&["bin", "kato", "status", "name_kk"]), None).unwrap();
        let row = map.row(&["0312 4010 0040", "750000000|710000000", "", ""]);
        assert_eq!(row["bin"], "0312 4010 0040");
        assert_eq!(
            row["territories"],
            serde_json::json!(["750000000", "710000000"])
        );
        assert!(!row.contains_key("status"));
        assert_eq!(row["name_kk"], Value::Null);
    }
}
