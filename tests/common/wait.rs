//! Waiting with deadlines instead of sleeps: a watch-based wait for object conditions, and a
//! bounded poll for things no watch can observe (e.g. RBAC taking effect for another user).

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use kube::Api;
use kube::Resource;
use kube::runtime::wait::Condition;
use serde::de::DeserializeOwned;

/// Long enough for a loaded 2-core CI machine, short enough that a hang fails the test quickly.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Poll interval of [`eventually`]: the apiserver answers in milliseconds, so a tight loop costs
/// little and keeps tests fast.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Waits (by watching) until object `name` satisfies `condition`, and returns it (`None` when the
/// condition holds for a missing object, e.g. `is_deleted`). Panics after `timeout`, naming what
/// it waited for.
pub async fn await_condition<K>(
    api: Api<K>,
    name: &str,
    condition: impl Condition<K>,
    timeout: Duration,
) -> Option<K>
where
    K: Clone + Debug + Send + DeserializeOwned + Resource + 'static,
{
    let kind = std::any::type_name::<K>();
    match tokio::time::timeout(
        timeout,
        kube::runtime::wait::await_condition(api, name, condition),
    )
    .await
    {
        Ok(Ok(object)) => object,
        Ok(Err(e)) => panic!("watching {kind} {name} failed: {e}"),
        Err(_) => panic!("{kind} {name} did not reach the expected condition within {timeout:?}"),
    }
}

/// Calls `attempt` until it returns `Ok`, at most until `timeout`; panics with `what` and the
/// last error otherwise. For effects a watch cannot observe, such as a new RoleBinding being
/// honoured by the authorizer's cache.
pub async fn eventually<T, E, F, Fut>(what: &str, timeout: Duration, mut attempt: F) -> T
where
    E: Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(e) if tokio::time::Instant::now() >= deadline => {
                panic!("{what}: still failing after {timeout:?}; last error: {e:?}")
            }
            Err(_) => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
}
