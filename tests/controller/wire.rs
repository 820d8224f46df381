//! Each job the operator asks of GoTo, as it looks on the wire of the suite's dialect
//! (`GOTO_TEST_API`, see `harness::dialect`): the path a write goes to, the glob a fault rule
//! needs, and what a request body says. A test asserts the job ("one create, then the suspend");
//! this module knows that v2 creates with `POST /accounts/{a}/organizers {"email"…}` and v1 with
//! `POST /organizers {"organizerEmail"…}`, so the same assertion holds under both.
use std::time::Duration;

use goto_operator::simulator::RecordedRequest;
use serde_json::Value;

use crate::harness::{Env, through_v1};

/// What the operator asks GoTo to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Read one organizer by key.
    Read,
    /// List the account's organizers (v1: the whole account in one call).
    List,
    Create,
    /// v2's full PUT of an organizer's fields (v1 has none: it cannot change fields).
    Update,
    Suspend,
    Resume,
    /// The upcoming-meetings audit before a delete.
    Audit,
}

const V2: &str = "/G2M/rest/v2";
const V1: &str = "/G2M/rest";

/// The API's path prefix in the suite's dialect.
pub fn prefix() -> &'static str {
    if through_v1() { V1 } else { V2 }
}

/// A fault-rule glob matching every API request of the suite's dialect (and, under v1, v2's too:
/// v1's prefix contains v2's).
pub fn every_request() -> String {
    format!("{}/**", prefix())
}

/// The HTTP method of `job`.
pub fn method(job: Job) -> &'static str {
    match job {
        Job::Read | Job::List | Job::Audit => "GET",
        Job::Create => "POST",
        Job::Update | Job::Suspend | Job::Resume => "PUT",
    }
}

/// The path of `job` for organizer `key` of `account` (a glob when both are `*`).
pub fn path(job: Job, account: &str, key: &str) -> String {
    if through_v1() {
        match job {
            Job::Create | Job::List => format!("{V1}/organizers"),
            Job::Read | Job::Update | Job::Suspend | Job::Resume => {
                format!("{V1}/organizers/{key}")
            }
            Job::Audit => format!("{V1}/organizers/{key}/upcomingMeetings"),
        }
    } else {
        match job {
            Job::Create | Job::List => format!("{V2}/accounts/{account}/organizers"),
            Job::Read | Job::Update | Job::Resume => format!("{V2}/organizers/{key}"),
            Job::Suspend => format!("{V2}/accounts/{account}/organizers/{key}/suspend"),
            Job::Audit => format!("{V2}/organizers/{key}/meetings"),
        }
    }
}

/// The fault-rule glob for `job` on any organizer of any account.
pub fn glob(job: Job) -> String {
    path(job, "*", "*")
}

/// `"METHOD path"` of `job` on organizer `key` of the test's account, as
/// [`Env::goto_writes`] lists writes.
pub fn line(env: &Env, job: Job, key: &str) -> String {
    format!("{} {}", method(job), path(job, &env.sim.account_key(), key))
}

/// Whether `r` is the request of `job` (on any organizer): method, path shape, and for v1's
/// shared `PUT /organizers/{key}`, which of suspend or resume the body asks for.
pub fn is(job: Job, r: &RecordedRequest) -> bool {
    r.method == method(job)
        && path_matches(&glob(job), &r.path)
        && match job {
            Job::Suspend if through_v1() => body_str(r, "status") == Some("suspended"),
            Job::Resume if through_v1() => body_str(r, "productType") == Some("G2M"),
            Job::Resume => body_str(r, "status") == Some("ACTIVE"),
            _ => true,
        }
}

/// The email a create asked for (`email` in v2's body, `organizerEmail` in v1's); `None` for a
/// request that is not a create.
pub fn created_email(r: &RecordedRequest) -> Option<String> {
    if !is(Job::Create, r) {
        return None;
    }
    let field = if through_v1() {
        "organizerEmail"
    } else {
        "email"
    };
    body_str(r, field).map(str::to_string)
}

/// The fields a create body must carry in the suite's dialect.
pub fn create_fields() -> &'static [&'static str] {
    if through_v1() {
        &["organizerEmail", "firstName", "lastName", "productType"]
    } else {
        &["email", "firstName", "lastName"]
    }
}

fn body_str<'a>(r: &'a RecordedRequest, field: &str) -> Option<&'a str> {
    r.body
        .as_ref()
        .and_then(|b| b.get(field))
        .and_then(Value::as_str)
}

/// The simulator's glob rule (`*` one segment, a trailing `**` the rest), for [`is`].
fn path_matches(glob: &str, path: &str) -> bool {
    let mut want = glob.trim_start_matches('/').split('/');
    let mut got = path.trim_start_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (Some("**"), _) => return true,
            (None, None) => return true,
            (Some(w), Some(g)) if w == "*" || w == g => {}
            _ => return false,
        }
    }
}

/// How long the operator may take to notice a change made in GoTo outside it (drift, an
/// organizer deleted out of band), on top of its resync period: under v1 a resync's reads are
/// answered from a listing of the whole account up to 60 s old (`src/goto/v1_account.rs`), so
/// one GET serves the whole account; under v2 each resync reads GoTo.
pub fn outside_change_seen_within() -> Duration {
    let base = crate::common::DEFAULT_TIMEOUT;
    if through_v1() {
        base + Duration::from_secs(60)
    } else {
        base
    }
}

/// What v1 promises for a spec field it cannot change (names, locale, time zone, roles): never
/// sent, reported. Waits (as long as a change made in GoTo may take to be seen, see
/// [`outside_change_seen_within`]) until `name` is `Synced=False NotSupportedByApi` naming
/// every field of `fields`, and checks that `Ready` stays `True`; returns the object.
pub async fn wait_not_supported(
    env: &Env,
    name: &str,
    fields: &[&str],
) -> goto_operator::crd::GoToOrganizer {
    let what = format!("Synced=False (NotSupportedByApi) naming {fields:?}");
    let o = env
        .wait_for_within(name, &what, outside_change_seen_within(), |o| {
            crate::harness::condition(o, "Synced").is_some_and(|(s, r, m)| {
                s == "False"
                    && r == "NotSupportedByApi"
                    && fields.iter().all(|f| m.contains(&format!("{f}: ")))
            })
        })
        .await;
    assert_eq!(
        crate::harness::condition(&o, "Ready").map(|c| (c.0, c.1)),
        Some(("True".to_string(), "Reconciled".to_string())),
        "{name}: a field v1 cannot change leaves the seat usable"
    );
    o
}
