//! `GoToOrganizer`: one person's GoTo Meeting organizer seat.
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schema;

/// Annotation naming an existing organizer to adopt instead of looking the email up.
pub const ORGANIZER_KEY_ANNOTATION: &str = "goto-operator.dev/organizer-key";
/// Annotation consenting to cancel exactly the meetings of the audit whose digest it names
/// (`status.meetingAudit.digest`).
pub const CANCEL_MEETINGS_ANNOTATION: &str = "goto-operator.dev/cancel-meetings";
/// Annotation that stops the operator from acting on the object (status is kept).
pub const PAUSED_ANNOTATION: &str = "goto-operator.dev/paused";
/// Finalizer that lets the operator audit meetings and clean up GoTo before the object goes.
pub const FINALIZER: &str = "goto-operator.dev/cleanup";
/// How many upcoming meetings `status.meetingAudit.upcomingMeetings` lists at most.
pub const AUDIT_LIST_LIMIT: usize = 50;

/// The desired state of one person's GoTo Meeting organizer seat.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "goto-operator.dev",
    version = "v1alpha1",
    kind = "GoToOrganizer",
    plural = "gotoorganizers",
    shortname = "gto",
    category = "goto",
    namespaced,
    status = "GoToOrganizerStatus",
    doc = "One person's GoTo Meeting organizer seat in a GoToAccount of the same namespace: who they are, whether the seat is suspended, and what deleting this object does in GoTo (the meeting audit before a Delete, and the consent to cancel meetings). Its status records the GoTo organizer it manages, `Ready` and `Synced`, and the meeting audit.",
    printcolumn = r#"{"name":"Email","type":"string","jsonPath":".spec.email"}"#,
    printcolumn = r#"{"name":"Account","type":"string","jsonPath":".spec.accountRef.name"}"#,
    printcolumn = r#"{"name":"Organizer Key","type":"string","jsonPath":".status.organizerKey"}"#,
    printcolumn = r#"{"name":"State","type":"string","jsonPath":".status.state"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct GoToOrganizerSpec {
    /// The GoToAccount (in this namespace) whose seat this organizer uses. Immutable: moving a
    /// person between accounts means offboarding from one and onboarding in the other.
    #[schemars(extend("x-kubernetes-validations" = [{"rule": "self == oldSelf", "message": "accountRef is immutable"}]))]
    pub account_ref: AccountRef,
    /// The organizer's email, their GoTo login. Matched case-insensitively when adopting.
    #[schemars(length(min = 3, max = 254), pattern(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))]
    pub email: String,
    /// First name, as GoTo shows it.
    #[schemars(length(min = 1, max = 100), pattern(r"\S"))]
    pub first_name: String,
    /// Last name, as GoTo shows it.
    #[schemars(length(min = 1, max = 100), pattern(r"\S"))]
    pub last_name: String,
    /// Locale such as `en_US`. Unset: the operator leaves GoTo's value alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[a-z]{2,3}(_[A-Z]{2})?$"))]
    pub locale: Option<String>,
    /// IANA time zone such as `America/New_York`. Unset: the operator leaves GoTo's value alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 64),
        pattern(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")
    )]
    pub time_zone: Option<String>,
    /// Administrative roles. Unset: the operator leaves GoTo's roles alone; `[]` removes them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20), extend("x-kubernetes-list-type" = "set"))]
    pub admin_roles: Option<Vec<schema::AdminRole>>,
    /// `true` suspends the organizer: they cannot host, but their data and meetings are kept.
    #[serde(default)]
    pub suspended: bool,
    /// What deleting this object does in GoTo: `Delete` the organizer (after the meeting audit),
    /// `Suspend` it, or `Orphan` it (touch nothing).
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
    /// What `deletionPolicy: Delete` does when the organizer still has upcoming meetings:
    /// `Block` waits until they are reassigned; `Cancel` deletes anyway, cancelling them.
    #[serde(default)]
    pub on_upcoming_meetings: OnUpcomingMeetings,
    /// `Manage` makes GoTo follow the spec; `Observe` never writes to GoTo and only reports drift.
    #[serde(default)]
    pub management_policy: ManagementPolicy,
    /// How the organizer is found the first time: `AdoptOrCreate` adopts an organizer with this
    /// email (or the one the organizer-key annotation names) and creates one otherwise;
    /// `AdoptOnly` never creates (no match: `Ready=False`, reason `OrganizerNotFound`);
    /// `CreateOnly` never adopts (a match exists: `Ready=False`, reason `AlreadyExists`).
    #[serde(default)]
    pub adoption_policy: AdoptionPolicy,
    /// What happens when the organizer is deleted in GoTo by someone else: `Recreate` creates it
    /// again (Event `Recreated`); `Report` does not (`Ready=False`, reason `DeletedExternally`).
    #[serde(default)]
    pub on_external_delete: OnExternalDelete,
    /// What happens when the organizer is suspended in GoTo by someone else while `suspended` is
    /// false: `Resume` resumes it; `Respect` keeps the suspension (`Synced=False`, reason
    /// `SuspendedExternally`; `Ready` stays True).
    #[serde(default)]
    pub on_external_suspend: OnExternalSuspend,
    /// From this instant (RFC 3339) the seat is suspended as if `suspended` were true: a
    /// leaver's last day. Before it, the Ready message says when; the operator looks again at
    /// that instant rather than polling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend_at: Option<Time>,
}

