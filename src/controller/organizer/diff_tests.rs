//! Tests of `diff`.
use super::*;
use crate::crd::schema::AdminRole;
use crate::crd::{AccountRef, DeletionPolicy, ManagementPolicy, OnUpcomingMeetings};
use crate::goto::OrganizerKey;

fn spec() -> GoToOrganizerSpec {
    GoToOrganizerSpec {
        account_ref: AccountRef {
            name: "acme".into(),
        },
        email: "jane.doe@example.com".into(),
        first_name: "Jane".into(),
        last_name: "Doe".into(),
        locale: None,
        time_zone: None,
        admin_roles: None,
        suspended: false,
        deletion_policy: DeletionPolicy::Delete,
        on_upcoming_meetings: OnUpcomingMeetings::Block,
        management_policy: ManagementPolicy::Manage,
        adoption_policy: Default::default(),
        on_external_delete: Default::default(),
        on_external_suspend: Default::default(),
        suspend_at: None,
    }
}

fn observed() -> Organizer {
    Organizer {
        organizer_key: OrganizerKey::new("18446744073709551617"),
        account_key: None,
        email: "jane.doe@example.com".into(),
        first_name: "Jane".into(),
        last_name: "Doe".into(),
        status: Some(OrganizerStatus::Active),
        locale: Some("en_US".into()),
        time_zone: Some("Europe/Paris".into()),
        max_participants: Some(250),
        admin_roles: vec!["MANAGER".into()],
        extra: Default::default(),
    }
}

fn decide(spec: &GoToOrganizerSpec, observed: &Organizer) -> Changes {
    let seat = if spec.suspended {
        Seat::Suspended { scheduled: false }
    } else {
        Seat::Active
    };
    changes(spec, observed, seat)
}

struct Case {
    name: &'static str,
    spec: fn(&mut GoToOrganizerSpec),
    observed: fn(&mut Organizer),
    drift: &'static [&'static str],
    update: bool,
    resume: bool,
    suspend: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "in sync",
        spec: |_| {},
        observed: |_| {},
        drift: &[],
        update: false,
        resume: false,
        suspend: false,
    },
    Case {
        name: "email case differs only",
        spec: |s| s.email = "Jane.Doe@Example.com".into(),
        observed: |_| {},
        drift: &[],
        update: false,
        resume: false,
        suspend: false,
    },
    Case {
        name: "email changed",
        spec: |s| s.email = "jane@example.org".into(),
        observed: |_| {},
        drift: &["email"],
        update: true,
        resume: false,
        suspend: false,
    },
    Case {
        name: "first name drifted",
        spec: |_| {},
        observed: |o| o.first_name = "J".into(),
        drift: &["firstName"],
        update: true,
        resume: false,
        suspend: false,
    },
    Case {
        name: "last name drifted",
        spec: |_| {},
        observed: |o| o.last_name = "D".into(),
        drift: &["lastName"],
        update: true,
        resume: false,
        suspend: false,
    },
    Case {
        name: "locale unmanaged",
        spec: |_| {},
        observed: |o| o.locale = Some("de_DE".into()),
        drift: &[],
        update: false,
        resume: false,
        suspend: false,
    },
    Case {
        name: "locale managed and different",
        spec: |s| s.locale = Some("fr_FR".into()),
        observed: |_| {},
        drift: &["locale"],
        update: true,
        resume: false,
        suspend: false,
    },
    Case {
        name: "locale managed and reset by someone",
        spec: |s| s.locale = Some("en_US".into()),
        observed: |o| o.locale = None,
        drift: &["locale"],
        update: true,
        resume: false,
        suspend: false,
    },
    Case {
        name: "time zone managed and different",
        spec: |s| s.time_zone = Some("America/New_York".into()),
        observed: |_| {},
        drift: &["timeZone"],
        update: true,
        resume: false,
        suspend: false,
    },
    Case {
        name: "roles unmanaged",
        spec: |_| {},
        observed: |o| o.admin_roles = vec![],
        drift: &[],
        update: false,
        resume: false,
        suspend: false,
    },
    Case {
        name: "roles emptied",
        spec: |s| s.admin_roles = Some(vec![]),
        observed: |_| {},
        drift: &["adminRoles"],
        update: true,
        resume: false,
        suspend: false,
    },
    Case {
        name: "roles same set other order",
        spec: |s| s.admin_roles = Some(vec![AdminRole("B".into()), AdminRole("A".into())]),
        observed: |o| o.admin_roles = vec!["A".into(), "B".into()],
        drift: &[],
        update: false,
        resume: false,
        suspend: false,
    },
    Case {
        name: "suspend",
        spec: |s| s.suspended = true,
        observed: |_| {},
        drift: &["status"],
        update: false,
        resume: false,
        suspend: true,
    },
    Case {
        name: "already suspended",
        spec: |s| s.suspended = true,
        observed: |o| o.status = Some(OrganizerStatus::Suspended),
        drift: &[],
        update: false,
        resume: false,
        suspend: false,
    },
    Case {
        name: "resume",
        spec: |_| {},
        observed: |o| o.status = Some(OrganizerStatus::Suspended),
        drift: &["status"],
        update: true,
        resume: true,
        suspend: false,
    },
    Case {
        name: "suspend and rename",
        spec: |s| {
            s.suspended = true;
            s.first_name = "Janet".into()
        },
        observed: |_| {},
        drift: &["firstName", "status"],
        update: true,
        resume: false,
        suspend: true,
    },
    Case {
        name: "resume and rename",
        spec: |s| s.last_name = "Smith".into(),
        observed: |o| o.status = Some(OrganizerStatus::Suspended),
        drift: &["lastName", "status"],
        update: true,
        resume: true,
        suspend: false,
    },
];

