//! Act: the only code that writes to GoTo. It carries out one [`Plan`] and says what happened
//! ([`Outcome`]); it decides nothing itself. Where an outcome within the plan needs a decision,
//! `decide` makes it from that outcome, within the same pass: a 409 on create
//! (`decide::after_conflict`), the writes a created organizer still needs
//! (`decide::after_create`), and whether the second audit, or the object read again right before
//! the DELETE, still allows it (`decide::may_delete`).
//!
//! Crash safety lives here: after a create that more writes follow, the organizer key is written
//! to status at once, so a crash from then on resumes from that key; a crash between the create
//! and that write is resolved by the client (an ambiguous create is looked up by email) and by
//! the next reconcile's email lookup, never by a second create.
use futures::future::BoxFuture;
use jiff::Timestamp;
use kube::ResourceExt;

use super::decide;
use super::diff::{Changes, FieldChange};
use super::observe::Observed;
use super::plan::Plan;
use crate::controller::error::Error;
use crate::crd::{DeletionPolicy, GoToOrganizer, GoToOrganizerStatus, ManagementPolicy};
use crate::goto::{
    self, DeleteOutcome, GoToApi, Meeting, NewOrganizer, Organizer, OrganizerKey, OrganizerStatus,
};

/// What `act` writes down besides GoTo: the organizer key it learns (in this process's memory at
/// once, and in the object's status before any write that follows a create), and a count of its
/// GoTo writes. The controller's `Context` keeps them for real (`organizer/mod.rs`); tests keep
/// them in memory, and can make the status write fail as a crash would.
pub trait Ledger: Sync {
    /// Remembers `key` as the organizer of `obj` in this process (the watch cache may hand the
    /// next reconcile the object from before this one's status write).
    fn remember_key(&self, obj: &GoToOrganizer, key: &str);

    /// Writes `status`, which records the key, to the object at once.
    fn record_key<'a>(
        &'a self,
        obj: &'a GoToOrganizer,
        status: &'a GoToOrganizerStatus,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Counts one GoTo write that succeeded (`create`, `update`, `resume`, `suspend`, `delete`).
    fn wrote(&self, action: &'static str);

    /// The object as the Kubernetes API has it now (`None`: gone), read right before a DELETE.
    fn current<'a>(
        &'a self,
        obj: &'a GoToOrganizer,
    ) -> BoxFuture<'a, Result<Option<GoToOrganizer>, Error>>;
}

/// One write that happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// The organizer was created.
    Created,
    /// The organizer was created in place of one deleted out of band.
    Recreated {
        /// The key that was recorded.
        previous: String,
    },
    /// A create met an existing organizer with the email (409): it was adopted instead.
    AdoptedOnConflict,
    /// One full PUT set these fields.
    Updated {
        /// Wire names of the fields written.
        fields: Vec<&'static str>,
    },
    /// The PUT resumed a suspended organizer.
    Resumed,
    /// The organizer was suspended.
    Suspended,
    /// The organizer was deleted (or was already gone when the DELETE came).
    Deleted {
        /// How many upcoming meetings GoTo cancelled with it.
        cancelled: usize,
        /// GoTo answered 404: already gone.
        already_gone: bool,
    },
}

/// What carrying a plan out did.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The organizer as it now stands in GoTo (after the writes), when known.
    pub organizer: Option<Organizer>,
    /// The writes that happened, in order.
    pub steps: Vec<Step>,
    /// The second audit of a suspend-then-delete.
    pub reaudit: Option<Vec<Meeting>>,
    /// The write (or re-audit) that failed.
    pub error: Option<Error>,
    /// What a create left different from the spec because the account's dialect cannot write
    /// it (GoTo's v1: locale, time zone, roles): reported as `NotSupportedByApi` by this pass,
    /// not only once a later read finds it.
    pub not_sent: Vec<FieldChange>,
}

