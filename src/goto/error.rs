//! What a GoTo call can fail with, in terms a caller can act on.
//!
//! The HTTP status → error mapping lives here, in one pure function, so the contract's
//! assumptions (what 402/409 mean, what is transient) change in one place.
use super::models::Organizer;
use reqwest::StatusCode;
use std::time::Duration;

/// Longest piece of a server's error body kept in an error message.
const MAX_BODY_IN_MESSAGE: usize = 200;

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
    #[error("an organizer with email {} already exists (key {})", .organizer.email, .organizer.organizer_key)]
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
            Error::Transient(_) => "transient",
            Error::BadRequest(_) => "bad_request",
            Error::Decode(_) => "decode",
            Error::Config(_) => "config",
        }
    }

    /// True when the same call may succeed later without anyone changing anything:
    /// transient failures and rate limiting. Callers back off and retry these.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Transient(_) | Error::RateLimited { .. })
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
            _ => Error::BadRequest(format!("HTTP {status}: {}", body_excerpt(body))),
        }
    }

    /// Maps a transport failure (no HTTP status) without leaking request headers.
    pub(crate) fn from_transport(error: &reqwest::Error) -> Self {
        if error.is_builder() {
            return Error::Config(without_url_text(error));
        }
        let kind = if error.is_timeout() {
            "timed out"
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

/// The start of a server's error body, on one line, for an error message.
fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut excerpt: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_BODY_IN_MESSAGE)
        .collect();
    if text.chars().count() > MAX_BODY_IN_MESSAGE {
        excerpt.push('…');
    }
    excerpt
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
    fn long_bodies_are_cut() {
        let body = "x".repeat(1000);
        let error = Error::from_status(StatusCode::BAD_REQUEST, None, body.as_bytes());
        assert!(error.to_string().len() < 300);
    }
}
