//! Local dates in Kazakhstan and instant helpers.
//!
//! Deadlines and reporting periods follow the local calendar date in
//! `Asia/Almaty`, while instants are stored in UTC.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, Offset, SubsecRound, TimeZone, Utc,
};
use chrono_tz::Tz;

/// Time zone whose calendar dates the platform uses.
///
/// Since 1 March 2024 all of Kazakhstan is on UTC+5. The `Asia/Almaty` rules
/// in chrono-tz 0.10 (tzdata 2024a and later) have UTC+6 before that date.
pub const KAZAKHSTAN_TZ: Tz = chrono_tz::Asia::Almaty;

/// First day of the yearly NPO data collection period, as (month, day).
const COLLECTION_START: (u32, u32) = (4, 15);

/// Last day of the yearly NPO data collection period, as (month, day).
const COLLECTION_END: (u32, u32) = (5, 31);

/// Returns the calendar date in Kazakhstan at `instant`.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&KAZAKHSTAN_TZ).date_naive()
}

/// Returns the current calendar date in Kazakhstan.
pub fn today() -> NaiveDate {
    local_date(Utc::now())
}

/// Returns the first instant of `date` in Kazakhstan.
///
/// When a clock change skips local midnight, the day starts at the change.
pub fn start_of_local_day(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match KAZAKHSTAN_TZ.from_local_datetime(&midnight) {
        LocalResult::Single(start) => start.with_timezone(&Utc),
        LocalResult::Ambiguous(earliest, _) => earliest.with_timezone(&Utc),
        LocalResult::None => first_instant_after_gap(date),
    }
}

/// Finds the clock change that skipped local midnight of `date`, which is the
/// first instant whose local date is `date`.
fn first_instant_after_gap(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN).and_utc();
    let day = chrono::TimeDelta::days(1);
    let offset_before = offset_seconds(midnight - day);
    let offset_after = offset_seconds(midnight + day);

    // Midnight under the later offset comes before the change, and midnight
    // under the earlier offset comes at or after it, so a binary search over
    // whole seconds between them finds the change.
    let mut before = midnight.timestamp() - offset_after;
    let mut after = midnight.timestamp() - offset_before;
    while after - before > 1 {
        let middle = before + (after - before) / 2;
        if local_date(utc_from_seconds(middle)) >= date {
            after = middle;
        } else {
            before = middle;
        }
    }
    utc_from_seconds(after)
}

/// Returns the UTC offset of Kazakhstan at `instant`, in seconds.
fn offset_seconds(instant: DateTime<Utc>) -> i64 {
    let local = instant.with_timezone(&KAZAKHSTAN_TZ);
    i64::from(local.offset().fix().local_minus_utc())
}

/// Converts seconds since the Unix epoch to an instant.
fn utc_from_seconds(seconds: i64) -> DateTime<Utc> {
    // The search bounds are within a day of a valid date, so they are in range.
    DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Parses an RFC 3339 timestamp with any offset and converts it to UTC.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|instant| instant.with_timezone(&Utc))
}

