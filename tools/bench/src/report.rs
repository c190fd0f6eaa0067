//! The results table: one row per scenario and database, as text or Markdown.

use std::fmt::Write;

/// Whether a figure meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    NotMet,
    /// The scenario could not run as specified, so its figure is no measurement of it.
    NotMeasured,
}

impl Verdict {
    pub fn from_check(met: bool) -> Self {
        if met { Self::Met } else { Self::NotMet }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "not met",
            Self::NotMeasured => "not measured",
        }
    }
}

/// One line of the results table.
#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: String,
    pub database: &'static str,
    pub figure: String,
    pub target: String,
    pub baseline: String,
    pub ratio: String,
    pub verdict: Verdict,
}

const HEADER: [&str; 7] = [
    "scenario", "database", "figure", "target", "baseline", "ratio", "result",
];

fn cells(row: &Row) -> [&str; 7] {
    [
        &row.scenario,
        row.database,
        &row.figure,
        &row.target,
        &row.baseline,
        &row.ratio,
        row.verdict.label(),
    ]
}

/// Renders the rows as a plain-text table with aligned columns.
pub fn text_table(rows: &[Row]) -> String {
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(cells(row)) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |values: [&str; 7]| -> String {
        let padded: Vec<String> = values
            .iter()
            .zip(widths)
            .map(|(value, width)| {
                let padding = width - value.chars().count();
                format!("{value}{}", " ".repeat(padding))
            })
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = String::new();
    writeln!(out, "{}", line(HEADER)).expect("writing to a String never fails");
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    writeln!(out, "{}", rule.join("  ")).expect("writing to a String never fails");
    for row in rows {
        writeln!(out, "{}", line(cells(row))).expect("writing to a String never fails");
    }
    out
}

/// Renders the rows as a Markdown table.
pub fn markdown_table(rows: &[Row]) -> String {
    let escape = |cell: &str| cell.replace('|', "\\|");
    let mut out = String::new();
    writeln!(out, "| {} |", HEADER.join(" | ")).expect("writing to a String never fails");
    writeln!(out, "|{}", "---|".repeat(HEADER.len())).expect("writing to a String never fails");
    for row in rows {
        let escaped: Vec<String> = cells(row).iter().map(|cell| escape(cell)).collect();
        writeln!(out, "| {} |", escaped.join(" | ")).expect("writing to a String never fails");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
            scenario: "search p95".into(),
            database: "PostgreSQL",
            figure: "12.0 ms".into(),
            target: "≤ 20 ms".into(),
            baseline: "—".into(),
            ratio: "—".into(),
            verdict: Verdict::Met,
        }
    }

    #[test]
    fn text_table_aligns_columns() {
        let table = text_table(&[row()]);
        let lines: Vec<&str> = table.lines().collect();

        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].find("database"), lines[2].find("PostgreSQL"));
        assert!(lines[2].ends_with("met"));
    }

    #[test]
    fn markdown_escapes_pipes() {
        let mut piped = row();
        piped.figure = "a|b".into();

        let table = markdown_table(&[piped]);

        assert!(table.contains("a\\|b"), "{table}");
        assert!(table.starts_with("| scenario | database |"), "{table}");
    }
}
