//! Reading the rows of a batch, one at a time, from CSV, a JSON array or NDJSON.
//! Every row becomes a JSON object of the platform's field names, or the reasons it
//! cannot.

use std::io::{BufRead, Read};

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::decode::{self, DecodeError, Encoding};
use super::layout::{ColumnMap, HeaderError, Layout};

/// Longest NDJSON line accepted, in bytes.
const MAX_LINE: usize = 1024 * 1024;

/// Format of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    /// A JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
}

/// A reason a row is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// JSON pointer of the field, such as `/bin` or `/territories/0`; `/` for the row.
    pub field: String,
    /// Header of the CSV column the field came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub message: String,
}

impl RowError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            column: None,
            message: message.into(),
        }
    }
}

/// One row as read: its line and its fields, or why they cannot be read.
#[derive(Debug)]
pub struct RawRow {
    /// Line where the row starts (CSV, NDJSON) or its position in a JSON array,
    /// counted from 1.
    pub line: u64,
    pub fields: Result<Map<String, Value>, Vec<RowError>>,
}

/// Facts about a batch found before its rows: encoding, separator and columns.
#[derive(Debug, Clone)]
pub struct Preamble {
    pub encoding: Encoding,
    pub encoding_detected: bool,
    pub delimiter: Option<char>,
    pub columns: Option<ColumnMap>,
}

impl Preamble {
    pub fn layout(&self) -> Layout {
        self.columns
            .as_ref()
            .map_or(Layout::Platform, |columns| columns.layout)
    }
}

/// How to read a batch.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    pub format: Format,
    pub layout: Option<Layout>,
    pub delimiter: Option<u8>,
    pub encoding: Option<Encoding>,
}

/// Failure that stops reading a batch.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("the header row cannot be used: {0}")]
    Header(#[from] HeaderError),
    #[error("the file is empty: a CSV batch starts with a header row")]
    NoHeader,
    #[error("the JSON is malformed at line {line}, column {column}: {message}")]
    Malformed {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the batch cannot be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Stopped(String),
    #[error(
        "the batch has more than {0} rows; split it into batches of at most {0} rows \
         (LIAISON_BATCH_ROWS)"
    )]
    TooManyRows(u64),
}

/// Reads every row of `input` and hands it to `each`, which may stop the reading with
/// an error of its own.
pub fn read<F>(
    input: Box<dyn Read + Send>,
    options: ReadOptions,
    mut each: F,
) -> Result<Preamble, ReadError>
where
    F: FnMut(&Preamble, RawRow) -> Result<(), ReadError>,
{
    let declared = match options.format {
        Format::Csv => options.encoding,
        // JSON is UTF-8 by definition (RFC 8259).
        Format::Json | Format::Ndjson => Some(options.encoding.unwrap_or(Encoding::Utf8)),
    };
    let decoded = decode::decode(input, declared)?;
    let mut preamble = Preamble {
        encoding: decoded.encoding,
        encoding_detected: decoded.detected,
        delimiter: None,
        columns: None,
    };
    let mut reader = decoded.reader;
    match options.format {
        Format::Csv => read_csv(&mut reader, options, &mut preamble, &mut each)?,
        Format::Ndjson => read_ndjson(&mut reader, &preamble, &mut each)?,
        Format::Json => read_json_array(reader, &preamble, &mut each)?,
    }
    Ok(preamble)
}

/// Picks the separator that occurs most often outside quotes in the header line:
/// `;` (what spreadsheets in Russian locales write), `,` or a tab.
fn detect_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for &byte in line {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(d, _)| *d == byte) {
            entry.1 += 1;
        }
    }
    counts
        .iter()
        .max_by_key(|(_, count)| *count)
        .filter(|(_, count)| *count > 0)
        .map_or(b',', |(delimiter, _)| *delimiter)
}

