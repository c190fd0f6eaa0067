//! Working days in Kazakhstan, for deadlines counted in working days.
//!
//! Saturdays and Sundays are days off. A calendar file adds the public holidays and
//! the days moved by decree. Each line contains a date, `off` or `working`, and a
//! note, and `#` starts a comment.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use thiserror::Error;

/// Days off and transferred working days of 2026 and 2027.
const KAZAKHSTAN: &str = include_str!("../data/holidays-kz.txt");

/// A line of a calendar file that cannot be read.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct CalendarError {
    pub line: usize,
    pub reason: String,
}

/// A calendar of days off and transferred working days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    days_off: BTreeSet<NaiveDate>,
    working: BTreeSet<NaiveDate>,
}

impl WorkingCalendar {
    /// Returns the calendar of Kazakhstan's public holidays that ships with the platform.
    pub fn kazakhstan() -> Self {
        Self::parse(KAZAKHSTAN).expect("the built-in holiday calendar is valid")
    }

    /// Reads a calendar file.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let mut calendar = Self::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let fail = |reason: String| CalendarError {
                line: index + 1,
                reason,
            };
            let mut words = line.split_whitespace();
            let date_text = words.next().unwrap_or_default();
            let date = NaiveDate::parse_from_str(date_text, "%Y-%m-%d")
                .map_err(|_| fail(format!("'{date_text}' is not a date as YYYY-MM-DD")))?;
            let (added, other) = match words.next() {
                Some("off") => (&mut calendar.days_off, &calendar.working),
                Some("working") => (&mut calendar.working, &calendar.days_off),
                Some(kind) => {
                    return Err(fail(format!("'{kind}' is neither 'off' nor 'working'")));
                }
                None => return Err(fail(format!("{date} needs 'off' or 'working'"))),
            };
            if other.contains(&date) {
                return Err(fail(format!("{date} is listed both as off and as working")));
            }
            added.insert(date);
        }
        Ok(calendar)
    }

    /// Returns the number of listed days off, weekends aside.
    pub fn listed_days_off(&self) -> usize {
        self.days_off.len()
    }

    /// Returns whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.working.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.days_off.contains(&day)
    }

    /// Returns the `count`-th working day after `start`. The day `start` itself is not
    /// counted, so a deadline of 10 working days from a receipt on `start` is the result.
    pub fn add_working_days(&self, start: NaiveDate, count: u32) -> NaiveDate {
        let mut day = start;
        let mut left = count;
        while left > 0 {
            day = day
                .succ_opt()
                .expect("dates before year 262143 have a successor");
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Counts the working days after `from` up to and including `to`; zero when `to`
    /// is not after `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|day| *day <= to)
            .filter(|day| self.is_working_day(*day))
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    #[test]
    fn weekends_are_skipped() {
        let calendar = WorkingCalendar::default();
        // Friday 4 December 2026 plus one working day is Monday 7 December.
        assert_eq!(
            calendar.add_working_days(date("2026-12-04"), 1),
            date("2026-12-07")
        );
        assert_eq!(
            calendar.add_working_days(date("2026-12-04"), 5),
            date("2026-12-11")
        );
        assert_eq!(
            calendar.add_working_days(date("2026-12-04"), 0),
            date("2026-12-04")
        );
    }

    #[test]
    fn holidays_are_skipped() {
        let calendar = WorkingCalendar::kazakhstan();
        // Independence Day, Wednesday 16 December 2026, is not a working day.
        assert!(!calendar.is_working_day(date("2026-12-16")));
        assert_eq!(
            calendar.add_working_days(date("2026-12-15"), 1),
            date("2026-12-17")
        );
        // Nauryz 2026: 23 to 25 March are days off after the weekend of 21 and 22 March.
        assert_eq!(
            calendar.add_working_days(date("2026-03-20"), 1),
            date("2026-03-26")
        );
    }

    #[test]
    fn transferred_working_days_count() {
        let calendar = WorkingCalendar::parse("2026-12-19 working moved from 31 December\n")
            .expect("a valid calendar");
        assert!(calendar.is_working_day(date("2026-12-19")));
        assert_eq!(
            calendar.add_working_days(date("2026-12-18"), 1),
            date("2026-12-19")
        );
    }

    #[test]
    fn working_days_between_counts_after_the_start() {
        let calendar = WorkingCalendar::kazakhstan();
        assert_eq!(
            calendar.working_days_between(date("2026-12-14"), date("2026-12-18")),
            3
        );
        assert_eq!(
            calendar.working_days_between(date("2026-12-18"), date("2026-12-14")),
            0
        );
    }

    #[test]
    fn bad_lines_name_their_number() {
        assert_eq!(
            WorkingCalendar::parse("# comment\n2026-13-01 off\n"),
            Err(CalendarError {
                line: 2,
                reason: "'2026-13-01' is not a date as YYYY-MM-DD".into()
            })
        );
        assert_eq!(
            WorkingCalendar::parse("2026-12-16 holiday").map_err(|e| e.line),
            Err(1)
        );
        assert_eq!(
            WorkingCalendar::parse("2026-12-16 off\n2026-12-16 working").map_err(|e| e.line),
            Err(2)
        );
        assert!(WorkingCalendar::parse("2026-12-16").is_err());
    }

    #[test]
    fn byte_order_mark_ignored() {
        let calendar = WorkingCalendar::parse("\u{feff}2026-12-16 off Independence Day\n")
            .expect("a calendar saved with a byte order mark");
        assert!(!calendar.is_working_day(date("2026-12-16")));
    }
}
