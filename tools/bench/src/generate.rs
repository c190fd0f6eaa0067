//! Deterministic generator of realistic NPO rows in the platform's CSV layout
//! (`bin,name_ru,name_kk,legal_form,status,registered_on,kato,spheres,oked`).

use std::collections::{HashMap, HashSet};

use anyhow::{Context, bail};
use chrono::{Datelike, Days, NaiveDate};
use common_models::text::fold;
use common_models::{Bin, Catalogue, KatoCode, Sphere};

/// Header of the CSV body sent to the ingestion endpoint and copied into the baselines.
pub const CSV_HEADER: [&str; 9] = [
    "bin",
    "name_ru",
    "name_kk",
    "legal_form",
    "status",
    "registered_on",
    "kato",
    "spheres",
    "oked",
];

/// SplitMix64: a small, fast generator whose output depends only on the seed, so every
/// run of the benchmark sends the same rows and requests.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a number in `0..bound`; `bound` must be positive.
    pub fn below(&mut self, bound: usize) -> usize {
        // The modulo bias is below 2^-40 for the bounds used here.
        (self.next_u64() % bound as u64) as usize
    }

    /// Returns true with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One territory of the classifier below a region.
#[derive(Debug, Clone)]
struct Territory {
    code: String,
    /// Name without the settlement-type prefix, used as a place in NPO names.
    place: String,
}

/// The KATO classifier grouped by region, the first level of the tree.
#[derive(Debug)]
pub struct Classifier {
    /// Region codes in file order.
    regions: Vec<String>,
    /// Territories below each region (districts, rural districts, settlements).
    inside: HashMap<String, Vec<Territory>>,
}

impl Classifier {
    /// Parses a KATO CSV in the `id;parent_id;code;name` layout, such as the edition the
    /// registry loads on first start. Rows whose parent chain does not end at a region
    /// are left out, because the registry's region filter would not find them either.
    pub fn parse(bytes: &[u8]) -> anyhow::Result<Self> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(bytes);
        let mut rows: HashMap<String, (String, String, String)> = HashMap::new();
        let mut order = Vec::new();
        for record in reader.records() {
            let record = record.context("the KATO file is not valid CSV")?;
            let field = |i: usize| record.get(i).unwrap_or_default().trim().to_owned();
            let (id, parent, code, name) = (field(0), field(1), field(2), field(3));
            if KatoCode::parse(&code).is_err() || name.is_empty() {
                continue;
            }
            order.push(id.clone());
            rows.insert(id, (parent, code, name));
        }

        let mut regions = Vec::new();
        let mut inside: HashMap<String, Vec<Territory>> = HashMap::new();
        for id in &order {
            let (parent, code, name) = &rows[id];
            if parent == "0" {
                regions.push(code.clone());
                continue;
            }
            // KATO has four levels; a longer chain is a cycle or a broken link.
            let mut current = parent;
            let mut region = None;
            for _ in 0..8 {
                match rows.get(current) {
                    Some((grandparent, ancestor_code, _)) if grandparent == "0" => {
                        region = Some(ancestor_code.clone());
                        break;
                    }
                    Some((grandparent, ..)) => current = grandparent,
                    None => break,
                }
            }
            if let Some(region) = region {
                inside.entry(region).or_default().push(Territory {
                    code: code.clone(),
                    place: place_name(name),
                });
            }
        }
        regions.retain(|code| inside.contains_key(code));
        if regions.is_empty() {
            bail!("the KATO file has no region with territories below it");
        }
        Ok(Self { regions, inside })
    }

    /// Returns the codes of the regions, in file order.
    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    /// Picks a territory below `region` uniformly, or `None` for a code that is not a
    /// region of the classifier.
    pub fn pick_in(&self, region: &str, rng: &mut Rng) -> Option<&str> {
        let inside = self.inside.get(region)?;
        Some(rng.pick(inside).code.as_str())
    }

    /// Picks a territory: first a region, with the three cities of republican
    /// significance weighted up because many NPOs are registered there, then a
    /// territory below it, uniformly.
    fn pick(&self, rng: &mut Rng) -> &Territory {
        let weight = |code: &str| match code {
            "750000000" => 14, // Almaty
            "710000000" => 11, // Astana
            "790000000" => 5,  // Shymkent
            _ => 4,
        };
        let total: usize = self.regions.iter().map(|code| weight(code)).sum();
        let mut ticket = rng.below(total);
        let mut chosen = &self.regions[0];
        for code in &self.regions {
            let w = weight(code);
            if ticket < w {
                chosen = code;
                break;
            }
            ticket -= w;
        }
        rng.pick(&self.inside[chosen])
    }
}

