//! What observe reads into: one plain value, [`Observed`], that `decide` looks at. The types,
//! the object's own facts ([`facts`], pure) and what the status records about an organizer
//! ([`account_key_of`], [`state`]); `observe` fills the value in.
use std::fmt;

use super::seat_queue::{SeatTurn, Waiter};
use crate::controller::ownership::Ownership;
use crate::controller::validate;
use crate::crd::conditions::{self, READY, SYNCED, reason};
use crate::crd::{GoToOrganizer, GoToOrganizerStatus};
use crate::goto::{self, Meeting, Organizer};

/// Everything `decide` looks at, read once per reconcile.
#[derive(Clone, Debug)]
pub struct Observed {
    /// Facts of the Kubernetes object itself.
    pub object: ObjectFacts,
    /// Whether the object's GoToAccount can be used.
    pub account: AccountState,
    /// Whether this object owns what it names.
    pub ownership: Ownership,
    /// The GoTo organizer it stands for.
    pub organizer: Lookup,
    /// The upcoming-meeting audit (only before a Delete).
    pub audit: Audit,
    /// The object's turn in its account's seat queue (`First` when nobody older waits).
    pub seat: SeatTurn,
}

/// Facts of the object, from its metadata, status and this process's memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectFacts {
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// The paused annotation is set.
    pub paused: bool,
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// The object as its account's seat queue orders it: creation time, namespace, name.
    pub waiter: Waiter,
    /// `status.organizerKey`.
    pub recorded_key: Option<String>,
    /// The key this process recorded moments ago (the watch cache may not show it yet), which
    /// includes a create it started itself.
    pub remembered_key: Option<String>,
    /// The organizer-key annotation.
    pub annotation_key: Option<String>,
    /// The cancel-meetings consent annotation: the digest of the audit a person reviewed.
    pub consent: Option<String>,
    /// Why the spec cannot be acted on, if it cannot.
    pub invalid: Option<String>,
    /// The last status says the operator itself left the organizer suspended (it recorded
    /// `SUSPENDED` without `SuspendedExternally`): a resume is then the spec's, not a reversal
    /// of someone else's suspension.
    pub suspended_by_operator: bool,
    /// The last pass succeeded at this generation (Ready=True for it) and the object is not
    /// being deleted: reading its organizer now only looks for drift, which a dialect may
    /// answer from a recent listing of the whole account (`GoToApi::read_for_drift`).
    pub drift_check: bool,
}

impl ObjectFacts {
    /// The organizer this object recorded, or whose create this process started.
    pub fn own_key(&self) -> Option<&str> {
        self.recorded_key
            .as_deref()
            .or(self.remembered_key.as_deref())
    }
}

/// The object's GoToAccount.
#[derive(Clone, Debug)]
pub enum AccountState {
    /// Usable; GoTo's key of the account.
    Usable {
        /// GoTo's account key.
        account_key: String,
        /// The pool of seats its creates compete for (`GoToApi::seat_pool`): where it waits.
        seat_pool: String,
        /// What the account's API dialect can change.
        capabilities: goto::Capabilities,
    },
    /// No such GoToAccount in the namespace.
    NotFound(String),
    /// The GoToAccount cannot give a client (Secret missing, bad endpoint).
    NotReady(String),
    /// A token could not be obtained.
    Token(goto::Error),
    /// The Kubernetes API could not be read.
    Unreachable(String),
    /// Not needed for this decision (e.g. paused, or a deletion that touches nothing).
    NotRead,
}

/// The organizer found in GoTo.
#[derive(Clone, Debug)]
pub enum Lookup {
    /// Not looked up (nothing to decide needs it).
    NotLooked,
    /// The organizer this object recorded (or started creating).
    Recorded(Organizer),
    /// The recorded organizer no longer exists in GoTo.
    RecordedGone {
        /// The key that was recorded.
        key: String,
    },
    /// The organizer the annotation names.
    Annotated(Organizer),
    /// The annotation names an organizer GoTo does not have.
    AnnotatedMissing {
        /// The annotation's key.
        key: String,
    },
    /// The organizer with the spec's email (full record).
    ByEmail(Organizer),
    /// No organizer has the spec's email.
    Absent,
    /// Reading GoTo failed.
    Failed(goto::Error),
}

