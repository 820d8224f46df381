//! Issue 21 (2): a hostile endpoint must not run the operator out of memory with a directory
//! listing. A tiny axum app on a loopback port serves a ~30 MiB account listing (30 pages just
//! under the 1 MiB body bound, each organizer padded with hundreds of fields the client does not
//! know), and the test reads this process's memory from `/proc/self/status` around the
//! listing. Alone in its own test binary, so no other test shares the process it measures.
//!
//! Before listings kept only key, email and status, each organizer's unknown fields were kept
//! in a map (`Organizer::extra`), some 15 times the bytes they took on the wire: this listing
//! then held hundreds of MiB.
#[path = "common/hostile.rs"]
mod hostile;

use futures::TryStreamExt;
use goto_operator::goto::{AccountKey, ClientConfig, Credentials, GoToClient};
use secrecy::SecretString;
use std::num::NonZeroU32;
use std::time::Duration;

/// `VmHWM` (peak) and `VmRSS` of this process, in KiB; `None` where /proc is not Linux's.
fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

#[tokio::test(flavor = "current_thread")]
async fn a_30_mib_hostile_directory_keeps_memory_bounded() {
    let Some((peak_before, rss_before)) = memory_kib() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "/proc/self/status is unreadable: this test measures memory on Linux only"
        );
        eprintln!("skipped: no /proc/self/status to measure memory with");
        return;
    };
    let entries = hostile::entries_served();
    let server = hostile::Hostile::start().await;
    let addr = server.addr;

    let mut config = ClientConfig::new(
        AccountKey::new("1"),
        Credentials {
            client_id: "id".into(),
            client_secret: SecretString::from("x"),
        },
    );
    config.api_base_url = format!("http://{addr}/G2M/rest/v2").parse().unwrap();
    config.token_url = format!("http://{addr}/oauth/token").parse().unwrap();
    config.requests_per_second = NonZeroU32::new(1000).unwrap();
    config.request_timeout = Duration::from_secs(30);
    let client = GoToClient::new(config).unwrap();

    // What the operator keeps: the account's directory, from one listing of every page.
    let snapshot = client.directory().await.expect("the listing is read");
    assert_eq!(snapshot.count, entries);
    // And a listing collected by a caller (report, export, the seat inventory).
    let listed: Vec<_> = client.list_organizers().try_collect().await.unwrap();
    assert_eq!(listed.len(), entries);
    let (peak_after, rss_after) = memory_kib().expect("/proc/self/status");
    drop(server);

    let served_kib = (hostile::PAGES * hostile::PAGE_BYTES / 1024) as u64;
    eprintln!(
        "served {served_kib} KiB in {} organizers; VmHWM {peak_before} -> {peak_after} KiB, \
         VmRSS {rss_before} -> {rss_after} KiB (growth {} KiB)",
        entries,
        rss_after.saturating_sub(rss_before)
    );
    assert!(
        peak_after < hostile::PEAK_LIMIT_KIB,
        "the process peaked at {peak_after} KiB listing a {served_kib} KiB directory"
    );
    assert!(
        rss_after.saturating_sub(rss_before) < served_kib,
        "holding the listing grew the process by {} KiB, more than the {served_kib} KiB served",
        rss_after - rss_before
    );
    drop((snapshot, listed));
}
