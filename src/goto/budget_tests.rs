//! The budget in virtual time: tokio's paused clock jumps to the next timer, so these tests
//! measure the pacer's schedule exactly and take no real time.
use super::*;
use std::sync::Arc;

pub(super) fn spacing(rate: f64) -> Duration {
    Duration::from_secs_f64((1.0 + JITTER_HEADROOM) / rate)
}

/// The most requests any half-open one-second window holds.
pub(super) fn busiest_second(times: &[Instant]) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|t| **t < sorted[i] + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// `n` concurrent callers; the instants their permits were granted.
pub(super) async fn race(budget: &Arc<RequestBudget>, n: usize) -> Vec<Instant> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let budget = budget.clone();
            tokio::spawn(async move {
                budget.acquire().await.unwrap();
                Instant::now()
            })
        })
        .collect();
    let mut times = Vec::new();
    for task in tasks {
        times.push(task.await.unwrap());
    }
    times.sort();
    times
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_leave_evenly_and_never_above_the_ceiling() {
    let budget = Arc::new(RequestBudget::new(10.0));
    let start = Instant::now();
    let times = race(&budget, 55).await;
    assert_eq!(times[0], start, "the first request leaves at once");
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= spacing(10.0), "a burst: gap {gap:?}");
        assert!(
            gap < spacing(10.0) + Duration::from_millis(2),
            "uneven: gap {gap:?}"
        );
    }
    assert!(busiest_second(&times) <= 10, "{}", busiest_second(&times));
    // 55 requests at ~9.7/s take ~5.6 s, not the 5 s a burst-then-wait limiter would claim.
    let took = *times.last().unwrap() - start;
    assert!(took >= spacing(10.0) * 54, "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn no_window_exceeds_the_ceiling_across_idle_gaps() {
    // A limiter that refills while idle would let `rate` requests out at once after a pause.
    let budget = Arc::new(RequestBudget::new(5.0));
    let mut times = race(&budget, 7).await;
    tokio::time::sleep(Duration::from_millis(2300)).await;
    times.extend(race(&budget, 12).await);
    assert!(busiest_second(&times) <= 5, "{}", busiest_second(&times));
}

#[tokio::test(start_paused = true)]
async fn a_429_halves_the_rate_once_and_it_recovers_gradually() {
    let budget = RequestBudget::new(10.0);
    let first = budget.acquire().await.unwrap();
    let second = budget.acquire().await.unwrap();
    // Two requests sent at the old rate both come back 429: one slowdown, not two.
    budget.rate_limited(first, Some(Duration::from_secs(2)));
    budget.rate_limited(second, Some(Duration::from_secs(2)));
    assert_eq!(budget.effective_rate(), 5.0);
    // No recovery while paused, nor in the first clean interval after it.
    tokio::time::sleep(Duration::from_millis(2900)).await;
    assert_eq!(budget.effective_rate(), 5.0);
    let mut seen = Vec::new();
    for _ in 0..6 {
        tokio::time::sleep(RECOVERY_INTERVAL).await;
        seen.push(budget.effective_rate());
    }
    let rounded: Vec<f64> = seen.iter().map(|r| (r * 10.0).round() / 10.0).collect();
    assert_eq!(rounded, vec![6.0, 7.0, 8.0, 9.0, 10.0, 10.0]);
}

#[tokio::test(start_paused = true)]
async fn a_429_after_the_slowdown_lowers_the_rate_again_down_to_the_floor() {
    let budget = RequestBudget::new(10.0);
    for expected in [5.0, 2.5, 1.25, MIN_RATE, MIN_RATE] {
        let permit = budget.acquire().await.unwrap();
        budget.rate_limited(permit, Some(Duration::from_millis(100)));
        assert_eq!(budget.effective_rate(), expected);
    }
}

#[tokio::test(start_paused = true)]
async fn the_slower_rate_spaces_requests_further() {
    let budget = Arc::new(RequestBudget::new(10.0));
    let permit = budget.acquire().await.unwrap();
    budget.rate_limited(permit, Some(Duration::from_secs(1)));
    let times = race(&budget, 5).await;
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= spacing(5.0), "{:?}", pair[1] - pair[0]);
    }
}

