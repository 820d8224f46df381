//! One HTTP exchange: send, read the body, observe, trace.
//!
//! Everything above this layer sees a [`Raw`] answer (any status) or an [`Error`] for a
//! transport failure. Nothing here logs headers, so tokens and secrets never reach a log.
//!
//! The endpoint is untrusted (a tenant chooses it), so everything read from it is bounded:
//! the body is read chunk by chunk and refused past [`API_BODY_LIMIT`] (1 MiB) or, from the
//! token endpoint, [`TOKEN_BODY_LIMIT`] (64 KiB); `Retry-After` is clamped to
//! [`MAX_RETRY_AFTER`] (1 h) whatever its form; the client's timeout covers connecting,
//! the headers and the whole body, so a trickling body ends as a timeout.
use super::config::Observer;
use super::endpoint;
use super::error::{Error, TIMED_OUT};
use super::health::EndpointHealth;
use reqwest::{StatusCode, header::RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

/// A complete HTTP answer, whatever its status.
#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) status: StatusCode,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Vec<u8>,
}

impl Raw {
    /// The answer itself when it is a success, else the error its status means.
    pub(crate) fn success(self) -> Result<Raw, Error> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(Error::from_status(
                self.status,
                self.retry_after,
                &self.body,
            ))
        }
    }

    /// Decodes the JSON body; `what` names the operation in the error.
    pub(crate) fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::decode(what, &e))
    }
}

/// Sends one request and reads its whole body, reporting it to the observer. A request to a
/// refused URL, or to an endpoint in its cool-off after a timeout (`health`), is not sent
/// and not observed: it fails at once.
pub(crate) async fn send(
    http: &reqwest::Client,
    request: reqwest::Request,
    operation: &'static str,
    observer: Option<&dyn Observer>,
    health: &EndpointHealth,
) -> Result<Raw, Error> {
    endpoint::check("request URL", request.url())?;
    let admission = health.admit()?;
    let method = request.method().clone();
    let path = request.url().path().to_owned();
    let started = Instant::now();
    let result = exchange(http, request, body_limit(operation)).await;
    admission.finish(matches!(&result, Err(Error::Transient(m)) if m == TIMED_OUT));
    let elapsed = started.elapsed();
    let outcome = match &result {
        Ok(raw) => status_outcome(raw.status),
        Err(error) => error.metric_label(),
    };
    tracing::debug!(
        operation,
        %method,
        path,
        status = result.as_ref().map(|raw| raw.status.as_u16()).ok(),
        outcome,
        elapsed_ms = elapsed.as_millis() as u64,
        "GoTo request"
    );
    if let Some(observer) = observer {
        observer.request(operation, outcome, elapsed);
    }
    result
}

async fn exchange(
    http: &reqwest::Client,
    request: reqwest::Request,
    limit: usize,
) -> Result<Raw, Error> {
    let response = http
        .execute(request)
        .await
        .map_err(|e| Error::from_transport(&e))?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, jiff::Timestamp::now()));
    let body = read_capped(response, limit).await?;
    Ok(Raw {
        status,
        retry_after,
        body,
    })
}

/// Largest API answer read; GoTo's largest page (100 organizers) is far below it.
pub(crate) const API_BODY_LIMIT: usize = 1024 * 1024;
/// Largest token endpoint answer read; a token response is a few hundred bytes.
pub(crate) const TOKEN_BODY_LIMIT: usize = 64 * 1024;
/// Longest wait a `Retry-After` can ask for; a longer (or absurd) one is cut to this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Largest answer of a whole-account listing in one body (v1's `GET /organizers`, which has no
/// pages): the bound every listing has over all its pages.
pub(crate) const LISTING_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The operation name of v1's one-call account listing, which may be that large.
pub(crate) const LIST_ACCOUNT: &str = "list_account";
/// The operation name of v1's attendees of every session of one organizer in a range (no
/// pages either), which may be as large.
pub(crate) const ORGANIZER_ATTENDEES: &str = "list_organizer_attendees";

/// The body limit of an operation: the token endpoint's is smaller, a whole-account listing's
/// larger.
fn body_limit(operation: &str) -> usize {
    match operation {
        "token" => TOKEN_BODY_LIMIT,
        LIST_ACCOUNT | ORGANIZER_ATTENDEES => LISTING_BODY_LIMIT,
        _ => API_BODY_LIMIT,
    }
}

/// Reads the body chunk by chunk, refusing it as soon as it passes `limit` bytes (or
/// announces that it will): an endless or huge answer costs at most `limit` of memory.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Error> {
    let too_large = || {
        Error::Decode(format!(
            "the answer is larger than {} KiB; not read",
            limit / 1024
        ))
    };
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Error::from_transport(&e))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The observer's outcome label for an HTTP status.
pub(crate) fn status_outcome(status: StatusCode) -> &'static str {
    if status.is_success() {
        "ok"
    } else if status == StatusCode::CONFLICT {
        "conflict"
    } else {
        Error::from_status(status, None, b"").metric_label()
    }
}

/// Parses Retry-After: delta seconds, or an HTTP date (RFC 9110) relative to `now`; at most
/// [`MAX_RETRY_AFTER`], a date in the past is zero, anything unreadable is `None`.
pub(crate) fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits too many for a u64 are still "a very long time": clamp, do not drop.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let wait = at.duration_since(now);
    Some(
        Duration::try_from(wait)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2026-11-26T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after("1", now()), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 120 ", now()),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn retry_after_as_http_date() {
        let wait = parse_retry_after("Thu, 26 Nov 2026 08:00:30 GMT", now());
        assert_eq!(wait, Some(Duration::from_secs(30)));
    }

    #[test]
    fn retry_after_in_the_past_is_zero() {
        let wait = parse_retry_after("Thu, 26 Nov 2026 07:00:00 GMT", now());
        assert_eq!(wait, Some(Duration::ZERO));
    }

    #[test]
    fn garbage_retry_after_is_ignored() {
        // The last is beyond the dates jiff can represent: unreadable, not a panic.
        for garbage in [
            "soon",
            "-3",
            "",
            "1.5",
            "+5",
            "0x10",
            "5 s",
            "\u{0}",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(parse_retry_after(garbage, now()), None, "{garbage:?}");
        }
    }

    #[test]
    fn huge_retry_after_is_clamped_to_an_hour() {
        for huge in [
            "3601",
            "18446744073709551615",
            "99999999999999999999999999999",
            "Wed, 01 Jan 2200 00:00:00 GMT",
        ] {
            assert_eq!(
                parse_retry_after(huge, now()),
                Some(MAX_RETRY_AFTER),
                "{huge:?}"
            );
        }
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
    }

    #[tokio::test]
    async fn every_request_url_is_checked_before_sending() {
        let http = reqwest::Client::new();
        let request = http
            .get("http://169.254.169.254/latest/meta-data")
            .build()
            .unwrap();
        let result = send(
            &http,
            request,
            "get_organizer",
            None,
            &EndpointHealth::new(),
        )
        .await;
        assert!(
            matches!(&result, Err(Error::Config(m)) if m.starts_with("request URL must use https")),
            "{result:?}"
        );
    }

    #[test]
    fn outcomes_are_fixed_labels() {
        assert_eq!(status_outcome(StatusCode::NO_CONTENT), "ok");
        assert_eq!(status_outcome(StatusCode::CONFLICT), "conflict");
        assert_eq!(
            status_outcome(StatusCode::TOO_MANY_REQUESTS),
            "rate_limited"
        );
        assert_eq!(status_outcome(StatusCode::BAD_GATEWAY), "transient");
    }
}
