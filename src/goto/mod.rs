//! The GoTo Meeting REST client, written to `goto-api.md`.
//!
//! Layers, bottom up: `transport` (one HTTP exchange), `auth` (token cache), `budget`
//! (the OAuth application's paced request budget), `retry` (backoff), `client` (the pipeline
//! and configuration), `paging` (token pagination), `directory` (one account listing serving
//! every email lookup), and the operations in `organizers` and `meetings`.
//! `models` holds GoTo's wire types; `error` the errors callers act on.
mod auth;
mod budget;
mod client;
mod directory;
mod error;
mod meetings;
pub mod models;
mod organizers;
mod paging;
mod retry;
mod transport;

pub use budget::Budgets;
pub use client::{ClientConfig, Credentials, DeleteOutcome, GoToClient, Observer, RetryPolicy};
pub use directory::{DirectoryEntry, DirectorySnapshot};
pub use error::Error;
pub use models::*;

/// Default REST base URL of the GoTo Meeting API v2.
pub const DEFAULT_API_BASE_URL: &str = "https://api.getgo.com/G2M/rest/v2";
/// Default OAuth token URL: the unified LogMeIn/GoTo issuer.
pub const DEFAULT_TOKEN_URL: &str = "https://authentication.logmeininc.com/oauth/token";
