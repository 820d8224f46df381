//! An in-memory GoTo account behind the seam ([`GoToApi`]): organizers, their upcoming meetings
//! and a seat limit in a map, every call recorded, and failures and outside changes scripted
//! per operation. It answers as `goto-api.md` says GoTo does once the v2 client has read the
//! answer: a create beyond the seats is [`Error::SeatUnavailable`] (402), a create that meets the
//! email is [`Error::AlreadyExists`] with that organizer (409, looked up), an update is a full
//! PUT (what it leaves unset is reset to empty, as the simulator does), a DELETE of a gone key is
//! [`DeleteOutcome::AlreadyGone`] (404), and a DELETE cancels the organizer's meetings.
//!
//! It makes `observe` and `act` testable without HTTP or a cluster; the HTTP simulator
//! (`crate::simulator`) remains the fake for the client itself.
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures::future::BoxFuture;

use super::directory::DirectorySnapshot;
use super::error::Error;
use super::models::{
    AccountKey, ListedOrganizer, Meeting, NewOrganizer, Organizer, OrganizerKey, OrganizerStatus,
    OrganizerUpdate,
};
use super::seam::{Capabilities, DeleteOutcome, GoToApi};
use crate::email;

/// The first key handed out: above 2^64, as GoTo's keys may be.
const FIRST_KEY: u128 = 18_446_744_073_709_551_617;

/// One operation of the seam, for scripting and counting calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// [`GoToApi::authenticate`].
    Authenticate,
    /// [`GoToApi::read`].
    Read,
    /// [`GoToApi::find_by_email`].
    FindByEmail,
    /// [`GoToApi::list`].
    List,
    /// [`GoToApi::create`].
    Create,
    /// [`GoToApi::update`].
    Update,
    /// [`GoToApi::suspend`].
    Suspend,
    /// [`GoToApi::resume`].
    Resume,
    /// [`GoToApi::delete`].
    Delete,
    /// [`GoToApi::upcoming_meetings`].
    UpcomingMeetings,
}

/// One call received: the operation and what it named (a key, an email, or nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The operation.
    pub op: Op,
    /// The key or email it named; empty for account-wide operations.
    pub subject: String,
}

/// What the account holds; scripted changes ([`MemoryGoTo::after_next`]) edit it directly.
#[derive(Debug, Default)]
pub struct Account {
    /// Organizers by key.
    pub organizers: BTreeMap<OrganizerKey, Organizer>,
    /// Upcoming meetings by organizer key.
    pub meetings: BTreeMap<OrganizerKey, Vec<Meeting>>,
    /// Paid seats; `None`: as many as asked for.
    pub seats: Option<usize>,
    /// Meetings cancelled by DELETEs, in order.
    pub cancelled: Vec<Meeting>,
}

type Change = Box<dyn FnOnce(&mut Account) + Send>;

#[derive(Default)]
struct State {
    account: Account,
    next_key: u128,
    listed: bool,
    calls: Vec<Call>,
    /// Per scripted failure: the operation, how many of its calls still succeed first, the error.
    faults: Vec<(Op, usize, Error)>,
    changes: Vec<(Op, Change)>,
}

/// An in-memory GoTo account. See the module documentation.
pub struct MemoryGoTo {
    account_key: AccountKey,
    capabilities: Capabilities,
    state: Mutex<State>,
}

impl MemoryGoTo {
    /// An empty account with unlimited seats and every capability.
    pub fn new(account_key: impl Into<AccountKey>) -> Self {
        Self {
            account_key: account_key.into(),
            capabilities: Capabilities::ALL,
            state: Mutex::new(State {
                next_key: FIRST_KEY,
                ..State::default()
            }),
        }
    }

    /// The same account, speaking a dialect that can do only `capabilities`.
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Limits the account to `seats` organizers.
    pub fn set_seats(&self, seats: usize) {
        self.lock().account.seats = Some(seats);
    }

    /// Adds an organizer as if someone had created it; a blank key is assigned one.
    pub fn insert(&self, mut organizer: Organizer) -> Organizer {
        let mut state = self.lock();
        if organizer.organizer_key.as_str().is_empty() {
            organizer.organizer_key = state.assign_key();
        }
        organizer.account_key = Some(self.account_key.clone());
        state
            .account
            .organizers
            .insert(organizer.organizer_key.clone(), organizer.clone());
        organizer
    }

    /// Books an upcoming meeting for the organizer.
    pub fn book(&self, key: &OrganizerKey, meeting: Meeting) {
        self.lock().account.book(key, meeting);
    }

    /// Edits the account directly (an outside change).
    pub fn edit(&self, change: impl FnOnce(&mut Account)) {
        change(&mut self.lock().account);
    }

