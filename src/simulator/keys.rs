//! Keys and input checks. Keys are allocated above 2^64 by default so that a client that parses
//! them as numbers (f64, u64) corrupts them and is caught. GoTo's published v1 API sends keys as
//! JSON numbers (int64), so a world served through v1 starts its keys between 2^53 and 2^63
//! instead ([`V1_FIRST_KEY`]): above what an f64 keeps exactly, below what an i64 holds.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;

/// The first key the simulator hands out by default: 2^64 + 1.
pub const FIRST_KEY: u128 = (u64::MAX as u128) + 2;

/// The first key of a world served through v1 in tests: 2^53 + 1, the first integer an f64
/// cannot hold, so a client that parses v1's JSON-number keys through f64 is caught, while every
/// key stays a valid int64 as the published document says.
pub const V1_FIRST_KEY: u128 = (1 << 53) + 1;

/// Allocates increasing numeric keys, shared by organizers, meetings and sessions so that a
/// client mixing up a meetingId with a meetingInstanceKey gets a 404, never someone else's data.
#[derive(Debug)]
pub(crate) struct KeyGen {
    next: u128,
}

impl Default for KeyGen {
    fn default() -> Self {
        KeyGen::starting_at(FIRST_KEY)
    }
}

impl KeyGen {
    /// Keys from `first` on.
    pub(crate) fn starting_at(first: u128) -> Self {
        KeyGen { next: first }
    }

    /// The next free key.
    pub(crate) fn next_key(&mut self) -> String {
        let key = self.next;
        self.next += 1;
        key.to_string()
    }

    /// Makes sure a key given by a seed is never handed out again.
    pub(crate) fn reserve(&mut self, key: &str) {
        if let Ok(n) = key.parse::<u128>()
            && n >= self.next
        {
            self.next = n.saturating_add(1);
        }
    }
}

