//! A reconcile without a cluster or a network: `observe`'s GoTo half, `decide`, `act` and
//! `report` against the in-memory GoTo ([`MemoryGoTo`]), with the status kept on the object as
//! the controller writes it, and a process memory ([`Books`]) that a crash forgets.
use std::sync::Mutex;

use futures::future::BoxFuture;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::*;
use crate::controller::organizer::act::{self, Ledger};
use crate::controller::organizer::observe::{self, facts};
use crate::controller::organizer::reads;
use crate::crd::GoToOrganizer;
use crate::goto::{MemoryGoTo, OrganizerKey};

/// What the controller process keeps beside GoTo: the key it remembers, the status writes
/// `act` made, and the GoTo writes it counted.
#[derive(Default)]
pub(super) struct Books {
    remembered: Mutex<Option<String>>,
    recorded: Mutex<Vec<GoToOrganizerStatus>>,
    wrote: Mutex<Vec<&'static str>>,
    /// Status writes fail (the Kubernetes API is unreachable).
    pub(super) api_down: bool,
    /// What a re-read of the object answers, when a person changed it meanwhile (else the
    /// object as the pass saw it).
    pub(super) changed: Mutex<Option<GoToOrganizer>>,
}

impl Books {
    pub(super) fn remembered(&self) -> Option<String> {
        self.remembered.lock().expect("lock").clone()
    }

    /// The keys `act` recorded in status at once (after a create, before what follows).
    pub(super) fn recorded_keys(&self) -> Vec<String> {
        let recorded = self.recorded.lock().expect("lock");
        recorded
            .iter()
            .filter_map(|s| s.organizer_key.clone())
            .collect()
    }

    pub(super) fn wrote(&self) -> Vec<&'static str> {
        self.wrote.lock().expect("lock").clone()
    }
}

impl Ledger for Books {
    fn remember_key(&self, _: &GoToOrganizer, key: &str) {
        *self.remembered.lock().expect("lock") = Some(key.to_string());
    }

    fn record_key<'a>(
        &'a self,
        _: &'a GoToOrganizer,
        status: &'a GoToOrganizerStatus,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if self.api_down {
                return Err(Error::Kube("the API server is unreachable".into()));
            }
            self.recorded.lock().expect("lock").push(status.clone());
            Ok(())
        })
    }

    fn wrote(&self, action: &'static str) {
        self.wrote.lock().expect("lock").push(action);
    }

    fn current<'a>(
        &'a self,
        obj: &'a GoToOrganizer,
    ) -> BoxFuture<'a, Result<Option<GoToOrganizer>, Error>> {
        Box::pin(async move {
            if self.api_down {
                return Err(Error::Kube("the API server is unreachable".into()));
            }
            let changed = self.changed.lock().expect("lock").clone();
            Ok(Some(changed.unwrap_or_else(|| obj.clone())))
        })
    }
}

/// One GoToOrganizer, its GoTo account, and the process reconciling it.
pub(super) struct Desk {
    pub(super) obj: GoToOrganizer,
    pub(super) goto: MemoryGoTo,
    pub(super) books: Books,
}

/// What one reconcile saw, planned and did.
pub(super) struct Pass {
    pub(super) observed: Observed,
    pub(super) plan: Plan,
    pub(super) outcome: Outcome,
    pub(super) notes: Vec<Note>,
}

impl Pass {
    /// The failure the pass ends in, if any.
    pub(super) fn failure(&self) -> Option<Error> {
        failure(&self.plan, &self.outcome)
    }
}

impl Desk {
    /// `jane` in namespace `it`, with the spec `tweak` makes, in an empty account.
    pub(super) fn new(tweak: impl FnOnce(&mut GoToOrganizerSpec)) -> Self {
        let mut s = spec();
        tweak(&mut s);
        let mut obj = GoToOrganizer::new("jane", s);
        obj.metadata.namespace = Some("it".into());
        obj.metadata.uid = Some("0b7c1e7e".into());
        obj.metadata.generation = Some(1);
        Desk {
            obj,
            goto: MemoryGoTo::new(ACCOUNT),
            books: Books::default(),
        }
    }

    /// The same, having recorded `o`, which the account holds.
    pub(super) fn recorded(tweak: impl FnOnce(&mut GoToOrganizerSpec), o: Organizer) -> Self {
        let desk = Desk::new(tweak);
        let o = desk.goto.insert(o);
        desk.with_status(GoToOrganizerStatus {
            organizer_key: Some(o.organizer_key.to_string()),
            account_key: Some(ACCOUNT.into()),
            state: Some(observe::state(&o).to_string()),
            observed_generation: Some(1),
            ..GoToOrganizerStatus::default()
        })
    }

    pub(super) fn with_status(mut self, status: GoToOrganizerStatus) -> Self {
        self.obj.status = Some(status);
        self
    }

    /// `kubectl delete`: the finalizer holds the object.
    pub(super) fn delete(&mut self) {
        self.obj.metadata.deletion_timestamp = Some(Time(now()));
    }

    /// The process restarts: what it remembered is gone, the cluster and GoTo stay.
    pub(super) fn restart(&mut self) {
        self.books = Books::default();
    }

    /// The object's condition of type `type_` (`Ready`, `Synced`).
    pub(super) fn condition(&self, type_: &str) -> Condition {
        let status = self.obj.status.clone().unwrap_or_default();
        conditions::find(&status.conditions, type_)
            .unwrap_or_else(|| panic!("no {type_} condition in {status:?}"))
            .clone()
    }

    /// The organizer the account holds under `key`.
    pub(super) fn held(&self, key: &str) -> Option<Organizer> {
        self.goto.organizer(&OrganizerKey::new(key))
    }

    /// One reconcile: observe (GoTo half), decide, act, report; the status is written as the
    /// controller writes it, unless the Kubernetes API is down.
    pub(super) async fn pass(&mut self) -> Pass {
        let now = now();
        let mut observed = Observed::of(facts(&self.obj, self.books.remembered()));
        observed.account = AccountState::Usable {
            account_key: ACCOUNT.into(),
            seat_pool: ACCOUNT.into(),
            capabilities: crate::goto::GoToApi::capabilities(&self.goto),
        };
        let reads = reads::plan(&self.obj.spec, &observed.object, &Ownership::Owner);
        observe::read(&self.obj, reads, &mut observed, &self.goto).await;
        let plan = decide(&observed, &self.obj.spec, now);
        let obj = &self.obj;
        let outcome = act::act(&plan, obj, &observed, &self.books, Some(&self.goto), now).await;
        let previous = obj.status.clone().unwrap_or_default();
        let (next, notes) = report(&observed, &obj.spec, &plan, &outcome, &previous, now);
        if !self.books.api_down {
            self.obj.status = Some(next);
        }
        Pass {
            observed,
            plan,
            outcome,
            notes,
        }
    }
}
