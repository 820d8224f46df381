//! The Argo CD health check (deploy/argocd/health.lua) run the way Argo CD runs it, on sample
//! objects built from the operator's own types. tests/argocd_sync.rs checks the other half of
//! Argo CD's view: no perpetual OutOfSync; tests/controller/argocd_health.rs the live objects of a
//! blocked offboarding.
//!
//! The harness (tests/argocd) behaves as Argo CD: an object being deleted never reaches the
//! script ("Progressing: Pending deletion"), and the script runs in `argocd-lua`
//! (hack/envtest/lua, built by hack/tools.sh): gopher-lua, the Lua 5.1 that Argo CD embeds, with
//! Argo CD's sandbox (no string or math library unless useOpenLibs). So a construct of a later
//! Lua, or a library call the sandbox lacks, fails here as it would fail in Argo CD, instead of
//! passing in a desktop Lua.

mod argocd;
mod common;

use argocd::{PENDING_DELETION, health, health_lua, repo, run_script};
use goto_operator::crd::conditions::{self, reason};
use goto_operator::crd::{
    AccountRef, BlockedDeletion, BlockedDeletions, CredentialsSecretRef, GoToAccount,
    GoToAccountSpec, GoToAccountStatus, GoToOrganizer, GoToOrganizerSpec, GoToOrganizerStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use serde_json::Value;

/// The reasons a person must act on: Degraded in Argo CD. Everything else the operator retries.
const DEGRADED: [&str; 8] = [
    reason::DELETION_BLOCKED,
    reason::SEAT_UNAVAILABLE,
    reason::INVALID_SPEC,
    reason::CREDENTIALS_INVALID,
    // Spelled out (not the constants) so the health check is pinned before and after the
    // reasons exist in src/crd/conditions.rs.
    "AuditFailed",
    "OwnedElsewhere",
    "AlreadyExists",
    "DeletedExternally",
];

fn organizer(generation: i64, conditions: Vec<Condition>) -> GoToOrganizer {
    let mut o = GoToOrganizer::new(
        "jane-doe",
        GoToOrganizerSpec {
            account_ref: AccountRef {
                name: "acme".into(),
            },
            email: "jane.doe@example.com".into(),
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            locale: None,
            time_zone: None,
            admin_roles: None,
            suspended: false,
            deletion_policy: Default::default(),
            on_upcoming_meetings: Default::default(),
            management_policy: Default::default(),
            adoption_policy: Default::default(),
            on_external_delete: Default::default(),
            on_external_suspend: Default::default(),
            suspend_at: None,
        },
    );
    o.metadata.namespace = Some("it".into());
    o.metadata.generation = Some(generation);
    o.status = Some(GoToOrganizerStatus {
        observed_generation: Some(generation),
        conditions,
        ..GoToOrganizerStatus::default()
    });
    o
}

fn account(conditions: Vec<Condition>) -> GoToAccount {
    let mut a = GoToAccount::new(
        "acme",
        GoToAccountSpec {
            account_key: "4200000000000000001".into(),
            credentials_secret_ref: CredentialsSecretRef {
                name: "goto-oauth".into(),
                client_id_key: "clientId".into(),
                client_secret_key: "clientSecret".into(),
            },
            api: Default::default(),
            api_base_url: None,
            token_url: goto_operator::goto::DEFAULT_TOKEN_URL.into(),
            requests_per_second: 5,
            webhook: None,
        },
    );
    a.metadata.generation = Some(1);
    a.status = Some(GoToAccountStatus {
        observed_generation: Some(1),
        conditions,
        ..GoToAccountStatus::default()
    });
    a
}

fn json<T: serde::Serialize>(obj: &T) -> Value {
    serde_json::to_value(obj).expect("serialize")
}

/// Every `pub const` in `mod reason` of src/crd/conditions.rs: a reason added later is covered
/// here without anyone having to remember this test.
fn all_reasons() -> Vec<String> {
    let source = std::fs::read_to_string(repo().join("src/crd/conditions.rs")).expect("read");
    let start = source.find("pub mod reason").expect("mod reason");
    let end = start + source[start..].find("\n}").expect("end of mod reason");
    source[start..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split('"').nth(1).map(str::to_owned))
        .collect()
}

#[test]
fn ready_true_is_healthy() {
    let obj = organizer(3, vec![conditions::ready("organizer 1 is ACTIVE", Some(3))]);
    let (status, message) = health(&json(&obj));
    assert_eq!(status, "Healthy");
    assert_eq!(message, "Reconciled: organizer 1 is ACTIVE");
}

#[test]
fn no_status_yet_is_progressing() {
    let mut obj = organizer(1, vec![]);
    obj.status = None;
    assert_eq!(health(&json(&obj)).0, "Progressing");
    let obj = organizer(1, vec![]);
    assert_eq!(health(&json(&obj)).0, "Progressing");
}

#[test]
fn a_status_older_than_the_spec_is_progressing_even_if_it_said_ready() {
    let mut obj = organizer(4, vec![conditions::ready("ok", Some(3))]);
    obj.status.as_mut().expect("status").observed_generation = Some(3);
    let (status, message) = health(&json(&obj));
    assert_eq!(status, "Progressing");
    assert!(message.contains("generation 4"), "{message}");

    // A failure reported for an older generation may already be fixed: not Degraded either.
    let obj = organizer(
        5,
        vec![conditions::not_ready(
            reason::INVALID_SPEC,
            "bad zone",
            Some(4),
        )],
    );
    assert_eq!(health(&json(&obj)).0, "Progressing");
}

#[test]
fn every_reason_maps_to_the_documented_health() {
    let reasons = all_reasons();
    assert!(reasons.len() >= 15, "parsed too few reasons: {reasons:?}");
    for r in &reasons {
        let message = format!("what to do about {r}");
        let obj = organizer(2, vec![conditions::not_ready(r, &message, Some(2))]);
        let (status, got_message) = health(&json(&obj));
        let expected = if DEGRADED.contains(&r.as_str()) {
            "Degraded"
        } else if r == reason::PAUSED {
            "Suspended"
        } else {
            "Progressing"
        };
        assert_eq!(status, expected, "Ready=False reason {r}");
        assert_eq!(got_message, format!("{r}: {message}"), "reason {r}");
    }
}

/// Argo CD never runs the health check on an object being deleted: a blocked deletion shows as
/// "Pending deletion" on the organizer, whatever its status says. The account carries the signal.
#[test]
fn an_organizer_being_deleted_is_pending_deletion_whatever_its_status() {
    let mut obj = organizer(
        2,
        vec![conditions::not_ready(
            reason::DELETION_BLOCKED,
            "2 upcoming meetings: Weekly sales sync (2030-01-07T10:00:00Z), ...",
            Some(2),
        )],
    );
    obj.metadata.deletion_timestamp = Some(Time(jiff::Timestamp::UNIX_EPOCH));
    assert_eq!(
        health(&json(&obj)),
        (PENDING_DELETION.0.into(), PENDING_DELETION.1.into())
    );
    // The same status without the deletion timestamp would be Degraded: the script is not what
    // hides it.
    obj.metadata.deletion_timestamp = None;
    assert_eq!(health(&json(&obj)).0, "Degraded");
}

#[test]
fn an_account_whose_organizers_deletion_is_blocked_is_degraded_naming_them() {
    let (offboarding, listed) = goto_operator::controller::offboarding::status(
        &[
            BlockedDeletion {
                namespace: "it".into(),
                name: "leaver".into(),
                upcoming_meetings: 2,
            },
            BlockedDeletion {
                namespace: "it".into(),
                name: "sam-taylor".into(),
                upcoming_meetings: 1,
            },
        ],
        Some(1),
        jiff::Timestamp::now(),
    );
    let mut obj = account(vec![authenticated(), offboarding]);
    obj.status.as_mut().expect("status").blocked_deletions = Some(listed);
    let (status, message) = health(&json(&obj));
    assert_eq!(status, "Degraded");
    assert!(message.starts_with("DeletionsBlocked: "), "{message}");
    for named in [
        "it/leaver (2 upcoming meetings)",
        "it/sam-taylor (1 upcoming meeting)",
    ] {
        assert!(message.contains(named), "{named} not in {message}");
    }

    // Nothing blocked (the consent was given, or the meetings reassigned): Healthy again.
    let (offboarding, listed) =
        goto_operator::controller::offboarding::status(&[], Some(1), jiff::Timestamp::now());
    let mut obj = account(vec![authenticated(), offboarding]);
    obj.status.as_mut().expect("status").blocked_deletions = Some(listed);
    assert_eq!(
        health(&json(&obj)),
        ("Healthy".into(), "Authenticated: token obtained".into())
    );
    assert_eq!(
        obj.status.and_then(|s| s.blocked_deletions),
        Some(BlockedDeletions::default())
    );
}

#[test]
fn the_paused_annotation_is_suspended_whatever_the_status() {
    for value in ["true", "True", "TRUE", "tRuE"] {
        let mut obj = organizer(1, vec![conditions::ready("ok", Some(1))]);
        obj.metadata.annotations =
            Some([("goto-operator.dev/paused".to_owned(), value.to_owned())].into());
        assert_eq!(health(&json(&obj)).0, "Suspended", "paused={value}");
    }
    let mut obj = organizer(1, vec![conditions::ready("ok", Some(1))]);
    obj.metadata.annotations =
        Some([("goto-operator.dev/paused".to_owned(), "false".to_owned())].into());
    assert_eq!(health(&json(&obj)).0, "Healthy");
}

#[test]
fn drift_in_observe_mode_keeps_a_ready_organizer_healthy() {
    let obj = organizer(
        1,
        vec![
            conditions::ready("observing organizer 1", Some(1)),
            conditions::synced(false, "GoTo differs in: lastName", Some(1)),
        ],
    );
    assert_eq!(health(&json(&obj)).0, "Healthy");
}

fn authenticated() -> Condition {
    conditions::new(
        conditions::READY,
        true,
        reason::AUTHENTICATED,
        "token obtained",
        Some(1),
    )
}

#[test]
fn accounts_use_the_same_rules() {
    let ok = account(vec![authenticated()]);
    assert_eq!(
        health(&json(&ok)),
        ("Healthy".into(), "Authenticated: token obtained".into())
    );
    let bad = account(vec![conditions::not_ready(
        reason::CREDENTIALS_INVALID,
        "GoTo rejected the client credentials",
        Some(1),
    )]);
    assert_eq!(health(&json(&bad)).0, "Degraded");
    // The Secret may be created after the account (e.g. by an ExternalSecret in a later sync wave).
    let waiting = account(vec![conditions::not_ready(
        reason::SECRET_NOT_FOUND,
        "Secret goto-oauth not found",
        Some(1),
    )]);
    assert_eq!(health(&json(&waiting)).0, "Progressing");
}

#[test]
fn awkward_strings_survive() {
    let text = "quote \" backslash \\ newline\n é";
    let obj = organizer(1, vec![conditions::ready(text, Some(1))]);
    let (status, message) = health(&json(&obj));
    assert_eq!(status, "Healthy");
    assert_eq!(message, format!("Reconciled: {text}"));
}

/// Writes a script to a temp file and runs it on a ready organizer.
fn try_script(source: &str) -> Result<(String, String), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("check.lua");
    std::fs::write(&script, source).expect("write the script");
    let obj = organizer(1, vec![conditions::ready("ok", Some(1))]);
    run_script(&script, &json(&obj))
}

