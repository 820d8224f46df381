//! The report's time range: `--from` and `--to`, each a UTC day (`YYYY-MM-DD`) or an RFC 3339
//! timestamp, both inclusive.
//!
//! Internally the range is half-open, `[start, end)`, so that "the whole of the `--to` day" is
//! exact: the end is the next midnight, not 23:59:59 (which would drop a session starting in the
//! last second of the day).
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// An inclusive UTC range of session start times, held as `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    start: Timestamp,
    end: Timestamp,
}

impl DateRange {
    /// Parses `--from` and `--to`. A day as `--to` covers that whole day; a timestamp as `--to`
    /// is itself included.
    pub fn parse(from: &str, to: &str) -> crate::Result<Self> {
        let start = parse_bound("--from", from, Bound::Start)?;
        let end = parse_bound("--to", to, Bound::End)?;
        if end <= start {
            return Err(crate::Error::Invalid(format!(
                "inverted range: --from {} is after --to {}",
                from.trim(),
                to.trim()
            )));
        }
        Ok(Self { start, end })
    }

    /// The first instant of the range.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The first instant after the range.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// Whether a session starting at `at` belongs to the report.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }

    /// The `endDate` sent to GoTo: the exclusive end, rounded up to a whole second.
    ///
    /// GoTo's reading of `endDate` (inclusive or exclusive) is **assumed**; asking up to the
    /// exclusive end is right under either reading, because sessions outside the range are
    /// dropped client-side by [`DateRange::contains`].
    pub fn api_end(&self) -> Timestamp {
        if self.end.subsec_nanosecond() == 0 {
            return self.end;
        }
        Timestamp::from_second(self.end.as_second().saturating_add(1)).unwrap_or(self.end)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    Start,
    End,
}

/// One bound as the first instant it covers (`Start`) or the first instant after it (`End`).
fn parse_bound(flag: &str, raw: &str, bound: Bound) -> crate::Result<Timestamp> {
    let text = raw.trim();
    let invalid = |why: &str| {
        crate::Error::Invalid(format!(
            "{flag} {text:?} is not a valid date: {why} (expected YYYY-MM-DD or an RFC 3339 timestamp such as 2026-01-31T12:00:00Z)"
        ))
    };
    if looks_like_day(text) {
        let day: Date = text.parse().map_err(|_| invalid("no such day"))?;
        let day = match bound {
            Bound::Start => day,
            Bound::End => day.tomorrow().map_err(|_| invalid("out of range"))?,
        };
        return day
            .to_zoned(TimeZone::UTC)
            .map(|zoned| zoned.timestamp())
            .map_err(|_| invalid("out of range"));
    }
    if !text.contains(['T', 't', ' ']) {
        return Err(invalid("not a day"));
    }
    let at: Timestamp = text
        .parse()
        .map_err(|_| invalid("a timestamp needs a time and an offset (Z or ±HH:MM)"))?;
    match bound {
        Bound::Start => Ok(at),
        Bound::End => at
            .checked_add(SignedDuration::from_nanos(1))
            .map_err(|_| invalid("out of range")),
    }
}

/// Exactly `YYYY-MM-DD`: jiff alone would also take `20260131` or a datetime.
fn looks_like_day(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn error(from: &str, to: &str) -> String {
        DateRange::parse(from, to).unwrap_err().to_string()
    }

    #[test]
    fn days_cover_whole_utc_days() {
        let range = DateRange::parse("2026-01-01", "2026-01-31").unwrap();
        assert_eq!(range.start(), ts("2026-01-01T00:00:00Z"));
        assert_eq!(range.end(), ts("2026-02-01T00:00:00Z"));
        assert!(range.contains(ts("2026-01-01T00:00:00Z")));
        assert!(range.contains(ts("2026-01-31T23:59:59.999Z")));
        assert!(!range.contains(ts("2026-02-01T00:00:00Z")));
        assert!(!range.contains(ts("2025-12-31T23:59:59Z")));
        assert_eq!(range.api_end(), ts("2026-02-01T00:00:00Z"));
    }

    #[test]
    fn a_single_day_is_a_range() {
        let range = DateRange::parse("2026-03-08", "2026-03-08").unwrap();
        assert!(range.contains(ts("2026-03-08T12:00:00Z")));
        assert!(!range.contains(ts("2026-03-09T00:00:00Z")));
    }

    #[test]
    fn timestamps_are_inclusive_instants_in_utc() {
        let range = DateRange::parse("2026-01-01T10:00:00+02:00", "2026-01-01T12:00:00Z").unwrap();
        assert_eq!(range.start(), ts("2026-01-01T08:00:00Z"));
        assert!(range.contains(ts("2026-01-01T12:00:00Z")));
        assert!(!range.contains(ts("2026-01-01T12:00:00.000000001Z")));
        assert_eq!(range.api_end(), ts("2026-01-01T12:00:01Z"));
        let same = DateRange::parse("2026-01-01T12:00:00Z", "2026-01-01T12:00:00Z").unwrap();
        assert!(same.contains(ts("2026-01-01T12:00:00Z")));
    }

    #[test]
    fn days_and_timestamps_mix() {
        let range = DateRange::parse("2026-01-01T12:00:00Z", "2026-01-02").unwrap();
        assert!(range.contains(ts("2026-01-02T23:00:00Z")));
        assert!(!range.contains(ts("2026-01-01T11:59:59Z")));
    }

    #[test]
    fn bad_dates_name_the_flag_and_the_value() {
        for (from, to, flag) in [
            ("2026-13-01", "2026-12-31", "--from \"2026-13-01\""),
            ("2026-02-30", "2026-12-31", "--from \"2026-02-30\""),
            ("yesterday", "2026-12-31", "--from \"yesterday\""),
            ("20260101", "2026-12-31", "--from \"20260101\""),
            ("2026-01-01", "2026-1-5", "--to \"2026-1-5\""),
            (
                "2026-01-01",
                "2026-01-05T10:00:00",
                "--to \"2026-01-05T10:00:00\"",
            ),
            ("2026-01-01", "", "--to \"\""),
        ] {
            let message = error(from, to);
            assert!(message.starts_with(flag), "{from} {to}: {message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn inverted_ranges_are_refused() {
        assert_eq!(
            error("2026-02-01", "2026-01-31"),
            "inverted range: --from 2026-02-01 is after --to 2026-01-31"
        );
        assert!(error("2026-01-01T12:00:01Z", "2026-01-01T12:00:00Z").starts_with("inverted"));
    }

    #[test]
    fn the_end_of_time_is_an_error_not_a_panic() {
        assert!(error("2026-01-01", "9999-12-31").contains("out of range"));
    }
}
