//! The controllers. Filled in by the controller issue.
use crate::cli::RunArgs;

/// Runs the GoToAccount and GoToOrganizer controllers until a shutdown signal.
pub async fn run(_args: RunArgs) -> crate::Result<()> {
    Err(crate::Error::Invalid(
        "the controller is not built yet".into(),
    ))
}
