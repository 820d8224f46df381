//! The writer: carries one [`Task`] of a plan out against GoTo and says where it stopped, either
//! done or at a [`Pause`] whose answer needs a decision (`decide::after`). It decides nothing
//! itself and writes nothing but GoTo; every write is logged on the audit target, and every
//! write that succeeded is counted in [`Outcome::writes`].
use kube::ResourceExt;

use super::decide;
use super::diff::{Changes, FieldChange};
use super::plan::{Pause, Task};
use crate::controller::error::Error;
use crate::crd::GoToOrganizer;
use crate::goto::{
    self, DeleteOutcome, GoToApi, Meeting, NewOrganizer, Organizer, OrganizerKey, OrganizerStatus,
};

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
    /// The GoTo writes that succeeded, by action (`create`, `update`, `resume`, `suspend`,
    /// `delete`), in order.
    pub writes: Vec<&'static str>,
}

/// Writes one object's organizer to one account's GoTo.
pub struct Writer<'a> {
    /// The object (for the audit log).
    pub obj: &'a GoToOrganizer,
    /// The account's GoTo.
    pub goto: &'a dyn GoToApi,
}

impl Writer<'_> {
    /// Carries `task` out into `out`: `Ok(None)` when the plan needs nothing more of it,
    /// `Ok(Some(pause))` when what GoTo answered needs a decision first.
    pub async fn carry(&self, task: Task, out: &mut Outcome) -> Result<Option<Pause>, Error> {
        match task {
            Task::Create { new, previous } => self.create(&new, previous, out).await,
            Task::TakeOver { key } => {
                let full = self.goto.read(&key).await?.ok_or(goto::Error::NotFound)?;
                out.steps.push(Step::AdoptedOnConflict);
                out.organizer = Some(full.clone());
                Ok(Some(Pause::Created(full)))
            }
            Task::Converge { organizer, changes } => {
                self.converge(*organizer, &changes, out).await?;
                Ok(None)
            }
            Task::Suspend { key } => match self.suspend(&key, out).await {
                Ok(()) => {
                    out.steps.push(Step::Suspended);
                    Ok(None)
                }
                Err(goto::Error::NotFound) => Ok(None),
                Err(e) => Err(e.into()),
            },
            Task::SuspendAndAudit { key, audited } => {
                self.suspend_and_audit(key, audited, out).await
            }
            Task::Delete { key, meetings } => {
                self.delete(&key, meetings.len(), out).await?;
                Ok(None)
            }
        }
    }

    /// Creates; a 409 pauses for `decide` (adopt, or not under `CreateOnly`).
    async fn create(
        &self,
        new: &NewOrganizer,
        previous: Option<String>,
        out: &mut Outcome,
    ) -> Result<Option<Pause>, Error> {
        let result = self.goto.create(new).await;
        self.log(
            "",
            "create",
            !matches!(result, Err(ref e) if !matches!(e, goto::Error::AlreadyExists { .. })),
        );
        match result {
            Ok(created) => {
                out.writes.push("create");
                out.steps.push(match previous {
                    Some(previous) => Step::Recreated { previous },
                    None => Step::Created,
                });
                let created = with_sent_fields(created, new);
                out.organizer = Some(created.clone());
                Ok(Some(Pause::Created(created)))
            }
            Err(goto::Error::AlreadyExists { organizer }) => Ok(Some(Pause::Conflict(*organizer))),
            Err(e) => Err(e.into()),
        }
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
            out.writes.push(action);
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
            self.suspend(&key, out).await?;
            organizer.status = Some(OrganizerStatus::Suspended);
            out.organizer = Some(organizer);
            out.steps.push(Step::Suspended);
        }
        Ok(())
    }

    /// Suspends, then audits again; `decide` judges that audit.
    async fn suspend_and_audit(
        &self,
        key: String,
        audited: usize,
        out: &mut Outcome,
    ) -> Result<Option<Pause>, Error> {
        let organizer_key = OrganizerKey::new(&key);
        match self.suspend(&organizer_key, out).await {
            Ok(()) => out.steps.push(Step::Suspended),
            // A 404 right after the read found it is not proof it is gone: read again.
            Err(goto::Error::NotFound) => match self.goto.read(&organizer_key).await? {
                None => {
                    out.steps.push(Step::Deleted {
                        cancelled: audited,
                        already_gone: true,
                    });
                    return Ok(None);
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
            .map_err(|e| decide::audit_failure(&key, &e))?;
        out.reaudit = Some(meetings.clone());
        Ok(Some(Pause::Audited { key, meetings }))
    }

    /// The DELETE, as `decide` confirmed it; it cancels `cancelling` meetings.
    async fn delete(&self, key: &str, cancelling: usize, out: &mut Outcome) -> Result<(), Error> {
        let result = self.goto.delete(&OrganizerKey::new(key)).await;
        self.log(key, "delete", result.is_ok());
        let already_gone = result? == DeleteOutcome::AlreadyGone;
        out.writes.push("delete");
        // Gone already (a DELETE whose answer was lost, retried into a 404; or someone else):
        // up to the audited meetings may have been cancelled, which the Event says.
        out.steps.push(Step::Deleted {
            cancelled: cancelling,
            already_gone,
        });
        Ok(())
    }

    async fn suspend(&self, key: &OrganizerKey, out: &mut Outcome) -> Result<(), goto::Error> {
        let result = self.goto.suspend(key).await;
        self.log(key.as_str(), "suspend", result.is_ok());
        result?;
        out.writes.push("suspend");
        Ok(())
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
