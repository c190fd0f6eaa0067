//! Request bodies of the platform scenarios: the body whose officer writes, its
//! officer, NPOs with unique BINs, recommendations and joint actions.

use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};

use super::topology::{BODY, REGION, VILLAGE};

/// Officer of [`BODY`], the subject of the officer's token.
pub const OFFICER: &str = "bench-officer";

/// Returns a valid BIN of a resident legal entity that no other `serial` below 1.2
/// million gets within one `run` number: the registration month and the serial
/// number come from `serial`, the year from `run`, shifted until the digits have a
/// check digit.
pub fn bin(run: u32, serial: u64) -> String {
    let month = serial / 100_000 % 12 + 1;
    let number = serial % 100_000;
    let first_year = u64::from(run % 100);
    for shift in [0, 50, 25, 75, 12, 62, 37, 87] {
        let year = (first_year + shift) % 100;
        let prefix = format!("{year:02}{month:02}40{number:05}");
        let digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        let first11: [u8; 11] = digits.try_into().expect("11 digits");
        if let Some(check) = common_models::bin::check_digit(&first11) {
            return format!("{prefix}{check}");
        }
    }
    unreachable!("one of eight registration years gives serial {serial} a check digit")
}

/// Returns the ministry's register entry of [`BODY`], a regional department for youth
/// and education.
pub fn body() -> Value {
    json!({
        "id": BODY,
        "name_ru": "Управление по делам молодежи области Ұлытау",
        "name_kk": "Ұлытау облысының жастар саясаты басқармасы",
        "level": "regional_department",
        "territory": REGION,
        "spheres": ["youth", "education"]
    })
}

/// Returns the appointment of [`OFFICER`] on 1 January three years before `today`, so
/// that annual reports on the last three years may be opened.
pub fn appointment(today: NaiveDate) -> Value {
    let first_day = NaiveDate::from_ymd_opt(today.year() - 3, 1, 1).expect("1 January");
    json!({
        "officer": OFFICER,
        "full_name": "Айгерім Сейітова",
        "position": "deputy_head_of_department",
        "appointed_on": first_day.to_string(),
        "contacts": {"room": "305", "phone": "+77102123456", "email": "youth@example.kz"},
        "reception_schedule": "Вторник, 15:00–18:00"
    })
}

/// Returns an NPO of a village of Ulytau working for youth, with BIN `bin`.
pub fn npo(bin: &str, serial: u64) -> Value {
    json!({
        "bin": bin,
        "name_ru": format!("Общественное объединение «Жастар» №{serial}"),
        "name_kk": format!("«Жастар» қоғамдық бірлестігі №{serial}"),
        "legal_form": "public_association",
        "registered_on": "2015-03-10",
        "territories": [VILLAGE],
        "spheres": ["youth"],
        "target_groups": ["youth", "children"],
        "forms_of_work": ["consultations", "joint_events"],
        "source": "npo_representatives"
    })
}

/// Returns the CSV body of a registry import of the NPOs `serials`, each with its BIN.
pub fn import_csv(run: u32, serials: impl IntoIterator<Item = u64>) -> String {
    let mut csv =
        String::from("bin,name_ru,name_kk,legal_form,status,registered_on,kato,spheres\n");
    for serial in serials {
        csv.push_str(&format!(
            "{},Фонд «Білім» №{serial},«Білім» қоры №{serial},public_foundation,active,04.05.2020,{VILLAGE},youth\n",
            bin(run, serial)
        ));
    }
    csv
}

/// Returns a recommendation of an NPO to [`BODY`].
pub fn recommendation(serial: u64) -> Value {
    json!({
        "government_body": BODY,
        "sphere": "youth",
        "territory": REGION,
        "text": format!("Открыть молодежный центр в селе, предложение №{serial}"),
        "contacts": {"name": "Жанар Ахметова", "email": "jastar@example.kz"}
    })
}

/// Returns a joint action that [`OFFICER`] drafts.
pub fn joint_action(serial: u64) -> Value {
    json!({
        "title": format!("Кружки для подростков в сёлах, поток {serial}"),
        "initiator": "officer",
        "spheres": ["youth"],
        "territory": REGION,
        "goals": ["Досуг подростков в сёлах"],
        "tasks": ["Открыть 5 кружков"]
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn bins_are_valid_and_unique_per_run() {
        let bins: Vec<String> = (0..30_000).map(|serial| bin(20_261_205, serial)).collect();

        for text in &bins {
            assert!(common_models::Bin::parse(text).is_ok(), "{text} is invalid");
        }
        let unique: HashSet<&String> = bins.iter().collect();
        assert_eq!(unique.len(), bins.len());
    }

    #[test]
    fn import_csv_has_a_row_per_serial() {
        let csv = import_csv(7, 10..13);

        assert_eq!(csv.lines().count(), 4);
        assert!(
            csv.lines()
                .nth(1)
                .is_some_and(|row| row.starts_with(&bin(7, 10)))
        );
    }
}