/// Strips the settlement-type prefix (`с.`, `г.`, `п.`…) of a KATO name.
fn place_name(name: &str) -> String {
    let trimmed = match name.split_once('.') {
        Some((prefix, rest)) if prefix.chars().count() <= 3 && !prefix.contains(' ') => rest,
        _ => name,
    };
    trimmed.trim().to_owned()
}

/// A legal form with the words that name it in Russian (before the quoted name) and
/// in Kazakh (after it), and its share of generated rows in percent.
struct Form {
    code: &'static str,
    ru: &'static [&'static str],
    kk: &'static [&'static str],
    share: usize,
}

const FORMS: &[Form] = &[
    Form {
        code: "public_association",
        ru: &["Общественное объединение"],
        kk: &["қоғамдық бірлестігі"],
        share: 55,
    },
    Form {
        code: "public_foundation",
        ru: &["Фонд", "Общественный фонд", "Благотворительный фонд"],
        kk: &["қоры", "қоғамдық қоры", "қайырымдылық қоры"],
        share: 25,
    },
    Form {
        code: "association_of_legal_entities",
        ru: &["Ассоциация", "Объединение юридических лиц"],
        kk: &["қауымдастығы", "заңды тұлғалар бірлестігі"],
        share: 6,
    },
    Form {
        code: "institution",
        ru: &["Учреждение"],
        kk: &["мекемесі"],
        share: 6,
    },
    Form {
        code: "private_institution",
        ru: &["Частное учреждение"],
        kk: &["жеке мекемесі"],
        share: 8,
    },
];

/// First words of the quoted part of a name, in Kazakh and Russian.
const TOPICS: &[&str] = &[
    "Жастар",
    "Экология",
    "Қамқорлық",
    "Ұлытау",
    "Болашақ",
    "Милосердие",
    "Мейірім",
    "Шаңырақ",
    "Достық",
    "Бірлік",
    "Ақниет",
    "Сарыарқа",
    "Жасыл ел",
    "Өркен",
    "Үміт",
    "Надежда",
    "Возрождение",
    "Согласие",
    "Забота",
    "Әйелдер",
    "Ардагерлер",
    "Қазына",
    "Мұра",
    "Тұмар",
    "Нұр",
    "Рух",
    "Ізгілік",
    "Самғау",
    "Атамекен",
    "Шапағат",
    "Көмек",
    "Береке",
    "Әділет",
    "Зелёный мир",
    "Доброе сердце",
    "Дети Казахстана",
    "Право и закон",
    "Денсаулық",
    "Білім",
    "Ғылым",
    "Ақ жол",
    "Қыран",
    "Дала",
    "Алтын бесік",
    "Мәдениет",
    "Спорт",
    "Кітап",
    "Волонтёр",
    "Инватур",
    "Ана мен бала",
    "Жерұйық",
    "Ұрпақ",
    "Туған өлке",
    "Шуақ",
    "Тәуелсіздік",
    "Содружество",
    "Эко Дала",
    "Открытый мир",
    "Сенім",
    "Қолдау",
];

/// Optional second words of the quoted part.
const SECOND_WORDS: &[&str] = &[
    "әлемі",
    "орталығы",
    "жолы",
    "ұясы",
    "қанаты",
    "үйі",
    "одағы",
    "клубы",
    "Центр",
    "Плюс",
    "Инициатива",
    "Альянс",
    "Союз",
    "KZ",
    "XXI",
];

/// OKED activity codes common among NPOs: membership organisations, social work,
/// education, sport and culture.
const OKED: &[&str] = &[
    "94991", "94999", "94120", "94920", "88990", "88109", "85590", "93190", "90040", "72200",
];

