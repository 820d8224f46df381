//! The decide table: one row per rule.
use super::*;

pub(super) struct Row {
    rule: &'static str,
    observed: Observed,
    spec: fn(&mut GoToOrganizerSpec),
    plan: &'static str,
    /// Part of `plan.describe()`.
    says: &'static str,
}

pub(super) fn row(
    rule: &'static str,
    observed: Observed,
    spec: fn(&mut GoToOrganizerSpec),
    plan: &'static str,
    says: &'static str,
) -> Row {
    Row {
        rule,
        observed,
        spec,
        plan,
        says,
    }
}

fn decide_rows() -> Vec<Row> {
    let transient = || goto::Error::Transient("HTTP 503".into());
    vec![
        // Paused.
        row(
            "paused: act on nothing",
            with(world(), |w| w.object.paused = true),
            keep,
            "Paused",
            "paused",
        ),
        row(
            "paused while deleting",
            with(deleting(organizer("7"), &[]), |w| w.object.paused = true),
            keep,
            "Paused",
            "",
        ),
        // Bad input and accounts.
        row(
            "invalid spec",
            with(world(), |w| {
                w.object.invalid = Some("timeZone \"Mars\" is not an IANA time zone".into())
            }),
            keep,
            "Fail InvalidSpec",
            "IANA",
        ),
        row(
            "account missing",
            with(world(), |w| {
                w.account = AccountState::NotFound("acme".into())
            }),
            keep,
            "Fail AccountNotFound",
            "acme",
        ),
        row(
            "account not ready",
            with(world(), |w| {
                w.account = AccountState::NotReady("Secret \"absent\" not found".into())
            }),
            keep,
            "Fail AccountNotReady",
            "absent",
        ),
        row(
            "token endpoint down",
            with(world(), |w| w.account = AccountState::Token(transient())),
            keep,
            "Fail GoToUnavailable",
            "token endpoint",
        ),
        row(
            "credentials refused",
            with(world(), |w| {
                w.account = AccountState::Token(goto::Error::Unauthorized)
            }),
            keep,
            "Fail CredentialsInvalid",
            "",
        ),
        row(
            "kubernetes API unreachable",
            with(world(), |w| {
                w.account = AccountState::Unreachable("connection refused".into())
            }),
            keep,
            "Fail (no reason)",
            "",
        ),
        // Ownership.
        row(
            "owned elsewhere: never writes",
            with(world(), |w| {
                w.ownership = Ownership::OwnedElsewhere {
                    owner: "sales/jane".into(),
                }
            }),
            keep,
            "Fail OwnedElsewhere",
            "sales/jane",
        ),
        // Reading GoTo failed.
        row(
            "GoTo 5xx on read",
            with(world(), |w| w.organizer = Lookup::Failed(transient())),
            keep,
            "Fail GoToUnavailable",
            "",
        ),
        row(
            "GoTo 429 on read",
            with(world(), |w| {
                w.organizer = Lookup::Failed(goto::Error::RateLimited { retry_after: None })
            }),
            keep,
            "Fail RateLimited",
            "",
        ),
        // Create or adopt.
        row(
            "nothing in GoTo: create",
            world(),
            keep,
            "Create",
            "create organizer for jane.doe@example.com",
        ),
        row(
            "create carries what POST cannot in one PUT",
            world(),
            |s| {
                s.locale = Some("fr_FR".into());
                s.time_zone = Some("Europe/Paris".into())
            },
            "Create",
            "then set locale, timeZone",
        ),
        row(
            "create suspended",
            world(),
            |s| s.suspended = true,
            "Create",
            "then suspend",
        ),
        row(
            "email match: adopt",
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            keep,
            "Adopt by email",
            "adopt key 7",
        ),
        row(
            "adopt then correct",
            with(world(), |w| {
                let mut o = organizer("7");
                o.first_name = "J".into();
                w.organizer = Lookup::ByEmail(o)
            }),
            keep,
            "Adopt by email",
            "update firstName: J -> Jane",
        ),
        row(
            "annotation match: adopt",
            with(world(), |w| {
                w.object.annotation_key = Some("7".into());
                w.organizer = Lookup::Annotated(organizer("7"))
            }),
            keep,
            "Adopt by annotation",
            "by annotation",
        ),
        row(
            "annotation of another email: InvalidSpec",
            with(world(), |w| {
                let mut o = organizer("7");
                o.email = "someone.else@example.com".into();
                w.organizer = Lookup::Annotated(o)
            }),
            keep,
            "Fail InvalidSpec",
            "someone.else",
        ),
        row(
            "annotation email differs only in case: adopt",
            with(world(), |w| {
                let mut o = organizer("7");
                o.email = "Jane.Doe@Example.com".into();
                w.organizer = Lookup::Annotated(o)
            }),
            keep,
            "Adopt by annotation",
            "",
        ),
        row(
            "annotation of another account: InvalidSpec",
            with(world(), |w| {
                let mut o = organizer("7");
                o.account_key = Some("99".into());
                w.organizer = Lookup::Annotated(o)
            }),
            keep,
            "Fail InvalidSpec",
            "belongs to account 99",
        ),
        row(
            "annotation names nothing: InvalidSpec",
            with(world(), |w| {
                w.organizer = Lookup::AnnotatedMissing { key: "999".into() }
            }),
            keep,
            "Fail InvalidSpec",
            "does not exist",
        ),
        // Adoption policy.
        row(
            "AdoptOnly, no match: OrganizerNotFound",
            world(),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::AdoptOnly,
            "Fail OrganizerNotFound",
            "AdoptOnly",
        ),
        row(
            "AdoptOnly, match: adopt",
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::AdoptOnly,
            "Adopt by email",
            "",
        ),
        row(
            "CreateOnly, match exists: AlreadyExists",
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly,
            "Fail AlreadyExists",
            "CreateOnly",
        ),
        row(
            "CreateOnly, annotation: InvalidSpec",
            with(world(), |w| w.organizer = Lookup::Annotated(organizer("7"))),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly,
            "Fail InvalidSpec",
            "CreateOnly",
        ),
        row(
            "CreateOnly, no match: create",
            world(),
            |s| s.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly,
            "Create",
            "",
        ),
    ]
    .into_iter()
    .chain(super::decide_cleanup::converge_rows())
    .chain(super::decide_cleanup::cleanup_rows())
    .collect()
}

