//! Cleanup: what deleting a GoToOrganizer does in GoTo. A Delete always audits the upcoming
//! meetings first, because GoTo's DELETE silently cancels every one of them and cannot be undone.
use futures::TryStreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;

use super::apply::resolve_account;
use super::{api, audit, current_status, locate, owner_if_duplicate};
use crate::controller::context::Context;
use crate::controller::error::Error;
use crate::controller::status;
use crate::crd::organizer::AUDIT_LIST_LIMIT;
use crate::crd::{
    AuditedMeeting, DeletionPolicy, GoToOrganizer, ManagementPolicy, MeetingAudit,
    OnUpcomingMeetings,
};
use crate::goto::{
    self, DeleteOutcome, GoToClient, Meeting, MeetingQuery, Organizer, OrganizerStatus,
};

/// Runs the deletion policy. Returning `Ok` lets kube-runtime remove the finalizer; an `Err`
/// (including `DeletionBlocked`) keeps it.
pub async fn cleanup(obj: &GoToOrganizer, ctx: &Context) -> Result<Action, Error> {
    if obj.is_paused() {
        return Err(Error::Paused);
    }
    let key = obj.recorded_organizer_key().unwrap_or_default();
    if let Some(owner) = owner_if_duplicate(obj, ctx) {
        let note =
            format!("duplicate of GoToOrganizer {owner}, which owns the organizer: GoTo untouched");
        ctx.event(obj, EventType::Normal, "Orphaned", note).await;
        return Ok(Action::await_change());
    }
    if obj.spec.management_policy == ManagementPolicy::Observe
        || obj.spec.deletion_policy == DeletionPolicy::Orphan
    {
        let why = if obj.spec.management_policy == ManagementPolicy::Observe {
            "managementPolicy Observe"
        } else {
            "deletionPolicy Orphan"
        };
        ctx.event(
            obj,
            EventType::Normal,
            "Orphaned",
            format!("left organizer {key} untouched in GoTo ({why})"),
        )
        .await;
        return Ok(Action::await_change());
    }
    let (_, goto) = resolve_account(obj, ctx, true).await?;
    let Some(organizer) = locate::for_cleanup(obj, &goto).await? else {
        tracing::info!(email = %obj.spec.email, "no organizer in GoTo: nothing to clean up");
        return Ok(Action::await_change());
    };
    match obj.spec.deletion_policy {
        DeletionPolicy::Suspend => suspend(obj, ctx, &goto, &organizer).await,
        _ => delete(obj, ctx, &goto, &organizer).await,
    }
}

async fn suspend(
    obj: &GoToOrganizer,
    ctx: &Context,
    goto: &GoToClient,
    o: &Organizer,
) -> Result<Action, Error> {
    let key = &o.organizer_key;
    if o.status == Some(OrganizerStatus::Suspended) {
        return Ok(Action::await_change());
    }
    let note =
        format!("suspended organizer {key} (deletionPolicy Suspend): data and meetings kept");
    match super::suspend(obj, ctx, goto, key, note).await {
        Ok(()) | Err(goto::Error::NotFound) => Ok(Action::await_change()),
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    obj: &GoToOrganizer,
    ctx: &Context,
    goto: &GoToClient,
    o: &Organizer,
) -> Result<Action, Error> {
    let key = &o.organizer_key;
    let meetings: Vec<Meeting> = match goto
        .list_meetings(key, MeetingQuery::default())
        .try_collect()
        .await
    {
        Ok(m) => m,
        Err(goto::Error::NotFound) => return Ok(Action::await_change()),
        Err(e) => return Err(e.into()),
    };
    let audit_record = audit_of(&meetings);
    let previous = obj.status.as_ref().and_then(|s| s.meeting_audit.clone());
    let changed = previous.as_ref().is_none_or(|p| {
        p.upcoming_meeting_count != audit_record.upcoming_meeting_count
            || p.upcoming_meetings != audit_record.upcoming_meetings
    });
    let mut next = current_status(obj);
    next.meeting_audit = Some(audit_record.clone());
    status::write(&api(ctx, obj), obj, obj.status.as_ref(), &next).await?;
    if changed {
        let note = format!(
            "organizer {key} has {} upcoming meeting(s){}",
            meetings.len(),
            list_subjects(&audit_record)
        );
        ctx.event(obj, EventType::Normal, "MeetingsAudited", note)
            .await;
    }

    let count = meetings.len();
    if count > 0 && obj.spec.on_upcoming_meetings == OnUpcomingMeetings::Block {
        return Err(Error::DeletionBlocked(format!(
            "organizer {key} still has {count} upcoming meeting(s){}; reassign them, or set onUpcomingMeetings: Cancel to delete anyway (GoTo cancels them without notice)",
            list_subjects(&audit_record)
        )));
    }
    let result = goto.delete_organizer(key).await;
    audit(
        obj,
        key.as_str(),
        "delete",
        if result.is_ok() { "ok" } else { "error" },
    );
    let note = match result? {
        DeleteOutcome::Deleted if count > 0 => {
            format!(
                "deleted organizer {key}; GoTo cancelled its {count} upcoming meeting(s) (onUpcomingMeetings: Cancel)"
            )
        }
        DeleteOutcome::Deleted => format!("deleted organizer {key}; it had no upcoming meetings"),
        DeleteOutcome::AlreadyGone => format!("organizer {key} was already gone from GoTo"),
    };
    ctx.metrics.goto_write("delete");
    ctx.event(obj, EventType::Normal, "Deleted", note).await;
    Ok(Action::await_change())
}

fn audit_of(meetings: &[Meeting]) -> MeetingAudit {
    MeetingAudit {
        audited_at: Time(jiff::Timestamp::now()),
        upcoming_meeting_count: u32::try_from(meetings.len()).unwrap_or(u32::MAX),
        upcoming_meetings: meetings
            .iter()
            .take(AUDIT_LIST_LIMIT)
            .map(|m| AuditedMeeting {
                meeting_id: m.meeting_id.to_string(),
                subject: m.subject.clone(),
                start_time: m.start_time.map(|t| t.to_string()),
            })
            .collect(),
    }
}

fn list_subjects(audit: &MeetingAudit) -> String {
    if audit.upcoming_meetings.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = audit
        .upcoming_meetings
        .iter()
        .take(3)
        .map(|m| match &m.start_time {
            Some(t) => format!("{:?} at {t}", m.subject),
            None => format!("{:?}", m.subject),
        })
        .collect();
    let more = audit.upcoming_meeting_count as usize
        - shown.len().min(audit.upcoming_meeting_count as usize);
    if more > 0 {
        format!(": {} and {more} more", shown.join(", "))
    } else {
        format!(": {}", shown.join(", "))
    }
}
