//! `observe`'s GoTo half against the in-memory GoTo: which question it asks, in which order,
//! and that every answer, failures included, becomes a value.
use super::desk::Desk;
use super::*;
use crate::controller::organizer::act::Ledger;
use crate::controller::organizer::observe::{self, facts};
use crate::controller::organizer::reads;
use crate::crd::DeletionPolicy;
use crate::goto::{Call, Op, OrganizerKey};

fn ops(desk: &Desk) -> Vec<Op> {
    desk.goto.calls().iter().map(|c| c.op).collect()
}

/// What `observe` reads for the desk's object, its account usable and its seat turn `seat`.
async fn read(desk: &Desk, seat: SeatTurn) -> Observed {
    let mut observed = Observed::of(facts(&desk.obj, desk.books.remembered()));
    observed.account = AccountState::Usable {
        account_key: ACCOUNT.into(),
        seat_pool: ACCOUNT.into(),
        capabilities: crate::goto::GoToApi::capabilities(&desk.goto),
    };
    observed.seat = seat;
    let reads = reads::plan(&desk.obj.spec, &observed.object, &Ownership::Owner);
    observe::read(&desk.obj, reads, &mut observed, &desk.goto).await;
    observed
}

#[tokio::test]
async fn a_recorded_key_is_read_by_key_and_nothing_else() {
    let desk = Desk::recorded(keep, organizer("7"));
    let observed = read(&desk, SeatTurn::First).await;
    assert!(matches!(&observed.organizer, Lookup::Recorded(o) if o.organizer_key.as_str() == "7"));
    assert!(matches!(observed.audit, Audit::NotRun));
    assert_eq!(
        desk.goto.calls(),
        [Call {
            op: Op::Read,
            subject: "7".into()
        }]
    );
}

#[tokio::test]
async fn a_recorded_key_gone_from_goto_is_recorded_gone() {
    let desk = Desk::recorded(keep, organizer("7"));
    desk.goto.edit(|a| {
        a.organizers.remove(&OrganizerKey::new("7"));
    });
    let observed = read(&desk, SeatTurn::First).await;
    assert!(matches!(&observed.organizer, Lookup::RecordedGone { key } if key == "7"));
}

#[tokio::test]
async fn the_remembered_key_is_used_before_the_status_shows_it() {
    let desk = Desk::new(keep);
    let o = desk.goto.insert(organizer(""));
    desk.goto.insert({
        let mut other = organizer("");
        other.email = "other@example.com".into();
        other
    });
    desk.books.remember_key(&desk.obj, o.organizer_key.as_str());
    let observed = read(&desk, SeatTurn::First).await;
    assert!(matches!(observed.organizer, Lookup::Recorded(_)));
    assert_eq!(ops(&desk), [Op::Read]);
}

#[tokio::test]
async fn the_annotation_is_read_by_key() {
    let mut desk = Desk::new(keep);
    desk.goto.insert(organizer("7"));
    let annotate = |desk: &mut Desk, key: &str| {
        desk.obj.metadata.annotations = Some(
            [(
                "goto-operator.dev/organizer-key".to_string(),
                key.to_string(),
            )]
            .into(),
        );
    };
    annotate(&mut desk, "7");
    assert!(matches!(
        read(&desk, SeatTurn::First).await.organizer,
        Lookup::Annotated(_)
    ));
    annotate(&mut desk, "8");
    assert!(matches!(
        read(&desk, SeatTurn::First).await.organizer,
        Lookup::AnnotatedMissing { key } if key == "8"
    ));
    assert_eq!(ops(&desk), [Op::Read, Op::Read]);
}

#[tokio::test]
async fn the_email_finds_the_full_record_ignoring_case() {
    let desk = Desk::new(|s| s.email = " Jane.Doe@EXAMPLE.com".into());
    let mut held = organizer("");
    held.time_zone = Some("Europe/Paris".into());
    desk.goto.insert(held);
    let observed = read(&desk, SeatTurn::First).await;
    match &observed.organizer {
        Lookup::ByEmail(o) => assert_eq!(o.time_zone.as_deref(), Some("Europe/Paris")),
        other => panic!("{other:?}"),
    }
    assert_eq!(ops(&desk), [Op::FindByEmail]);
}

#[tokio::test]
async fn nobody_with_the_email_is_absent() {
    let desk = Desk::new(keep);
    assert!(matches!(
        read(&desk, SeatTurn::First).await.organizer,
        Lookup::Absent
    ));
}

#[tokio::test]
async fn an_object_behind_in_the_seat_queue_asks_goto_nothing() {
    let desk = Desk::new(keep);
    let behind = SeatTurn::Behind {
        position: 2,
        waiting: 2,
    };
    let observed = read(&desk, behind).await;
    assert!(matches!(observed.organizer, Lookup::NotLooked));
    assert!(desk.goto.calls().is_empty());
    assert_eq!(
        kind(&decide(&observed, &desk.obj.spec, now())),
        "WaitForSeat"
    );
}

#[tokio::test]
async fn a_deleting_object_looks_only_at_its_own_key() {
    let mut desk = Desk::new(keep);
    desk.goto.insert(organizer("7"));
    desk.delete();
    let observed = read(&desk, SeatTurn::First).await;
    assert!(matches!(observed.organizer, Lookup::NotLooked));
    assert!(desk.goto.calls().is_empty());
}

#[tokio::test]
async fn the_audit_runs_only_before_a_delete() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.goto.book(&OrganizerKey::new("7"), meeting("1"));
    read(&desk, SeatTurn::First).await;
    assert_eq!(ops(&desk), [Op::Read]);

    desk.delete();
    let observed = read(&desk, SeatTurn::First).await;
    assert!(matches!(&observed.audit, Audit::Complete(m) if m.len() == 1));
    assert_eq!(ops(&desk)[1..], [Op::Read, Op::UpcomingMeetings]);

    desk.obj.spec.deletion_policy = DeletionPolicy::Suspend;
    let observed = read(&desk, SeatTurn::First).await;
    assert!(matches!(observed.audit, Audit::NotRun));
}

#[tokio::test]
async fn failures_are_values() {
    let mut desk = Desk::recorded(keep, organizer("7"));
    desk.goto
        .fail_next(Op::Read, goto::Error::Transient("HTTP 503".into()));
    let observed = read(&desk, SeatTurn::First).await;
    assert!(matches!(
        observed.organizer,
        Lookup::Failed(goto::Error::Transient(_))
    ));

    desk.delete();
    desk.goto.fail_next(
        Op::UpcomingMeetings,
        goto::Error::RateLimited { retry_after: None },
    );
    let observed = read(&desk, SeatTurn::First).await;
    assert!(matches!(
        observed.audit,
        Audit::Failed(goto::Error::RateLimited { .. })
    ));

    let fresh = Desk::new(keep);
    fresh
        .goto
        .fail_next(Op::FindByEmail, goto::Error::Unauthorized);
    assert!(matches!(
        read(&fresh, SeatTurn::First).await.organizer,
        Lookup::Failed(goto::Error::Unauthorized)
    ));
}
