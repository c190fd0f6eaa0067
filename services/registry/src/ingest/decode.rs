//! Character encodings of uploaded files, and the marks of text that was garbled
//! before it reached us.
//!
//! Spreadsheets saved in Kazakhstan are often in the Cyrillic Windows code page
//! (Windows-1251) rather than UTF-8. Text in that code page is almost never valid
//! UTF-8, so the first block of a file distinguishes the two. Windows-1251 has no
//! Kazakh letters: a program that saves Kazakh text in it writes `?` in their place,
//! and such values are rejected rather than stored garbled.

use std::io::{BufRead, BufReader, Read};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Bytes looked at to detect the encoding.
const SNIFF: usize = 64 * 1024;

/// Character encoding of an uploaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-16")]
    Utf16,
    #[serde(rename = "windows-1251")]
    Windows1251,
}

impl Encoding {
    /// Parses a charset name as HTTP and HTML spell it.
    pub fn from_label(label: &str) -> Option<Self> {
        match label.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Self::Utf8),
            "utf-16" | "utf-16le" | "utf-16be" => Some(Self::Utf16),
            "windows-1251" | "cp1251" | "win-1251" | "x-cp1251" => Some(Self::Windows1251),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf16 => "utf-16",
            Self::Windows1251 => "windows-1251",
        }
    }
}

/// Failure to decode a file.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "the file is declared as UTF-8 (by a parameter, the Content-Type or a byte-order \
         mark) but is not valid UTF-8 near byte {0}; it looks like Windows-1251: send it \
         with charset=windows-1251, or save it as CSV UTF-8"
    )]
    NotUtf8(usize),
    #[error("the file cannot be read: {0}")]
    Io(#[from] std::io::Error),
}

/// A reader of UTF-8 text, and the encoding the bytes were in.
pub struct Decoded {
    pub encoding: Encoding,
    /// Whether the encoding was found by looking at the bytes rather than declared.
    pub detected: bool,
    pub reader: Box<dyn BufRead + Send>,
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("encoding", &self.encoding)
            .finish()
    }
}

/// Wraps `input` in a reader that yields UTF-8 without a byte-order mark. With no
/// `declared` encoding, a byte-order mark decides, then whether the first block is
/// valid UTF-8; a file that is not is read as Windows-1251.
pub fn decode(
    mut input: Box<dyn Read + Send>,
    declared: Option<Encoding>,
) -> Result<Decoded, DecodeError> {
    let mut head = Vec::with_capacity(SNIFF);
    (&mut input).take(SNIFF as u64).read_to_end(&mut head)?;
    let (encoding, detected) = match declared {
        Some(encoding) => (encoding, false),
        None => (sniff(&head), true),
    };
    if encoding == Encoding::Utf8
        && let Err(error) = std::str::from_utf8(strip_utf8_bom(&head))
        && error.error_len().is_some()
    {
        return Err(DecodeError::NotUtf8(error.valid_up_to()));
    }
    let skip = if encoding == Encoding::Utf8 && head.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    let mut first = std::io::Cursor::new(head);
    first.set_position(skip as u64);
    let whole = first.chain(input);
    let reader: Box<dyn BufRead + Send> = match encoding {
        Encoding::Utf8 => Box::new(BufReader::new(whole)),
        Encoding::Utf16 => Box::new(BufReader::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::UTF_16LE))
                .bom_override(true)
                .strip_bom(true)
                .build(whole),
        )),
        Encoding::Windows1251 => Box::new(BufReader::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::WINDOWS_1251))
                .build(whole),
        )),
    };
    Ok(Decoded {
        encoding,
        detected,
        reader,
    })
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn strip_utf8_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}

fn sniff(head: &[u8]) -> Encoding {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Encoding::Utf16;
    }
    // A UTF-8 byte-order mark settles it: a body that is not UTF-8 after one is
    // rejected rather than read as Windows-1251 with the mark turned into `п»ї`.
    if head.starts_with(UTF8_BOM) {
        return Encoding::Utf8;
    }
    match std::str::from_utf8(strip_utf8_bom(head)) {
        Ok(_) => Encoding::Utf8,
        // The block may end inside a multi-byte character; that is still UTF-8.
        Err(error) if error.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Windows1251,
    }
}