/// A key is a non-empty string of ASCII digits (any length: never a number).
pub(crate) fn is_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A key written as a JSON number: its digits verbatim, leading zeros dropped (JSON numbers have
/// none). Never goes through a Rust number type, so keys above 2^63 or 2^64 are served exactly
/// as the world holds them. None when `key` is not a key.
pub(crate) fn json_number(key: &str) -> Option<Box<serde_json::value::RawValue>> {
    if !is_key(key) {
        return None;
    }
    let digits = key.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    serde_json::value::RawValue::from_string(digits.to_string()).ok()
}

/// A string that sorts like the number a key spells (keys are compared as digits, never parsed).
pub(crate) fn key_order(key: &str) -> String {
    format!("{:0>40}", key)
}

/// A sortable string for a timestamp followed by a key, used as a page cursor.
pub(crate) fn time_key_order(at: Timestamp, key: &str) -> String {
    // Offset by 2^80 so negative instants (before 1970) still sort correctly as strings.
    let nanos = at.as_nanosecond() + (1_i128 << 80);
    format!("{nanos:0>40}/{}", key_order(key))
}

/// An opaque random token (access tokens, refresh tokens, page tokens).
pub(crate) fn random_token() -> String {
    let bytes: [u8; 24] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A plausible email: one `@`, a non-empty local part, a dotted domain, no spaces.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// A locale like `en_US` (or a bare language like `de`).
pub(crate) fn is_locale(s: &str) -> bool {
    let (lang, region) = match s.split_once('_') {
        Some((l, r)) => (l, Some(r)),
        None => (s, None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok =
        region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()));
    lang_ok && region_ok
}

/// An IANA time zone name the simulator knows (bundled tz database).
pub(crate) fn is_time_zone(s: &str) -> bool {
    jiff::tz::db().get(s).is_ok()
}

/// Parses an ISO-8601 `startDate`/`endDate`: an RFC 3339 timestamp, or a date (UTC). A date
/// as an end bound means the whole day, so it returns the exclusive end of that day.
pub(crate) fn parse_bound(raw: &str, end: bool) -> Option<Timestamp> {
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Some(if end {
            ts.checked_add(jiff::SignedDuration::from_nanos(1)).ok()?
        } else {
            ts
        });
    }
    let date: jiff::civil::Date = raw.parse().ok()?;
    let date = if end { date.tomorrow().ok()? } else { date };
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_start_above_u64_and_increase() {
        let mut keys = KeyGen::default();
        assert_eq!(keys.next_key(), "18446744073709551617");
        assert_eq!(keys.next_key(), "18446744073709551618");
        keys.reserve("18446744073709551700");
        assert_eq!(keys.next_key(), "18446744073709551701");
        keys.reserve("5");
        assert_eq!(keys.next_key(), "18446744073709551702");
    }

    #[test]
    fn keys_can_start_anywhere() {
        let mut keys = KeyGen::starting_at(V1_FIRST_KEY);
        assert_eq!(keys.next_key(), "9007199254740993");
        assert_eq!(keys.next_key(), "9007199254740994");
    }

    #[test]
    fn keys_as_json_numbers_are_verbatim() {
        let text = |k: &str| json_number(k).map(|raw| raw.get().to_string());
        assert_eq!(
            text("9007199254740993").as_deref(),
            Some("9007199254740993")
        );
        let big = "340282366920938463463374607431768211456999";
        assert_eq!(text(&big[..40]).as_deref(), Some(&big[..40]));
        assert_eq!(text("0042").as_deref(), Some("42"));
        assert_eq!(text("000").as_deref(), Some("0"));
        assert_eq!(text("1e5"), None);
        assert_eq!(text(""), None);
    }

    #[test]
    fn key_shape() {
        assert!(is_key("18446744073709551617"));
        assert!(!is_key(""));
        assert!(!is_key("1.8446744073709552e19"));
        assert!(!is_key("-1"));
        assert!(!is_key("12a"));
    }

    #[test]
    fn key_order_is_numeric() {
        assert!(key_order("9") < key_order("10"));
        assert!(key_order("18446744073709551617") > key_order("9223372036854775807"));
    }

    #[test]
    fn time_key_order_sorts_by_time_then_key() {
        let early: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap_or_default();
        let late: Timestamp = "2026-01-02T00:00:00Z".parse().unwrap_or_default();
        assert!(time_key_order(early, "99") < time_key_order(late, "1"));
        assert!(time_key_order(early, "9") < time_key_order(early, "10"));
        assert!(time_key_order(Timestamp::MIN, "1") < time_key_order(Timestamp::UNIX_EPOCH, "1"));
    }

    #[test]
    fn emails() {
        assert!(is_email("jordan.lee@example.com"));
        for bad in [
            "",
            "a",
            "a@",
            "@b.com",
            "a@b",
            "a b@c.com",
            "a@b@c.com",
            "a@.com",
            "a@b..c",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn locales_and_zones() {
        assert!(is_locale("en_US") && is_locale("de") && is_locale("fil_PH"));
        assert!(!is_locale("en-US") && !is_locale("EN_us") && !is_locale("english"));
        assert!(is_time_zone("America/New_York") && is_time_zone("UTC"));
        assert!(!is_time_zone("Mars/Olympus_Mons") && !is_time_zone(""));
    }

    #[test]
    fn bounds() {
        let start = parse_bound("2026-03-01", false).map(|t| t.to_string());
        assert_eq!(start.as_deref(), Some("2026-03-01T00:00:00Z"));
        let end = parse_bound("2026-03-01", true).map(|t| t.to_string());
        assert_eq!(end.as_deref(), Some("2026-03-02T00:00:00Z"));
        assert!(parse_bound("2026-03-01T10:00:00Z", false).is_some());
        assert!(parse_bound("2026-03-01T10:00:00+02:00", true).is_some());
        assert!(parse_bound("yesterday", false).is_none());
        assert!(parse_bound("2026-13-01", false).is_none());
    }

    #[test]
    fn tokens_are_opaque_and_distinct() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert!(a.len() >= 32);
    }
}
