//! Bounded retries of idempotent calls: exponential backoff with jitter (backon), except
//! that a 429's Retry-After replaces the backoff delay so the wait is at least what GoTo asked.
use super::config::RetryPolicy;
use super::error::Error;
use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// Runs `attempt` until it succeeds, fails with an error `retryable` refuses (or a timeout),
/// or the policy's retries are spent; then the last error is returned (a spent 429 budget
/// gives `RateLimited{retry_after}`). Idempotent calls pass [`Error::is_transient`].
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    retryable: fn(&Error) -> bool,
    attempt: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    attempt
        .retry(backoff(policy))
        // A timeout is not retried at once: the endpoint is in its cool-off (health.rs).
        .when(|error| retryable(error) && !error.is_unanswered())
        .adjust(next_delay)
        .notify(|error, delay| {
            tracing::debug!(error = %error, delay_ms = delay.as_millis() as u64, "retrying GoTo call")
        })
        .await
}

fn backoff(policy: &RetryPolicy) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay.max(policy.min_delay))
        .with_max_times(policy.max_retries)
        .with_jitter()
}

/// Longest Retry-After waited out inside one call. A longer one ends the call with
/// `RateLimited{retry_after}` so the caller requeues instead of holding a worker for it.
pub(crate) const MAX_INLINE_RETRY_AFTER: Duration = super::budget::MAX_INLINE_WAIT;

/// The delay before the next attempt: `None` once the backoff is spent; Retry-After when
/// GoTo sent one (it is a floor, and the budget pause already holds other callers to it).
pub(crate) fn next_delay(error: &Error, backoff: Option<Duration>) -> Option<Duration> {
    let backoff = backoff?;
    match error {
        Error::RateLimited {
            retry_after: Some(wait),
        } => Some(*wait).filter(|wait| *wait <= MAX_INLINE_RETRY_AFTER),
        _ => Some(backoff),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn policy(max_retries: usize) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        }
    }

    #[test]
    fn retry_after_replaces_the_backoff_delay() {
        let limited = Error::RateLimited {
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            next_delay(&limited, Some(Duration::from_millis(200))),
            Some(Duration::from_secs(3))
        );
        let bare = Error::RateLimited { retry_after: None };
        assert_eq!(
            next_delay(&bare, Some(Duration::from_millis(200))),
            Some(Duration::from_millis(200))
        );
        assert_eq!(next_delay(&limited, None), None);
        let long = Error::RateLimited {
            retry_after: Some(MAX_INLINE_RETRY_AFTER + Duration::from_secs(1)),
        };
        assert_eq!(next_delay(&long, Some(Duration::from_millis(200))), None);
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_up_to_the_limit() {
        let attempts = AtomicUsize::new(0);
        let result: Result<(), Error> = with_retries(&policy(3), Error::is_transient, || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            Err(Error::Transient("HTTP 503".into()))
        })
        .await;
        assert!(matches!(result, Err(Error::Transient(_))));
        assert_eq!(attempts.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_errors_are_not_retried() {
        let attempts = AtomicUsize::new(0);
        let result: Result<(), Error> = with_retries(&policy(3), Error::is_transient, || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            Err(Error::NotFound)
        })
        .await;
        assert!(matches!(result, Err(Error::NotFound)));
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_waits_at_least_retry_after() {
        let attempts = AtomicUsize::new(0);
        let start = tokio::time::Instant::now();
        let result = with_retries(&policy(3), Error::is_transient, || async {
            if attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(Error::RateLimited {
                    retry_after: Some(Duration::from_secs(5)),
                })
            } else {
                Ok("done")
            }
        })
        .await;
        assert_eq!(result.unwrap(), "done");
        assert!(start.elapsed() >= Duration::from_secs(5));
    }
}
