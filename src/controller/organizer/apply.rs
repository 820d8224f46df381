//! Apply: make GoTo follow the spec (Manage) or report how it differs (Observe).
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;

use super::locate::{self, Found};
use super::{api, audit, current_status, owner_if_duplicate, suspend};
use crate::controller::accounts::Problem;
use crate::controller::context::Context;
use crate::controller::error::{Error, jitter};
use crate::controller::plan::{self, Plan};
use crate::controller::{status, validate};
use crate::crd::conditions;
use crate::crd::{GoToAccount, GoToOrganizer, GoToOrganizerStatus, ManagementPolicy};
use crate::goto::{GoToClient, Organizer, OrganizerStatus};

/// Reconciles a live (not deleting) GoToOrganizer.
pub async fn apply(obj: &GoToOrganizer, ctx: &Context) -> Result<Action, Error> {
    if obj.is_paused() {
        return Err(Error::Paused);
    }
    validate::organizer(obj).map_err(Error::InvalidSpec)?;
    if let Some(owner) = owner_if_duplicate(obj, ctx) {
        return Err(Error::InvalidSpec(format!(
            "{} is already managed by GoToOrganizer {owner} in this namespace; this duplicate writes nothing to GoTo, delete it",
            obj.spec.email
        )));
    }
    let (account, goto) = resolve_account(obj, ctx, false).await?;
    let manage = obj.spec.management_policy == ManagementPolicy::Manage;

    let found = locate::for_apply(obj, &goto, manage, ctx.remembered_key(obj)).await?;
    let mut organizer = found.organizer().clone();
    announce(obj, ctx, &found).await;
    if matches!(
        found,
        Found::Created(_) | Found::Recreated { .. } | Found::Adopted(_)
    ) {
        // Record the key before anything else: a crash from here on resumes from this key.
        record_key(obj, ctx, &account, &organizer).await?;
    }

    let plan = plan::decide(&obj.spec, &organizer);
    let synced = if manage {
        execute(
            obj,
            ctx,
            &goto,
            &plan,
            &mut organizer,
            matches!(found, Found::Existing(_)),
        )
        .await?;
        conditions::synced(true, "GoTo matches the spec", obj.metadata.generation)
    } else if plan.drift.is_empty() {
        conditions::synced(true, "GoTo matches the spec", obj.metadata.generation)
    } else {
        conditions::synced(
            false,
            format!(
                "GoTo differs from the spec in: {} (Observe: not corrected)",
                plan.drift.join(", ")
            ),
            obj.metadata.generation,
        )
    };

    let ready_message = if manage {
        format!(
            "organizer {} is {}",
            organizer.organizer_key,
            state(&organizer)
        )
    } else {
        format!(
            "observing organizer {} (Observe: nothing is written to GoTo)",
            organizer.organizer_key
        )
    };
    let current = current_status(obj);
    let next = GoToOrganizerStatus {
        organizer_key: Some(organizer.organizer_key.to_string()),
        account_key: Some(account_key(&account, &organizer)),
        state: Some(state(&organizer).to_string()),
        max_participants: organizer.max_participants.or(current.max_participants),
        observed_generation: obj.metadata.generation,
        last_synced_at: Some(Time(jiff::Timestamp::now())),
        conditions: conditions::merge(
            &current.conditions,
            vec![
                conditions::ready(ready_message, obj.metadata.generation),
                synced,
            ],
        ),
        meeting_audit: current.meeting_audit.clone(),
    };
    status::write(&api(ctx, obj), obj, obj.status.as_ref(), &next).await?;
    Ok(Action::requeue(jitter(ctx.resync)))
}

/// The account and its client, or the reason the organizer cannot use it.
pub(super) async fn resolve_account(
    obj: &GoToOrganizer,
    ctx: &Context,
    allow_cached: bool,
) -> Result<(GoToAccount, GoToClient), Error> {
    let namespace = obj.namespace().unwrap_or_default();
    let name = &obj.spec.account_ref.name;
    ctx.accounts
        .resolve(&ctx.kube, &namespace, name, allow_cached)
        .await
        .map_err(|p| match p {
            Problem::AccountNotFound(_) => Error::AccountNotFound(name.clone()),
            Problem::Kube(m) => Error::Internal(m),
            other => {
                Error::AccountNotReady(format!("GoToAccount {name:?} cannot be used: {other}"))
            }
        })
}

