//! Issue 21 (2) at the controller level: one tenant's GoToAccount points at an endpoint that
//! serves a 30 MiB directory listing. The operator lists it (an organizer of that account is
//! looked up by email) and its memory stays bounded, while another tenant's organizer is Ready.
use std::time::Duration;

use goto_operator::simulator::SimConfig;
use serde_json::json;

use crate::harness::Env;
#[path = "../common/hostile.rs"]
mod hostile;

/// `VmHWM` (peak resident set) of process `pid`, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn a_hostile_directory_neither_exhausts_memory_nor_holds_back_another_tenant() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    let pid = env.operator.as_ref().expect("operator").pid();
    if peak_kib(pid).is_none() {
        assert!(!crate::common::in_ci(), "/proc/{pid}/status is unreadable");
        eprintln!("skipped: no /proc to measure the operator's memory with");
        return;
    }
    let server = hostile::Hostile::start().await;
    let addr = server.addr;
    // The hostile endpoint serves v2's paged listing, so its account speaks v2 in both runs of
    // the suite; under GOTO_TEST_API=v1 the other tenant ("served") speaks v1.
    env.apply_account(
        "hostile",
        json!({
            "api": "v2",
            "accountKey": "1",
            "apiBaseUrl": format!("http://{addr}/G2M/rest/v2"),
            "tokenUrl": format!("http://{addr}/oauth/token"),
        }),
    )
    .await;
    env.apply_organizer("looked-up", json!({"accountRef": {"name": "hostile"}}))
        .await
        .expect("apply");
    env.apply_organizer("served", json!({}))
        .await
        .expect("apply");
    env.wait_ready("served", "True", "Reconciled").await;

    // The hostile listing is read through to its last page.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while server.pages_served() < hostile::PAGES {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the operator read {} of {} pages in 90 s\n{}",
            server.pages_served(),
            hostile::PAGES,
            env.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let peak = peak_kib(pid).expect("the operator's /proc status");
    eprintln!("operator VmHWM after a 30 MiB hostile listing: {peak} KiB");
    assert!(
        peak < hostile::PEAK_LIMIT_KIB,
        "the operator peaked at {peak} KiB reading a 30 MiB directory"
    );
    // The other tenant's organizer is still Ready, and the operator still runs.
    env.wait_ready("served", "True", "Reconciled").await;
    drop(server);
    env.finish().await;
}