fn read_csv<F>(
    reader: &mut Box<dyn BufRead + Send>,
    options: ReadOptions,
    preamble: &mut Preamble,
    each: &mut F,
) -> Result<(), ReadError>
where
    F: FnMut(&Preamble, RawRow) -> Result<(), ReadError>,
{
    // The header line is read whole to detect the separator, then handed to the CSV
    // reader ahead of the rest.
    let mut header_line = Vec::new();
    reader
        .by_ref()
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut header_line)?;
    let delimiter = match options.delimiter {
        Some(delimiter) => delimiter,
        None => detect_delimiter(&header_line),
    };
    let reader = std::io::Cursor::new(header_line).chain(reader);
    preamble.delimiter = Some(char::from(delimiter));
    // Lines end at `\n` alone: with the default CRLF handling the csv crate reports
    // the line of a record after CRLF one too low. The `\r` left at the end of the
    // last cell is trimmed with the other white space.
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    if !csv.read_byte_record(&mut record).map_err(csv_error)? {
        return Err(ReadError::NoHeader);
    }
    let headers: Vec<String> = record
        .iter()
        .map(|cell| String::from_utf8_lossy(cell).trim().to_owned())
        .collect();
    let columns = ColumnMap::new(&headers, options.layout)?;
    preamble.columns = Some(columns.clone());

    while csv.read_byte_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, csv::Position::line);
        if record
            .iter()
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
        {
            continue;
        }
        let fields = csv_fields(&columns, &record, preamble.encoding);
        each(preamble, RawRow { line, fields })?;
    }
    Ok(())
}

fn csv_error(error: csv::Error) -> ReadError {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => ReadError::Io(error),
        other => ReadError::Stopped(format!("the CSV cannot be read: {other:?}")),
    }
}