/// Carries a plan out: one full PUT (which may resume), then a suspend.
async fn execute(
    obj: &GoToOrganizer,
    ctx: &Context,
    goto: &GoToClient,
    plan: &Plan,
    organizer: &mut Organizer,
    existing: bool,
) -> Result<(), Error> {
    let key = organizer.organizer_key.clone();
    if let Some(update) = &plan.update {
        let (action, result) = if plan.resume {
            ("resume", goto.resume_organizer(&key, update).await)
        } else {
            ("update", goto.update_organizer(&key, update).await)
        };
        audit(
            obj,
            key.as_str(),
            action,
            if result.is_ok() { "ok" } else { "error" },
        );
        let response = result?;
        ctx.metrics.goto_write(action);
        // GoTo's PUT response may be partial: what we sent is the new truth.
        organizer.email = update.email.clone();
        organizer.first_name = update.first_name.clone();
        organizer.last_name = update.last_name.clone();
        organizer.locale = update.locale.clone();
        organizer.time_zone = update.time_zone.clone();
        organizer.admin_roles = update.admin_roles.clone();
        organizer.status = update.status.or(organizer.status);
        organizer.max_participants = response.max_participants.or(organizer.max_participants);
        let fields: Vec<&str> = plan
            .drift
            .iter()
            .copied()
            .filter(|f| *f != "status")
            .collect();
        if plan.resume {
            ctx.event(
                obj,
                EventType::Normal,
                "Resumed",
                format!("resumed organizer {key}"),
            )
            .await;
        }
        if !fields.is_empty() {
            let (what, action) = if existing {
                ("corrected", "CorrectDrift")
            } else {
                ("set", "Update")
            };
            let note = format!(
                "{what} {} on organizer {key} with one full PUT",
                fields.join(", ")
            );
            ctx.event_as(obj, EventType::Normal, "Updated", action, note)
                .await;
        }
    }
    if plan.suspend {
        let note = format!("suspended organizer {key}: cannot host, meetings kept");
        suspend(obj, ctx, goto, &key, note).await?;
        organizer.status = Some(OrganizerStatus::Suspended);
    }
    Ok(())
}

/// One Event for how the organizer was found, when that was news.
async fn announce(obj: &GoToOrganizer, ctx: &Context, found: &Found) {
    let (reason, note) = match found {
        Found::Existing(_) => return,
        Found::Adopted(o) => (
            "Adopted",
            format!(
                "adopted existing organizer {} ({})",
                o.organizer_key, o.email
            ),
        ),
        Found::Created(o) => {
            audit(obj, o.organizer_key.as_str(), "create", "ok");
            ctx.metrics.goto_write("create");
            (
                "Created",
                format!("created organizer {} for {}", o.organizer_key, o.email),
            )
        }
        Found::Recreated {
            previous,
            organizer,
        } => {
            audit(obj, organizer.organizer_key.as_str(), "create", "ok");
            ctx.metrics.goto_write("create");
            (
                "Recreated",
                format!(
                    "organizer {previous} was deleted outside the operator; created {} in its place",
                    organizer.organizer_key
                ),
            )
        }
    };
    ctx.event(obj, EventType::Normal, reason, note).await;
}

/// Writes the organizer's key to status at once, so no later failure can lose it.
async fn record_key(
    obj: &GoToOrganizer,
    ctx: &Context,
    account: &GoToAccount,
    o: &Organizer,
) -> Result<(), Error> {
    let current = current_status(obj);
    let next = GoToOrganizerStatus {
        organizer_key: Some(o.organizer_key.to_string()),
        account_key: Some(account_key(account, o)),
        state: Some(state(o).to_string()),
        max_participants: o.max_participants,
        ..current
    };
    ctx.remember_key(obj, o.organizer_key.as_str());
    status::write(&api(ctx, obj), obj, obj.status.as_ref(), &next).await?;
    Ok(())
}

fn account_key(account: &GoToAccount, o: &Organizer) -> String {
    o.account_key
        .as_ref()
        .map_or_else(|| account.spec.account_key.clone(), ToString::to_string)
}

fn state(o: &Organizer) -> &'static str {
    match o.status {
        Some(OrganizerStatus::Suspended) => "SUSPENDED",
        Some(OrganizerStatus::Active) => "ACTIVE",
        _ => "UNKNOWN",
    }
}