/// One generated NPO in the CSV layout.
#[derive(Debug, Clone)]
pub struct NpoRow {
    pub bin: Option<String>,
    pub name_ru: Option<String>,
    pub name_kk: Option<String>,
    pub legal_form: &'static str,
    pub status: &'static str,
    pub registered_on: NaiveDate,
    pub kato: Vec<String>,
    pub spheres: Vec<&'static str>,
    pub oked: &'static str,
}

impl NpoRow {
    /// Returns the CSV fields in the order of [`CSV_HEADER`].
    pub fn fields(&self) -> [String; 9] {
        [
            self.bin.clone().unwrap_or_default(),
            self.name_ru.clone().unwrap_or_default(),
            self.name_kk.clone().unwrap_or_default(),
            self.legal_form.to_owned(),
            self.status.to_owned(),
            self.registered_on.format("%Y-%m-%d").to_string(),
            self.kato.join("|"),
            self.spheres.join("|"),
            self.oked.to_owned(),
        ]
    }
}

/// Generates `count` NPOs with unique names and BINs; the same seed gives the same rows.
pub fn generate(count: usize, seed: u64, classifier: &Classifier) -> Vec<NpoRow> {
    let mut rng = Rng::new(seed);
    let mut bins = BinSource::default();
    let mut names = HashSet::new();
    let first_day = NaiveDate::from_ymd_opt(1995, 1, 1).expect("valid date");
    let last_day = NaiveDate::from_ymd_opt(2025, 12, 31).expect("valid date");
    let days = (last_day - first_day).num_days() as usize + 1;

    let mut rows = Vec::with_capacity(count);
    for _ in 0..count {
        let form = pick_form(&mut rng);
        let registered_on = first_day + Days::new(rng.below(days) as u64);
        let first = classifier.pick(&mut rng).clone();
        let mut kato = vec![first.code.clone()];
        if rng.percent(15) {
            let second = classifier.pick(&mut rng);
            if second.code != first.code {
                kato.push(second.code.clone());
            }
        }
        let (name_ru, name_kk) = unique_names(&mut rng, form, &first.place, &mut names);
        // About 7% of rows get no BIN, so the ingestion also matches NPOs by name.
        let bin = (!rng.percent(7)).then(|| bins.next(&mut rng, registered_on));

        let mut spheres: Vec<&'static str> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let sphere = rng.pick(Sphere::all()).code();
            if !spheres.contains(&sphere) {
                spheres.push(sphere);
            }
        }
        rows.push(NpoRow {
            bin,
            name_ru,
            name_kk,
            legal_form: form.code,
            status: "active",
            registered_on,
            kato,
            spheres,
            oked: rng.pick::<&str>(OKED),
        });
    }
    rows
}

fn pick_form(rng: &mut Rng) -> &'static Form {
    let total: usize = FORMS.iter().map(|f| f.share).sum();
    let mut ticket = rng.below(total);
    for form in FORMS {
        if ticket < form.share {
            return form;
        }
        ticket -= form.share;
    }
    &FORMS[0]
}

/// Builds the Russian and Kazakh names, about 85% with both, 10% Russian only and 5%
/// Kazakh only. A name already used gets a number, because the ingestion matches
/// NPOs without a BIN by their folded name and first territory.
fn unique_names(
    rng: &mut Rng,
    form: &Form,
    place: &str,
    used: &mut HashSet<String>,
) -> (Option<String>, Option<String>) {
    let mut core = rng.pick(TOPICS).to_string();
    if rng.percent(45) {
        core.push(' ');
        core.push_str(rng.pick::<&str>(SECOND_WORDS));
    }
    let variant = rng.below(form.ru.len());
    let languages = rng.below(100);
    for number in 1.. {
        let quoted = if number == 1 {
            format!("«{core}»")
        } else {
            format!("«{core}» №{number}")
        };
        let name_ru = format!("{} {quoted} ({place})", form.ru[variant]);
        let name_kk = format!("{quoted} {} ({place})", form.kk[variant]);
        let (ru, kk) = match languages {
            0..85 => (Some(name_ru), Some(name_kk)),
            85..95 => (Some(name_ru), None),
            _ => (None, Some(name_kk)),
        };
        let keys: Vec<String> = [&ru, &kk].into_iter().flatten().map(|n| fold(n)).collect();
        if keys.iter().all(|key| !used.contains(key)) {
            used.extend(keys);
            return (ru, kk);
        }
    }
    unreachable!("the loop returns once a number makes the name unique")
}