/// Drops the sub-microsecond part of `t`, matching the microsecond precision
/// of PostgreSQL timestamps.
pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// Reports whether `date` falls in the yearly NPO data collection period,
/// 15 April to 31 May inclusive, as a local date.
pub fn in_collection_window(date: NaiveDate) -> bool {
    let month_day = (date.month(), date.day());
    COLLECTION_START <= month_day && month_day <= COLLECTION_END
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;

    use super::*;

    fn instant(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap_or_else(|error| panic!("{s:?} should parse, got {error}"))
    }

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn local_date_at_utc_plus_5() {
        assert_eq!(
            local_date(instant("2025-04-14T19:00:00Z")),
            date(2025, 4, 15)
        );
        assert_eq!(
            local_date(instant("2025-04-14T18:59:59Z")),
            date(2025, 4, 14)
        );
    }

    #[test]
    fn local_date_before_march_2024() {
        assert_eq!(
            local_date(instant("2024-02-01T18:30:00Z")),
            date(2024, 2, 2)
        );
    }

    #[test]
    fn time_zone_knows_march_2024_change() {
        let after = instant("2024-03-02T19:30:00Z").with_timezone(&KAZAKHSTAN_TZ);
        assert_eq!(after.date_naive(), date(2024, 3, 3));
        assert_eq!(after.hour(), 0);
        assert_eq!(after.minute(), 30);
        assert_eq!(
            local_date(instant("2024-03-02T18:30:00Z")),
            date(2024, 3, 2)
        );
    }

    #[test]
    fn start_of_local_day_at_utc_plus_5() {
        assert_eq!(
            start_of_local_day(date(2025, 4, 15)),
            instant("2025-04-14T19:00:00Z")
        );
    }

    #[test]
    fn start_of_local_day_at_utc_plus_6() {
        assert_eq!(
            start_of_local_day(date(2024, 2, 29)),
            instant("2024-02-28T18:00:00Z")
        );
    }

    #[test]
    fn start_of_local_day_on_change_day() {
        // At 2024-02-29T18:00Z the clocks went from 00:00 back to 23:00, so
        // 1 March 00:00 local first came an hour later.
        assert_eq!(
            start_of_local_day(date(2024, 3, 1)),
            instant("2024-02-29T19:00:00Z")
        );
    }

    #[test]
    fn start_of_local_day_when_midnight_skipped() {
        // Soviet summer time began at 00:00 on 1 April 1981, moving Almaty
        // from UTC+6 to UTC+7, so that day began at 01:00 local.
        let midnight = date(1981, 4, 1).and_time(NaiveTime::MIN);
        assert!(
            KAZAKHSTAN_TZ
                .from_local_datetime(&midnight)
                .earliest()
                .is_none()
        );
        let start = start_of_local_day(date(1981, 4, 1));
        assert_eq!(start, instant("1981-03-31T18:00:00Z"));
        assert_eq!(local_date(start), date(1981, 4, 1));
        assert_eq!(
            local_date(start - chrono::TimeDelta::seconds(1)),
            date(1981, 3, 31)
        );
    }

    #[test]
    fn start_of_local_day_round_trips() {
        let mut day = date(2023, 12, 25);
        while day <= date(2024, 3, 10) {
            let start = start_of_local_day(day);
            assert_eq!(local_date(start), day, "start of {day}");
            assert_eq!(
                local_date(start - chrono::TimeDelta::seconds(1)),
                day.pred_opt().unwrap(),
                "second before {day}"
            );
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn parse_instant_converts_offset() {
        assert_eq!(
            instant("2025-04-15T00:00:00+05:00"),
            instant("2025-04-14T19:00:00Z")
        );
        assert_eq!(
            instant("2025-04-15T00:00:00.123456789+05:00").nanosecond(),
            123_456_789
        );
    }

    #[test]
    fn parse_instant_rejects_non_rfc3339() {
        assert!(parse_instant("2025-04-15").is_err());
        assert!(parse_instant("2025-04-15 00:00:00").is_err());
        assert!(parse_instant("").is_err());
    }

    #[test]
    fn truncate_to_micros_drops_nanoseconds() {
        let truncated = truncate_to_micros(instant("2025-04-15T10:20:30.123456789Z"));
        assert_eq!(truncated, instant("2025-04-15T10:20:30.123456Z"));
        let exact = instant("2025-04-15T10:20:30.123456Z");
        assert_eq!(truncate_to_micros(exact), exact);
    }

    #[test]
    fn collection_window_boundaries() {
        assert!(!in_collection_window(date(2025, 4, 14)));
        assert!(in_collection_window(date(2025, 4, 15)));
        assert!(in_collection_window(date(2025, 5, 1)));
        assert!(in_collection_window(date(2025, 5, 31)));
        assert!(!in_collection_window(date(2025, 6, 1)));
        assert!(!in_collection_window(date(2025, 1, 1)));
        assert!(!in_collection_window(date(2025, 12, 31)));
        assert!(in_collection_window(date(2024, 4, 15)));
    }
}
