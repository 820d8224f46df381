//! Reports built from the GoTo API. Filled in by the report issue.
use crate::cli::AttendanceArgs;

/// `goto-operator report attendance`.
pub async fn attendance(_args: AttendanceArgs) -> crate::Result<()> {
    Err(crate::Error::Invalid(
        "the attendance report is not built yet".into(),
    ))
}
