//! What follows a pause in carrying a plan out ([`Pause`]): the decisions a GoTo answer needs
//! before the plan goes on, made here from that answer, so that `act` decides nothing. Pure, like
//! the rest of `decide`.
use jiff::Timestamp;

use super::seat;
use crate::controller::error::Error;
use crate::controller::organizer::consent;
use crate::controller::organizer::diff;
use crate::controller::organizer::observe::ObjectFacts;
use crate::controller::organizer::plan::{self, After, Pause, Task};
use crate::crd::{
    AdoptionPolicy, DeletionPolicy, GoToOrganizer, GoToOrganizerSpec, ManagementPolicy,
};
use crate::goto::{self, Meeting, Organizer};

/// What follows `pause`, for the object's `spec` and `object` facts as the pass observed them.
/// `current` is the object as the Kubernetes API had it right before a DELETE, once read.
pub fn after(
    pause: Pause,
    spec: &GoToOrganizerSpec,
    object: &ObjectFacts,
    capabilities: goto::Capabilities,
    current: Option<&Option<GoToOrganizer>>,
    now: Timestamp,
) -> Result<After, Error> {
    match pause {
        Pause::Conflict(existing) => match after_conflict(spec, &existing) {
            Some(refused) => Err(refused),
            None => Ok(After::Then(Task::TakeOver {
                key: existing.organizer_key,
            })),
        },
        Pause::Created(organizer) => {
            let changes = after_create(spec, object, &organizer, capabilities, now);
            Ok(if changes.is_empty() {
                After::Done {
                    not_sent: changes.unsupported,
                }
            } else {
                After::RecordKeyThen {
                    organizer: Box::new(organizer),
                    changes,
                }
            })
        }
        Pause::Audited { key, meetings } => {
            // Judged with the spec and consent of the pass that decided.
            may_delete(spec, object.consent.as_deref(), &key, &meetings)?;
            Ok(After::ReadObjectThen(Pause::BeforeDelete { key, meetings }))
        }
        Pause::BeforeDelete { key, meetings } => match current {
            None => Ok(After::ReadObjectThen(Pause::BeforeDelete { key, meetings })),
            Some(object) => {
                still_decided(object.as_ref(), &key, &meetings)?;
                Ok(After::Then(Task::Delete { key, meetings }))
            }
        },
    }
}

/// A create answered 409 with `existing`, the organizer that has the email (another process
/// created it a moment ago): adopt it, never a second seat; unless `adoptionPolicy: CreateOnly`,
/// which never adopts. `None`: adopt.
pub fn after_conflict(spec: &GoToOrganizerSpec, existing: &Organizer) -> Option<Error> {
    (spec.adoption_policy == AdoptionPolicy::CreateOnly).then(|| {
        Error::AlreadyExists(format!(
            "organizer {} with email {} already exists (adoptionPolicy CreateOnly: not adopted)",
            existing.organizer_key, existing.email
        ))
    })
}

/// What a created (or adopted) organizer still needs, planned from GoTo's answer: the fields the
/// create could not carry and a suspension, within what the dialect can write.
pub fn after_create(
    spec: &GoToOrganizerSpec,
    object: &ObjectFacts,
    created: &Organizer,
    capabilities: goto::Capabilities,
    now: Timestamp,
) -> diff::Changes {
    diff::changes(spec, created, seat(spec, object, Some(created), now)).within(capabilities)
}

/// Whether a DELETE may go ahead after the second audit (or right before it), with the spec and
/// the consent as they are then: `Err(DeletionBlocked)` when the meetings found are not
/// consented to.
pub fn may_delete(
    spec: &GoToOrganizerSpec,
    consent: Option<&str>,
    key: &str,
    meetings: &[Meeting],
) -> Result<(), Error> {
    if consent::allows(spec, consent, meetings) {
        Ok(())
    } else {
        Err(plan::blocked(key, meetings))
    }
}

/// The object read again right before the DELETE (`None`: gone) must still be deleted with
/// `deletionPolicy: Delete`, and what it consents to must still allow cancelling `meetings` (a
/// person may have removed the consent, or changed the policy, since this pass decided).
fn still_decided(
    object: Option<&GoToOrganizer>,
    key: &str,
    meetings: &[Meeting],
) -> Result<(), Error> {
    let Some(object) = object else {
        return Err(Error::Internal(
            "the object is gone since this pass decided; nothing deleted".into(),
        ));
    };
    let spec = &object.spec;
    if object.metadata.deletion_timestamp.is_none()
        || spec.deletion_policy != DeletionPolicy::Delete
        || spec.management_policy != ManagementPolicy::Manage
        || object.is_paused()
    {
        return Err(Error::Internal(
            "the object changed since this pass decided; deciding again, nothing deleted".into(),
        ));
    }
    may_delete(spec, object.cancel_meetings_consent(), key, meetings)
}
