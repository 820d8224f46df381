//! The GoTo API simulator. Filled in by its issue.
use crate::cli::SimulateArgs;

/// `goto-operator simulate`: serves the simulator until Ctrl-C.
pub async fn serve(_args: SimulateArgs) -> crate::Result<()> {
    Err(crate::Error::Invalid(
        "the simulator is not built yet".into(),
    ))
}
