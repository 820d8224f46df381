//! Decide, then act: the pure diff between what a GoToOrganizer asks for and what GoTo has.
//!
//! [`decide`] is a pure function of (spec, observed organizer). It says which managed fields
//! drifted and which writes bring GoTo in line, so it can be tested exhaustively without a
//! network; the executor in `organizer::apply` only carries the plan out.
use crate::crd::GoToOrganizerSpec;
use crate::goto::{Organizer, OrganizerStatus, OrganizerUpdate};

/// What to write to GoTo, in order: a full PUT (which may also resume), then a suspend.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Wire names of managed fields whose observed value differs from the spec.
    pub drift: Vec<&'static str>,
    /// The complete representation to PUT, when any field (or a resume) needs writing.
    pub update: Option<OrganizerUpdate>,
    /// Whether the PUT resumes a suspended organizer (its body carries `status: ACTIVE`).
    pub resume: bool,
    /// Whether to call the suspend endpoint after any PUT.
    pub suspend: bool,
}

impl Plan {
    /// True when GoTo already matches the spec.
    pub fn is_noop(&self) -> bool {
        self.update.is_none() && !self.suspend
    }
}

/// Compares the spec with the organizer GoTo returned and plans the writes.
///
/// Fields the spec leaves unset (`locale`, `timeZone`, `adminRoles`) are not managed: their
/// observed values are carried into the PUT, because GoTo's PUT resets every omitted field.
pub fn decide(spec: &GoToOrganizerSpec, observed: &Organizer) -> Plan {
    let mut drift = Vec::new();
    if !spec.email.eq_ignore_ascii_case(&observed.email) {
        drift.push("email");
    }
    if spec.first_name != observed.first_name {
        drift.push("firstName");
    }
    if spec.last_name != observed.last_name {
        drift.push("lastName");
    }
    if spec
        .locale
        .as_ref()
        .is_some_and(|l| observed.locale.as_ref() != Some(l))
    {
        drift.push("locale");
    }
    if spec
        .time_zone
        .as_ref()
        .is_some_and(|tz| observed.time_zone.as_ref() != Some(tz))
    {
        drift.push("timeZone");
    }
    let desired_roles = desired_admin_roles(spec, observed);
    if sorted(&desired_roles) != sorted(&observed.admin_roles) {
        drift.push("adminRoles");
    }
    let suspended_now = observed.status == Some(OrganizerStatus::Suspended);
    let field_drift = !drift.is_empty();
    let resume = !spec.suspended && suspended_now;
    let suspend = spec.suspended && !suspended_now;
    if resume || suspend {
        drift.push("status");
    }

    let update = (field_drift || resume).then(|| OrganizerUpdate {
        email: if spec.email.eq_ignore_ascii_case(&observed.email) {
            observed.email.clone()
        } else {
            spec.email.clone()
        },
        first_name: spec.first_name.clone(),
        last_name: spec.last_name.clone(),
        locale: spec.locale.clone().or_else(|| observed.locale.clone()),
        time_zone: spec
            .time_zone
            .clone()
            .or_else(|| observed.time_zone.clone()),
        admin_roles: desired_roles,
        // A resume is a full PUT with ACTIVE; otherwise restate the observed status so the PUT
        // changes nothing but the fields (GoTo would reset an omitted field to its default).
        status: if resume {
            Some(OrganizerStatus::Active)
        } else {
            observed.status.filter(|s| *s != OrganizerStatus::Unknown)
        },
    });
    Plan {
        drift,
        update,
        resume,
        suspend,
    }
}

fn desired_admin_roles(spec: &GoToOrganizerSpec, observed: &Organizer) -> Vec<String> {
    match &spec.admin_roles {
        Some(roles) => roles.iter().map(|r| r.0.clone()).collect(),
        None => observed.admin_roles.clone(),
    }
}

fn sorted(v: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = v.iter().map(String::as_str).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
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
        }
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
            assert_eq!(plan.drift, case.drift, "{}: drift", case.name);
            assert_eq!(plan.update.is_some(), case.update, "{}: update", case.name);
            assert_eq!(plan.resume, case.resume, "{}: resume", case.name);
            assert_eq!(plan.suspend, case.suspend, "{}: suspend", case.name);
            assert_eq!(
                plan.is_noop(),
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
        let update = plan.update.expect("an update");
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
        let update = plan.update.expect("an update");
        assert_eq!(update.status, Some(OrganizerStatus::Active));
        assert_eq!(update.email, "JANE.DOE@example.com");
    }

    #[test]
    fn managed_values_win_over_observed() {
        let mut s = spec();
        s.locale = Some("fr_FR".into());
        s.time_zone = Some("America/New_York".into());
        s.admin_roles = Some(vec![AdminRole("ADMIN".into())]);
        let update = decide(&s, &observed()).update.expect("an update");
        assert_eq!(update.locale.as_deref(), Some("fr_FR"));
        assert_eq!(update.time_zone.as_deref(), Some("America/New_York"));
        assert_eq!(update.admin_roles, vec!["ADMIN".to_string()]);
    }
}
