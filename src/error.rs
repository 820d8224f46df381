//! The crate-level error: what a command or a reconcile can fail with.
use thiserror::Error;

/// Everything the operator's top-level code can fail with.
#[derive(Debug, Error)]
pub enum Error {
    /// A call to the Kubernetes API failed.
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// A call to the GoTo API failed.
    #[error("GoTo API: {0}")]
    GoTo(#[from] crate::goto::Error),
    /// Bad input from a user: a flag, a file, a field.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing a local file or socket failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
