//! One HTTP exchange: send, read the body, observe, trace.
//!
//! Everything above this layer sees a [`Raw`] answer (any status) or an [`Error`] for a
//! transport failure. Nothing here logs headers, so tokens and secrets never reach a log.
use super::config::Observer;
use super::endpoint;
use super::error::Error;
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
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode(format!("{what}: {e}")))
    }
}

/// Sends one request and reads its whole body, reporting it to the observer.
pub(crate) async fn send(
    http: &reqwest::Client,
    request: reqwest::Request,
    operation: &'static str,
    observer: Option<&dyn Observer>,
) -> Result<Raw, Error> {
    let method = request.method().clone();
    let path = request.url().path().to_owned();
    let started = Instant::now();
    let result = match endpoint::check("request URL", request.url()) {
        Ok(()) => exchange(http, request).await,
        Err(refused) => Err(refused),
    };
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

async fn exchange(http: &reqwest::Client, request: reqwest::Request) -> Result<Raw, Error> {
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
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::from_transport(&e))?
        .to_vec();
    Ok(Raw {
        status,
        retry_after,
        body,
    })
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

/// Parses Retry-After: delta seconds, or an HTTP date (RFC 9110) relative to `now`.
pub(crate) fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let wait = at.duration_since(now);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
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
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(parse_retry_after("-3", now()), None);
    }

    #[tokio::test]
    async fn every_request_url_is_checked_before_sending() {
        let http = reqwest::Client::new();
        let request = http
            .get("http://169.254.169.254/latest/meta-data")
            .build()
            .unwrap();
        let result = send(&http, request, "get_organizer", None).await;
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
