//! What a pass reads, decided from the object's facts, spec and ownership alone: pure, so
//! `observe` only carries the decision out ([`Reads`], made once per pass), and `decide` (whose
//! `WaitForSeat` and creates rest on the same rules) uses the same functions rather than
//! restating them.
use super::observed::ObjectFacts;
use crate::controller::ownership::Ownership;
use crate::crd::{AdoptionPolicy, DeletionPolicy, GoToOrganizerSpec, ManagementPolicy};

/// What a pass reads from GoTo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    /// The decision needs GoTo at all. Everything a deletion that touches nothing, a bad spec
    /// or a foreign claim needs is already known: then nothing else here is read either.
    pub goto: bool,
    /// The object would create: when older objects of its account wait for a seat, it waits
    /// its turn and is not looked up (`decide` plans `WaitForSeat` from `Lookup::NotLooked`).
    pub queues_for_seat: bool,
    /// The meeting audit, before the Delete of the organizer the object recorded.
    pub audit: bool,
}

/// What the pass for an object with these facts, spec and ownership reads.
pub fn plan(spec: &GoToOrganizerSpec, object: &ObjectFacts, ownership: &Ownership) -> Reads {
    let goto = *ownership == Ownership::Owner
        && if object.deleting {
            spec.management_policy == ManagementPolicy::Manage
                && spec.deletion_policy != DeletionPolicy::Orphan
                && object.own_key().is_some()
        } else {
            object.invalid.is_none()
        };
    Reads {
        goto,
        queues_for_seat: goto
            && !object.deleting
            && object.own_key().is_none()
            && object.annotation_key.is_none()
            && creates(spec),
        audit: goto && object.deleting && spec.deletion_policy == DeletionPolicy::Delete,
    }
}

/// Whether the spec lets the operator create the organizer.
pub fn creates(spec: &GoToOrganizerSpec) -> bool {
    spec.management_policy == ManagementPolicy::Manage
        && spec.adoption_policy != AdoptionPolicy::AdoptOnly
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::fixtures;

    fn reads(spec: &GoToOrganizerSpec, object: &ObjectFacts) -> Reads {
        plan(spec, object, &Ownership::Owner)
    }

    #[test]
    fn what_a_pass_reads() {
        let spec = fixtures::organizer("it", "jane", "acme", "jane@example.com").spec;
        let fresh = ObjectFacts::default();
        assert_eq!(
            reads(&spec, &fresh),
            Reads {
                goto: true,
                queues_for_seat: true,
                audit: false
            },
            "a new object reads GoTo, waiting its turn for a seat; no audit unless deleting"
        );

        let foreign = Ownership::OwnedElsewhere {
            owner: "hr/jane".into(),
        };
        assert_eq!(
            plan(&spec, &fresh, &foreign),
            Reads::default(),
            "another object's organizer is not read"
        );

        let invalid = ObjectFacts {
            invalid: Some("bad".into()),
            ..ObjectFacts::default()
        };
        assert_eq!(reads(&spec, &invalid), Reads::default());

        let leaving = ObjectFacts {
            deleting: true,
            ..ObjectFacts::default()
        };
        assert_eq!(
            reads(&spec, &leaving),
            Reads::default(),
            "nothing recorded: nothing to delete"
        );
        let recorded = ObjectFacts {
            recorded_key: Some("7".into()),
            ..leaving
        };
        assert_eq!(
            reads(&spec, &recorded),
            Reads {
                goto: true,
                queues_for_seat: false,
                audit: true
            },
            "a Delete is audited first"
        );
        let mut orphan = spec.clone();
        orphan.deletion_policy = DeletionPolicy::Orphan;
        assert_eq!(
            reads(&orphan, &recorded),
            Reads::default(),
            "Orphan touches nothing"
        );
        let mut suspend = spec.clone();
        suspend.deletion_policy = DeletionPolicy::Suspend;
        assert!(
            !reads(&suspend, &recorded).audit,
            "a Suspend cancels no meeting"
        );

        let mut adopt_only = spec.clone();
        adopt_only.adoption_policy = AdoptionPolicy::AdoptOnly;
        assert!(!creates(&adopt_only) && !reads(&adopt_only, &fresh).queues_for_seat);
        let annotated = ObjectFacts {
            annotation_key: Some("7".into()),
            ..ObjectFacts::default()
        };
        assert!(
            !reads(&spec, &annotated).queues_for_seat,
            "an adoption by annotation takes no seat"
        );
    }
}
