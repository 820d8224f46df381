//! What a pass reads, decided from the object's facts and spec alone: pure, so `observe` only
//! carries the decision out, and `decide` (whose `WaitForSeat` and creates rest on the same
//! rules) uses the same functions rather than restating them.
use super::observed::{Lookup, Observed};
use super::seat_queue::SeatTurn;
use crate::controller::ownership::Ownership;
use crate::crd::{AdoptionPolicy, DeletionPolicy, GoToOrganizerSpec, ManagementPolicy};

/// Whether the decision for this object needs GoTo at all. Everything a deletion that touches
/// nothing, a bad spec or a foreign claim needs is already known.
pub fn needs_goto(spec: &GoToOrganizerSpec, observed: &Observed) -> bool {
    if observed.ownership != Ownership::Owner {
        return false;
    }
    if observed.object.deleting {
        return spec.management_policy == ManagementPolicy::Manage
            && spec.deletion_policy != DeletionPolicy::Orphan
            && observed.object.own_key().is_some();
    }
    observed.object.invalid.is_none()
}

/// Whether the object would create and older objects of its account wait for a seat: it then
/// waits its turn without a GoTo call (`decide` plans `WaitForSeat` from `Lookup::NotLooked`).
pub fn waits_its_turn(spec: &GoToOrganizerSpec, observed: &Observed) -> bool {
    matches!(observed.seat, SeatTurn::Behind { .. })
        && !observed.object.deleting
        && observed.object.own_key().is_none()
        && observed.object.annotation_key.is_none()
        && creates(spec)
}

/// Whether the spec lets the operator create the organizer.
pub fn creates(spec: &GoToOrganizerSpec) -> bool {
    spec.management_policy == ManagementPolicy::Manage
        && spec.adoption_policy != AdoptionPolicy::AdoptOnly
}

/// Whether the meeting audit runs: before the Delete of the organizer the object recorded.
pub fn needs_audit(spec: &GoToOrganizerSpec, observed: &Observed) -> bool {
    observed.object.deleting
        && spec.deletion_policy == DeletionPolicy::Delete
        && matches!(observed.organizer, Lookup::Recorded(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::organizer::observed::ObjectFacts;
    use crate::crd::fixtures;

    fn observed(facts: ObjectFacts) -> Observed {
        Observed::of(facts)
    }

    #[test]
    fn what_a_pass_reads() {
        let spec = fixtures::organizer("it", "jane", "acme", "jane@example.com").spec;
        let fresh = observed(ObjectFacts::default());
        assert!(needs_goto(&spec, &fresh), "a new object reads GoTo");
        assert!(!needs_audit(&spec, &fresh), "no audit unless deleting");

        let mut foreign = observed(ObjectFacts::default());
        foreign.ownership = Ownership::OwnedElsewhere {
            owner: "hr/jane".into(),
        };
        assert!(
            !needs_goto(&spec, &foreign),
            "another object's organizer is not read"
        );

        let mut invalid = observed(ObjectFacts::default());
        invalid.object.invalid = Some("bad".into());
        assert!(!needs_goto(&spec, &invalid));

        let leaving = ObjectFacts {
            deleting: true,
            ..ObjectFacts::default()
        };
        assert!(
            !needs_goto(&spec, &observed(leaving.clone())),
            "nothing recorded: nothing to delete"
        );
        let recorded = ObjectFacts {
            recorded_key: Some("7".into()),
            ..leaving
        };
        let mut orphan = spec.clone();
        orphan.deletion_policy = DeletionPolicy::Orphan;
        assert!(needs_goto(&spec, &observed(recorded.clone())));
        assert!(
            !needs_goto(&orphan, &observed(recorded)),
            "Orphan touches nothing"
        );

        let mut behind = observed(ObjectFacts::default());
        behind.seat = SeatTurn::Behind {
            position: 2,
            waiting: 2,
        };
        assert!(
            waits_its_turn(&spec, &behind),
            "a create behind older waiters waits"
        );
        let mut adopt_only = spec.clone();
        adopt_only.adoption_policy = AdoptionPolicy::AdoptOnly;
        assert!(!creates(&adopt_only) && !waits_its_turn(&adopt_only, &behind));
        behind.object.annotation_key = Some("7".into());
        assert!(
            !waits_its_turn(&spec, &behind),
            "an adoption by annotation takes no seat"
        );
    }
}