/// Returns why `value` looks garbled, or `None`. `encoding` is the file's encoding:
/// only Windows-1251 turns letters it lacks into `?`.
pub fn garbled(value: &str, encoding: Encoding) -> Option<String> {
    if value.contains('\u{FFFD}') {
        return Some(
            "contains the replacement character U+FFFD: the text was decoded with the wrong \
             encoding before it was sent"
                .into(),
        );
    }
    if encoding == Encoding::Windows1251 && has_lost_letters(value) {
        return Some(
            "contains '?' in place of letters: Windows-1251 has no Kazakh letters, so save \
             the file as CSV UTF-8 and send it again"
                .into(),
        );
    }
    if is_mojibake(value) {
        return Some(
            "looks like UTF-8 text that was decoded as Windows-1251 or Latin-1 (such as \
             'РћР±С‰'); save the file as CSV UTF-8 and send it again"
                .into(),
        );
    }
    None
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// Finds a `?` followed by a Cyrillic letter, as in `?аза?стан`; a question mark
/// that ends a word, as in `Что? Где?`, is punctuation.
fn has_lost_letters(value: &str) -> bool {
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(|&next| is_cyrillic(next)) {
            return true;
        }
    }
    false
}

/// Characters that the second byte of a UTF-8 Cyrillic letter becomes in Windows-1251
/// and that never follow `Р` or `С` in Russian or Kazakh text. `Ё`, `ё`, `І` and `і`
/// are left out because they do.
const WINDOWS_1251_TAILS: &str = "ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—™љ›њќћџЎўЈ¤Ґ¦§©Є«¬®Ї°±ґµ¶·№є»јЅѕї";

/// Counts the pairs that UTF-8 Cyrillic makes when read as Windows-1251 (`Р±`, `С‰`)
/// or as Latin-1 (`Ð±`, `Ñ\u{89}`); two or more mean mojibake.
fn is_mojibake(value: &str) -> bool {
    let mut pairs = 0;
    let mut previous = None;
    for c in value.chars() {
        let suspicious = match previous {
            Some('Р' | 'С') => WINDOWS_1251_TAILS.contains(c),
            Some('Ð' | 'Ñ') => {
                ('\u{0080}'..='\u{00BF}').contains(&c) || "ŒœŠšŸŽž€‚ƒ„…†‡ˆ‰‹›‘’“”•–—˜™".contains(c)
            }
            _ => false,
        };
        if suspicious {
            pairs += 1;
        }
        previous = Some(c);
    }
    pairs >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], declared: Option<Encoding>) -> (Encoding, String) {
        let mut decoded =
            decode(Box::new(std::io::Cursor::new(bytes.to_vec())), declared).expect("decodable");
        let mut text = String::new();
        decoded.reader.read_to_string(&mut text).expect("UTF-8");
        (decoded.encoding, text)
    }

    #[test]
    fn utf8_bom_stripped() {
        let (encoding, text) = read_all("\u{FEFF}бин;имя".as_bytes(), None);
        assert_eq!(encoding, Encoding::Utf8);
        assert_eq!(text, "бин;имя");
    }

    #[test]
    fn windows_1251_detected() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("БИН;Наименование\r\n");
        let (encoding, text) = read_all(&bytes, None);
        assert_eq!(encoding, Encoding::Windows1251);
        assert_eq!(text, "БИН;Наименование\r\n");
    }

    #[test]
    fn utf16_with_bom_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "Қор".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (encoding, text) = read_all(&bytes, None);
        assert_eq!(encoding, Encoding::Utf16);
        assert_eq!(text, "Қор");
    }

    #[test]
    fn declared_utf8_checked() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("Фонд");
        let error = decode(
            Box::new(std::io::Cursor::new(bytes.into_owned())),
            Some(Encoding::Utf8),
        )
        .unwrap_err();
        assert!(error.to_string().contains("windows-1251"), "{error}");
    }

    #[test]
    fn lost_kazakh_letters_found() {
        assert!(garbled("?аза?стан", Encoding::Windows1251).is_some());
        assert!(garbled("Что? Где? Когда?", Encoding::Windows1251).is_none());
        assert!(garbled("?азақстан", Encoding::Utf8).is_none());
    }

    #[test]
    fn mojibake_found() {
        let (as_1251, _, _) = encoding_rs::WINDOWS_1251.decode("Общественное".as_bytes());
        assert!(garbled(&as_1251, Encoding::Utf8).is_some(), "{as_1251}");
        let (as_latin, _, _) = encoding_rs::WINDOWS_1252.decode("Фонд".as_bytes());
        assert!(garbled(&as_latin, Encoding::Utf8).is_some(), "{as_latin}");
        for clean in ["Россия", "Сіздің қорыңыз", "ОО «Сұңқар»", "Ресурсный центр"]
        {
            assert!(garbled(clean, Encoding::Utf8).is_none(), "{clean}");
        }
    }

    #[test]
    fn replacement_character_rejected() {
        assert!(garbled("Фон\u{FFFD}", Encoding::Utf8).is_some());
    }
}