/// The upcoming-meeting audit.
#[derive(Clone, Debug)]
pub enum Audit {
    /// Not run.
    NotRun,
    /// Every upcoming meeting, read completely.
    Complete(Vec<Meeting>),
    /// The listing could not be read completely.
    Failed(goto::Error),
}

impl Observed {
    /// The object's facts, with nothing else read yet.
    pub fn of(object: ObjectFacts) -> Self {
        Observed {
            object,
            account: AccountState::NotRead,
            ownership: Ownership::Owner,
            organizer: Lookup::NotLooked,
            audit: Audit::NotRun,
            seat: SeatTurn::First,
        }
    }
}

/// The object's own facts; `remembered` is the key this process recorded for it, if any (a
/// preview outside the controller passes `None`).
pub fn facts(obj: &GoToOrganizer, remembered: Option<String>) -> ObjectFacts {
    let status = obj.status.clone().unwrap_or_default();
    let externally = conditions::find(&status.conditions, SYNCED)
        .is_some_and(|c| c.reason == reason::SUSPENDED_EXTERNALLY);
    ObjectFacts {
        deleting: obj.metadata.deletion_timestamp.is_some(),
        paused: obj.is_paused(),
        generation: obj.metadata.generation,
        waiter: Waiter::of(obj),
        recorded_key: obj.recorded_organizer_key().map(str::to_string),
        remembered_key: remembered,
        annotation_key: obj.organizer_key_annotation().map(str::to_string),
        consent: obj.cancel_meetings_consent().map(str::to_string),
        invalid: validate::organizer(obj).err(),
        suspended_by_operator: status.state.as_deref() == Some("SUSPENDED") && !externally,
        drift_check: obj.metadata.deletion_timestamp.is_none()
            && status.observed_generation == obj.metadata.generation
            && conditions::find(&status.conditions, READY).is_some_and(|c| {
                c.status == "True" && c.observed_generation == obj.metadata.generation
            }),
    }
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let organizer = match &self.organizer {
            Lookup::NotLooked => "not looked up".to_string(),
            Lookup::Recorded(o) => format!("recorded organizer {}", o.organizer_key),
            Lookup::RecordedGone { key } => format!("recorded organizer {key} is gone"),
            Lookup::Annotated(o) => format!("annotated organizer {}", o.organizer_key),
            Lookup::AnnotatedMissing { key } => format!("annotated organizer {key} is missing"),
            Lookup::ByEmail(o) => format!("organizer {} by email", o.organizer_key),
            Lookup::Absent => "no organizer with this email".to_string(),
            Lookup::Failed(e) => format!("lookup failed: {e}"),
        };
        write!(f, "{organizer}")?;
        match &self.audit {
            Audit::NotRun => Ok(()),
            Audit::Complete(m) => write!(f, "; {} upcoming meeting(s)", m.len()),
            Audit::Failed(e) => write!(f, "; audit failed: {e}"),
        }
    }
}

/// The account an organizer belongs to: as its GoToAccount says, else as last recorded.
pub fn account_key_of(
    o: &Organizer,
    observed: &Observed,
    previous: &GoToOrganizerStatus,
) -> String {
    // The GoToAccount's key, never GoTo's answer (issue 21: a hostile endpoint could name any
    // account and so claim another tenant's organizers); GoTo's only when nothing else is known.
    match &observed.account {
        AccountState::Usable { account_key, .. } => Some(account_key.clone()),
        _ => None,
    }
    .or_else(|| previous.account_key.clone())
    .or_else(|| o.account_key.as_ref().map(ToString::to_string))
    .unwrap_or_default()
}

/// The status column: `ACTIVE`, `SUSPENDED`, or `UNKNOWN` (the CRD's enum) for none or a status
/// this client does not know.
pub fn state(o: &Organizer) -> &str {
    match &o.status {
        Some(s @ (goto::OrganizerStatus::Active | goto::OrganizerStatus::Suspended)) => s.as_str(),
        _ => "UNKNOWN",
    }
}
