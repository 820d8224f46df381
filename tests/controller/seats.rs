//! The seat inventory on the GoToAccount status and in `goto_operator_seats`: counts that match
//! the simulator, refreshed by the account's resync without listing GoTo again.
use goto_operator::crd::SeatInventory;
use goto_operator::simulator::{OrganizerStatus, Seed, SeedOrganizer, SimConfig};
use serde_json::json;

use crate::common;
use crate::harness::{ACCOUNT, Env, OperatorOptions};
use crate::webhook::{free_port, metrics};

async fn wait_seats(
    env: &Env,
    what: &str,
    check: impl Fn(&SeatInventory) -> bool,
) -> SeatInventory {
    let deadline = tokio::time::Instant::now() + common::DEFAULT_TIMEOUT;
    loop {
        let seats = env
            .accounts()
            .get(ACCOUNT)
            .await
            .expect("account")
            .status
            .and_then(|s| s.seats);
        if let Some(seats) = &seats
            && check(seats)
        {
            return seats.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} not reached: {seats:?}\noperator logs:\n{}",
            env.logs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Account reconciles so far (from /metrics).
async fn account_reconciles(port: u16) -> u64 {
    metrics(port)
        .await
        .lines()
        .filter(|l| l.starts_with("goto_operator_reconciliations_total{controller=\"account\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn the_account_status_counts_seats_from_the_directory_without_listing_goto_again() {
    let port = free_port();
    let options = OperatorOptions {
        resync_seconds: 2,
        extra_args: vec!["--metrics-bind".into(), format!("127.0.0.1:{port}")],
        ..OperatorOptions::default()
    };
    let mut suspended = SeedOrganizer::new("away@example.com", "Away", "Person");
    suspended.status = OrganizerStatus::Suspended;
    let config = SimConfig {
        seats: Some(3),
        seed: Some(Seed {
            organizers: vec![
                SeedOrganizer::new("adopted@example.com", "Adopted", "Person"),
                SeedOrganizer::new("by-hand@example.com", "By", "Hand"),
                suspended,
            ],
        }),
        ..SimConfig::default()
    };
    let Some(env) = Env::start_with(config, options).await else {
        return;
    };
    env.apply_organizer("adopted", json!({}))
        .await
        .expect("apply");
    env.wait_ready("adopted", "True", "Reconciled").await;
    // Every seat is taken: this one waits.
    env.apply_organizer("new-hire", json!({}))
        .await
        .expect("apply");
    env.wait_ready("new-hire", "False", "SeatUnavailable").await;

    let seats = wait_seats(&env, "3 in GoTo, 1 managed, 1 waiting", |s| {
        (
            s.in_goto,
            s.managed,
            s.unmanaged,
            s.suspended,
            s.waiting_for_seat,
        ) == (3, 1, 2, 1, 1)
    })
    .await;
    let text = metrics(port).await;
    let ns = env.namespace();
    for (kind, value) in [
        ("in_goto", 3),
        ("managed", 1),
        ("unmanaged", 2),
        ("suspended", 1),
        ("waiting_for_seat", 1),
    ] {
        let series = format!(
            "goto_operator_seats{{namespace=\"{ns}\",account=\"{ACCOUNT}\",kind=\"{kind}\"}} {value}"
        );
        assert!(text.contains(&series), "missing {series} in\n{text}");
    }

    // Steady state: two more account resyncs, and not one listing of the account in GoTo.
    env.sim.clear_requests();
    let before = account_reconciles(port).await;
    let deadline = tokio::time::Instant::now() + common::DEFAULT_TIMEOUT;
    while account_reconciles(port).await < before + 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the account did not resync"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let listings: Vec<String> = env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/organizers"))
        .map(|r| r.path)
        .collect();
    assert_eq!(
        listings,
        Vec::<String>::new(),
        "the inventory listed GoTo in steady state"
    );
    let again = env
        .accounts()
        .get(ACCOUNT)
        .await
        .expect("account")
        .status
        .and_then(|s| s.seats);
    assert_eq!(again.as_ref().map(|s| s.in_goto), Some(seats.in_goto));
    env.finish().await;
}