    /// The next call of `op` fails with `error`, having changed nothing.
    pub fn fail_next(&self, op: Op, error: Error) {
        self.fail_after(op, 0, error);
    }

    /// The call of `op` after the next `succeeding` ones fails with `error`.
    pub fn fail_after(&self, op: Op, succeeding: usize, error: Error) {
        self.lock().faults.push((op, succeeding, error));
    }

    /// Right after the next successful call of `op`, the account changes by `change` (someone
    /// else acted in between).
    pub fn after_next(&self, op: Op, change: impl FnOnce(&mut Account) + Send + 'static) {
        self.lock().changes.push((op, Box::new(change)));
    }

    /// The organizer with this key, as the account holds it.
    pub fn organizer(&self, key: &OrganizerKey) -> Option<Organizer> {
        self.lock().account.organizers.get(key).cloned()
    }

    /// Every organizer, by key.
    pub fn organizers(&self) -> Vec<Organizer> {
        self.lock().account.organizers.values().cloned().collect()
    }

    /// Meetings cancelled by DELETEs so far.
    pub fn cancelled(&self) -> Vec<Meeting> {
        self.lock().account.cancelled.clone()
    }

    /// Every call received, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// How many calls of `op` were received.
    pub fn count(&self, op: Op) -> usize {
        self.lock().calls.iter().filter(|c| c.op == op).count()
    }

    /// The calls that write to GoTo, in order.
    pub fn writes(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| {
                matches!(
                    c.op,
                    Op::Create | Op::Update | Op::Suspend | Op::Resume | Op::Delete
                )
            })
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is made whole under the lock: a panic cannot leave it half-written.
        crate::sync::lock(&self.state)
    }

    /// Records the call, fails it if scripted to, else answers with `answer` and then applies
    /// the change scripted after it.
    fn call<T>(
        &self,
        op: Op,
        subject: &str,
        answer: impl FnOnce(&mut State) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut state = self.lock();
        state.calls.push(Call {
            op,
            subject: subject.to_owned(),
        });
        if let Some(at) = state.faults.iter().position(|(o, _, _)| *o == op) {
            match &mut state.faults[at].1 {
                0 => return Err(state.faults.remove(at).2),
                succeeding => *succeeding -= 1,
            }
        }
        let result = answer(&mut state);
        if result.is_ok()
            && let Some(at) = state.changes.iter().position(|(o, _)| *o == op)
        {
            let (_, change) = state.changes.remove(at);
            change(&mut state.account);
        }
        result
    }

    fn answer<'a, T: Send + 'a>(
        &'a self,
        op: Op,
        subject: &'a str,
        answer: impl FnOnce(&mut State) -> Result<T, Error> + Send + 'a,
    ) -> BoxFuture<'a, Result<T, Error>> {
        Box::pin(async move { self.call(op, subject, answer) })
    }
}

impl State {
    fn assign_key(&mut self) -> OrganizerKey {
        let key = OrganizerKey::new(self.next_key.to_string());
        self.next_key += 1;
        key
    }

    fn by_email(&self, email: &str) -> Option<Organizer> {
        self.account
            .organizers
            .values()
            .find(|o| email::same(&o.email, email))
            .cloned()
    }

    fn create(&mut self, new: &NewOrganizer, account_key: &AccountKey) -> Result<Organizer, Error> {
        if let Some(existing) = self.by_email(&new.email) {
            return Err(Error::AlreadyExists {
                organizer: Box::new(existing),
            });
        }
        if self
            .account
            .seats
            .is_some_and(|seats| self.account.organizers.len() >= seats)
        {
            return Err(Error::SeatUnavailable { status: 402 });
        }
        let organizer = Organizer {
            organizer_key: self.assign_key(),
            account_key: Some(account_key.clone()),
            email: new.email.clone(),
            first_name: new.first_name.clone(),
            last_name: new.last_name.clone(),
            status: Some(OrganizerStatus::Active),
            locale: Some(String::new()),
            time_zone: Some(String::new()),
            max_participants: Some(250),
            admin_roles: Vec::new(),
            extra: serde_json::Map::new(),
        };
        self.account
            .organizers
            .insert(organizer.organizer_key.clone(), organizer.clone());
        Ok(organizer)
    }