/// The control for the two tests below: plain Lua 5.1 with the sandbox's libraries passes.
#[test]
fn a_lua_5_1_script_in_the_sandbox_runs() {
    let got = try_script(
        "local names = {}\n\
         for _, c in ipairs(obj.status.conditions) do table.insert(names, c.type) end\n\
         return { status = \"Healthy\", message = table.concat(names, \",\") .. \" \" .. tostring(obj.metadata.generation) }\n",
    );
    assert_eq!(got, Ok(("Healthy".into(), "Ready 1".into())));
}

#[test]
fn syntax_of_later_luas_fails_as_in_argo_cd() {
    for (version, source) in [
        (
            "5.4",
            "local x <const> = 1\nreturn { status = \"Healthy\" }\n",
        ),
        (
            "5.3",
            "return { status = \"Healthy\", message = tostring(7 // 2) }\n",
        ),
        (
            "5.3",
            "return { status = \"Healthy\", message = tostring(6 & 3) }\n",
        ),
    ] {
        let err =
            try_script(source).expect_err(&format!("Lua {version} syntax must fail: {source}"));
        // gopher-lua reports parse errors as "<string> line:L(column:C)", runtime ones as
        // "<string>:L:": this must fail while parsing.
        assert!(err.contains("<string> line:1"), "{version}: {err}");
    }
}