fn csv_fields(
    columns: &ColumnMap,
    record: &csv::ByteRecord,
    encoding: Encoding,
) -> Result<Map<String, Value>, Vec<RowError>> {
    if record.len() != columns.columns.len() {
        return Err(vec![RowError::new(
            "/",
            format!(
                "has {} fields but the header has {}; check the separator and the quotes",
                record.len(),
                columns.columns.len()
            ),
        )]);
    }
    let mut cells = Vec::with_capacity(record.len());
    let mut errors = Vec::new();
    for (cell, (header, _)) in record.iter().zip(&columns.columns) {
        match std::str::from_utf8(cell) {
            Ok(text) => cells.push(text),
            Err(_) => {
                cells.push("");
                errors.push(RowError {
                    field: "/".into(),
                    column: Some(header.clone()),
                    message: "is not valid UTF-8; send the file with charset=windows-1251 or \
                              save it as CSV UTF-8"
                        .into(),
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let row = columns.row(&cells);
    check_garbled(&row, encoding).map_err(|mut errors| {
        for error in &mut errors {
            let name = error.field.trim_start_matches('/');
            let name = name.split('/').next().unwrap_or_default();
            error.column = columns.header_of(name).map(str::to_owned);
        }
        errors
    })?;
    Ok(row)
}

/// Rejects string values that carry the marks of a wrong encoding.
fn check_garbled(row: &Map<String, Value>, encoding: Encoding) -> Result<(), Vec<RowError>> {
    let mut errors = Vec::new();
    for (name, value) in row {
        let texts: Vec<(String, &str)> = match value {
            Value::String(text) => vec![(format!("/{name}"), text.as_str())],
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| item.as_str().map(|t| (format!("/{name}/{i}"), t)))
                .collect(),
            _ => Vec::new(),
        };
        for (pointer, text) in texts {
            if let Some(reason) = decode::garbled(text, encoding) {
                errors.push(RowError::new(pointer, reason));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn object_row(value: Value, encoding: Encoding) -> Result<Map<String, Value>, Vec<RowError>> {
    let Value::Object(row) = value else {
        return Err(vec![RowError::new("/", "must be a JSON object")]);
    };
    check_garbled(&row, encoding)?;
    Ok(row)
}

fn read_ndjson<F>(
    reader: &mut Box<dyn BufRead + Send>,
    preamble: &Preamble,
    each: &mut F,
) -> Result<(), ReadError>
where
    F: FnMut(&Preamble, RawRow) -> Result<(), ReadError>,
{
    let mut buffer = Vec::new();
    let mut line = 0u64;
    loop {
        buffer.clear();
        let read = reader
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        line += 1;
        if buffer.len() > MAX_LINE && !buffer.ends_with(b"\n") {
            // Skip the rest of the long line so that the next row starts on its own line.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest)?;
            let fields = Err(vec![RowError::new(
                "/",
                format!("the line is longer than {MAX_LINE} bytes"),
            )]);
            each(preamble, RawRow { line, fields })?;
            continue;
        }
        let text = buffer.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let fields = match serde_json::from_slice::<Value>(text) {
            Ok(value) => object_row(value, preamble.encoding),
            Err(error) => Err(vec![RowError::new(
                "/",
                format!("is not valid JSON: {error}"),
            )]),
        };
        each(preamble, RawRow { line, fields })?;
    }
}

fn read_json_array<F>(
    reader: Box<dyn BufRead + Send>,
    preamble: &Preamble,
    each: &mut F,
) -> Result<(), ReadError>
where
    F: FnMut(&Preamble, RawRow) -> Result<(), ReadError>,
{
    let mut stopped = None;
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = ArrayRows {
        preamble,
        each,
        stopped: &mut stopped,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    if let Some(error) = stopped {
        return Err(error);
    }
    result.map_err(|error| {
        if error.is_io() {
            ReadError::Io(std::io::Error::other(error.to_string()))
        } else {
            ReadError::Malformed {
                line: error.line(),
                column: error.column(),
                message: error.to_string(),
            }
        }
    })
}

/// Streams the elements of a JSON array to the row callback without holding the
/// array in memory.
struct ArrayRows<'a, F> {
    preamble: &'a Preamble,
    each: &'a mut F,
    stopped: &'a mut Option<ReadError>,
}

impl<'de, F> DeserializeSeed<'de> for ArrayRows<'_, F>
where
    F: FnMut(&Preamble, RawRow) -> Result<(), ReadError>,
{
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F> Visitor<'de> for ArrayRows<'_, F>
where
    F: FnMut(&Preamble, RawRow) -> Result<(), ReadError>,
{
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON array of NPO objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut line = 0u64;
        while let Some(value) = seq.next_element::<Value>()? {
            line += 1;
            let fields = object_row(value, self.preamble.encoding);
            if let Err(error) = (self.each)(self.preamble, RawRow { line, fields }) {
                let message = error.to_string();
                *self.stopped = Some(error);
                return Err(serde::de::Error::custom(message));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8], format: Format) -> (Preamble, Vec<RawRow>) {
        let mut rows = Vec::new();
        let preamble = read(
            Box::new(std::io::Cursor::new(bytes.to_vec())),
            ReadOptions {
                format,
                layout: None,
                delimiter: None,
                encoding: None,
            },
            |_, row| {
                rows.push(row);
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("unreadable: {e}"));
        (preamble, rows)
    }

    #[test]
    fn semicolon_crlf_bom() {
        let input = "\u{FEFF}bin;name_ru\r\n031240100010;\"Фонд; «Өркен»\"\r\n\r\n;\r\n";
        let (preamble, rows) = rows(input.as_bytes(), Format::Csv);
        assert_eq!(preamble.delimiter, Some(';'));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 2);
        let fields = rows[0].fields.as_ref().unwrap();
        assert_eq!(fields["name_ru"], "Фонд; «Өркен»");
    }

    #[test]
    fn quoted_line_break_keeps_lines() {
        let input = "bin,legal_address\n1,\"Астана,\nул. Абая\"\n2,Алматы\n";
        let (_, rows) = rows(input.as_bytes(), Format::Csv);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].line, 4);
    }

    #[test]
    fn field_count_checked() {
        let (_, rows) = rows(b"bin,name_ru\n1,2,3\n", Format::Csv);
        assert!(rows[0].fields.is_err());
    }

    #[test]
    fn ndjson_bad_line_rejected_alone() {
        let input = b"{\"bin\":\"1\"}\n{oops\n\n[1]\n{\"bin\":\"2\"}\n";
        let (_, rows) = rows(input, Format::Ndjson);
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 2, 4, 5]);
        assert!(rows[1].fields.is_err());
        assert!(rows[2].fields.is_err());
        assert!(rows[3].fields.is_ok());
    }

    #[test]
    fn json_array_streamed() {
        let (_, rows) = rows(b" [ {\"bin\":\"1\"}, 5, {} ] ", Format::Json);
        assert_eq!(rows.len(), 3);
        assert!(rows[1].fields.is_err());
    }

    #[test]
    fn json_malformed_stops() {
        let error = read(
            Box::new(std::io::Cursor::new(b"[{\"bin\":1},".to_vec())),
            ReadOptions {
                format: Format::Json,
                layout: None,
                delimiter: None,
                encoding: None,
            },
            |_, _| Ok(()),
        )
        .unwrap_err();
        assert!(matches!(error, ReadError::Malformed { .. }), "{error}");
    }

    #[test]
    fn windows_1251_csv_read() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251
            .encode("БИН;Полное наименование\r\n031240100010;Фонд Ромашка\r\n");
        let (preamble, rows) = rows(&bytes, Format::Csv);
        assert_eq!(preamble.encoding, Encoding::Windows1251);
        assert_eq!(rows[0].fields.as_ref().unwrap()["name_ru"], "Фонд Ромашка");
    }
}
