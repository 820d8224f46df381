//! The Argo CD health check (deploy/argocd/health.lua) run by a real Lua interpreter (Debian's
//! `lua5.4`, which `.ci/run` installs) on sample objects built from the operator's own types.
//! tests/argocd_sync.rs checks the other half of Argo CD's view: no perpetual OutOfSync.
//!
//! Argo CD hands the live object to the script as the global `obj`. lua5.4 has no JSON library,
//! so the harness writes each sample as a Lua table literal generated from its JSON here.

use std::path::PathBuf;
use std::process::Command;

use goto_operator::crd::conditions::{self, reason};
use goto_operator::crd::{
    AccountRef, CredentialsSecretRef, GoToAccount, GoToAccountSpec, GoToAccountStatus,
    GoToOrganizer, GoToOrganizerSpec, GoToOrganizerStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use serde_json::Value;

/// The interpreter: Debian's lua5.4 unless `GOTO_TEST_LUA` names another (e.g. lua5.1, the
/// language level of Argo CD's gopher-lua).
fn lua() -> String {
    std::env::var("GOTO_TEST_LUA").unwrap_or_else(|_| "lua5.4".to_owned())
}
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

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn health_lua() -> PathBuf {
    repo().join("deploy/argocd/health.lua")
}

/// A Lua string literal: every byte outside printable ASCII, and the quote and backslash, as a
/// decimal escape, which Lua 5.1 to 5.4 all read the same way.
fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        if (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\{b:03}"));
        }
    }
    out.push('"');
    out
}

/// The Lua table literal for a JSON value, as Argo CD would hand it over (`null` becomes nil).
fn lua_literal(value: &Value) -> String {
    match value {
        Value::Null => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => lua_string(s),
        Value::Array(items) => {
            let items: Vec<_> = items.iter().map(lua_literal).collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Object(fields) => {
            let fields: Vec<_> = fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("[{}] = {}", lua_string(k), lua_literal(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

/// Runs health.lua on `obj` with lua5.4 and returns (status, message).
fn health(obj: &Value) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let harness = dir.path().join("harness.lua");
    let script = format!(
        "obj = {}\nlocal hs = dofile({})\nio.write(hs.status, \"\\n\", hs.message or \"\", \"\\n\")\n",
        lua_literal(obj),
        lua_string(&health_lua().to_string_lossy()),
    );
    std::fs::write(&harness, script).expect("write the harness");
    let lua = lua();
    let out = Command::new(&lua)
        .arg(&harness)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {lua} ({e}): install Debian's lua5.4 (.ci/run does)")
        });
    assert!(
        out.status.success(),
        "{lua} failed on {obj}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let mut lines = stdout.lines();
    let status = lines.next().unwrap_or_default().to_owned();
    let message = lines.next().unwrap_or_default().to_owned();
    (status, message)
}

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
            api_base_url: goto_operator::goto::DEFAULT_API_BASE_URL.into(),
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

#[test]
fn deletion_blocked_is_degraded_with_the_message() {
    let mut obj = organizer(
        2,
        vec![conditions::not_ready(
            reason::DELETION_BLOCKED,
            "2 upcoming meetings: Weekly sales sync (2030-01-07T10:00:00Z), ...",
            Some(2),
        )],
    );
    obj.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
        jiff::Timestamp::UNIX_EPOCH,
    ));
    let (status, message) = health(&json(&obj));
    assert_eq!(status, "Degraded");
    assert!(
        message.starts_with("DeletionBlocked: 2 upcoming meetings"),
        "{message}"
    );
}

#[test]
fn the_paused_annotation_is_suspended_whatever_the_status() {
    for value in ["true", "True", "TRUE"] {
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

#[test]
fn accounts_use_the_same_rules() {
    let ok = account(vec![conditions::new(
        conditions::READY,
        true,
        reason::AUTHENTICATED,
        "token obtained",
        Some(1),
    )]);
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
fn lua_literals_survive_awkward_strings() {
    let obj = organizer(
        1,
        vec![conditions::ready(
            "quote \" backslash \\ newline\n é",
            Some(1),
        )],
    );
    let (status, message) = health(&json(&obj));
    assert_eq!(status, "Healthy");
    // The harness prints the message on one line; everything up to the newline must round-trip.
    assert_eq!(message, "Reconciled: quote \" backslash \\ newline");
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
