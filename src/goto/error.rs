//! What a GoTo call can fail with, in terms a caller can act on.
//!
//! The HTTP status → error mapping lives here, in one pure function, so the contract's
//! assumptions (what 402/409 mean, what is transient) change in one place.
//!
//! These errors' `Display` becomes condition messages, Events and log lines, and the endpoint
//! that answered is chosen by a tenant: a message never quotes a response body. It says the
//! HTTP status and, at most, GoTo's error code (`{"errorCode":"X"}`, cut to
//! [`MAX_ERROR_CODE_LEN`] characters of `[A-Za-z0-9_.:-]`); a body that is not the JSON
//! expected is described by its shape and position only ([`Error::decode`]), never by the
//! text serde would quote. So status cannot become a way to read another service's answers.
use super::models::Organizer;
use reqwest::StatusCode;
use std::time::Duration;

/// The message of a request that got no answer within the timeout.
pub(crate) const TIMED_OUT: &str = "timed out";
/// Start of the message of a request not sent because its endpoint is in a cool-off.
pub(crate) const NOT_ASKED: &str = "not asked again";

/// How every refusal of a key by the wire types begins; `decode` keeps such a message (it is
/// ours, constant) while it never keeps serde's own, which may quote the body.
pub(crate) const KEY_REFUSAL: &str = "a key ";

/// Longest error code kept from an error body.
pub(crate) const MAX_ERROR_CODE_LEN: usize = 64;
/// Longest piece of GoTo data (an email, a key) shown in a message.
const MAX_FIELD_IN_MESSAGE: usize = 254;

/// A failed GoTo call. Messages never carry secrets: no tokens, no client secret.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// No paid seat is left (402, or 409 on create when the email is not taken).
    #[error("no GoTo seat available (HTTP {status})")]
    SeatUnavailable {
        /// The status GoTo answered with: 402 or 409.
        status: u16,
    },
    /// A create found an organizer with that email already: adopt it.
    #[error(
        "an organizer with email {} already exists (key {})",
        clean(&.organizer.email),
        clean(.organizer.organizer_key.as_str())
    )]
    AlreadyExists {
        /// The existing organizer.
        organizer: Box<Organizer>,
    },
    /// The object does not exist (404).
    #[error("not found")]
    NotFound,
    /// The credentials were refused, even after renewing the token.
    #[error("GoTo refused the credentials")]
    Unauthorized,
    /// The token lacks a scope or admin rights (403).
    #[error("forbidden: the token lacks the scope or admin rights")]
    Forbidden,
    /// GoTo's rate limit held even after the retry budget was spent.
    #[error("rate limited by GoTo{}", retry_after_text(.retry_after))]
    RateLimited {
        /// How long GoTo asked us to wait, when it said so.
        retry_after: Option<Duration>,
    },
    /// A background drift read gave way to people's work in the request budget: nothing was
    /// sent; read again after `retry_after` (the drift slot booked for it).
    #[error("drift read deferred by {}s: people's changes go first", .retry_after.as_secs_f64())]
    Deferred {
        /// When the booked drift slot comes.
        retry_after: Duration,
    },
    /// A 5xx, a timeout or a dropped connection: trying later may work.
    #[error("transient GoTo failure: {0}")]
    Transient(String),
    /// GoTo rejected the request as malformed (400 and other 4xx).
    #[error("GoTo rejected the request: {0}")]
    BadRequest(String),
    /// GoTo's answer did not have the contract's shape.
    #[error("unexpected GoTo response: {0}")]
    Decode(String),
    /// The client is configured wrongly (URL, TLS).
    #[error("GoTo client configuration: {0}")]
    Config(String),
    /// The endpoint answers like the other dialect of the API; the message says what to set.
    #[error("{0}")]
    WrongApi(String),
}

fn retry_after_text(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(", retry after {}s", wait.as_secs_f64()),
        None => String::new(),
    }
}

