//! What Argo CD shows of a stuck offboarding, on the live objects: an organizer whose deletion
//! waits for its upcoming meetings is only "Pending deletion" there (Argo CD never runs a health
//! check on an object being deleted), so its GoToAccount turns Degraded, naming the organizer and
//! its meeting count, until the consent lets the deletion finish. The health is computed by
//! tests/argocd: health.lua in Argo CD's own Lua build, behind Argo CD's deletion rule.
use std::time::Duration;

use goto_operator::crd::conditions::{OFFBOARDING_BLOCKED, reason};
use goto_operator::crd::{BlockedDeletion, GoToAccount};
use goto_operator::simulator::{SeedMeeting, SimConfig};
use jiff::{Timestamp, ToSpan};
use serde_json::json;

use crate::argocd::{self, PENDING_DELETION};
use crate::common;
use crate::harness::{ACCOUNT, Env, organizer_key};

fn upcoming(subject: &str, days: i64) -> SeedMeeting {
    let start = Timestamp::now() + (days * 24).hours();
    SeedMeeting::new(subject, start, start + 1.hour())
}

/// Argo CD's health of the live account, polled until `accept` holds for it; returns it with
/// the account.
async fn account_health(
    env: &Env,
    what: &str,
    accept: impl Fn(&(String, String)) -> bool,
) -> ((String, String), GoToAccount) {
    let deadline = tokio::time::Instant::now() + common::DEFAULT_TIMEOUT;
    loop {
        let account = env.accounts().get(ACCOUNT).await.expect("get account");
        let health = argocd::health(&serde_json::to_value(&account).expect("JSON"));
        if accept(&health) {
            return (health, account);
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "account {ACCOUNT}: {what} not reached; Argo CD shows {health:?}\nstatus: {:#?}\noperator logs:\n{}",
                account.status,
                env.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_blocked_offboarding_shows_degraded_on_the_account_until_the_consent() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("leaver", json!({}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("leaver", "True", "Reconciled").await);
    env.sim.add_meeting(&key, upcoming("Standup", 3));
    env.sim.add_meeting(&key, upcoming("Design review", 5));

    // Before: the account is Healthy and says that nothing waits.
    let (_, account) = account_health(&env, "Healthy", |(s, _)| s == "Healthy").await;
    let status = account.status.expect("status");
    let offboarding = status
        .conditions
        .iter()
        .find(|c| c.type_ == OFFBOARDING_BLOCKED)
        .expect("OffboardingBlocked condition");
    assert_eq!(
        (offboarding.status.as_str(), offboarding.reason.as_str()),
        ("False", reason::NONE)
    );
    assert_eq!(status.blocked_deletions.expect("blockedDeletions").count, 0);

    env.delete_organizer("leaver").await;
    let organizer = env.wait_ready("leaver", "False", "DeletionBlocked").await;
    // What Argo CD shows of the organizer itself: nothing about the block.
    assert_eq!(
        argocd::health(&serde_json::to_value(&organizer).expect("JSON")),
        (PENDING_DELETION.0.into(), PENDING_DELETION.1.into())
    );

    let ((_, message), account) = account_health(&env, "Degraded", |(s, _)| s == "Degraded").await;
    assert!(
        message.starts_with("DeletionsBlocked: ")
            && message.contains(&format!("{}/leaver (2 upcoming meetings)", env.namespace())),
        "{message}"
    );
    let blocked = account
        .status
        .and_then(|s| s.blocked_deletions)
        .expect("blockedDeletions");
    assert_eq!(blocked.count, 1);
    assert_eq!(
        blocked.objects,
        [BlockedDeletion {
            namespace: env.namespace().into(),
            name: "leaver".into(),
            upcoming_meetings: 2,
        }]
    );

    // The consent that exists today: cancel the meetings. The organizer goes, the account heals.
    env.patch_organizer("leaver", json!({"spec": {"onUpcomingMeetings": "Cancel"}}))
        .await;
    env.wait_gone("leaver").await;
    assert_eq!(env.sim.cancelled_meetings().len(), 2);
    let ((_, message), account) = account_health(&env, "Healthy", |(s, _)| s == "Healthy").await;
    assert_eq!(
        message,
        format!(
            "Authenticated: obtained a token for account {}",
            env.sim.account_key()
        )
    );
    assert_eq!(
        account
            .status
            .and_then(|s| s.blocked_deletions)
            .map(|b| b.count),
        Some(0)
    );
    env.finish().await;
}
