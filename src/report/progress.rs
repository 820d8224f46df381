//! Progress on stderr: a bar when a person is watching, short plain lines when stderr is a log
//! or a pipe. stdout carries only the report, so `report attendance > file.csv` stays clean.
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use super::rows::OrganizerRef;

/// What the report is doing, as it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressEvent<'a> {
    /// The organizers to report on are known.
    Organizers { count: usize },
    /// One organizer's sessions in the range are listed (`index` counts from 1).
    Organizer {
        index: usize,
        count: usize,
        organizer: &'a OrganizerRef,
        sessions: usize,
    },
    /// One session's attendees are read.
    SessionDone,
    /// Something was skipped; the report goes on.
    Warning(&'a str),
}

/// Receives progress events. `Sync` because the report reads attendee lists concurrently.
pub trait Progress: Sync {
    fn event(&self, event: ProgressEvent<'_>);
}

/// Ignores progress (library callers that want none).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _event: ProgressEvent<'_>) {}
}

/// Progress for the command line.
#[derive(Debug)]
pub struct StderrProgress {
    /// `Some` when stderr is a terminal.
    bar: Option<ProgressBar>,
}

impl StderrProgress {
    /// A bar if stderr is a terminal, else plain lines.
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            ProgressBar::new(0).with_style(style)
        });
        Self { bar }
    }

    /// Removes the bar and prints the closing line.
    pub fn finish(&self, line: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{line}");
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

impl Default for StderrProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for StderrProgress {
    fn event(&self, event: ProgressEvent<'_>) {
        match (event, &self.bar) {
            (ProgressEvent::Organizers { count }, Some(bar)) => bar.set_length(count as u64),
            (ProgressEvent::Organizers { count }, None) => {
                eprintln!("report: {count} organizer(s) selected");
            }
            (
                ProgressEvent::Organizer {
                    organizer,
                    sessions,
                    ..
                },
                Some(bar),
            ) => {
                bar.inc_length(sessions as u64);
                bar.inc(1);
                bar.set_message(organizer.email.clone());
            }
            (
                ProgressEvent::Organizer {
                    index,
                    count,
                    organizer,
                    sessions,
                },
                None,
            ) => eprintln!(
                "report: organizer {index}/{count} {} ({}): {sessions} session(s)",
                organizer.email, organizer.key
            ),
            (ProgressEvent::SessionDone, Some(bar)) => bar.inc(1),
            (ProgressEvent::SessionDone, None) => {}
            (ProgressEvent::Warning(text), _) => self.line(&format!("warning: {text}")),
        }
    }
}