impl Error {
    /// A fixed, low-cardinality label for metrics.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::SeatUnavailable { .. } => "seat_unavailable",
            Error::AlreadyExists { .. } => "already_exists",
            Error::NotFound => "not_found",
            Error::Unauthorized => "unauthorized",
            Error::Forbidden => "forbidden",
            Error::RateLimited { .. } => "rate_limited",
            Error::Deferred { .. } => "deferred",
            Error::Transient(_) => "transient",
            Error::BadRequest(_) => "bad_request",
            Error::Decode(_) => "decode",
            Error::Config(_) => "config",
            Error::WrongApi(_) => "wrong_api",
        }
    }

    /// True when the same call may succeed later without anyone changing anything:
    /// transient failures and rate limiting. Callers back off and retry these.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Transient(_) | Error::RateLimited { .. })
    }

    /// True when the endpoint did not answer in time, or was not asked because it recently
    /// did not (see `health.rs`): retrying at once would only wait again, so callers don't.
    pub(crate) fn is_unanswered(&self) -> bool {
        matches!(self, Error::Transient(m) if m == TIMED_OUT || m.starts_with(NOT_ASKED))
    }

    /// Maps a non-success HTTP status to the error a caller acts on.
    ///
    /// 409 is mapped as a bad request here: only a create gives it a seat meaning,
    /// and `create_organizer` looks at the status itself before calling this.
    pub(crate) fn from_status(
        status: StatusCode,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Self {
        match status.as_u16() {
            300..=399 => Error::Config(format!(
                "the endpoint answered HTTP {}, a redirect, which is never followed: \
                 set the final URL in the GoToAccount",
                status.as_u16()
            )),
            401 => Error::Unauthorized,
            402 => Error::SeatUnavailable { status: 402 },
            403 => Error::Forbidden,
            404 | 410 => Error::NotFound,
            408 => Error::Transient(format!("HTTP {status}")),
            429 => Error::RateLimited { retry_after },
            500..=599 => Error::Transient(format!("HTTP {status}")),
            _ => Error::BadRequest(summary(status, body)),
        }
    }

    /// A body that did not decode, described without quoting it: serde's own message may
    /// quote the body (`invalid type: string "..."`), so only its category and position are
    /// kept, and the name of a missing field (one of ours, never the body's).
    pub(crate) fn decode(what: &str, error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let shape = match error.classify() {
            Category::Syntax => "not JSON",
            Category::Eof => "cut short",
            Category::Data => "JSON of an unexpected shape",
            Category::Io => "unreadable",
        };
        let text = error.to_string();
        let missing = text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(field, _)| format!(", missing field {}", clean(field)))
            .or_else(|| {
                // Our own refusals of a key (`v1_wire`): constant text, never the body's.
                text.starts_with(KEY_REFUSAL)
                    .then(|| text.split(" at line ").next().unwrap_or_default())
                    .map(|why| format!(": {}", clean(why)))
            })
            .unwrap_or_default();
        Error::Decode(format!(
            "{what}: the answer is {shape} (line {}, column {}){missing}",
            error.line(),
            error.column()
        ))
    }

    /// Maps a transport failure (no HTTP status) without leaking request headers.
    pub(crate) fn from_transport(error: &reqwest::Error) -> Self {
        if error.is_builder() {
            return Error::Config(without_url_text(error));
        }
        let kind = if error.is_timeout() {
            TIMED_OUT
        } else if error.is_connect() {
            "connection failed"
        } else if error.is_body() || error.is_decode() {
            "reading the response failed"
        } else {
            "request failed"
        };
        Error::Transient(kind.to_owned())
    }
}

/// Text of a reqwest builder error without its URL (the URL may carry keys, never secrets,
/// but it is noise in a configuration message).
fn without_url_text(error: &reqwest::Error) -> String {
    let text = error.to_string();
    match error.url() {
        Some(url) => text.replace(url.as_str(), "<url>"),
        None => text,
    }
}