/// Carries `plan` out. `goto` is the account's GoTo (absent only for plans that need none).
pub async fn act(
    plan: &Plan,
    obj: &GoToOrganizer,
    observed: &Observed,
    ledger: &dyn Ledger,
    goto: Option<&dyn GoToApi>,
    now: Timestamp,
) -> Outcome {
    let mut out = Outcome {
        organizer: plan.organizer().cloned(),
        ..Outcome::default()
    };
    if let Some(o) = &out.organizer
        && !observed.object.deleting
    {
        // The watch cache may hand the next reconcile the object from before this one's status
        // write: without this, an adopted organizer would be found by email and announced again.
        ledger.remember_key(obj, o.organizer_key.as_str());
    }
    let Some(goto) = goto.filter(|_| plan.writes()) else {
        return out;
    };
    let writer = Writer {
        obj,
        ledger,
        goto,
        consent: observed.object.consent.as_deref(),
    };
    let result = match plan {
        Plan::Create { new, .. } => writer.create(new, None, observed, &mut out, now).await,
        Plan::Recreate { previous, new } => {
            writer
                .create(new, Some(previous), observed, &mut out, now)
                .await
        }
        Plan::Adopt {
            organizer, changes, ..
        }
        | Plan::Update { organizer, changes } => {
            writer.converge(organizer.clone(), changes, &mut out).await
        }
        Plan::SuspendAndRelease { organizer } => {
            match writer.suspend(&organizer.organizer_key).await {
                Ok(()) => {
                    out.steps.push(Step::Suspended);
                    Ok(())
                }
                Err(goto::Error::NotFound) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        Plan::SuspendBeforeDelete { key, meetings } => {
            writer
                .suspend_then_delete(key, meetings.len(), &mut out)
                .await
        }
        Plan::Delete { key, meetings } => writer.delete(key, meetings, &mut out).await,
        _ => Ok(()),
    };
    if let Err(e) = result {
        out.error = Some(e);
    }
    out
}

struct Writer<'a> {
    obj: &'a GoToOrganizer,
    ledger: &'a dyn Ledger,
    goto: &'a dyn GoToApi,
    /// The cancel-meetings consent the deciding pass read.
    consent: Option<&'a str>,
}

impl Writer<'_> {
    /// Creates (or, on a 409, adopts), then writes what a create cannot carry.
    async fn create(
        &self,
        new: &NewOrganizer,
        previous: Option<&String>,
        observed: &Observed,
        out: &mut Outcome,
        now: Timestamp,
    ) -> Result<(), Error> {
        let result = self.goto.create(new).await;
        self.log(
            "",
            "create",
            !matches!(result, Err(ref e) if !matches!(e, goto::Error::AlreadyExists { .. })),
        );
        let organizer = match result {
            Ok(created) => {
                self.ledger.wrote("create");
                out.steps.push(match previous {
                    Some(previous) => Step::Recreated {
                        previous: previous.clone(),
                    },
                    None => Step::Created,
                });
                with_sent_fields(created, new)
            }
            Err(goto::Error::AlreadyExists { organizer }) => {
                if let Some(refused) = decide::after_conflict(&self.obj.spec, &organizer) {
                    return Err(refused);
                }
                let full = self
                    .goto
                    .read(&organizer.organizer_key)
                    .await?
                    .ok_or(goto::Error::NotFound)?;
                out.steps.push(Step::AdoptedOnConflict);
                full
            }
            Err(e) => return Err(e.into()),
        };
        self.ledger
            .remember_key(self.obj, organizer.organizer_key.as_str());
        out.organizer = Some(organizer.clone());
        let changes = decide::after_create(
            &self.obj.spec,
            &observed.object,
            &organizer,
            self.goto.capabilities(),
            now,
        );
        out.not_sent.clone_from(&changes.unsupported);
        if changes.is_empty() {
            return Ok(());
        }
        // Record the key before anything else: a crash from here on resumes from this key.
        self.record_key(&organizer, observed).await?;
        self.converge(organizer, &changes, out).await
    }

    /// One full PUT (which may resume), then a suspend.
    async fn converge(
        &self,
        mut organizer: Organizer,
        changes: &Changes,
        out: &mut Outcome,
    ) -> Result<(), Error> {
        let key = organizer.organizer_key.clone();
        if let Some(update) = &changes.put {
            let (action, result) = if changes.resume {
                ("resume", self.goto.resume(&key, update).await)
            } else {
                ("update", self.goto.update(&key, update).await)
            };
            self.log(key.as_str(), action, result.is_ok());
            let response = result?;
            self.ledger.wrote(action);
            organizer = if self.goto.capabilities().profile_updates {
                // GoTo's PUT response may be partial: what we sent is the new truth.
                Organizer {
                    email: update.email.clone(),
                    first_name: update.first_name.clone(),
                    last_name: update.last_name.clone(),
                    locale: update.locale.clone(),
                    time_zone: update.time_zone.clone(),
                    admin_roles: update.admin_roles.clone(),
                    status: update.status.clone().or(organizer.status),
                    max_participants: response.max_participants.or(organizer.max_participants),
                    ..organizer
                }
            } else {
                // Only the status was written (v1's resume): the organizer read back is the
                // truth, with the fields the dialect cannot change.
                response
            };
            out.organizer = Some(organizer.clone());
            let fields = changes.field_names();
            if !fields.is_empty() {
                out.steps.push(Step::Updated { fields });
            }
            if changes.resume {
                out.steps.push(Step::Resumed);
            }
        }
        if changes.suspend {
            self.suspend(&key).await?;
            organizer.status = Some(OrganizerStatus::Suspended);
            out.organizer = Some(organizer);
            out.steps.push(Step::Suspended);
        }
        Ok(())
    }

    /// Suspends, audits again, and deletes only if that audit still allows it.
    async fn suspend_then_delete(
        &self,
        key: &str,
        audited: usize,
        out: &mut Outcome,
    ) -> Result<(), Error> {
        let organizer_key = OrganizerKey::new(key);
        match self.suspend(&organizer_key).await {
            Ok(()) => out.steps.push(Step::Suspended),
            // A 404 right after the read found it is not proof it is gone: read again.
            Err(goto::Error::NotFound) => match self.goto.read(&organizer_key).await? {
                None => {
                    out.steps.push(Step::Deleted {
                        cancelled: audited,
                        already_gone: true,
                    });
                    return Ok(());
                }
                Some(_) => {
                    return Err(Error::GoTo(goto::Error::Transient(format!(
                        "the suspend of organizer {key} answered 404, yet it exists; nothing deleted, retrying"
                    ))));
                }
            },
            Err(e) => return Err(e.into()),
        }
        let meetings = self
            .goto
            .upcoming_meetings(&organizer_key)
            .await
            .map_err(|e| decide::audit_failure(key, &e))?;
        out.reaudit = Some(meetings.clone());
        // Judged with the spec and consent of the pass that decided (`observed`).
        decide::may_delete(&self.obj.spec, self.consent, key, &meetings)?;
        self.delete(key, &meetings, out).await
    }

    /// Re-reads the object right before the DELETE: it must still be deleted with
    /// `deletionPolicy: Delete`, and what it consents to must still allow cancelling `meetings`
    /// (a person may have removed the consent, or changed the policy, since this pass decided).
    async fn still_decided(&self, key: &str, meetings: &[Meeting]) -> Result<(), Error> {
        let Some(now) = self.ledger.current(self.obj).await? else {
            return Err(Error::Internal(
                "the object is gone since this pass decided; nothing deleted".into(),
            ));
        };
        let spec = &now.spec;
        if now.metadata.deletion_timestamp.is_none()
            || spec.deletion_policy != DeletionPolicy::Delete
            || spec.management_policy != ManagementPolicy::Manage
            || now.is_paused()
        {
            return Err(Error::Internal(
                "the object changed since this pass decided; deciding again, nothing deleted"
                    .into(),
            ));
        }
        decide::may_delete(spec, now.cancel_meetings_consent(), key, meetings)
    }

    async fn delete(
        &self,
        key: &str,
        meetings: &[Meeting],
        out: &mut Outcome,
    ) -> Result<(), Error> {
        self.still_decided(key, meetings).await?;
        let cancelling = meetings.len();
        let result = self.goto.delete(&OrganizerKey::new(key)).await;
        self.log(key, "delete", result.is_ok());
        let already_gone = result? == DeleteOutcome::AlreadyGone;
        self.ledger.wrote("delete");
        // Gone already (a DELETE whose answer was lost, retried into a 404; or someone else):
        // up to the audited meetings may have been cancelled, which the Event says.
        out.steps.push(Step::Deleted {
            cancelled: cancelling,
            already_gone,
        });
        Ok(())
    }

    async fn suspend(&self, key: &OrganizerKey) -> Result<(), goto::Error> {
        let result = self.goto.suspend(key).await;
        self.log(key.as_str(), "suspend", result.is_ok());
        result?;
        self.ledger.wrote("suspend");
        Ok(())
    }

    /// Writes the organizer's key to status at once, so no later failure can lose it.
    async fn record_key(&self, o: &Organizer, observed: &Observed) -> Result<(), Error> {
        let current = self.obj.status.clone().unwrap_or_default();
        let next = GoToOrganizerStatus {
            organizer_key: Some(o.organizer_key.to_string()),
            account_key: Some(super::observe::account_key_of(o, observed, &current)),
            state: Some(super::observe::state(o).to_string()),
            max_participants: o.max_participants,
            ..current
        };
        self.ledger.record_key(self.obj, &next).await
    }

    /// Structured audit line for every GoTo write: who, what, on which organizer, with what result.
    fn log(&self, organizer_key: &str, action: &'static str, ok: bool) {
        tracing::info!(
            target: "goto_operator::audit",
            actor = "goto-operator",
            namespace = %self.obj.namespace().unwrap_or_default(),
            name = %self.obj.name_any(),
            email = %self.obj.spec.email,
            organizer_key,
            action,
            result = if ok { "ok" } else { "error" },
            "GoTo write"
        );
    }
}

/// GoTo's create answer may echo only the key and status: what was sent is what it holds.
fn with_sent_fields(mut created: Organizer, sent: &NewOrganizer) -> Organizer {
    if created.email.is_empty() {
        created.email = sent.email.clone();
    }
    if created.first_name.is_empty() {
        created.first_name = sent.first_name.clone();
    }
    if created.last_name.is_empty() {
        created.last_name = sent.last_name.clone();
    }
    created
}
