//! Reports built from the GoTo API: the compliance attendance report
//! (`goto-operator report attendance`, see docs/report.md).
//!
//! The pieces: `range` (the `--from`/`--to` range), `select` (which organizers), `client` (the
//! GoTo read, in either dialect), `collect` (sessions and attendees, through that client), `rows` (one CSV/JSON row and its order),
//! `output` (CSV/JSON, atomic files), `account` (which account and credentials), `progress`
//! (stderr). [`run_report`] is the whole report against any client, so tests run it in-process;
//! [`attendance`] is the command-line wrapper around it.
mod account;
mod client;
mod collect;
mod output;
mod progress;
mod range;
mod rows;
mod select;

pub use account::{AccountSource, CLIENT_ID_ENV, CLIENT_SECRET_ENV};
pub use client::ReportClient;
pub use collect::{
    DEFAULT_ATTENDEE_CONCURRENCY, ReportRequest, ReportSummary, collect, run_report,
};
pub use output::{Sink, write_rows};
pub use progress::{NoProgress, Progress, ProgressEvent, StderrProgress};
pub use range::DateRange;
pub use rows::{AttendanceRow, COLUMNS, OrganizerRef};
pub use select::OrganizerSelection;

use crate::cli::AttendanceArgs;

/// `goto-operator report attendance`: checks every flag, opens the output, builds the account's
/// client, runs the report, and only then makes the output file visible.
pub async fn attendance(args: AttendanceArgs) -> crate::Result<()> {
    let request = ReportRequest::new(
        DateRange::parse(&args.from, &args.to)?,
        args.format,
        OrganizerSelection::new(args.emails.clone(), args.organizer_keys.clone())?,
    );
    let source = AccountSource::from_args(&args)?;
    let progress = StderrProgress::new();
    if matches!(source, AccountSource::Kubernetes { .. }) && account::endpoint_flags_given(&args) {
        progress.event(ProgressEvent::Warning(
            "--api-base-url and --token-url are ignored with --account (the GoToAccount names its endpoints)",
        ));
    }
    let mut sink = Sink::open(args.output.as_deref())?;
    let client = source.client(|var| std::env::var(var).ok()).await?;
    // Ctrl-C drops the sink, which removes the temporary file: no partial report is left.
    let summary = tokio::select! {
        result = run_report(client, &request, sink.writer(), &progress) => result?,
        Ok(()) = tokio::signal::ctrl_c() => {
            return Err(crate::Error::Invalid("interrupted; no report was written".into()));
        }
    };
    let destination = sink.describe();
    sink.commit()?;
    progress.finish(&format!(
        "report: {} row(s) from {} session(s) of {} organizer(s) written to {destination}{}",
        summary.rows,
        summary.sessions,
        summary.organizers,
        match summary.skipped_sessions {
            0 => String::new(),
            n => format!("; {n} session(s) skipped, see warnings"),
        }
    ));
    Ok(())
}