/// "HTTP 400" plus GoTo's error code when the body carries one: all an error says of a body.
fn summary(status: StatusCode, body: &[u8]) -> String {
    match error_code(body) {
        Some(code) => format!("HTTP {}, error code {code}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// GoTo's `errorCode` (or an OAuth `error`) from a JSON error body, reduced to a short token.
pub(crate) fn error_code(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = ["errorCode", "error_code", "error", "code"]
        .iter()
        .find_map(|field| match value.get(field)? {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })?;
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
        .take(MAX_ERROR_CODE_LEN)
        .collect();
    (!code.is_empty()).then_some(code)
}

/// GoTo data for a message: control characters dropped, cut to [`MAX_FIELD_IN_MESSAGE`].
fn clean(text: &str) -> String {
    let mut cleaned: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD_IN_MESSAGE)
        .collect();
    if text.chars().filter(|c| !c.is_control()).count() > MAX_FIELD_IN_MESSAGE {
        cleaned.push('…');
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: u16) -> Error {
        Error::from_status(
            StatusCode::from_u16(status).unwrap(),
            None,
            b"{\"error\":\"x\"}",
        )
    }

    #[test]
    fn statuses_map_to_actionable_errors() {
        let cases: &[(u16, &str)] = &[
            (301, "config"),
            (302, "config"),
            (307, "config"),
            (308, "config"),
            (400, "bad_request"),
            (401, "unauthorized"),
            (402, "seat_unavailable"),
            (403, "forbidden"),
            (404, "not_found"),
            (408, "transient"),
            (409, "bad_request"),
            (422, "bad_request"),
            (429, "rate_limited"),
            (500, "transient"),
            (502, "transient"),
            (503, "transient"),
        ];
        for (status, label) in cases {
            assert_eq!(map(*status).metric_label(), *label, "status {status}");
        }
    }

    #[test]
    fn rate_limit_keeps_retry_after() {
        let error = Error::from_status(
            StatusCode::TOO_MANY_REQUESTS,
            Some(Duration::from_secs(3)),
            b"",
        );
        assert!(
            matches!(error, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(3))
        );
        assert!(error.is_transient());
        assert!(error.to_string().contains("retry after 3s"));
    }

    #[test]
    fn only_transient_and_rate_limited_are_transient() {
        assert!(map(503).is_transient());
        assert!(!map(404).is_transient());
        assert!(!map(401).is_transient());
        assert!(!map(402).is_transient());
    }

    #[test]
    fn a_redirect_is_a_configuration_error_naming_no_location() {
        let error = map(302);
        assert!(!error.is_transient());
        assert!(
            error.to_string().contains("HTTP 302, a redirect"),
            "{error}"
        );
    }

    #[test]
    fn bodies_are_never_quoted_only_the_error_code() {
        let cases: &[(&[u8], &str)] = &[
            (
                br#"{"errorCode":"InvalidRequest","description":"CANARY"}"#,
                "GoTo rejected the request: HTTP 400, error code InvalidRequest",
            ),
            (
                br#"{"error":"invalid_grant","error_description":"CANARY"}"#,
                "GoTo rejected the request: HTTP 400, error code invalid_grant",
            ),
            (
                br#"{"errorCode":"A\u0007B\nC CANARY<script>"}"#,
                "GoTo rejected the request: HTTP 400, error code ABCCANARYscript",
            ),
            (
                b"<html>CANARY</html>",
                "GoTo rejected the request: HTTP 400",
            ),
            (
                br#"{"errorCode":{"CANARY":1}}"#,
                "GoTo rejected the request: HTTP 400",
            ),
            (
                br#"{"errorCode":"\u0000\u0001"}"#,
                "GoTo rejected the request: HTTP 400",
            ),
        ];
        for (body, message) in cases {
            let error = Error::from_status(StatusCode::BAD_REQUEST, None, body);
            let text = error.to_string();
            assert_eq!(text, *message);
        }
        let long = format!(r#"{{"errorCode":"{}"}}"#, "X".repeat(10_000));
        let error = Error::from_status(StatusCode::BAD_REQUEST, None, long.as_bytes());
        assert!(error.to_string().len() < 120, "{error}");
    }

    #[test]
    fn decode_errors_name_the_shape_not_the_body() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Wanted {
            email: String,
            count: u64,
        }
        let cases: &[(&str, &str)] = &[
            (
                r#"{"email":"a@b.c","count":"CANARY"}"#,
                "get_organizer: the answer is JSON of an unexpected shape (line 1, column 33)",
            ),
            (
                "<html>CANARY</html>",
                "get_organizer: the answer is not JSON (line 1, column 1)",
            ),
            (
                r#"{"email":"CANARY""#,
                "get_organizer: the answer is cut short (line 1, column 17)",
            ),
            (
                r#"{"count":1}"#,
                "get_organizer: the answer is JSON of an unexpected shape (line 1, column 11), missing field email",
            ),
        ];
        for (body, message) in cases {
            let error = serde_json::from_str::<Wanted>(body).unwrap_err();
            let text = Error::decode("get_organizer", &error).to_string();
            assert_eq!(text, format!("unexpected GoTo response: {message}"));
        }
    }

    #[test]
    fn data_in_messages_is_cleaned_and_cut() {
        assert_eq!(clean("a\u{7}b\nc"), "abc");
        assert_eq!(
            clean(&"x".repeat(1000)).chars().count(),
            MAX_FIELD_IN_MESSAGE + 1
        );
    }
}
