//! Which plans and outcomes keep an object in its account's seat queue.
use super::super::seat_membership;
use super::super::seat_queue::Membership;
use crate::controller::error::Error;
use crate::controller::organizer::Plan;
use crate::controller::organizer::act::Outcome;
use crate::goto;

#[test]
fn membership_follows_the_plan_and_its_outcome() {
    let refused = Outcome {
        error: Some(Error::GoTo(goto::Error::SeatUnavailable { status: 402 })),
        ..Outcome::default()
    };
    let transient = Outcome {
        error: Some(Error::GoTo(goto::Error::Transient("x".into()))),
        ..Outcome::default()
    };
    let create = Plan::Create {
        new: goto::NewOrganizer {
            email: "a@example.com".into(),
            first_name: "A".into(),
            last_name: "B".into(),
        },
        then: vec![],
        suspend: false,
    };
    let wait = Plan::WaitForSeat {
        account: "acct".into(),
        position: 2,
        waiting: 2,
    };
    let rows = [
        (&create, &refused, Membership::Wait),
        (&create, &transient, Membership::Keep),
        (&create, &Outcome::default(), Membership::Leave),
        (&wait, &Outcome::default(), Membership::Wait),
        (
            &Plan::Fail(Error::InvalidSpec("x".into())),
            &Outcome::default(),
            Membership::Leave,
        ),
        (
            &Plan::Fail(Error::GoTo(goto::Error::RateLimited { retry_after: None })),
            &Outcome::default(),
            Membership::Keep,
        ),
        (
            &Plan::Release { why: "x".into() },
            &Outcome::default(),
            Membership::Leave,
        ),
    ];
    for (plan, outcome, want) in rows {
        assert_eq!(seat_membership(plan, outcome), want, "{plan}");
    }
}
