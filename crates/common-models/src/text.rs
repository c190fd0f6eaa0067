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

/// Letters and digits in the order of the collation key: digits, Latin, then the Kazakh
/// Cyrillic alphabet. Russian order is the Kazakh order without the Kazakh letters.
const LATIN: &str = "abcdefghijklmnopqrstuvwxyz";
const CYRILLIC: &str = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя";

/// Separates words in a key; it sorts before every letter, so "Ак жол" < "Акбота".
const KEY_SEPARATOR: u8 = 0x20;
/// First byte of a digit run, which is followed by the run's length and its digits.
const KEY_DIGITS_LENGTH: u8 = 0x21;
/// Maximum digit-run length the key records; longer runs compare digit by digit.
const KEY_MAX_DIGITS: usize = 15;
const KEY_LATIN: u8 = 0x3A;
const KEY_CYRILLIC: u8 = KEY_LATIN + 26;
/// Precedes a character outside the alphabets, which then sorts by code point.
const KEY_OTHER: u8 = b'~';

/// Collation key of an absent name. Every key of [`collation_key`] starts with an ASCII
/// byte, so this one sorts after all of them.
pub const COLLATION_KEY_LAST: &str = "\u{E000}";

/// Builds a key whose byte order is the alphabetical order a Kazakh or Russian reader
/// expects, so databases can sort names with a bytewise comparison (`COLLATE "C"` on
/// PostgreSQL, the default `BINARY` on SQLite).
///
/// Letter case is ignored, quotes and other punctuation are skipped, and runs of
/// whitespace separate words. Digits come first and compare as numbers (`2` before
/// `10`, leading zeros ignored). Latin letters follow, then Cyrillic letters in the
/// order of the Kazakh alphabet (А Ә Б В Г Ғ Д Е Ё Ж … Ы І Ь Э Ю Я). Latin letters
/// with diacritics sort as their base letter. The legacy look-alikes `ќ` and `ў` sort
/// as `қ` and `ұ`. A Latin `i` next to a Cyrillic letter sorts as the Kazakh `і`,
/// because keyboards without Kazakh letters put it in its place. Other characters sort after all letters, by code point.
/// The key is never empty: text without letters or digits sorts by its other characters.
///
/// Equal keys do not imply equal names, so callers add a unique tie-breaker such as the
/// id. The key is ASCII except for characters outside the alphabets.
pub fn collation_key(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut key = Vec::with_capacity(text.len());
    let mut pending_separator = false;
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c.is_whitespace() {
            pending_separator = !key.is_empty();
            index += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let run: Vec<char> = chars[index..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .copied()
                .collect();
            index += run.len();
            push_separator(&mut key, &mut pending_separator);
            push_digits(&mut key, &run);
            continue;
        }
        let cyrillic_neighbour = [index.checked_sub(1), Some(index + 1)]
            .into_iter()
            .flatten()
            .filter_map(|i| chars.get(i))
            .any(|n| is_cyrillic_letter(*n));
        if let Some(byte) = letter_weight(c, cyrillic_neighbour) {
            push_separator(&mut key, &mut pending_separator);
            key.push(byte);
        } else if c.is_alphanumeric() {
            push_separator(&mut key, &mut pending_separator);
            push_other(&mut key, c);
        }
        index += 1;
    }
    if key.is_empty() {
        for c in chars.iter().filter(|c| !c.is_whitespace()) {
            push_other(&mut key, *c);
        }
    }
    // Every byte pushed is ASCII or a whole UTF-8 character.
    String::from_utf8(key).unwrap_or_default()
}

fn push_separator(key: &mut Vec<u8>, pending: &mut bool) {
    if std::mem::take(pending) {
        key.push(KEY_SEPARATOR);
    }
}

/// Writes a digit run as its length and its digits without leading zeros, so that a
/// shorter number sorts first.
fn push_digits(key: &mut Vec<u8>, run: &[char]) {
    let first = run.iter().position(|d| *d != '0').unwrap_or(run.len() - 1);
    let digits = &run[first..];
    let length = digits.len().min(KEY_MAX_DIGITS);
    key.push(KEY_DIGITS_LENGTH + u8::try_from(length - 1).unwrap_or(0));
    key.extend(digits.iter().map(|d| *d as u8));
}

fn push_other(key: &mut Vec<u8>, c: char) {
    key.push(KEY_OTHER);
    for lower in c.to_lowercase() {
        let mut buffer = [0; 4];
        key.extend_from_slice(lower.encode_utf8(&mut buffer).as_bytes());
    }
}

fn is_cyrillic_letter(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}') && c.is_alphabetic()
}

