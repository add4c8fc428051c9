//! The one reading of a time the user typed, shared by `pg-audit log --since` and the
//! viewer's `since`/`until` fields, so both accept the same forms and refuse the same ones.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use std::str::FromStr;

/// A bound of a time filter as the user wrote it: an instant, or an age counted back from
/// the moment the filter is used.
///
/// Accepted forms (surrounding whitespace is ignored):
///
/// - an RFC 3339 timestamp: `2026-01-31T09:30:00Z`, `2026-01-31T10:30:00.5+01:00`;
/// - a time without an offset, read as UTC (what a browser's `datetime-local` field sends):
///   `2026-01-31T09:30`, `2026-01-31T09:30:15`, `2026-01-31T09:30:15.250`,
///   `2026-01-31 09:30`, `2026-01-31 09:30:15`;
/// - a date, meaning its midnight UTC: `2026-01-31`;
/// - an age, a whole number then `s`, `m`, `h`, `d` or `w`: `90s`, `30m`, `2h`, `7d`, `1w`.
///
/// Years run from 1 to 9999; anything else is a [`TimeBoundError`] that shows the forms.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use pg_audit_runtime::query::TimeBound;
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
/// let age: TimeBound = "2h".parse()?;
/// assert_eq!(age.resolve(now)?, Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap());
/// let day: TimeBound = "2026-01-30".parse()?;
/// assert_eq!(day.resolve(now)?, Utc.with_ymd_and_hms(2026, 1, 30, 0, 0, 0).unwrap());
/// assert!("last tuesday".parse::<TimeBound>().is_err());
/// # Ok::<(), pg_audit_runtime::query::TimeBoundError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    /// This instant.
    At(DateTime<Utc>),
    /// This long before the moment the filter is used.
    Ago(Duration),
}

/// Why a text is not a [`TimeBound`]; its message names the text and the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a time: {why}")]
pub struct TimeBoundError {
    text: String,
    why: &'static str,
}

const FORMS: &str = "write an RFC 3339 timestamp (2026-01-31T09:30:00Z), a UTC time \
                     (2026-01-31T09:30), a date (2026-01-31) or an age (30m, 2h, 7d)";
const YEARS: &str = "years run from 1 to 9999";

/// Times without an offset, read as UTC.
const NAIVE_FORMATS: [&str; 5] = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
];

impl TimeBound {
    /// The instant this bound names when the filter is used at `now`: an instant as it is,
    /// an age counted back from `now`. An age reaching before year 1 is an error.
    pub fn resolve(self, now: DateTime<Utc>) -> Result<DateTime<Utc>, TimeBoundError> {
        match self {
            TimeBound::At(at) => Ok(at),
            TimeBound::Ago(age) => now
                .checked_sub_signed(age)
                .filter(|at| at.year() >= 1)
                .ok_or_else(|| TimeBoundError {
                    text: describe_age(age),
                    why: "that age reaches before year 1",
                }),
        }
    }
}

impl FromStr for TimeBound {
    type Err = TimeBoundError;

    fn from_str(text: &str) -> Result<TimeBound, TimeBoundError> {
        let error = |why| TimeBoundError {
            text: text.to_string(),
            why,
        };
        let trimmed = text.trim();
        // chrono reads a sign or more than four digits as a year; PostgreSQL and people don't.
        if trimmed.starts_with(|c: char| c.is_ascii_digit()) && trimmed.len() >= 10 {
            if let Some(at) = absolute(trimmed) {
                return if (1..=9999).contains(&at.year()) && trimmed.as_bytes()[4] == b'-' {
                    Ok(TimeBound::At(at))
                } else {
                    Err(error(YEARS))
                };
            }
        }
        age(trimmed).map(TimeBound::Ago).ok_or_else(|| error(FORMS))
    }
}

