//! What a plan says about itself: the accessors `act`, `report`, the seat queue and the preview
//! ask instead of matching its variants.
use super::*;

fn plan_of(w: Observed, tweak: fn(&mut GoToOrganizerSpec)) -> Plan {
    let mut s = spec();
    tweak(&mut s);
    decide(&w, &s, now())
}

/// One plan of each kind that matters here, by name.
fn plans() -> Vec<(&'static str, Plan)> {
    let by_email = |w: &mut Observed| w.organizer = Lookup::ByEmail(organizer("8"));
    let gone = |w: &mut Observed| w.organizer = Lookup::RecordedGone { key: "7".into() };
    let unavailable =
        |w: &mut Observed| w.organizer = Lookup::Failed(goto::Error::Transient("503".into()));
    vec![
        ("create", plan_of(world(), keep)),
        ("nothing", plan_of(recorded(organizer("7")), keep)),
        (
            "update",
            plan_of(recorded(organizer("7")), |s| s.first_name = "Janet".into()),
        ),
        ("adopt", plan_of(with(world(), by_email), keep)),
        (
            "block",
            plan_of(deleting(organizer("7"), &["1", "2"]), keep),
        ),
        (
            "suspend, delete",
            plan_of(deleting(organizer("7"), &[]), keep),
        ),
        ("delete", plan_of(deleting(suspended("7"), &[]), keep)),
        (
            "gone",
            plan_of(with(deleting(organizer("7"), &[]), gone), keep),
        ),
        ("unavailable", plan_of(with(world(), unavailable), keep)),
        (
            "bad spec",
            plan_of(
                with(world(), |w| w.object.invalid = Some("no".into())),
                keep,
            ),
        ),
        ("waiting", plan_of(behind(), keep)),
        (
            "paused",
            plan_of(with(world(), |w| w.object.paused = true), keep),
        ),
    ]
}

/// The names of the plans for which `ask` says something, with what it says.
fn answers<T>(ask: impl Fn(&Plan) -> Option<T>) -> Vec<(&'static str, T)> {
    plans()
        .iter()
        .filter_map(|(name, plan)| ask(plan).map(|answer| (*name, answer)))
        .collect()
}

fn which(ask: impl Fn(&Plan) -> bool) -> Vec<&'static str> {
    answers(|p| ask(p).then_some(()))
        .into_iter()
        .map(|(name, ())| name)
        .collect()
}

#[test]
fn each_plan_says_what_it_writes_and_what_it_is_about() {
    assert_eq!(
        which(Plan::writes),
        ["create", "update", "suspend, delete", "delete"]
    );
    assert_eq!(which(Plan::creates), ["create"]);
    assert_eq!(
        which(Plan::manages),
        ["create", "nothing", "update", "adopt"]
    );
    assert_eq!(which(Plan::updates_recorded), ["update"]);
    assert_eq!(which(Plan::waits_for_seat), ["waiting"]);
    assert_eq!(which(Plan::undecided), ["unavailable"]);
    let seven = "7".to_string();
    assert_eq!(
        answers(Plan::subject_key),
        [
            ("nothing", seven.clone()),
            ("update", seven.clone()),
            ("adopt", "8".to_string()),
            ("block", seven.clone()),
            ("suspend, delete", seven.clone()),
            ("delete", seven.clone()),
            ("gone", seven),
        ]
    );
    assert_eq!(
        answers(|p| p.audit().map(<[_]>::len)),
        [("block", 2), ("suspend, delete", 0), ("delete", 0)]
    );
    assert_eq!(
        answers(|p| p.failure().and_then(|e| e.reason())),
        [
            ("block", reason::DELETION_BLOCKED),
            ("unavailable", reason::GOTO_UNAVAILABLE),
            ("bad spec", reason::INVALID_SPEC),
            ("waiting", reason::SEAT_UNAVAILABLE),
            ("paused", reason::PAUSED),
        ]
    );
}

#[test]
fn the_plan_makes_its_own_events_and_messages() {
    let adopt = plan_of(
        with(world(), |w| w.organizer = Lookup::ByEmail(organizer("8"))),
        keep,
    );
    let (reason, note) = adopt.event().expect("adopting is announced");
    assert_eq!(reason, event::ADOPTED);
    assert!(note.contains("organizer 8"), "{note}");

    let release = plan_of(with(world(), |w| w.object.deleting = true), keep);
    assert_eq!(release.event().map(|(r, _)| r), Some(event::RELEASED));
    let orphan = plan_of(deleting(organizer("7"), &[]), |s| {
        s.deletion_policy = crate::crd::DeletionPolicy::Orphan
    });
    assert_eq!(orphan.event().map(|(r, _)| r), Some(event::ORPHANED));
    assert_eq!(plan_of(recorded(organizer("7")), keep).event(), None);

    let before_delete = plan_of(deleting(organizer("7"), &[]), keep);
    assert!(
        before_delete
            .suspended_message("7")
            .contains("before deleting it")
    );
    let scheduled = plan_of(recorded(organizer("7")), |s| {
        s.suspend_at = Some(Time(now() - 1.hour()))
    });
    assert!(scheduled.suspended_message("7").contains("as scheduled"));
    assert!(
        plan_of(recorded(organizer("7")), keep)
            .suspended_message("7")
            .contains("cannot host")
    );

    let blocked = plan_of(deleting(organizer("7"), &["1"]), keep);
    let message = blocked.failure().expect("blocked").to_string();
    assert!(
        message.contains("\"m1\" at 2030-01-01T10:00:00Z"),
        "{message}"
    );
    let Plan::Block { meetings, .. } = &blocked else {
        panic!("{blocked:?}")
    };
    let digest = crate::controller::organizer::consent::digest(meetings);
    assert_eq!(
        blocked.describe(),
        format!(
            "block: organizer 7 has 1 upcoming meeting(s): \"m1\" at 2030-01-01T10:00:00Z (audit digest {digest}: the goto-operator.dev/cancel-meetings annotation naming it consents to cancelling exactly these)"
        )
    );
    assert!(
        message.contains(&format!("goto-operator.dev/cancel-meetings={digest}")),
        "the block says how to consent: {message}"
    );
}
