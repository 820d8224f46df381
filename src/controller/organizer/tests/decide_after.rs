//! `decide::after`: the decisions a GoTo answer needs while `act` carries a plan out.
use super::*;

/// The decisions `decide::after` makes from a GoTo answer within a pass, one by one.
#[test]
fn decisions_on_an_outcome_within_the_pass() {
    use crate::controller::organizer::decide::{after_conflict, after_create, may_delete};
    let existing = organizer("42");
    assert!(after_conflict(&spec(), &existing).is_none(), "a 409 adopts");
    let mut create_only = spec();
    create_only.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly;
    let refused = after_conflict(&create_only, &existing).expect("CreateOnly never adopts");
    assert!(refused.to_string().contains("CreateOnly"), "{refused}");

    // What a created organizer still needs is the diff from what GoTo answered.
    let mut zoned = spec();
    zoned.time_zone = Some("Europe/Paris".into());
    let facts = world().object;
    let caps = goto::Capabilities::ALL;
    assert!(after_create(&spec(), &facts, &existing, caps, now()).is_empty());
    assert_eq!(
        after_create(&zoned, &facts, &existing, caps, now()).field_names(),
        ["timeZone"]
    );

    // The second audit: no meetings, or the meetings consented to, let the DELETE go.
    let meetings = [meeting("1")];
    assert!(may_delete(&spec(), None, "42", &[]).is_ok());
    let blocked = may_delete(&spec(), None, "42", &meetings).expect_err("not consented");
    assert!(matches!(blocked, Error::DeletionBlocked(_)), "{blocked}");
}

/// What follows each pause of `act`'s loop: the writer never goes on by itself.
#[test]
fn what_follows_each_pause_of_a_plan_being_carried_out() {
    use crate::controller::organizer::decide::after;
    use crate::controller::organizer::plan::{After, Pause, Task};
    let facts = world().object;
    let caps = goto::Capabilities::ALL;
    let follows = |pause: Pause, spec: &GoToOrganizerSpec, current: Option<&Option<_>>| {
        after(pause, spec, &facts, caps, current, now())
    };
    // A 409 takes the organizer over, except under CreateOnly.
    let conflict = || Pause::Conflict(organizer("42"));
    assert!(matches!(
        follows(conflict(), &spec(), None),
        Ok(After::Then(Task::TakeOver { key })) if key.as_str() == "42"
    ));
    let mut create_only = spec();
    create_only.adoption_policy = crate::crd::AdoptionPolicy::CreateOnly;
    assert!(matches!(
        follows(conflict(), &create_only, None),
        Err(Error::AlreadyExists(_))
    ));
    // A created organizer: done, or its key recorded before the writes it still needs.
    assert!(matches!(
        follows(Pause::Created(organizer("42")), &spec(), None),
        Ok(After::Done { not_sent }) if not_sent.is_empty()
    ));
    let mut zoned = spec();
    zoned.time_zone = Some("Europe/Paris".into());
    assert!(matches!(
        follows(Pause::Created(organizer("42")), &zoned, None),
        Ok(After::RecordKeyThen { changes, .. }) if changes.field_names() == ["timeZone"]
    ));
    // The second audit: meetings not consented to block; none lead to the object read again.
    let audited = |ids: &[&str]| Pause::Audited {
        key: "42".into(),
        meetings: ids.iter().map(|id| meeting(id)).collect(),
    };
    assert!(matches!(
        follows(audited(&["1"]), &spec(), None),
        Err(Error::DeletionBlocked(_))
    ));
    assert!(matches!(
        follows(audited(&[]), &spec(), None),
        Ok(After::ReadObjectThen(Pause::BeforeDelete { .. }))
    ));
    // Right before the DELETE: read the object, then confirm it only if it is still deleted
    // with `deletionPolicy: Delete`.
    let before = || Pause::BeforeDelete {
        key: "42".into(),
        meetings: Vec::new(),
    };
    assert!(matches!(
        follows(before(), &spec(), None),
        Ok(After::ReadObjectThen(Pause::BeforeDelete { .. }))
    ));
    assert!(matches!(
        follows(before(), &spec(), Some(&None)),
        Err(Error::Internal(m)) if m.contains("gone")
    ));
    let mut object = crate::crd::fixtures::organizer("team", "jane", "acme", "jane@example.com");
    assert!(matches!(
        follows(before(), &spec(), Some(&Some(object.clone()))),
        Err(Error::Internal(m)) if m.contains("changed")
    ));
    object.metadata.deletion_timestamp = Some(Time(now()));
    object.spec.deletion_policy = crate::crd::DeletionPolicy::Delete;
    assert!(matches!(
        follows(before(), &spec(), Some(&Some(object))),
        Ok(After::Then(Task::Delete { .. }))
    ));
}
