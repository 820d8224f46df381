//! Writing the rows: CSV or JSON, to stdout or atomically to a file.
//!
//! A file is written to a temporary file in the target's own directory and renamed over the
//! target only once every byte is on disk, so a failed or interrupted run never leaves a partial
//! report that looks complete (and never clobbers a previous good one).
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::rows::{AttendanceRow, COLUMNS};
use crate::cli::ReportFormat;

/// Writes `rows` (already sorted) in `format`.
///
/// CSV always starts with the header, even with no rows; JSON is an array of objects, one per
/// row, with the CSV's column names as keys.
pub fn write_rows(
    format: ReportFormat,
    rows: &[AttendanceRow],
    out: impl Write,
) -> crate::Result<()> {
    match format {
        ReportFormat::Csv => write_csv(rows, out),
        ReportFormat::Json => write_json(rows, out),
    }
}

fn write_csv(rows: &[AttendanceRow], out: impl Write) -> crate::Result<()> {
    // The header is written by hand: serde only derives it from a first row.
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    writer.write_record(COLUMNS).map_err(csv_error)?;
    for row in rows {
        writer.serialize(row).map_err(csv_error)?;
    }
    writer
        .flush()
        .map_err(|e| crate::Error::io("writing the report", e))
}

fn write_json(rows: &[AttendanceRow], mut out: impl Write) -> crate::Result<()> {
    serde_json::to_writer_pretty(&mut out, rows)
        .map_err(|e| crate::Error::io("writing the report", io::Error::other(e.to_string())))?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(|e| crate::Error::io("writing the report", e))
}

fn csv_error(error: csv::Error) -> crate::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(e) => crate::Error::io("writing the report", e),
        other => crate::Error::io("writing the report", io::Error::other(format!("{other:?}"))),
    }
}

/// Where the report goes: stdout, or a temporary file that becomes `--output` on commit.
pub enum Sink {
    Stdout,
    File {
        temp: BufWriter<NamedTempFile>,
        target: PathBuf,
    },
}

impl Sink {
    /// Opens the destination before any GoTo call, so a bad `--output` fails fast. The
    /// temporary file is removed if the sink is dropped without [`Sink::commit`].
    pub fn open(output: Option<&Path>) -> crate::Result<Self> {
        let Some(target) = output else {
            return Ok(Sink::Stdout);
        };
        let dir = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".goto-report-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| {
                crate::Error::io(format!("cannot write a report in {}", dir.display()), e)
            })?;
        Ok(Sink::File {
            temp: BufWriter::new(temp),
            target: target.to_path_buf(),
        })
    }

    /// Where the rows go; a file is not visible under its name until [`Sink::commit`].
    pub fn writer(&mut self) -> Box<dyn Write + '_> {
        match self {
            Sink::Stdout => Box::new(BufWriter::new(io::stdout().lock())),
            Sink::File { temp, .. } => Box::new(temp),
        }
    }

    /// Makes the report visible: syncs the temporary file and renames it over the target.
    pub fn commit(self) -> crate::Result<()> {
        let Sink::File { temp, target } = self else {
            return Ok(());
        };
        let context = || format!("writing {}", target.display());
        let temp = temp
            .into_inner()
            .map_err(|e| crate::Error::io(context(), e.into_error()))?;
        temp.as_file()
            .sync_all()
            .map_err(|e| crate::Error::io(context(), e))?;
        temp.persist(&target)
            .map_err(|e| crate::Error::io(context(), e.error))?;
        Ok(())
    }

    /// The name the report is written under, for the closing line.
    pub fn describe(&self) -> String {
        match self {
            Sink::Stdout => "stdout".to_owned(),
            Sink::File { target, .. } => target.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rows::AttendanceRow;

    fn row() -> AttendanceRow {
        AttendanceRow {
            organizer_key: "18446744073709551617".into(),
            organizer_email: "ada@example.com".into(),
            meeting_id: "18446744073709551618".into(),
            meeting_instance_key: "340282366920938463463374607431768211457".into(),
            subject: "Budget, \"Q1\"".into(),
            start_time: Some("2026-01-05T10:00:00Z".parse().unwrap()),
            end_time: Some("2026-01-05T11:00:00Z".parse().unwrap()),
            attendee_email: "bob@example.com".into(),
            attendee_name: None,
            join_time: Some("2026-01-05T10:02:00Z".parse().unwrap()),
            leave_time: None,
            duration_seconds: None,
        }
    }

    fn render(format: ReportFormat, rows: &[AttendanceRow]) -> String {
        let mut out = Vec::new();
        write_rows(format, rows, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_has_the_header_even_when_empty() {
        assert_eq!(
            render(ReportFormat::Csv, &[]),
            "organizerKey,organizerEmail,meetingId,meetingInstanceKey,subject,startTime,endTime,attendeeEmail,attendeeName,joinTime,leaveTime,durationSeconds\n"
        );
    }

    #[test]
    fn csv_rows_quote_and_leave_unknowns_empty() {
        let text = render(ReportFormat::Csv, &[row()]);
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "18446744073709551617,ada@example.com,18446744073709551618,340282366920938463463374607431768211457,\"Budget, \"\"Q1\"\"\",2026-01-05T10:00:00Z,2026-01-05T11:00:00Z,bob@example.com,,2026-01-05T10:02:00Z,,"
        );
    }

    #[test]
    fn json_keeps_keys_as_strings_and_unknowns_null() {
        let mut with_duration = row();
        with_duration.duration_seconds = Some(60);
        let value: serde_json::Value =
            serde_json::from_str(&render(ReportFormat::Json, &[row(), with_duration])).unwrap();
        assert_eq!(
            value[0]["meetingInstanceKey"],
            "340282366920938463463374607431768211457"
        );
        assert_eq!(value[0]["organizerKey"], "18446744073709551617");
        assert_eq!(value[0]["durationSeconds"], serde_json::Value::Null);
        assert_eq!(value[0]["attendeeName"], serde_json::Value::Null);
        assert_eq!(value[1]["durationSeconds"], 60);
        assert_eq!(value[0]["startTime"], "2026-01-05T10:00:00Z");
        assert_eq!(render(ReportFormat::Json, &[]), "[]\n");
    }

    #[test]
    fn a_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.csv");
        let mut sink = Sink::open(Some(&target)).unwrap();
        write_rows(ReportFormat::Csv, &[row()], sink.writer()).unwrap();
        assert!(!target.exists());
        sink.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 2);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_dropped_sink_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.csv");
        let mut sink = Sink::open(Some(&target)).unwrap();
        write_rows(ReportFormat::Csv, &[row()], sink.writer()).unwrap();
        drop(sink);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_missing_directory_fails_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("no/such/dir/report.csv");
        let error = Sink::open(Some(&target)).err().unwrap().to_string();
        assert!(error.starts_with("cannot write a report in "), "{error}");
    }
}
