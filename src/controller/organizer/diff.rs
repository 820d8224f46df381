//! The field diff: what differs between the spec and the organizer GoTo holds, and the one full
//! PUT (plus suspend or resume) that brings GoTo in line. Pure; `decide` builds on it.
//!
//! Fields the spec leaves unset (`locale`, `timeZone`, `adminRoles`) are not managed: their
//! observed values are carried into the PUT, and so is every field and status value this client
//! does not know, because GoTo's PUT resets whatever it omits.
use std::fmt;

use crate::crd::GoToOrganizerSpec;
use crate::email;
use crate::goto::{Capabilities, Organizer, OrganizerStatus, OrganizerUpdate};

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
    /// Differences the account's API dialect cannot write (GoTo's v1: every field but the
    /// status): never sent, reported as `NotSupportedByApi`.
    pub unsupported: Vec<FieldChange>,
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

    /// What of these changes the account's dialect can write: with `capabilities` lacking
    /// profile updates (v1), every field but `status` moves to [`Changes::unsupported`], and
    /// the PUT is kept only to resume (v1 resumes by re-assigning the product; the fields it
    /// carries are not sent).
    pub fn within(mut self, capabilities: Capabilities) -> Changes {
        if capabilities.profile_updates {
            return self;
        }
        let (status, fields): (Vec<_>, Vec<_>) =
            self.fields.into_iter().partition(|c| c.field == "status");
        self.fields = status;
        self.unsupported = fields;
        if !self.resume {
            self.put = None;
        }
        self
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
    let desired_roles = desired_admin_roles(spec, observed);
    let mut fields = field_changes(spec, observed, &desired_roles);
    let field_drift = !fields.is_empty();
    let suspended_now = observed.status == Some(OrganizerStatus::Suspended);
    let resume = seat == Seat::Active && suspended_now;
    let suspend = matches!(seat, Seat::Suspended { .. }) && !suspended_now;
    let observed_status = shown(observed.status.as_ref().map(OrganizerStatus::as_str));
    if resume || suspend {
        fields.push(FieldChange {
            field: "status",
            from: observed_status,
            to: if resume { "ACTIVE" } else { "SUSPENDED" }.into(),
        });
    }
    let put = (field_drift || resume).then(|| full_put(spec, observed, desired_roles, resume));
    Changes {
        fields,
        put,
        resume,
        suspend,
        scheduled: matches!(seat, Seat::Suspended { scheduled: true }),
        kept_outside_suspension: seat == Seat::KeepOutsideSuspension && suspended_now,
        unsupported: Vec::new(),
    }
}

/// The fields (not the status) where GoTo's organizer differs from the spec.
fn field_changes(
    spec: &GoToOrganizerSpec,
    observed: &Organizer,
    desired_roles: &[String],
) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    let mut change = |field: &'static str, from: String, to: String| {
        fields.push(FieldChange { field, from, to });
    };
    if !email::same(&spec.email, &observed.email) {
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
    if sorted(desired_roles) != sorted(&observed.admin_roles) {
        change(
            "adminRoles",
            format!("{:?}", observed.admin_roles),
            format!("{desired_roles:?}"),
        );
    }
    fields
}

/// The one full PUT that brings GoTo's organizer to the spec (and ACTIVE, for a resume).
fn full_put(
    spec: &GoToOrganizerSpec,
    observed: &Organizer,
    admin_roles: Vec<String>,
    resume: bool,
) -> OrganizerUpdate {
    OrganizerUpdate {
        email: if email::same(&spec.email, &observed.email) {
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
        admin_roles,
        // A resume is a full PUT with ACTIVE; otherwise restate the observed status, known or
        // not, so the PUT changes nothing but the fields.
        status: if resume {
            Some(OrganizerStatus::Active)
        } else {
            observed.status.clone()
        },
        extra: observed.extra.clone(),
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
#[path = "diff_tests.rs"]
mod tests;
