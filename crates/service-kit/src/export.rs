//! Tables as downloadable files: CSV for any tool and XLSX for Excel, with the
//! headings of the regulation's forms.

use actix_web::HttpResponse;

use crate::problem::ApiError;

/// Media type of XLSX workbooks.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Media type of the CSV files.
pub const CSV: &str = "text/csv; charset=utf-8";

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        value.map_or(Self::Empty, Self::Text)
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        // Counts of people and rows stay far below 2^53, so f64 represents them exactly.
        Self::Number(value as f64)
    }
}

/// A titled table with a heading row.
#[derive(Debug, Clone)]
pub struct Table {
    /// Sheet name of the XLSX file, at most 31 characters.
    pub title: String,
    pub headings: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// Writes the table as CSV: UTF-8 with a byte order mark, so Excel reads Cyrillic
    /// correctly, commas, RFC 4180 quoting and CRLF line ends.
    pub fn to_csv(&self) -> Result<Vec<u8>, ApiError> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(b"\xEF\xBB\xBF".to_vec());
        writer
            .write_record(&self.headings)
            .map_err(ApiError::internal)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(cell_text))
                .map_err(ApiError::internal)?;
        }
        writer
            .into_inner()
            .map_err(|e| ApiError::internal(anyhow::anyhow!("CSV writer failed: {e}")))
    }

    /// Writes the table as an XLSX workbook with one sheet: bold wrapped headings,
    /// wrapped text and a frozen heading row.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, ApiError> {
        workbook(std::slice::from_ref(self))
    }
}

/// Writes `tables` as one XLSX workbook, a sheet per table in order: bold wrapped
/// headings, wrapped text and a frozen heading row.
pub fn workbook(tables: &[Table]) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

    let heading = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let body = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let mut workbook = Workbook::new();
    for table in tables {
        let sheet = workbook.add_worksheet();
        sheet
            .set_name(sheet_name(&table.title))
            .map_err(xlsx_error)?;
        for (column, text) in table.headings.iter().enumerate() {
            let column = column as u16;
            sheet
                .write_string_with_format(0, column, text, &heading)
                .map_err(xlsx_error)?;
            sheet
                .set_column_width(column, column_width(column, text))
                .map_err(xlsx_error)?;
        }
        for (index, row) in table.rows.iter().enumerate() {
            let line = index as u32 + 1;
            for (column, cell) in row.iter().enumerate() {
                let column = column as u16;
                match cell {
                    Cell::Text(text) => sheet.write_string_with_format(line, column, text, &body),
                    Cell::Number(number) => {
                        sheet.write_number_with_format(line, column, *number, &body)
                    }
                    Cell::Empty => sheet.write_blank(line, column, &body),
                }
                .map_err(xlsx_error)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// Builds a download response of `bytes` named `file_name`.
pub fn attachment(content_type: &str, file_name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(bytes)
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => defuse_formula(text.clone()),
        Cell::Number(number) => number.to_string(),
        Cell::Empty => String::new(),
    }
}

/// Prefixes a quote to text that a spreadsheet would run as a formula (starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return), so a downloaded file cannot
/// execute what a user typed.
pub fn defuse_formula(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Shortens a sheet name to Excel's limit of 31 characters and drops the characters
/// Excel forbids in sheet names.
fn sheet_name(title: &str) -> String {
    title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect()
}

/// Width of a column in characters: narrow for the row number, wider for long headings.
fn column_width(column: u16, heading: &str) -> f64 {
    if column == 0 {
        return 6.0;
    }
    (heading.chars().count() as f64 * 0.8).clamp(14.0, 40.0)
}

fn xlsx_error(error: rust_xlsxwriter::XlsxError) -> ApiError {
    ApiError::internal(anyhow::anyhow!("XLSX writer failed: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            title: "Сведения о выявленных приоритетах".into(),
            headings: vec!["№".into(), "Сфера".into()],
            rows: vec![vec![1.into(), "Образование, \"наука\"".into()]],
        }
    }

    #[test]
    fn csv_has_bom_and_quotes() {
        let csv = table().to_csv().unwrap();

        assert!(csv.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(csv[3..].to_vec()).unwrap();
        assert_eq!(text, "№,Сфера\r\n1,\"Образование, \"\"наука\"\"\"\r\n");
    }

    #[test]
    fn csv_defuses_formulas() {
        let table = Table {
            title: "t".into(),
            headings: vec!["a".into()],
            rows: vec![vec!["=HYPERLINK(1)".into()], vec!["-2+3".into()]],
        };

        let csv = String::from_utf8(table.to_csv().unwrap()[3..].to_vec()).unwrap();

        assert_eq!(csv, "a\r\n'=HYPERLINK(1)\r\n'-2+3\r\n");
    }

    #[test]
    fn xlsx_is_zip() {
        let xlsx = table().to_xlsx().unwrap();

        assert!(xlsx.starts_with(b"PK"));
    }

    #[test]
    fn sheet_name_fits_excel() {
        let name = sheet_name("Сведения о выявленных приоритетах: итог [2024]");

        assert!(name.chars().count() <= 31);
        assert!(!name.contains(':'));
    }
}
