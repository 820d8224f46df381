//! Observe: one read of everything a decision needs, into one plain value ([`Observed`]), with no
//! writes. What is read depends on the object (a paused object reads nothing, a deleting object
//! looks up only the organizer it recorded, the meeting audit runs only before a Delete), but
//! nothing here decides what to write.
use std::fmt;
use std::sync::Arc;

use kube::ResourceExt;

use super::claims::{self, ClaimKeys};
use super::seat_queue::{SeatTurn, Waiter};
use crate::controller::clients::Problem;
use crate::controller::context::Context;
use crate::controller::validate;
use crate::crd::conditions::{self, READY, SYNCED, reason};
use crate::crd::{
    DeletionPolicy, GoToAccount, GoToOrganizer, GoToOrganizerStatus, ManagementPolicy,
};
use crate::goto::{self, GoToApi, Meeting, Organizer, OrganizerKey};

/// How long a reconcile waits for the GoToAccount cache's first listing after a start.
const ACCOUNT_CACHE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Everything `decide` looks at, read once per reconcile.
#[derive(Clone, Debug)]
pub struct Observed {
    /// Facts of the Kubernetes object itself.
    pub object: ObjectFacts,
    /// Whether the object's GoToAccount can be used.
    pub account: AccountState,
    /// Whether this object owns what it names.
    pub claim: Claim,
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

/// Who owns the GoTo organizer this object names.
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    /// This object (or nobody else claims it).
    Owner,
    /// Another object, `namespace/name`.
    OwnedElsewhere {
        /// The owner's `namespace/name`.
        owner: String,
    },
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

/// What `observe` gives back: the plain value, and the account's GoTo to act with.
pub struct Observation {
    /// The facts.
    pub observed: Observed,
    /// The account's GoTo, when the account is usable.
    pub goto: Option<Arc<dyn GoToApi>>,
}

impl Observed {
    /// The object's facts, with nothing else read yet.
    pub fn of(object: ObjectFacts) -> Self {
        Observed {
            object,
            account: AccountState::NotRead,
            claim: Claim::Owner,
            organizer: Lookup::NotLooked,
            audit: Audit::NotRun,
            seat: SeatTurn::First,
        }
    }
}

/// Reads everything the decision for `obj` needs. Never writes; failures become values.
pub async fn observe(obj: &GoToOrganizer, ctx: &Context) -> Observation {
    let mut observed = Observed::of(facts(obj, ctx.remembered_key(obj)));
    // A push notification named this object: its read is a person's news, not a drift check.
    if ctx.first_reads.take_named(obj) {
        observed.object.drift_check = false;
    }
    let goto = connect(obj, ctx, &mut observed).await;
    if let Some(goto) = &goto {
        read(obj, &mut observed, goto.as_ref()).await;
    }
    Observation { observed, goto }
}

/// The cluster half: the account, the claim, the seat turn, and the account's GoTo when the
/// decision needs it.
async fn connect(
    obj: &GoToOrganizer,
    ctx: &Context,
    observed: &mut Observed,
) -> Option<Arc<dyn GoToApi>> {
    if observed.object.paused {
        return None;
    }
    let account = account_of(obj, ctx).await;
    observed.claim = claim(obj, ctx, account.as_ref().ok().and_then(|a| a.as_ref()));
    if !needs_goto(obj, observed) {
        return None;
    }
    let goto = match client(obj, ctx, account).await {
        Ok(goto) => goto,
        Err(state) => {
            observed.account = state;
            return None;
        }
    };
    let seat_pool = goto.seat_pool();
    if !observed.object.deleting {
        observed.seat = ctx.seat_queue.turn(&seat_pool, &Waiter::of(obj));
    }
    observed.account = AccountState::Usable {
        account_key: goto.account_key().to_string(),
        seat_pool,
        capabilities: goto.capabilities(),
    };
    Some(goto)
}

/// The GoTo half, through the seam only: the organizer `obj` stands for and, before a Delete,
/// its meeting audit. `observed` already holds the object's facts, a usable account and its
/// seat turn.
pub async fn read(obj: &GoToOrganizer, observed: &mut Observed, goto: &dyn GoToApi) {
    if waits_its_turn(obj, observed) {
        // Older objects wait for a seat first: this one is not looked up until its turn.
        return;
    }
    observed.organizer = lookup(obj, &observed.object, goto).await;
    if needs_audit(obj, observed) {
        observed.audit = audit(&observed.organizer, goto).await;
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

/// Whether the decision for this object needs GoTo at all. Everything a deletion that touches
/// nothing, a bad spec or a foreign claim needs is already known.
fn needs_goto(obj: &GoToOrganizer, observed: &Observed) -> bool {
    if observed.claim != Claim::Owner {
        return false;
    }
    if observed.object.deleting {
        return obj.spec.management_policy == ManagementPolicy::Manage
            && obj.spec.deletion_policy != DeletionPolicy::Orphan
            && observed.object.own_key().is_some();
    }
    observed.object.invalid.is_none()
}

/// Whether the object would create and older objects of its account wait for a seat: it then
/// waits its turn without a GoTo call (`decide` plans `WaitForSeat` from `Lookup::NotLooked`).
fn waits_its_turn(obj: &GoToOrganizer, observed: &Observed) -> bool {
    matches!(observed.seat, SeatTurn::Behind { .. })
        && !observed.object.deleting
        && observed.object.own_key().is_none()
        && observed.object.annotation_key.is_none()
        && creates(&obj.spec)
}

/// Whether the spec lets the operator create the organizer.
pub fn creates(spec: &crate::crd::GoToOrganizerSpec) -> bool {
    spec.management_policy == ManagementPolicy::Manage
        && spec.adoption_policy != crate::crd::AdoptionPolicy::AdoptOnly
}

fn needs_audit(obj: &GoToOrganizer, observed: &Observed) -> bool {
    observed.object.deleting
        && obj.spec.deletion_policy == DeletionPolicy::Delete
        && matches!(observed.organizer, Lookup::Recorded(_))
}

/// The GoToAccount from the reflector; `Ok(None)` when it does not exist.
async fn account_of(obj: &GoToOrganizer, ctx: &Context) -> Result<Option<GoToAccount>, String> {
    let namespace = obj.namespace().unwrap_or_default();
    let name = &obj.spec.account_ref.name;
    match tokio::time::timeout(ACCOUNT_CACHE_WAIT, ctx.accounts_store.wait_until_ready()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("GoToAccount cache: {e}")),
        Err(_) => return Err("GoToAccount cache not filled yet".to_string()),
    }
    let reference =
        kube::runtime::reflector::ObjectRef::<GoToAccount>::new(name).within(&namespace);
    Ok(ctx
        .accounts_store
        .get(&reference)
        .map(|a| a.as_ref().clone()))
}

fn claim(obj: &GoToOrganizer, ctx: &Context, account: Option<&GoToAccount>) -> Claim {
    let Some(account_key) = obj
        .status
        .as_ref()
        .and_then(|s| s.account_key.clone())
        .or_else(|| account.map(|a| a.spec.account_key.clone()))
    else {
        return Claim::Owner;
    };
    let mine = ClaimKeys::of(obj, &account_key);
    let candidates: Vec<_> = ctx
        .claim_index
        .candidates(obj)
        .iter()
        .filter_map(|reference| ctx.organizers.get(reference))
        .collect();
    let accounts = &ctx.accounts_store;
    let owner = claims::owner_elsewhere(
        obj,
        &mine,
        candidates.iter().map(AsRef::as_ref),
        |other| claims::account_key_in(accounts, other),
        |other| claims::claim_counts(accounts, other),
    );
    match owner {
        Some(owner) => Claim::OwnedElsewhere { owner },
        None => Claim::Owner,
    }
}

/// The account's client, with a token in hand. A deletion may use the client built before its
/// Secret went away (a namespace being deleted removes the Secret first).
async fn client(
    obj: &GoToOrganizer,
    ctx: &Context,
    account: Result<Option<GoToAccount>, String>,
) -> Result<Arc<dyn GoToApi>, AccountState> {
    let name = &obj.spec.account_ref.name;
    let account = match account {
        Ok(Some(account)) => account,
        Ok(None) => return Err(AccountState::NotFound(name.clone())),
        Err(e) => return Err(AccountState::Unreachable(e)),
    };
    let deleting = obj.metadata.deletion_timestamp.is_some();
    let goto = ctx
        .accounts
        .client_with(&ctx.kube, &account, deleting)
        .await
        .map_err(|p| match p {
            Problem::AccountNotFound(_) => AccountState::NotFound(name.clone()),
            Problem::Kube(m) => AccountState::Unreachable(m),
            other => {
                AccountState::NotReady(format!("GoToAccount {name:?} cannot be used: {other}"))
            }
        })?;
    // A held token costs nothing; a failing token endpoint is the account's outage, not this
    // object's, and is told apart here so it does not grow the object's backoff.
    goto.authenticate().await.map_err(AccountState::Token)?;
    // Once per client: an endpoint of the other dialect is the account's problem, said once,
    // not a 404 per organizer.
    goto.verify_dialect().await.map_err(|e| match e {
        crate::goto::Error::WrongApi(m) => {
            AccountState::NotReady(format!("GoToAccount {name:?} cannot be used: {m}"))
        }
        other => AccountState::Token(other),
    })?;
    Ok(goto)
}

/// Finds the organizer `obj` stands for: by the key it recorded (or this process remembers), by
/// the annotation, or by email. A deleting object looks only at its own key.
pub async fn lookup(obj: &GoToOrganizer, facts: &ObjectFacts, goto: &dyn GoToApi) -> Lookup {
    if let Some(key) = facts.own_key() {
        let own = OrganizerKey::new(key);
        let read = if facts.drift_check {
            goto.read_for_drift(&own).await
        } else {
            goto.read(&own).await
        };
        return match read {
            Ok(Some(o)) => Lookup::Recorded(o),
            Ok(None) => Lookup::RecordedGone {
                key: key.to_string(),
            },
            Err(e) => Lookup::Failed(e),
        };
    }
    if facts.deleting {
        // The finalizer acts only on what this object recorded.
        return Lookup::NotLooked;
    }
    if let Some(key) = &facts.annotation_key {
        return match goto.read(&OrganizerKey::new(key.clone())).await {
            Ok(Some(o)) => Lookup::Annotated(o),
            Ok(None) => Lookup::AnnotatedMissing { key: key.clone() },
            Err(e) => Lookup::Failed(e),
        };
    }
    match goto.find_by_email(&obj.spec.email).await {
        Ok(Some(o)) => Lookup::ByEmail(o),
        Ok(None) => Lookup::Absent,
        Err(e) => Lookup::Failed(e),
    }
}

/// Reads the upcoming meetings strictly (see [`GoToApi::upcoming_meetings`]).
pub async fn audit(organizer: &Lookup, goto: &dyn GoToApi) -> Audit {
    let Lookup::Recorded(o) = organizer else {
        return Audit::NotRun;
    };
    match goto.upcoming_meetings(&o.organizer_key).await {
        Ok(meetings) => Audit::Complete(meetings),
        Err(e) => Audit::Failed(e),
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