#[test]
fn decide_table() {
    let rows = decide_rows();
    for r in &rows {
        let mut s = spec();
        (r.spec)(&mut s);
        let plan = decide(&r.observed, &s, now());
        assert_eq!(kind(&plan), r.plan, "{}: {plan}", r.rule);
        assert!(
            plan.describe().contains(r.says),
            "{}: {:?} lacks {:?}",
            r.rule,
            plan.describe(),
            r.says
        );
    }
    assert!(rows.len() >= 60, "{} rows", rows.len());
}

#[test]
fn only_plans_that_write_say_so() {
    let write = |w: Observed, f: fn(&mut GoToOrganizerSpec)| {
        let mut s = spec();
        f(&mut s);
        decide(&w, &s, now()).writes()
    };
    assert!(write(world(), keep), "create");
    assert!(!write(recorded(organizer("7")), keep), "in sync");
    assert!(
        !write(
            with(world(), |w| w.organizer = Lookup::ByEmail(organizer("7"))),
            keep
        ),
        "plain adoption"
    );
    assert!(!write(deleting(organizer("7"), &["1"]), keep), "block");
    assert!(
        write(deleting(organizer("7"), &[]), keep),
        "suspend before delete"
    );
    assert!(!write(deleting(organizer("7"), &[]), |s| s
        .deletion_policy =
        crate::crd::DeletionPolicy::Orphan));
}

#[test]
fn every_failure_reason_is_a_decision_and_retries_by_class() {
    let p = RequeuePolicy {
        slow: std::time::Duration::from_secs(300),
        reaudit: std::time::Duration::from_secs(60),
        backoff_base: std::time::Duration::from_secs(2),
        backoff_max: std::time::Duration::from_secs(300),
        soon: std::time::Duration::from_secs(4),
    };
    let mut seen = std::collections::BTreeSet::new();
    for r in decide_rows() {
        let mut s = spec();
        (r.spec)(&mut s);
        if let Plan::Fail(e) = decide(&r.observed, &s, now()) {
            if let Some(reason) = e.reason() {
                seen.insert(reason);
            }
            match &e {
                Error::AuditFailed(_) => assert_eq!(e.retry(&p), Retry::Backoff, "{}", r.rule),
                Error::Kube(_) | Error::TokenEndpoint(goto::Error::Transient(_)) => {
                    assert_eq!(e.retry(&p), Retry::Soon, "{}", r.rule)
                }
                _ => assert_ne!(e.retry(&p), Retry::Soon, "{}", r.rule),
            }
        }
    }
    for reason in [
        reason::INVALID_SPEC,
        reason::ACCOUNT_NOT_FOUND,
        reason::ACCOUNT_NOT_READY,
        reason::CREDENTIALS_INVALID,
        reason::RATE_LIMITED,
        reason::GOTO_UNAVAILABLE,
        reason::AUDIT_FAILED,
        reason::OWNED_ELSEWHERE,
        reason::ALREADY_EXISTS,
        reason::DELETED_EXTERNALLY,
        reason::ORGANIZER_NOT_FOUND,
    ] {
        assert!(seen.contains(reason), "no decide row fails with {reason}");
    }
}

#[test]
fn the_requeue_is_timed_to_suspend_at_not_polled() {
    let resync = std::time::Duration::from_secs(600);
    let mut s = spec();
    s.suspend_at = Some(Time(now() + 30.seconds()));
    let d = next_look(&s, now(), resync);
    assert!(
        d >= std::time::Duration::from_secs(30) && d <= std::time::Duration::from_secs(31),
        "{d:?}"
    );
    s.suspend_at = Some(Time(now() + 2.hours()));
    assert!(next_look(&s, now(), resync) <= resync);
    s.suspend_at = Some(Time(now() - 1.hours()));
    assert!(next_look(&s, now(), resync) >= std::time::Duration::from_secs(500));
}