#[tokio::test(start_paused = true)]
async fn queued_callers_and_the_one_past_the_limiter_wait_out_retry_after() {
    let budget = Arc::new(RequestBudget::new(10.0));
    let first = budget.acquire().await.unwrap();
    // Eight callers queue; the head is already sleeping until its pacing slot.
    let queued: Vec<_> = (0..8)
        .map(|_| {
            let budget = budget.clone();
            tokio::spawn(async move {
                budget.acquire().await.unwrap();
                Instant::now()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let until = Instant::now() + Duration::from_secs(3);
    budget.rate_limited(first, Some(Duration::from_secs(3)));
    let mut times = Vec::new();
    for task in queued {
        times.push(task.await.unwrap());
    }
    times.sort();
    assert!(
        times[0] >= until,
        "left {:?} before Retry-After ended",
        until - times[0]
    );
    // At the halved rate until a clean second has passed, then recovering.
    for pair in times[..5].windows(2) {
        assert!(pair[1] - pair[0] >= spacing(5.0));
    }
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= spacing(10.0));
    }
}

#[tokio::test(start_paused = true)]
async fn a_shorter_pause_never_cuts_a_longer_one() {
    let budget = RequestBudget::new(1000.0);
    let start = Instant::now();
    let permit = budget.acquire().await.unwrap();
    budget.rate_limited(permit, Some(Duration::from_secs(2)));
    budget.rate_limited(permit, Some(Duration::from_millis(10)));
    budget.acquire().await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_long_retry_after_returns_at_once_to_every_caller() {
    let budget = Arc::new(RequestBudget::new(10.0));
    let permit = budget.acquire().await.unwrap();
    let start = Instant::now();
    budget.rate_limited(permit, Some(Duration::from_secs(30)));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let budget = budget.clone();
            tokio::spawn(async move { budget.acquire().await })
        })
        .collect();
    for caller in callers {
        match caller.await.unwrap() {
            Err(Error::RateLimited {
                retry_after: Some(left),
            }) => assert!(left > MAX_INLINE_WAIT && left <= Duration::from_secs(30)),
            other => panic!("expected RateLimited at once, got {other:?}"),
        }
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "a worker was parked");
}

#[tokio::test(start_paused = true)]
async fn a_hostile_retry_after_is_clamped_without_overflow() {
    let budget = RequestBudget::new(10.0);
    let permit = budget.acquire().await.unwrap();
    assert_eq!(
        budget.rate_limited(permit, Some(Duration::MAX)),
        MAX_RETRY_AFTER
    );
    match budget.acquire().await {
        Err(Error::RateLimited {
            retry_after: Some(left),
        }) => assert!(left <= MAX_RETRY_AFTER),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    tokio::time::sleep(MAX_RETRY_AFTER).await;
    assert!(budget.acquire().await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_pauses_a_second() {
    let budget = RequestBudget::new(1000.0);
    let start = Instant::now();
    let permit = budget.acquire().await.unwrap();
    assert_eq!(budget.rate_limited(permit, None), DEFAULT_RATE_LIMIT_PAUSE);
    budget.acquire().await.unwrap();
    assert!(start.elapsed() >= DEFAULT_RATE_LIMIT_PAUSE);
}

#[tokio::test(start_paused = true)]
async fn a_new_ceiling_applies_unless_throttled() {
    let budget = RequestBudget::new(10.0);
    budget.set_ceiling(20.0);
    assert_eq!(budget.effective_rate(), 20.0);
    let permit = budget.acquire().await.unwrap();
    budget.rate_limited(permit, Some(Duration::from_secs(1)));
    assert_eq!(budget.effective_rate(), 10.0);
    budget.set_ceiling(4.0);
    assert_eq!(budget.effective_rate(), 4.0);
    budget.set_ceiling(f64::NAN);
    assert_eq!(budget.effective_rate(), MIN_RATE);
}

fn key(client_id: &str) -> BudgetKey {
    keyed(client_id, "secret")
}

fn keyed(client_id: &str, client_secret: &str) -> BudgetKey {
    BudgetKey {
        token_url: "https://auth.example/oauth/token".into(),
        client_id: client_id.into(),
        account_key: "1".into(),
        secret_digest: BudgetKey::digest(client_secret),
    }
}

/// Issue 21 (6): a tenant naming a victim's client id and account key with credentials it does
/// not have gets a budget of its own: its ceiling never becomes the victim's.
#[tokio::test(start_paused = true)]
async fn only_the_same_credentials_share_and_shape_a_budget() {
    let budgets = Budgets::new();
    let victim = budgets.get(keyed("app", "the-real-secret"), 10.0);
    let intruder = budgets.get(keyed("app", "junk"), 1.0);
    assert!(!Arc::ptr_eq(&victim, &intruder));
    assert_eq!(
        victim.effective_rate(),
        10.0,
        "the victim keeps its ceiling"
    );
    let rotated_copy = budgets.get(keyed("app", "the-real-secret"), 10.0);
    assert!(
        Arc::ptr_eq(&victim, &rotated_copy),
        "the same credentials share"
    );
}

#[tokio::test(start_paused = true)]
async fn one_budget_per_application() {
    let budgets = Budgets::new();
    let a = budgets.get(key("app"), 10.0);
    let again = budgets.get(key("app"), 8.0);
    assert!(Arc::ptr_eq(&a, &again));
    assert_eq!(a.effective_rate(), 8.0, "the latest configuration wins");
    let other = budgets.get(key("other-app"), 10.0);
    assert!(!Arc::ptr_eq(&a, &other));
}

#[tokio::test(start_paused = true)]
async fn an_unused_budget_is_forgotten_unless_paused() {
    let budgets = Budgets::new();
    drop(budgets.get(key("idle"), 10.0));
    let paused = budgets.get(key("paused"), 10.0);
    let permit = paused.acquire().await.unwrap();
    paused.rate_limited(permit, Some(Duration::from_secs(60)));
    drop(paused);
    // Rebuilt after its clients were dropped (a Secret edit): the running pause still holds.
    let rebuilt = budgets.get(key("paused"), 10.0);
    assert!(matches!(
        rebuilt.acquire().await,
        Err(Error::RateLimited { .. })
    ));
    assert_eq!(budgets.lock().len(), 1, "the idle budget is gone");
}