/// Returns the key byte of a letter of either alphabet, or `None` for anything else.
fn letter_weight(c: char, cyrillic_neighbour: bool) -> Option<u8> {
    let mut lower = c.to_lowercase();
    let (Some(letter), None) = (lower.next(), lower.next()) else {
        return None;
    };
    let letter = match letter {
        'i' | 'ı' if cyrillic_neighbour => 'і',
        'ќ' => 'қ',
        'ў' => 'ұ',
        other => latin_base(other).unwrap_or(other),
    };
    if let Some(position) = LATIN.chars().position(|l| l == letter) {
        return Some(KEY_LATIN + u8::try_from(position).ok()?);
    }
    let position = CYRILLIC.chars().position(|l| l == letter)?;
    Some(KEY_CYRILLIC + u8::try_from(position).ok()?)
}

/// Maps a Latin letter with a diacritic, as in Kazakh and European Latin spellings, to
/// its base letter.
fn latin_base(c: char) -> Option<char> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ğ' | 'ǵ' => 'g',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => 'i',
        'ł' => 'l',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ř' => 'r',
        'ś' | 'ş' | 'š' => 's',
        'ť' | 'ţ' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        _ => return None,
    })
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

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        names.sort_by_key(|n| collation_key(n));
        names
    }

    #[test]
    fn key_follows_kazakh_alphabet() {
        let alphabet =
            "А Ә Б В Г Ғ Д Е Ё Ж З И Й К Қ Л М Н Ң О Ө П Р С Т У Ұ Ү Ф Х Һ Ц Ч Ш Щ Ъ Ы І Ь Э Ю Я";
        let letters: Vec<&str> = alphabet.split(' ').collect();
        let mut shuffled = letters.clone();
        shuffled.reverse();

        assert_eq!(sorted(&shuffled), letters);
    }

    #[test]
    fn key_orders_names_by_first_letters() {
        let expected = [
            "Алтын",
            "Әлем",
            "Бірлік",
            "Ғылым",
            "Қамқор",
            "Өркен",
            "Ұлытау",
            "Үміт",
            "Іргетас",
            "Ясная",
        ];
        let mut reversed = expected;
        reversed.reverse();

        assert_eq!(sorted(&reversed), expected);
    }

    #[test]
    fn key_keeps_russian_order() {
        let expected = [
            "ель", "ёж", "жук", "йод", "шар", "щит", "ъер", "ыр", "ь", "эра", "юг",
        ];
        let mut reversed = expected;
        reversed.reverse();

        assert_eq!(sorted(&reversed), expected);
    }

    #[test]
    fn key_ignores_case_and_punctuation() {
        assert_eq!(
            collation_key("ОО «ҚАМҚОРЛЫҚ»"),
            collation_key("оо қамқорлық")
        );
        assert_eq!(
            collation_key("\"Жастар\"  әлемі"),
            collation_key("жастар әлемі")
        );
        assert_eq!(collation_key("  Фонд "), collation_key("фонд"));
        assert_eq!(collation_key("Ақ-Жол"), collation_key("ақжол"));
    }

    #[test]
    fn key_puts_digits_then_latin_then_cyrillic() {
        assert_eq!(
            sorted(&["Ясли", "Zebra", "Фонд", "apple", "7 ветров"]),
            ["7 ветров", "apple", "Zebra", "Фонд", "Ясли"]
        );
    }

    #[test]
    fn key_compares_numbers_by_value() {
        assert_eq!(
            sorted(&["Школа 10", "Школа 2", "Школа 002a", "Школа 1"]),
            ["Школа 1", "Школа 2", "Школа 002a", "Школа 10"]
        );
    }

    #[test]
    fn key_orders_words_before_longer_words() {
        assert_eq!(sorted(&["Акбота", "Ак жол"]), ["Ак жол", "Акбота"]);
    }

    #[test]
    fn key_maps_look_alike_letters() {
        assert_eq!(collation_key("БIРЛЕСТIГI"), collation_key("бірлестігі"));
        assert_eq!(collation_key("Ќоянды"), collation_key("Қоянды"));
        assert_eq!(collation_key("Ïle"), collation_key("ile"));
        assert_eq!(collation_key("Ǵylym"), collation_key("gylym"));
    }

    #[test]
    fn key_orders_other_letters_after_cyrillic() {
        assert_eq!(sorted(&["αλφα", "Я"]), ["Я", "αλφα"]);
    }

    #[test]
    fn key_never_empty_and_before_absent() {
        let punctuation = collation_key("«***»");

        assert!(!punctuation.is_empty());
        assert!(punctuation.as_str() < COLLATION_KEY_LAST);
        assert!(collation_key("ЯЯЯ").as_str() < COLLATION_KEY_LAST);
        assert!(collation_key("αλφα").as_str() < COLLATION_KEY_LAST);
    }
}