/// Issues unique valid BINs of resident legal entities (head offices) registered in
/// the month of their registration date.
#[derive(Debug, Default)]
struct BinSource {
    issued: HashSet<String>,
}

impl BinSource {
    fn next(&mut self, rng: &mut Rng, registered_on: NaiveDate) -> String {
        let year = (registered_on.year() % 100) as u8;
        let month = registered_on.month() as u8;
        loop {
            let serial = rng.below(100_000);
            let mut digits = [0u8; 11];
            digits[0] = year / 10;
            digits[1] = year % 10;
            digits[2] = month / 10;
            digits[3] = month % 10;
            digits[4] = 4; // resident legal entity
            digits[5] = 0; // head office
            for (i, slot) in digits[6..11].iter_mut().enumerate() {
                *slot = ((serial / 10usize.pow(4 - i as u32)) % 10) as u8;
            }
            // Some prefixes have no check digit; such serial numbers are never issued.
            let Some(check) = common_models::bin::check_digit(&digits) else {
                continue;
            };
            let text: String = digits
                .iter()
                .chain(std::iter::once(&check))
                .map(|d| char::from(b'0' + d))
                .collect();
            if self.issued.insert(text.clone()) {
                debug_assert!(Bin::parse(&text).is_ok(), "generated BIN {text} is invalid");
                return text;
            }
        }
    }
}

/// Writes the rows as the CSV body of an ingestion request, header first.
pub fn to_csv(rows: &[NpoRow]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 220));
    writer.write_record(CSV_HEADER)?;
    for row in rows {
        writer.write_record(row.fields())?;
    }
    writer.into_inner().context("failed to finish the CSV body")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier() -> Classifier {
        Classifier::parse(registry::territories::BUNDLED_KATO).unwrap()
    }

    #[test]
    fn classifier_has_all_regions() {
        let classifier = classifier();

        assert_eq!(classifier.regions.len(), 20);
        assert!(classifier.regions.contains(&"620000000".to_owned()));
        assert!(classifier.inside["750000000"].len() > 1);
    }

    #[test]
    fn rows_are_deterministic() {
        let classifier = classifier();
        let first = to_csv(&generate(500, 7, &classifier)).unwrap();
        let second = to_csv(&generate(500, 7, &classifier)).unwrap();
        let other = to_csv(&generate(500, 8, &classifier)).unwrap();

        assert_eq!(first, second);
        assert_ne!(first, other);
    }

    #[test]
    fn bins_are_valid_and_unique() {
        let rows = generate(5_000, 1, &classifier());
        let bins: Vec<&String> = rows.iter().filter_map(|r| r.bin.as_ref()).collect();
        let unique: HashSet<&&String> = bins.iter().collect();

        assert!(bins.iter().all(|bin| Bin::parse(bin).is_ok()));
        assert_eq!(unique.len(), bins.len());
        // About 7% of rows have no BIN.
        assert!((4_400..4_900).contains(&bins.len()), "{}", bins.len());
    }

    #[test]
    fn names_are_unique_and_present() {
        let rows = generate(5_000, 2, &classifier());
        let mut seen = HashSet::new();

        for row in &rows {
            assert!(row.name_ru.is_some() || row.name_kk.is_some());
            for name in [&row.name_ru, &row.name_kk].into_iter().flatten() {
                assert!(seen.insert(fold(name)), "repeated name {name}");
            }
        }
    }

    #[test]
    fn codes_come_from_catalogues() {
        let rows = generate(1_000, 3, &classifier());

        for row in &rows {
            assert!(common_models::LegalForm::from_code(row.legal_form).is_some());
            assert!(row.spheres.iter().all(|s| Sphere::from_code(s).is_some()));
            assert!(row.kato.iter().all(|code| KatoCode::parse(code).is_ok()));
            assert!(!row.kato.iter().any(|code| code.ends_with("0000000")));
        }
    }

    #[test]
    fn place_name_strips_prefix() {
        assert_eq!(place_name("с.Акшабай"), "Акшабай");
        assert_eq!(place_name("г.Семей"), "Семей");
        assert_eq!(place_name("Абралинский с.о."), "Абралинский с.о.");
    }
}
