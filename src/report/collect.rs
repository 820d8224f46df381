//! Collecting the report: organizers → their HISTORY sessions in the range → each session's
//! attendees, read by meetingInstanceKey (never the recurring meetingId, whose attendee list
//! GoTo does not have: it would mix every session of a recurring meeting or 404).
use std::collections::HashSet;
use std::io::Write;

use futures::{StreamExt, TryStreamExt, stream};

use super::client::ReportClient;
use super::output::write_rows;
use super::progress::{Progress, ProgressEvent};
use super::range::DateRange;
use super::rows::{AttendanceRow, OrganizerRef, sort_rows};
use super::select::{self, OrganizerSelection};
use crate::cli::ReportFormat;
use crate::goto::{
    self, GoToClient, Meeting, MeetingInstanceKey, MeetingQuery, OrganizerKey, V1Client,
};

/// Attendee lists read at once by default. The account's request budget still caps the rate;
/// this only hides latency, so a report runs at the budget rather than one round trip at a time.
pub const DEFAULT_ATTENDEE_CONCURRENCY: usize = 4;

/// What to report on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRequest {
    /// Sessions starting within this range.
    pub range: DateRange,
    /// CSV or JSON.
    pub format: ReportFormat,
    /// Which organizers (default: all).
    pub organizers: OrganizerSelection,
    /// Attendee lists read at once (at least 1).
    pub attendee_concurrency: usize,
}

impl ReportRequest {
    /// A request with the default concurrency.
    pub fn new(range: DateRange, format: ReportFormat, organizers: OrganizerSelection) -> Self {
        Self {
            range,
            format,
            organizers,
            attendee_concurrency: DEFAULT_ATTENDEE_CONCURRENCY,
        }
    }
}

/// What a report covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportSummary {
    /// Organizers reported on.
    pub organizers: usize,
    /// Sessions whose attendees were read.
    pub sessions: usize,
    /// Rows written (one per attendee per session).
    pub rows: usize,
    /// Sessions left out with a warning: no meetingInstanceKey, or no attendee list (404).
    pub skipped_sessions: usize,
    /// Sessions GoTo listed that start outside the range (dropped; not an error).
    pub outside_range: usize,
}

/// Runs the report and writes it to `out`. Nothing is written unless every call succeeded, so
/// a failure leaves `out` untouched.
pub async fn run_report(
    client: impl Into<ReportClient>,
    request: &ReportRequest,
    out: impl Write,
    progress: &dyn Progress,
) -> crate::Result<ReportSummary> {
    let (rows, summary) = collect(client, request, progress).await?;
    write_rows(request.format, &rows, out)?;
    Ok(summary)
}

/// What one organizer's part of the report adds.
struct Gathered<'a> {
    request: &'a ReportRequest,
    progress: &'a dyn Progress,
    summary: ReportSummary,
    rows: Vec<AttendanceRow>,
}

/// Reads every row of the report, sorted.
pub async fn collect(
    client: impl Into<ReportClient>,
    request: &ReportRequest,
    progress: &dyn Progress,
) -> crate::Result<(Vec<AttendanceRow>, ReportSummary)> {
    let client = client.into();
    // Fails fast, with a clear error, on bad credentials or an unreachable token endpoint.
    client.api().authenticate().await?;
    let organizers = select::resolve(client.api(), &request.organizers).await?;
    let count = organizers.len();
    progress.event(ProgressEvent::Organizers { count });
    let mut gathered = Gathered {
        request,
        progress,
        summary: ReportSummary {
            organizers: count,
            ..ReportSummary::default()
        },
        rows: Vec::new(),
    };
    for (index, organizer) in organizers.iter().enumerate() {
        let at = (index + 1, count);
        match &client {
            ReportClient::V2(client) => gathered.v2(client, organizer, at).await?,
            ReportClient::V1(client) => gathered.v1(client, organizer, at).await?,
        }
    }
    let Gathered {
        mut rows,
        mut summary,
        ..
    } = gathered;
    sort_rows(&mut rows);
    summary.rows = rows.len();
    Ok((rows, summary))
}

