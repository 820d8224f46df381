//! The GoTo Meeting REST client. Filled in by the client issue.

/// Default REST base URL of the GoTo Meeting API v2.
pub const DEFAULT_API_BASE_URL: &str = "https://api.getgo.com/G2M/rest/v2";
/// Default OAuth token URL: the unified LogMeIn/GoTo issuer.
pub const DEFAULT_TOKEN_URL: &str = "https://authentication.logmeininc.com/oauth/token";

/// Errors of the GoTo client (placeholder until the client lands).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not built yet")]
    NotBuilt,
}

impl Error {
    /// A fixed metric label per variant.
    pub fn metric_label(&self) -> &'static str {
        "not_built"
    }
}

pub mod models;
pub use models::*;
