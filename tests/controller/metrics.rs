//! The per-account metrics, scraped from the operator's /metrics while objects change state:
//! `goto_operator_organizers` follows each object's Ready reason (a series that empties goes
//! away) and `goto_operator_time_to_ready_seconds` counts each object's first Ready once.
use std::time::Duration;

use goto_operator::controller::liveness;
use goto_operator::simulator::{FaultRule, Faults, SimConfig};
use serde_json::json;

use crate::common;
use crate::harness::{Env, OperatorOptions};
use crate::webhook::{free_port, metrics};
use crate::wire;

/// The value of the series `name{labels}`, if /metrics has it.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
}

/// Scrapes until `check` holds, or fails with the last scrape.
async fn wait_metrics(env: &Env, port: u16, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + common::DEFAULT_TIMEOUT;
    loop {
        let text = metrics(port).await;
        if check(&text) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} not reached; /metrics:\n{text}\noperator logs:\n{}",
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn organizers_by_reason_and_time_to_ready_follow_the_objects() {
    let port = free_port();
    let options = OperatorOptions {
        extra_args: vec!["--metrics-bind".into(), format!("127.0.0.1:{port}")],
        ..OperatorOptions::default()
    };
    let config = SimConfig {
        seats: Some(1),
        ..SimConfig::default()
    };
    let Some(env) = Env::start_with(config, options).await else {
        return;
    };
    let ns = env.namespace().to_string();
    let series = |ready: &str, reason: &str| {
        format!(
            "goto_operator_organizers{{namespace=\"{ns}\",account=\"acme\",ready=\"{ready}\",reason=\"{reason}\"}} "
        )
    };
    let (reconciled, no_seat) = (
        series("True", "Reconciled"),
        series("False", "SeatUnavailable"),
    );
    env.apply_organizer("first", json!({}))
        .await
        .expect("apply");
    env.wait_ready("first", "True", "Reconciled").await;
    env.apply_organizer("second", json!({}))
        .await
        .expect("apply");
    env.wait_ready("second", "False", "SeatUnavailable").await;
    wait_metrics(&env, port, "one Ready, one without a seat", |t| {
        value(t, &reconciled) == Some(1.0)
            && value(t, &no_seat) == Some(1.0)
            && value(t, "goto_operator_time_to_ready_seconds_count ") == Some(1.0)
    })
    .await;

    env.sim.set_seats(None);
    env.wait_ready("second", "True", "Reconciled").await;
    let text = wait_metrics(&env, port, "both Ready", |t| {
        value(t, &reconciled) == Some(2.0)
            && value(t, "goto_operator_time_to_ready_seconds_count ") == Some(2.0)
    })
    .await;
    assert_eq!(value(&text, &no_seat), None, "the emptied series is gone");
    let sum = value(&text, "goto_operator_time_to_ready_seconds_sum ").expect("sum");
    assert!(sum > 0.0 && sum < 120.0, "time to ready {sum} s");
    env.finish().await;
}

/// The liveness guard (issue 18): a deletion that cannot proceed and does not say it waits on a
/// person (here GoTo answers every read 503: `GoToUnavailable`) is counted in
/// `goto_operator_stalled_objects` once it has been pending for `--stall-seconds`, stays counted
/// while it lasts, is logged once, and leaves the count when it completes.
#[tokio::test]
async fn a_deletion_pending_too_long_is_counted_stalled_logged_once_and_leaves_the_count() {
    let port = free_port();
    let options = OperatorOptions {
        extra_args: vec![
            "--metrics-bind".into(),
            format!("127.0.0.1:{port}"),
            "--stall-seconds".into(),
            "2".into(),
        ],
        ..OperatorOptions::default()
    };
    let Some(env) = Env::start_with(SimConfig::default(), options).await else {
        return;
    };
    let stalled = "goto_operator_stalled_objects ";
    env.apply_organizer("leaver", json!({}))
        .await
        .expect("apply");
    env.wait_ready("leaver", "True", "Reconciled").await;
    wait_metrics(&env, port, "nothing stalled", |t| {
        value(t, stalled) == Some(0.0)
    })
    .await;

    env.sim.set_faults(Faults {
        rules: vec![FaultRule::status("GET", &wire::every_request(), 503).times(1_000_000)],
        ..Faults::default()
    });
    env.delete_organizer("leaver").await;
    env.wait_ready("leaver", "False", "GoToUnavailable").await;
    wait_metrics(&env, port, "the pending deletion counted as stalled", |t| {
        value(t, stalled) == Some(1.0)
    })
    .await;
    // It stays counted across the guard's next checks, and is logged once, not once per check.
    let until = tokio::time::Instant::now() + liveness::PERIOD * 2;
    while tokio::time::Instant::now() < until {
        let text = metrics(port).await;
        assert_eq!(value(&text, stalled), Some(1.0), "still stalled: {text}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let logs = env.logs();
    assert_eq!(
        logs.matches("stalled: ").count(),
        1,
        "one log line per stall:\n{logs}"
    );
    assert!(
        logs.lines()
            .any(|l| l.contains("stalled: ") && l.contains("/leaver")),
        "the stall names the object:\n{logs}"
    );

    env.sim.set_faults(Faults::default());
    env.wait_gone("leaver").await;
    wait_metrics(
        &env,
        port,
        "nothing stalled once the deletion completed",
        |t| value(t, stalled) == Some(0.0),
    )
    .await;
    env.finish().await;
}

/// The running binary serves its build and the standard process metrics beside its own: the
/// memory and restart alerts of the README read these.
#[tokio::test]
async fn the_binary_serves_build_info_and_process_metrics() {
    let port = free_port();
    let options = OperatorOptions {
        extra_args: vec!["--metrics-bind".into(), format!("127.0.0.1:{port}")],
        ..OperatorOptions::default()
    };
    let Some(env) = Env::start_with(SimConfig::default(), options).await else {
        return;
    };
    let text = metrics(port).await;
    let build = format!(
        "goto_operator_build_info{{version=\"{}\",git_commit=\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(text.contains(&build), "{build} not in\n{text}");
    if cfg!(target_os = "linux") {
        let rss = value(&text, "process_resident_memory_bytes ").expect("resident memory");
        assert!(rss > 1_000_000.0, "{rss}");
        let started = value(&text, "process_start_time_seconds ").expect("start time");
        let now = jiff::Timestamp::now().as_second() as f64;
        assert!(
            now - started < 600.0 && started <= now + 1.0,
            "{started} vs {now}"
        );
        for series in [
            "process_cpu_seconds_total ",
            "process_open_fds ",
            "process_threads ",
        ] {
            assert!(value(&text, series).is_some(), "{series} not in\n{text}");
        }
    }
    env.finish().await;
}