/// A reference to a GoToAccount in the same namespace.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
pub struct AccountRef {
    /// Name of the GoToAccount.
    #[schemars(
        length(min = 1, max = 253),
        pattern(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    )]
    pub name: String,
}

/// What deleting a GoToOrganizer does in GoTo.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// Audit upcoming meetings, then delete the organizer (GoTo cancels their future meetings).
    #[default]
    Delete,
    /// Suspend the organizer and keep it in GoTo.
    Suspend,
    /// Leave the organizer in GoTo untouched.
    Orphan,
}

/// What a Delete does when the organizer still has upcoming meetings.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum OnUpcomingMeetings {
    /// Do not delete; report `DeletionBlocked` and re-audit until no meeting remains.
    #[default]
    Block,
    /// Delete anyway: GoTo cancels every upcoming meeting without notice.
    Cancel,
}

/// Whether the operator writes to GoTo.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ManagementPolicy {
    /// Create, update, suspend, resume and delete as the spec says.
    #[default]
    Manage,
    /// Never write to GoTo; report differences as `Synced=False, reason Drifted`.
    Observe,
}

/// How an organizer is found the first time.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum AdoptionPolicy {
    /// Adopt a matching organizer, else create one.
    #[default]
    AdoptOrCreate,
    /// Only adopt; never create (no match: `OrganizerNotFound`).
    AdoptOnly,
    /// Only create; never adopt (a match exists: `AlreadyExists`).
    CreateOnly,
}

/// What happens when the organizer is deleted in GoTo by someone else.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum OnExternalDelete {
    /// Create it again (Event `Recreated`).
    #[default]
    Recreate,
    /// Do not re-create; report `Ready=False`, reason `DeletedExternally`.
    Report,
}

/// What happens when the organizer is suspended in GoTo by someone else.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum OnExternalSuspend {
    /// Resume it (the spec says it is not suspended).
    #[default]
    Resume,
    /// Keep the outside suspension; report `Synced=False`, reason `SuspendedExternally`.
    Respect,
}

/// What the operator last observed and did.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoToOrganizerStatus {
    /// GoTo's key for this organizer (a numeric string; never a number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 40))]
    pub organizer_key: Option<String>,
    /// GoTo's key of the account the organizer belongs to (as its GoToAccount names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 40))]
    pub account_key: Option<String>,
    /// The organizer's status as last observed in GoTo: `ACTIVE` or `SUSPENDED`, or `UNKNOWN`
    /// when GoTo gave none or one the operator does not know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ACTIVE", "SUSPENDED", "UNKNOWN"]))]
    pub state: Option<String>,
    /// Largest meeting the organizer may host, from their GoTo plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_participants: Option<u32>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// When the operator last changed something: a write to GoTo, or a change of this status
    /// other than timestamps. A reconcile that finds everything as recorded does not move it
    /// (and writes no status at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<Time>,
    /// `Ready` and `Synced`, with stable reasons.
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// The upcoming-meeting audit written before any Delete in GoTo.
    // Boxed: most organizers never have one, and inline it made every cached organizer a
    // jemalloc size class larger (896 bytes, not 768: `controller::cached`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_audit: Option<Box<MeetingAudit>>,
}

/// The result of listing an organizer's upcoming meetings before deleting it.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingAudit {
    /// When the audit last found what it lists (a re-audit with the same result keeps it).
    pub audited_at: Time,
    /// How many upcoming meetings the organizer has.
    pub upcoming_meeting_count: u32,
    /// The audit's digest (over the sorted meeting ids and start times, all of them): what the
    /// `goto-operator.dev/cancel-meetings` annotation names to consent to cancelling exactly
    /// these meetings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 71))]
    pub digest: Option<String>,
    /// The first 50 upcoming meetings.
    #[serde(default)]
    #[schemars(length(max = 50))]
    pub upcoming_meetings: Vec<AuditedMeeting>,
}

/// One upcoming meeting found by the audit.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditedMeeting {
    /// GoTo's meeting id (a numeric string).
    #[schemars(length(max = 40))]
    pub meeting_id: String,
    /// The meeting's subject (cut to 256 characters).
    #[serde(default)]
    #[schemars(length(max = 256))]
    pub subject: String,
    /// When the meeting starts (RFC 3339), if GoTo said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub start_time: Option<String>,
}

impl GoToOrganizer {
    /// Whether the `goto-operator.dev/paused` annotation is set to `"true"`.
    pub fn is_paused(&self) -> bool {
        annotation(self, PAUSED_ANNOTATION).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The `goto-operator.dev/cancel-meetings` annotation (an audit digest), if present.
    pub fn cancel_meetings_consent(&self) -> Option<&str> {
        annotation(self, CANCEL_MEETINGS_ANNOTATION)
    }

    /// The `goto-operator.dev/organizer-key` annotation, if present.
    pub fn organizer_key_annotation(&self) -> Option<&str> {
        annotation(self, ORGANIZER_KEY_ANNOTATION)
    }

    /// The organizer key recorded in status, if the operator has recorded one.
    pub fn recorded_organizer_key(&self) -> Option<&str> {
        self.status.as_ref()?.organizer_key.as_deref()
    }

    /// The organizer this object stands for: the recorded key, else the adoption annotation.
    pub fn claimed_organizer_key(&self) -> Option<&str> {
        self.recorded_organizer_key()
            .or_else(|| self.organizer_key_annotation())
    }
}

fn annotation<'a>(obj: &'a GoToOrganizer, key: &str) -> Option<&'a str> {
    obj.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(String::as_str)
}
