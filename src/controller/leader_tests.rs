//! Tests of the leader lease's fence and guard.
use super::*;
use std::sync::Mutex;

fn ours(renewed: Option<SystemTime>) -> Record {
    Record {
        holder: Some("me".into()),
        renewed,
    }
}

#[test]
fn readings() {
    let now = Instant::now() + Duration::from_secs(100);
    let wall = SystemTime::now();
    let cases = [
        (
            ours(Some(wall - Duration::from_secs(3))),
            Reading::RenewedAt(now - Duration::from_secs(3)),
        ),
        // A renewal "in the future" (clock step) counts as now, never later.
        (
            ours(Some(wall + Duration::from_secs(30))),
            Reading::RenewedAt(now),
        ),
        (ours(None), Reading::Unknown),
        (
            Record {
                holder: Some("usurper".into()),
                renewed: Some(wall),
            },
            Reading::Lost(Some("usurper".into())),
        ),
        (
            Record {
                holder: None,
                renewed: None,
            },
            Reading::Lost(None),
        ),
    ];
    for (record, want) in cases {
        assert_eq!(read_lease(&record, "me", now, wall), want, "{record:?}");
    }
}

/// A scripted Lease: each read answers with the next result, then the last one forever.
fn script(
    answers: Vec<Result<Record, String>>,
) -> impl FnMut() -> std::future::Ready<Result<Record, String>> {
    let answers = Mutex::new(answers);
    move || {
        let mut a = answers.lock().unwrap();
        let next = if a.len() > 1 {
            a.remove(0)
        } else {
            a[0].clone()
        };
        std::future::ready(next)
    }
}

#[tokio::test(start_paused = true)]
async fn fresh_renewals_keep_the_fence_open() {
    let fence = Fence::open();
    let reads = move || std::future::ready(Ok(ours(Some(SystemTime::now()))));
    let task = tokio::spawn(guard(fence.clone(), "me".into(), reads));
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert!(fence.is_open());
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_api_server_closes_the_fence_at_the_deadline() {
    let fence = Fence::open();
    let started = Instant::now();
    let reads = script(vec![Err("connection refused".into())]);
    let task = tokio::spawn(guard(fence.clone(), "me".into(), reads));
    tokio::time::sleep(RENEW_DEADLINE - Duration::from_millis(10)).await;
    assert!(fence.is_open(), "still within the deadline");
    fence.closed().await;
    assert_eq!(
        started.elapsed(),
        RENEW_DEADLINE,
        "closed exactly at the deadline"
    );
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_hanging_read_cannot_hold_the_fence_open() {
    let fence = Fence::open();
    let started = Instant::now();
    let reads = || std::future::pending::<Result<Record, String>>();
    let task = tokio::spawn(guard(fence.clone(), "me".into(), reads));
    fence.closed().await;
    assert_eq!(started.elapsed(), RENEW_DEADLINE);
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn another_holder_closes_the_fence_at_once() {
    let fence = Fence::open();
    let reads = script(vec![
        Ok(ours(Some(SystemTime::now()))),
        Ok(Record {
            holder: Some("usurper".into()),
            renewed: Some(SystemTime::now()),
        }),
    ]);
    let started = Instant::now();
    guard(fence.clone(), "me".into(), reads).await;
    assert!(!fence.is_open());
    assert!(started.elapsed() <= CHECK_PERIOD * 2);
}

#[tokio::test(start_paused = true)]
async fn a_starved_guard_cannot_keep_writes_going_past_the_deadline() {
    // No guard task runs at all (starved, stuck, or dead): the deadline alone stops writes.
    let fence = Fence::until(Instant::now() + RENEW_DEADLINE);
    let check = fence.as_write_fence();
    tokio::time::sleep(RENEW_DEADLINE - Duration::from_millis(1)).await;
    assert!(check(), "within the deadline");
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert!(
        !check(),
        "at the deadline, whether or not anyone closed the fence"
    );
    fence.extend(Instant::now() + RENEW_DEADLINE);
    assert!(check(), "a renewal seen in time moves the deadline");
    fence.close("test");
    fence.extend(Instant::now() + RENEW_DEADLINE);
    assert!(!check(), "a closed fence never reopens");
}

#[test]
fn a_closed_fence_stays_closed_and_refuses_writes() {
    let fence = Fence::open();
    let check = fence.as_write_fence();
    assert!(check());
    fence.close("test");
    assert!(!check());
    assert!(!fence.is_open());
}
