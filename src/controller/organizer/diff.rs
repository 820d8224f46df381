//! The field diff: what differs between the spec and the organizer GoTo holds, and the one full
//! PUT (plus suspend or resume) that brings GoTo in line. Pure; `decide` builds on it.
//!
//! Fields the spec leaves unset (`locale`, `timeZone`, `adminRoles`) are not managed: their
//! observed values are carried into the PUT, and so is every field and status value this client
//! does not know, because GoTo's PUT resets whatever it omits.
use std::fmt;

use crate::crd::GoToOrganizerSpec;
use crate::goto::{Organizer, OrganizerStatus, OrganizerUpdate};

/// What the spec (with `suspendAt` and `onExternalSuspend` applied) wants for the seat's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// Active: resume a suspended organizer.
    Active,
    /// Suspended (`scheduled`: because `suspendAt` has passed).
    Suspended {
        /// The suspension comes from `suspendAt`, not `suspended: true`.
        scheduled: bool,
    },
    /// Keep a suspension made outside the operator (`onExternalSuspend: Respect`).
    KeepOutsideSuspension,
}

/// One managed field whose observed value differs from the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// Wire name of the field (`firstName`, `status`, ...).
    pub field: &'static str,
    /// What GoTo holds.
    pub from: String,
    /// What the spec asks for.
    pub to: String,
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} -> {}", self.field, self.from, self.to)
    }
}

/// The writes that make GoTo follow the spec, in order: one full PUT (which may also resume),
/// then a suspend.
#[derive(Clone, Debug, PartialEq)]
pub struct Changes {
    /// Every difference, fields first, `status` last.
    pub fields: Vec<FieldChange>,
    /// The complete representation to PUT, when any field (or a resume) needs writing.
    pub put: Option<OrganizerUpdate>,
    /// Whether the PUT resumes a suspended organizer (its body carries `status: ACTIVE`).
    pub resume: bool,
    /// Whether to call the suspend endpoint after any PUT.
    pub suspend: bool,
    /// The suspension comes from `suspendAt`.
    pub scheduled: bool,
    /// The organizer is suspended outside the operator and that is kept.
    pub kept_outside_suspension: bool,
}

impl Changes {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.put.is_none() && !self.suspend
    }

    /// Wire names of the differing fields (`status` included).
    pub fn names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|c| c.field).collect()
    }

    /// Wire names of the differing fields other than `status`.
    pub fn field_names(&self) -> Vec<&'static str> {
        self.fields
            .iter()
            .map(|c| c.field)
            .filter(|f| *f != "status")
            .collect()
    }
}

/// Compares the spec with the organizer GoTo returned and plans the writes.
pub fn changes(spec: &GoToOrganizerSpec, observed: &Organizer, seat: Seat) -> Changes {
    let mut fields = Vec::new();
    let mut change = |field: &'static str, from: String, to: String| {
        fields.push(FieldChange { field, from, to });
    };
    if !spec.email.eq_ignore_ascii_case(&observed.email) {
        change("email", observed.email.clone(), spec.email.clone());
    }
    if spec.first_name != observed.first_name {
        change(
            "firstName",
            observed.first_name.clone(),
            spec.first_name.clone(),
        );
    }
    if spec.last_name != observed.last_name {
        change(
            "lastName",
            observed.last_name.clone(),
            spec.last_name.clone(),
        );
    }
    if let Some(l) = spec
        .locale
        .as_ref()
        .filter(|l| observed.locale.as_ref() != Some(*l))
    {
        change("locale", shown(observed.locale.as_deref()), l.clone());
    }
    if let Some(tz) = spec
        .time_zone
        .as_ref()
        .filter(|tz| observed.time_zone.as_ref() != Some(*tz))
    {
        change("timeZone", shown(observed.time_zone.as_deref()), tz.clone());
    }
    let desired_roles = desired_admin_roles(spec, observed);
    if sorted(&desired_roles) != sorted(&observed.admin_roles) {
        change(
            "adminRoles",
            format!("{:?}", observed.admin_roles),
            format!("{desired_roles:?}"),
        );
    }
    let field_drift = !fields.is_empty();
    let suspended_now = observed.status == Some(OrganizerStatus::Suspended);
    let resume = seat == Seat::Active && suspended_now;
    let suspend = matches!(seat, Seat::Suspended { .. }) && !suspended_now;
    let observed_status = shown(observed.status.as_ref().map(OrganizerStatus::as_str));
    if resume {
        fields.push(FieldChange {
            field: "status",
            from: observed_status,
            to: "ACTIVE".into(),
        });
    } else if suspend {
        fields.push(FieldChange {
            field: "status",
            from: observed_status,
            to: "SUSPENDED".into(),
        });
    }

    let put = (field_drift || resume).then(|| OrganizerUpdate {
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
        // A resume is a full PUT with ACTIVE; otherwise restate the observed status, known or
        // not, so the PUT changes nothing but the fields.
        status: if resume {
            Some(OrganizerStatus::Active)
        } else {
            observed.status.clone()
        },
        extra: observed.extra.clone(),
    });
    Changes {
        fields,
        put,
        resume,
        suspend,
        scheduled: matches!(seat, Seat::Suspended { scheduled: true }),
        kept_outside_suspension: seat == Seat::KeepOutsideSuspension && suspended_now,
    }
}

fn shown(value: Option<&str>) -> String {
    value.unwrap_or("(unset)").to_string()
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
}
