//! Text folding for case-insensitive search in Russian and Kazakh.

/// Folds text for matching. Letters become Unicode lower case (Kazakh letters
/// included) and `ё` becomes `е`. The legacy look-alike letters that old fonts put in
/// place of Kazakh ones are replaced (`ќ` by `қ`, `ў` by `ұ`), and runs of whitespace
/// collapse to one space.
///
/// The result is stored beside the original text and compared with `LIKE`, so search
/// behaves the same on SQLite, whose `lower()` folds ASCII only, and on PostgreSQL
/// whatever its collation.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !folded.is_empty();
            continue;
        }
        if pending_space {
            folded.push(' ');
            pending_space = false;
        }
        for lower in c.to_lowercase() {
            folded.push(match lower {
                'ё' => 'е',
                'ќ' => 'қ',
                'ў' => 'ұ',
                other => other,
            });
        }
    }
    folded
}

/// Replaces the legacy look-alike letters in a name with the Kazakh letters meant,
/// keeping the letter case (`Ќ` becomes `Қ`, `ў` becomes `ұ`).
pub fn repair_kazakh_letters(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'Ќ' => 'Қ',
            'ќ' => 'қ',
            'Ў' => 'Ұ',
            'ў' => 'ұ',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_kazakh_capitals() {
        assert_eq!(fold("ОО «ҚАМҚОРЛЫҚ»"), "оо «қамқорлық»");
        assert_eq!(fold("Ұлытау"), "ұлытау");
        assert_eq!(fold("ӘЛЕМІ ҒҢӨҮҺ"), "әлемі ғңөүһ");
    }

    #[test]
    fn fold_collapses_space_and_yo() {
        assert_eq!(fold("  Ёлка \t  Жасыл  "), "елка жасыл");
    }

    #[test]
    fn fold_legacy_letters() {
        assert_eq!(fold("с.\"Ќўрылысшы\""), "с.\"құрылысшы\"");
        assert_eq!(repair_kazakh_letters("с.Жўмба Ќоянды"), "с.Жұмба Қоянды");
    }
}