impl Gathered<'_> {
    /// Counts and tells what was picked of one organizer's sessions.
    fn picked(
        &mut self,
        organizer: &OrganizerRef,
        picked: &Picked,
        (index, count): (usize, usize),
    ) {
        for warning in &picked.warnings {
            self.progress.event(ProgressEvent::Warning(warning));
        }
        self.summary.skipped_sessions += picked.skipped;
        self.summary.outside_range += picked.outside_range;
        self.progress.event(ProgressEvent::Organizer {
            index,
            count,
            organizer,
            sessions: picked.sessions.len(),
        });
    }

    /// v2: the organizer's HISTORY sessions, then each session's attendees.
    async fn v2(
        &mut self,
        client: &GoToClient,
        organizer: &OrganizerRef,
        at: (usize, usize),
    ) -> crate::Result<()> {
        let range = &self.request.range;
        let query = MeetingQuery::history(range.start(), range.api_end());
        let listed: Vec<Meeting> = client
            .list_meetings(&OrganizerKey::new(organizer.key.clone()), query)
            .try_collect()
            .await?;
        let picked = pick_sessions(organizer, listed, range);
        self.picked(organizer, &picked, at);
        let progress = self.progress;
        let mut lists = stream::iter(picked.sessions)
            .map(|(session, instance)| async move {
                let attendees = client
                    .list_attendees(&instance)
                    .try_collect::<Vec<_>>()
                    .await;
                progress.event(ProgressEvent::SessionDone);
                (session, instance, attendees)
            })
            .buffered(self.request.attendee_concurrency.max(1));
        while let Some((session, instance, attendees)) = lists.next().await {
            match attendees {
                Ok(attendees) => {
                    self.summary.sessions += 1;
                    self.rows.extend(
                        attendees
                            .into_iter()
                            .map(|a| AttendanceRow::new(organizer, &session, &instance, a)),
                    );
                }
                Err(goto::Error::NotFound) => {
                    self.summary.skipped_sessions += 1;
                    let warning = format!(
                        "organizer {}: GoTo has no attendee list for session {instance} of meeting {} (404); skipped",
                        organizer.email, session.meeting_id
                    );
                    self.progress.event(ProgressEvent::Warning(&warning));
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// v1: every attendee of every session of the organizer in one call, then the same picking
    /// of sessions as v2 (by meetingInstanceKey, within the range). A session nobody attended
    /// is not listed by v1, so it is not counted in `sessions`; the rows are v2's.
    async fn v1(
        &mut self,
        client: &V1Client,
        organizer: &OrganizerRef,
        at: (usize, usize),
    ) -> crate::Result<()> {
        let range = &self.request.range;
        let attended = client
            .organizer_attendees(
                &OrganizerKey::new(organizer.key.clone()),
                range.start(),
                range.api_end(),
            )
            .await?;
        let mut seen = HashSet::new();
        let sessions: Vec<Meeting> = attended
            .iter()
            .map(|(session, _)| session)
            .filter(|s| seen.insert(s.meeting_instance_key.clone()))
            .cloned()
            .collect();
        let picked = pick_sessions(organizer, sessions, range);
        self.picked(organizer, &picked, at);
        let kept: HashSet<&MeetingInstanceKey> = picked.sessions.iter().map(|(_, k)| k).collect();
        for (session, attendee) in attended {
            if let Some(instance) = session
                .meeting_instance_key
                .as_ref()
                .filter(|k| kept.contains(k))
            {
                self.rows
                    .push(AttendanceRow::new(organizer, &session, instance, attendee));
            }
        }
        for _ in &picked.sessions {
            self.progress.event(ProgressEvent::SessionDone);
        }
        self.summary.sessions += picked.sessions.len();
        Ok(())
    }
}

/// The sessions of one organizer worth reading, and what was left out.
#[derive(Debug, Default)]
struct Picked {
    sessions: Vec<(Meeting, MeetingInstanceKey)>,
    warnings: Vec<String>,
    skipped: usize,
    outside_range: usize,
}

/// Keeps the sessions that have a meetingInstanceKey and start in the range, each once.
///
/// GoTo filters by range already; filtering again guards against its (assumed) bound semantics.
/// A session without a start time cannot be checked and is kept, since GoTo listed it for the
/// range; one without a meetingInstanceKey has no attendee list to read and is skipped aloud.
fn pick_sessions(organizer: &OrganizerRef, listed: Vec<Meeting>, range: &DateRange) -> Picked {
    let mut picked = Picked::default();
    let mut seen = HashSet::new();
    for mut session in listed {
        let Some(instance) = session.meeting_instance_key.take() else {
            picked.skipped += 1;
            picked.warnings.push(format!(
                "organizer {}: a session of meeting {} (start {}) has no meetingInstanceKey; skipped",
                organizer.email,
                session.meeting_id,
                session
                    .start_time
                    .map_or_else(|| "unknown".to_owned(), |t| t.to_string())
            ));
            continue;
        };
        if session.start_time.is_some_and(|t| !range.contains(t)) {
            picked.outside_range += 1;
            continue;
        }
        if !seen.insert(instance.clone()) {
            continue;
        }
        if session.start_time.is_none() {
            picked.warnings.push(format!(
                "organizer {}: session {instance} has no startTime; kept as listed by GoTo",
                organizer.email
            ));
        }
        picked.sessions.push((session, instance));
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, instance: Option<&str>, start: Option<&str>) -> Meeting {
        serde_json::from_value(serde_json::json!({
            "meetingId": id,
            "meetingInstanceKey": instance,
            "subject": "s",
            "startTime": start,
        }))
        .unwrap()
    }

    fn organizer() -> OrganizerRef {
        OrganizerRef {
            key: "18446744073709551617".into(),
            email: "ada@example.com".into(),
        }
    }

    #[test]
    fn sessions_are_picked_by_instance_key_within_the_range() {
        let range = DateRange::parse("2026-01-01", "2026-01-31").unwrap();
        let listed = vec![
            session("1", Some("11"), Some("2026-01-05T10:00:00Z")),
            session("1", None, Some("2026-01-06T10:00:00Z")),
            session("1", Some("12"), Some("2026-02-01T00:00:00Z")),
            session("1", Some("13"), Some("2025-12-31T23:59:59Z")),
            session("1", Some("11"), Some("2026-01-05T10:00:00Z")),
            session("2", Some("14"), None),
            session("2", Some("15"), Some("2026-01-31T23:59:59Z")),
        ];
        let picked = pick_sessions(&organizer(), listed, &range);
        let kept: Vec<&str> = picked.sessions.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(kept, ["11", "14", "15"]);
        assert_eq!(picked.skipped, 1);
        assert_eq!(picked.outside_range, 2);
        assert_eq!(picked.warnings.len(), 2);
        assert!(
            picked.warnings[0]
                .contains("meeting 1 (start 2026-01-06T10:00:00Z) has no meetingInstanceKey"),
            "{:?}",
            picked.warnings
        );
        assert!(picked.warnings[1].contains("session 14 has no startTime"));
    }
}