fn absolute(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Some(at) = NAIVE_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    {
        return Some(at.and_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

/// A whole number of seconds, minutes, hours, days or weeks.
fn age(text: &str) -> Option<Duration> {
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(digits);
    let amount: i64 = number.parse().ok()?;
    match unit {
        "s" => Duration::try_seconds(amount),
        "m" => Duration::try_minutes(amount),
        "h" => Duration::try_hours(amount),
        "d" => Duration::try_days(amount),
        "w" => Duration::try_weeks(amount),
        _ => None,
    }
}

fn describe_age(age: Duration) -> String {
    let seconds = age.num_seconds();
    let (amount, unit) = [(604_800, "w"), (86_400, "d"), (3_600, "h"), (60, "m")]
        .into_iter()
        .find(|(size, _)| seconds != 0 && seconds % size == 0)
        .map_or((seconds, "s"), |(size, unit)| (seconds / size, unit));
    format!("{amount}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn resolved(text: &str) -> DateTime<Utc> {
        let now = at("2026-11-29T12:00:00Z");
        text.parse::<TimeBound>()
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .resolve(now)
            .unwrap()
    }

    fn refusal(text: &str) -> String {
        match text.parse::<TimeBound>() {
            Ok(bound) => panic!("{text:?} was read as {bound:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn rfc_3339_timestamps_keep_their_offset() {
        assert_eq!(
            resolved("2026-11-28T10:00:00+02:00"),
            at("2026-11-28T08:00:00Z")
        );
        assert_eq!(
            resolved("2026-01-31T09:30:00.250Z"),
            at("2026-01-31T09:30:00.250Z")
        );
    }

    #[test]
    fn times_without_an_offset_are_read_as_utc() {
        let expected = at("2026-01-31T09:30:00Z");
        for text in [
            "2026-01-31T09:30",
            "2026-01-31T09:30:00",
            "2026-01-31T09:30:00.000",
            "2026-01-31 09:30",
            "2026-01-31 09:30:00",
            " 2026-01-31T09:30 ",
        ] {
            assert_eq!(resolved(text), expected, "{text}");
        }
    }

    #[test]
    fn a_date_means_its_midnight_utc() {
        assert_eq!(resolved("2026-11-01"), at("2026-11-01T00:00:00Z"));
        assert_eq!(resolved("0001-01-01"), at("0001-01-01T00:00:00Z"));
        assert_eq!(resolved("9999-12-31"), at("9999-12-31T00:00:00Z"));
    }

    #[test]
    fn an_age_counts_back_from_now() {
        assert_eq!(resolved("45s"), at("2026-11-29T11:59:15Z"));
        assert_eq!(resolved("90m"), at("2026-11-29T10:30:00Z"));
        assert_eq!(resolved("2h"), at("2026-11-29T10:00:00Z"));
        assert_eq!(resolved("2d"), at("2026-11-27T12:00:00Z"));
        assert_eq!(resolved("1w"), at("2026-11-22T12:00:00Z"));
        assert_eq!(resolved("0m"), at("2026-11-29T12:00:00Z"));
    }

    #[test]
    fn anything_else_is_refused_with_the_forms_that_work() {
        for bad in [
            "",
            "   ",
            "yesterday",
            "last tuesday",
            "5y",
            "2H",
            "-3d",
            "+3d",
            "3 d",
            "d",
            "1.5h",
            "2026-13-01",
            "2026-02-30",
            "2026-01-31T25:00",
            "31/01/2026",
            "2026-01-31T09:30+01",
            "now",
        ] {
            let message = refusal(bad);
            assert_eq!(
                message,
                format!("`{bad}` is not a time: write an RFC 3339 timestamp (2026-01-31T09:30:00Z), a UTC time (2026-01-31T09:30), a date (2026-01-31) or an age (30m, 2h, 7d)"),
            );
        }
    }

    #[test]
    fn years_outside_1_to_9999_are_refused() {
        for bad in ["-5000-01-01", "+2026-01-01", "0000-01-01", "12345-01-01"] {
            let message = refusal(bad);
            assert!(
                message.ends_with("is not a time: write an RFC 3339 timestamp (2026-01-31T09:30:00Z), a UTC time (2026-01-31T09:30), a date (2026-01-31) or an age (30m, 2h, 7d)")
                    || message.ends_with("is not a time: years run from 1 to 9999"),
                "{bad}: {message}"
            );
        }
        assert_eq!(
            refusal("0000-12-31T23:00:00Z"),
            "`0000-12-31T23:00:00Z` is not a time: years run from 1 to 9999"
        );
        assert_eq!(
            refusal("0001-01-01T00:30:00+01:00"),
            "`0001-01-01T00:30:00+01:00` is not a time: years run from 1 to 9999"
        );
    }

    #[test]
    fn huge_numbers_are_refused_not_wrapped() {
        for bad in [
            "99999999999999999999d",
            "9223372036854775807s",
            "9999999999999d",
            "99999999999999999999999999999999999999999999m",
        ] {
            assert!(refusal(bad).contains("is not a time"), "{bad}");
        }
        let far: TimeBound = "100000000d".parse().unwrap();
        assert_eq!(
            far.resolve(at("2026-11-29T12:00:00Z"))
                .unwrap_err()
                .to_string(),
            "`100000000d` is not a time: that age reaches before year 1"
        );
    }

    #[test]
    fn unicode_digits_and_letters_are_refused() {
        for bad in [
            "２０２６-01-01",
            "٣d",
            "3ｍ",
            "2026-01-31T09:30\u{200b}",
            "2h\u{0301}",
            "🕐",
            "2026‐01‐31",
        ] {
            assert!(
                refusal(bad).starts_with(&format!("`{bad}` is not a time")),
                "{bad}"
            );
        }
    }
}