    /// A full PUT: every field is `update`'s, unset ones reset to their default (empty).
    fn put(&mut self, key: &OrganizerKey, update: &OrganizerUpdate) -> Result<Organizer, Error> {
        let organizer = self
            .account
            .organizers
            .get_mut(key)
            .ok_or(Error::NotFound)?;
        organizer.email = update.email.clone();
        organizer.first_name = update.first_name.clone();
        organizer.last_name = update.last_name.clone();
        organizer.locale = Some(update.locale.clone().unwrap_or_default());
        organizer.time_zone = Some(update.time_zone.clone().unwrap_or_default());
        organizer.admin_roles = update.admin_roles.clone();
        organizer.status = Some(update.status.clone().unwrap_or(OrganizerStatus::Active));
        organizer.extra = update.extra.clone();
        Ok(organizer.clone())
    }
}

impl Account {
    /// Books an upcoming meeting for the organizer.
    pub fn book(&mut self, key: &OrganizerKey, meeting: Meeting) {
        self.meetings.entry(key.clone()).or_default().push(meeting);
    }
}

impl GoToApi for MemoryGoTo {
    fn account_key(&self) -> &AccountKey {
        &self.account_key
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn authenticate(&self) -> BoxFuture<'_, Result<(), Error>> {
        self.answer(Op::Authenticate, "", |_| Ok(()))
    }

    fn read<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>> {
        self.answer(Op::Read, key.as_str(), |s| {
            Ok(s.account.organizers.get(key).cloned())
        })
    }

    fn find_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<Organizer>, Error>> {
        self.answer(Op::FindByEmail, email, |s| {
            s.listed = true;
            Ok(s.by_email(email))
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<ListedOrganizer>, Error>> {
        // As with v2, a listing does not fill what `known_organizers` answers from.
        self.answer(Op::List, "", |s| {
            Ok(s.account
                .organizers
                .values()
                .map(ListedOrganizer::from)
                .collect())
        })
    }

    fn known_organizers(&self) -> Option<DirectorySnapshot> {
        let state = self.lock();
        let organizers = state.account.organizers.values();
        state
            .listed
            .then(|| DirectorySnapshot::of(organizers.map(ListedOrganizer::from), Duration::ZERO))
    }

    fn create<'a>(&'a self, new: &'a NewOrganizer) -> BoxFuture<'a, Result<Organizer, Error>> {
        self.answer(Op::Create, &new.email, |s| s.create(new, &self.account_key))
    }

    fn update<'a>(
        &'a self,
        key: &'a OrganizerKey,
        update: &'a OrganizerUpdate,
    ) -> BoxFuture<'a, Result<Organizer, Error>> {
        let writable = self.capabilities.profile_updates;
        self.answer(Op::Update, key.as_str(), move |s| {
            if !writable {
                return Err(Error::BadRequest(
                    "this dialect cannot change names, locale, time zone or roles".into(),
                ));
            }
            s.put(key, update)
        })
    }

    fn suspend<'a>(&'a self, key: &'a OrganizerKey) -> BoxFuture<'a, Result<(), Error>> {
        self.answer(Op::Suspend, key.as_str(), |s| {
            let organizer = s.account.organizers.get_mut(key).ok_or(Error::NotFound)?;
            organizer.status = Some(OrganizerStatus::Suspended);
            Ok(())
        })
    }

    fn resume<'a>(
        &'a self,
        key: &'a OrganizerKey,
        update: &'a OrganizerUpdate,
    ) -> BoxFuture<'a, Result<Organizer, Error>> {
        let writable = self.capabilities.profile_updates;
        self.answer(Op::Resume, key.as_str(), move |s| {
            if !writable {
                // As v1 does: the product is assigned again, nothing else changes.
                let organizer = s.account.organizers.get_mut(key).ok_or(Error::NotFound)?;
                organizer.status = Some(OrganizerStatus::Active);
                return Ok(organizer.clone());
            }
            let active = OrganizerUpdate {
                status: Some(OrganizerStatus::Active),
                ..update.clone()
            };
            s.put(key, &active)
        })
    }

    fn delete<'a>(&'a self, key: &'a OrganizerKey) -> BoxFuture<'a, Result<DeleteOutcome, Error>> {
        self.answer(Op::Delete, key.as_str(), |s| {
            if s.account.organizers.remove(key).is_none() {
                return Ok(DeleteOutcome::AlreadyGone);
            }
            let cancelled = s.account.meetings.remove(key).unwrap_or_default();
            s.account.cancelled.extend(cancelled);
            Ok(DeleteOutcome::Deleted)
        })
    }

    fn upcoming_meetings<'a>(
        &'a self,
        key: &'a OrganizerKey,
    ) -> BoxFuture<'a, Result<Vec<Meeting>, Error>> {
        self.answer(Op::UpcomingMeetings, key.as_str(), |s| {
            if !s.account.organizers.contains_key(key) {
                return Err(Error::NotFound);
            }
            Ok(s.account.meetings.get(key).cloned().unwrap_or_default())
        })
    }
}
