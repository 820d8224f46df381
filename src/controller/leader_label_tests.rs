//! Tests of the leader label's patch and of the task that keeps it.
use super::*;
use std::sync::{Arc, Mutex};

/// RFC 7386 JSON merge patch, as the API server applies `Patch::Merge`.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (key, value) in p {
                if value.is_null() {
                    t.remove(key);
                } else {
                    merge(t.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

#[test]
fn the_patch_sets_or_removes_the_label_and_nothing_else() {
    assert_eq!(
        patch(true),
        json!({"metadata": {"labels": {"goto-operator.dev/leader": "true"}}})
    );
    assert_eq!(
        patch(false),
        json!({"metadata": {"labels": {"goto-operator.dev/leader": null}}})
    );
    // On a Pod of the chart's Deployment: the selector labels stay, only ours comes and goes.
    let standby = json!({"metadata": {"name": "op-1", "labels": {
        "app.kubernetes.io/name": "goto-operator", "app.kubernetes.io/instance": "goto-operator",
    }}});
    let mut pod = standby.clone();
    merge(&mut pod, &patch(true));
    assert_eq!(pod["metadata"]["labels"][LEADER_LABEL], LEADER_VALUE);
    assert_eq!(
        pod["metadata"]["labels"]["app.kubernetes.io/name"],
        "goto-operator"
    );
    merge(&mut pod, &patch(false));
    assert_eq!(pod, standby, "removed again, nothing else touched");
    merge(&mut pod, &patch(false));
    assert_eq!(pod, standby, "removing an absent label changes nothing");
}

/// A scripted API: records each patch (as leading or not) and fails the first `failures`.
fn scripted(failures: usize) -> (Arc<Mutex<Vec<bool>>>, PodLabel) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let label = PodLabel::with("ns/op-0".into(), move |leading| {
        let mut calls = seen.lock().unwrap();
        calls.push(leading);
        let result = if calls.len() <= failures {
            Err("503 the API server is unavailable".to_string())
        } else {
            Ok(())
        };
        std::future::ready(result)
    });
    (calls, label)
}

#[tokio::test(start_paused = true)]
async fn the_label_is_removed_at_start_then_set_while_leading_then_removed() {
    let (calls, label) = scripted(0);
    assert!(label.settle(true, Duration::from_secs(1)).await);
    assert!(label.settle(false, Duration::from_secs(1)).await);
    let calls = calls.lock().unwrap().clone();
    // The startup removal may be folded into the first wish if it had not run yet.
    assert!(
        calls == [false, true, false] || calls == [true, false],
        "{calls:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_patch_is_retried_with_backoff_and_never_stops_the_process() {
    let (calls, label) = scripted(3);
    let start = tokio::time::Instant::now();
    assert!(label.settle(true, Duration::from_secs(60)).await);
    // Three failures: retried after backoff (1, 2 and 4 s), not in a hot loop.
    assert!(
        start.elapsed() >= Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(calls.lock().unwrap().last(), Some(&true));
}

#[tokio::test(start_paused = true)]
async fn settle_gives_up_in_time_while_the_task_keeps_trying() {
    let (calls, label) = scripted(usize::MAX);
    assert!(!label.settle(true, Duration::from_secs(5)).await);
    let tried = calls.lock().unwrap().len();
    assert!(tried >= 2, "{tried}");
    tokio::time::sleep(Duration::from_secs(120)).await;
    let later = calls.lock().unwrap().len();
    assert!(later > tried, "still retrying: {tried} then {later}");
    // The backoff is capped: two minutes at most 30 s apart, not one retry per second.
    assert!(later - tried <= 8, "{tried} then {later}");
}

#[tokio::test(start_paused = true)]
async fn a_later_wish_wins_over_one_still_failing() {
    // The first two patches fail: "leading" is then wished away before it ever applied.
    let (calls, label) = scripted(2);
    label.set(true);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(label.settle(false, Duration::from_secs(60)).await);
    let settled = calls.lock().unwrap().clone();
    assert_eq!(settled.last(), Some(&false), "{settled:?}");
    // Nothing is applied after the last wish: the label ends as wished.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(*calls.lock().unwrap(), settled);
}
