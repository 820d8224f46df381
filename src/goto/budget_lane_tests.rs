//! The two lanes of a budget (issue 22): people's work first, drift reads at most half the rate.
use super::tests::{busiest_second, race, spacing};
use super::*;
use std::sync::Arc;

/// Drift reads asked back to back, each coming back at the slot it was booked: the instants
/// they were let go.
async fn drift_reads(budget: &Arc<RequestBudget>, n: usize) -> (Vec<Instant>, usize) {
    let mut times = Vec::new();
    let mut deferrals = 0;
    while times.len() < n {
        match budget.acquire_drift().await {
            Ok(_) => times.push(Instant::now()),
            Err(Error::Deferred { retry_after }) => {
                deferrals += 1;
                tokio::time::sleep(retry_after).await;
            }
            Err(other) => panic!("{other}"),
        }
    }
    (times, deferrals)
}

#[tokio::test(start_paused = true)]
async fn drift_reads_use_at_most_half_the_rate() {
    let budget = Arc::new(RequestBudget::new(10.0));
    let start = Instant::now();
    let (times, _) = drift_reads(&budget, 50).await;
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= spacing(10.0) * 2,
            "{:?}",
            pair[1] - pair[0]
        );
    }
    assert!(busiest_second(&times) <= 5, "{}", busiest_second(&times));
    // ~4.85 a second: 50 take about ten seconds.
    let took = *times.last().unwrap() - start;
    assert!(took < Duration::from_secs(11), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn people_go_first_and_drift_reads_never_queue_behind_them() {
    let budget = Arc::new(RequestBudget::new(10.0));
    // Forty people's requests queued at once, and drift reads asking all along.
    let people = {
        let budget = budget.clone();
        tokio::spawn(async move { race(&budget, 40).await })
    };
    tokio::task::yield_now().await;
    let drift = {
        let budget = budget.clone();
        tokio::spawn(async move {
            let mut deferred = 0;
            loop {
                let asked = Instant::now();
                match budget.acquire_drift().await {
                    Ok(_) => return (Instant::now(), deferred),
                    Err(Error::Deferred { retry_after }) => {
                        // A drift read never waits in the queue: deferred at once.
                        assert_eq!(Instant::now(), asked, "a drift read waited");
                        deferred += 1;
                        tokio::time::sleep(retry_after).await;
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        })
    };
    let people = people.await.unwrap();
    let (drift_at, deferred) = drift.await.unwrap();
    assert!(deferred > 0, "the drift read gave way");
    assert!(
        drift_at >= *people.last().unwrap(),
        "a drift read went before a person's request: {drift_at:?} vs {:?}",
        people.last()
    );
    // The people's requests ran at the full rate: the drift lane took nothing from them.
    let took = *people.last().unwrap() - people[0];
    assert!(took < spacing(10.0) * 40, "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn deferred_drift_reads_are_booked_one_slot_after_another() {
    // At 2 requests a second a drift slot is a second apart: beyond the inline wait.
    let budget = Arc::new(RequestBudget::new(2.0));
    budget.acquire_drift().await.unwrap();
    let mut slots = Vec::new();
    for _ in 0..5 {
        match budget.acquire_drift().await {
            Err(Error::Deferred { retry_after }) => slots.push(retry_after),
            other => panic!("{other:?}"),
        }
    }
    for pair in slots.windows(2) {
        assert_eq!(pair[1] - pair[0], spacing(2.0) * 2);
    }
    // After a pause, no drift read is let in before it ends.
    let permit = budget.acquire().await.unwrap();
    budget.rate_limited(permit, Some(Duration::from_secs(3)));
    tokio::time::sleep(Duration::from_secs(2)).await;
    match budget.acquire_drift().await {
        Err(Error::Deferred { retry_after }) => assert!(retry_after >= Duration::from_secs(1)),
        other => panic!("{other:?}"),
    }
}

/// A deferred read comes back a little after its booked slot, as a requeue does: the lane
/// must still let it in. (Spacing the lane from the last read's actual instant deferred it
/// again to the end of the bookings, halving the drift rate in `make bench`.)
#[tokio::test(start_paused = true)]
async fn a_read_back_a_little_late_at_its_booked_slot_goes() {
    let budget = Arc::new(RequestBudget::new(2.0));
    let start = Instant::now();
    budget.acquire_drift().await.unwrap();
    let booked = |r: Result<Permit, Error>| match r {
        Err(Error::Deferred { retry_after }) => retry_after,
        other => panic!("{other:?}"),
    };
    let second = booked(budget.acquire_drift().await);
    let third = booked(budget.acquire_drift().await);
    tokio::time::sleep_until(start + second + Duration::from_millis(5)).await;
    budget.acquire_drift().await.expect("the second, 5 ms late");
    tokio::time::sleep_until(start + third + Duration::from_millis(1)).await;
    budget.acquire_drift().await.expect("the third, 1 ms late");
}

/// Several workers asking at once at a high rate: the next few slots are taken inline, no
/// read is deferred, and the lane still keeps half the rate.
#[tokio::test(start_paused = true)]
async fn reads_asked_together_wait_a_slot_or_two_inline_instead_of_a_round_trip() {
    let budget = Arc::new(RequestBudget::new(100.0));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let budget = budget.clone();
            tokio::spawn(async move { budget.acquire_drift().await.map(|_| Instant::now()) })
        })
        .collect();
    let mut times = Vec::new();
    for task in tasks {
        times.push(task.await.unwrap().expect("no read deferred"));
    }
    times.sort();
    // The timer's millisecond ticks move a read by up to a millisecond, never the average.
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap + Duration::from_millis(1) >= spacing(100.0) * 2,
            "{gap:?}"
        );
    }
    let span = times[7] - times[0];
    assert!(
        span + Duration::from_millis(1) >= spacing(100.0) * 14,
        "{span:?}"
    );
}

/// A person's work of several requests in a row (a listing's pages): drift reads asking all
/// along do not slip in between them, so the listing keeps the full rate. (Before: each page's
/// request left no one waiting while it was answered, a drift read took the next slot, and a
/// new hire's 50-page listing after a restart ran at half the rate, Ready after 12 s.)
#[tokio::test(start_paused = true)]
async fn a_listing_keeps_the_full_rate_while_drift_reads_wait() {
    let budget = Arc::new(RequestBudget::new(10.0));
    let pages = {
        let budget = budget.clone();
        tokio::spawn(async move {
            let mut sent = Vec::new();
            for _ in 0..20 {
                sent.push(budget.acquire().await.expect("a page").sent_at);
                // The page's round trip: no one of the person's waits meanwhile.
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            sent
        })
    };
    let drift = {
        let budget = budget.clone();
        tokio::spawn(async move {
            let mut reads = Vec::new();
            while reads.len() < 3 {
                match budget.acquire_drift().await {
                    Ok(permit) => reads.push(permit.sent_at),
                    Err(Error::Deferred { retry_after }) => {
                        tokio::time::sleep(retry_after.max(Duration::from_millis(1))).await
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            reads
        })
    };
    let pages = pages.await.unwrap();
    let reads = drift.await.unwrap();
    let took = *pages.last().unwrap() - pages[0];
    assert!(
        took <= spacing(10.0) * 19 + Duration::from_millis(20),
        "{took:?}"
    );
    assert!(
        reads.iter().all(|r| r > pages.last().unwrap()),
        "a drift read went between the pages: {reads:?}"
    );
}

/// After a quiet stretch, reads asked together still leave a drift spacing apart: the lane
/// saves nothing up, so no one-second window holds more than its share rounded up.
#[tokio::test(start_paused = true)]
async fn after_a_quiet_stretch_reads_asked_together_keep_their_distance() {
    let budget = Arc::new(RequestBudget::new(10.0));
    budget.acquire_drift().await.expect("a first read");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let budget = budget.clone();
            tokio::spawn(async move { budget.acquire_drift().await.map(|p| p.sent_at) })
        })
        .collect();
    let mut times = Vec::new();
    for task in tasks {
        times.push(task.await.unwrap().expect("no read deferred"));
    }
    times.sort();
    assert!(
        times[1] - times[0] >= spacing(10.0) * 2,
        "{:?} apart",
        times[1] - times[0]
    );
}