#[test]
fn decide_table() {
    for case in CASES {
        let mut s = spec();
        (case.spec)(&mut s);
        let mut o = observed();
        (case.observed)(&mut o);
        let plan = decide(&s, &o);
        assert_eq!(plan.names(), case.drift, "{}: drift", case.name);
        assert_eq!(plan.put.is_some(), case.update, "{}: update", case.name);
        assert_eq!(plan.resume, case.resume, "{}: resume", case.name);
        assert_eq!(plan.suspend, case.suspend, "{}: suspend", case.name);
        assert_eq!(
            plan.is_empty(),
            !case.update && !case.suspend,
            "{}: noop",
            case.name
        );
    }
}

#[test]
fn update_is_complete_and_keeps_unmanaged_fields() {
    let mut s = spec();
    s.first_name = "Janet".into();
    let plan = decide(&s, &observed());
    let update = plan.put.expect("an update");
    assert_eq!(update.first_name, "Janet");
    assert_eq!(update.last_name, "Doe");
    assert_eq!(update.email, "jane.doe@example.com");
    assert_eq!(
        update.locale.as_deref(),
        Some("en_US"),
        "unmanaged locale carried over"
    );
    assert_eq!(
        update.time_zone.as_deref(),
        Some("Europe/Paris"),
        "unmanaged tz carried over"
    );
    assert_eq!(
        update.admin_roles,
        vec!["MANAGER".to_string()],
        "unmanaged roles carried over"
    );
    assert_eq!(
        update.status,
        Some(OrganizerStatus::Active),
        "status restated, not reset"
    );
}

#[test]
fn resume_body_says_active_and_keeps_the_observed_email_case() {
    let mut o = observed();
    o.status = Some(OrganizerStatus::Suspended);
    o.email = "JANE.DOE@example.com".into();
    let plan = decide(&spec(), &o);
    let update = plan.put.expect("an update");
    assert_eq!(update.status, Some(OrganizerStatus::Active));
    assert_eq!(update.email, "JANE.DOE@example.com");
}

#[test]
fn managed_values_win_over_observed() {
    let mut s = spec();
    s.locale = Some("fr_FR".into());
    s.time_zone = Some("America/New_York".into());
    s.admin_roles = Some(vec![AdminRole("ADMIN".into())]);
    let update = decide(&s, &observed()).put.expect("an update");
    assert_eq!(update.locale.as_deref(), Some("fr_FR"));
    assert_eq!(update.time_zone.as_deref(), Some("America/New_York"));
    assert_eq!(update.admin_roles, vec!["ADMIN".to_string()]);
}

#[test]
fn changes_name_old_and_new_values() {
    let mut s = spec();
    s.first_name = "Janet".into();
    let plan = decide(&s, &observed());
    assert_eq!(plan.fields[0].to_string(), "firstName: Jane -> Janet");
}

#[test]
fn unknown_fields_and_status_values_are_restated_not_reset() {
    let mut o: Organizer = serde_json::from_value(serde_json::json!({
        "organizerKey": "1", "email": "jane.doe@example.com", "firstName": "J",
        "lastName": "Doe", "status": "ON_LEAVE", "productType": "G2M_PRO",
    }))
    .expect("organizer");
    o.admin_roles = vec![];
    let plan = decide(&spec(), &o);
    let body = serde_json::to_value(plan.put.expect("a PUT")).expect("json");
    assert_eq!(body["status"], "ON_LEAVE");
    assert_eq!(body["productType"], "G2M_PRO");
    assert_eq!(body["firstName"], "Jane");
}

#[test]
fn an_outside_suspension_can_be_kept() {
    let mut o = observed();
    o.status = Some(OrganizerStatus::Suspended);
    o.first_name = "J".into();
    let plan = changes(&spec(), &o, Seat::KeepOutsideSuspension);
    assert!(!plan.resume && !plan.suspend && plan.kept_outside_suspension);
    assert_eq!(
        plan.put.expect("a PUT").status,
        Some(OrganizerStatus::Suspended)
    );
}