#[test]
fn libraries_outside_argo_cds_sandbox_fail() {
    for call in [
        "string.lower(\"X\")",
        "(\"X\"):lower()",
        "math.floor(1.5)",
        "io.write(\"x\")",
    ] {
        let source = format!("local v = {call}\nreturn {{ status = \"Healthy\" }}\n");
        let err = try_script(&source).expect_err(&format!("{call} must fail in the sandbox"));
        assert!(
            err.contains("attempt to index a non-table object"),
            "{call}: {err}"
        );
    }
    // What the sandbox does open.
    let got = try_script("return { status = \"Healthy\", message = type(os.time()) }\n");
    assert_eq!(got, Ok(("Healthy".into(), "number".into())));
}

#[test]
fn argocd_cm_embeds_health_lua_verbatim_for_both_kinds() {
    let lua = std::fs::read_to_string(health_lua()).expect("read health.lua");
    let cm: Value = serde_norway::from_str(
        &std::fs::read_to_string(repo().join("deploy/argocd/argocd-cm.yaml")).expect("read"),
    )
    .expect("argocd-cm.yaml is YAML");
    for kind in ["GoToOrganizer", "GoToAccount"] {
        let key = format!("resource.customizations.health.goto-operator.dev_{kind}");
        assert_eq!(
            cm["data"][&key].as_str(),
            Some(lua.as_str()),
            "deploy/argocd/argocd-cm.yaml {key} differs from deploy/argocd/health.lua: copy it \
             over (indented by 4 spaces)"
        );
    }
}

