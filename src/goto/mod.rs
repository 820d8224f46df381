//! The GoTo Meeting REST client, written to `goto-api.md`, and the seam the controller talks to
//! GoTo through: the [`GoToApi`] trait, in the operator's terms, with this client (the seed's v2)
//! and an in-memory GoTo as its implementations.
//!
//! Layers, bottom up, each importing only layers before it (tests/module_layers.rs checks):
//! `models` (GoTo's wire types), `error` (the errors callers act on), `config` (configuration
//! and the types every layer shares), `endpoint` (which URLs may be used: https, plain http only
//! to loopback), `health` (a cool-off after a timeout, so a silent endpoint costs one timeout,
//! not one per request), `budget` (the OAuth application's paced request budget, shared through
//! a registry), `transport` (one HTTP exchange), `retry` (backoff), `auth` (token cache),
//! `directory` (one account listing serving every email lookup), `seam` (the trait, and what
//! its answers are), `client` (the request pipeline), `paging` (token pagination), `dialect`
//! (which dialect an endpoint speaks), the operations in `organizers` and `meetings`, and the
//! seam's implementations: `v2` (this client), `v1_wire`, `v1_account`, `v1` and `v1_api` (GoTo
//! Meeting REST v1 as GoTo publishes it: its operations, then which answers which question) and `memory` (an in-memory GoTo, for tests without HTTP).
mod auth;
mod budget;
mod client;
mod config;
mod dialect;
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
mod v1;
mod v1_account;
mod v1_api;
mod v1_wire;
mod v2;

pub use budget::{Budgets, drift_reads_per_second};
pub use client::GoToClient;
pub use config::{
    ClientConfig, Credentials, DEFAULT_API_BASE_URL, DEFAULT_TOKEN_URL, DEFAULT_V1_API_BASE_URL,
    Dialect, Observer, RetryPolicy, Unobserved, WriteFence,
};
pub use directory::{DirectoryEntry, DirectorySnapshot};
pub use error::Error;
pub use memory::{Account, Call, MemoryGoTo, Op};
pub use models::*;
pub use seam::{Capabilities, DeleteOutcome, GoToApi};
pub use v1::V1Client;
