//! The GoTo Meeting REST client, written to `goto-api.md`.
//!
//! Layers, bottom up: `config` (configuration and the types every layer shares), `endpoint`
//! (which URLs may be used: https, plain http only to loopback), `health` (a cool-off after a
//! timeout, so a silent endpoint costs one timeout, not one per request), `transport`
//! (one HTTP exchange), `auth` (token cache), `budget` (the OAuth application's paced request
//! budget, shared through a registry), `retry` (backoff), `directory` (one account listing
//! serving every email lookup), `client` (the request pipeline), `paging` (token pagination),
//! and the operations in `organizers` and `meetings`. `models` holds GoTo's wire types;
//! `error` the errors callers act on. Imports point down this list only: no layer imports one
//! above it.
//!
//! On top, the seam the controller talks through: `seam` (the [`GoToApi`] trait, in the
//! operator's terms), `v2` (this client as its implementation) and `memory` (an in-memory GoTo
//! for tests without HTTP).
mod auth;
mod budget;
mod client;
mod config;
mod directory;
mod endpoint;
mod error;
mod health;
mod meetings;
mod memory;
pub mod models;
mod organizers;
mod paging;
mod retry;
mod seam;
mod transport;
mod v2;

pub use budget::Budgets;
pub use client::{DeleteOutcome, GoToClient};
pub use config::{
    ClientConfig, Credentials, DEFAULT_API_BASE_URL, DEFAULT_TOKEN_URL, Observer, RetryPolicy,
    WriteFence,
};
pub use directory::{DirectoryEntry, DirectorySnapshot};
pub use error::Error;
pub use memory::{Account, Call, MemoryGoTo, Op};
pub use models::*;
pub use seam::{Capabilities, GoToApi};