#[test]
fn the_day2_reasons_a_person_must_act_on_are_degraded() {
    for r in [
        "AuditFailed",
        "OwnedElsewhere",
        "AlreadyExists",
        "DeletedExternally",
    ] {
        let message = format!("what to do about {r}");
        let obj = organizer(2, vec![conditions::not_ready(r, &message, Some(2))]);
        assert_eq!(
            health(&json(&obj)),
            ("Degraded".to_owned(), format!("{r}: {message}")),
            "Ready=False reason {r}"
        );
    }
}

#[test]
fn a_seat_suspended_in_goto_and_respected_is_healthy_and_says_so() {
    let mut suspended = conditions::synced(false, "x", Some(1));
    suspended.reason = "SuspendedExternally".into();
    suspended.message =
        "organizer 7 was suspended in GoTo; onExternalSuspend: Respect keeps it".into();
    let obj = organizer(
        1,
        vec![
            conditions::ready("organizer 7 is SUSPENDED", Some(1)),
            suspended,
        ],
    );
    let (status, message) = health(&json(&obj));
    assert_eq!(status, "Healthy");
    assert_eq!(
        message,
        "SuspendedExternally: organizer 7 was suspended in GoTo; onExternalSuspend: Respect keeps it"
    );
    // Ordinary drift (Observe) keeps the Ready message.
    let drift = organizer(
        1,
        vec![
            conditions::ready("observing organizer 7", Some(1)),
            conditions::synced(false, "GoTo differs in: lastName", Some(1)),
        ],
    );
    assert_eq!(health(&json(&drift)).1, "Reconciled: observing organizer 7");
}
