//! goto-operator: manages GoTo Meeting organizer seats declaratively from Kubernetes.
//!
//! The crate is a library plus one binary. Each concern lives in one module:
//! the CRD types (`crd`), the GoTo REST client (`goto`), the GoTo API simulator
//! (`simulator`), the controllers (`controller`), the attendance report (`report`), the
//! account import (`export`), the `plan` preview (`preview`), push notifications (`webhook`),
//! one way to compare emails (`email`), and the operational plumbing (`http`, `metrics`, `probe`, `telemetry`).
#![forbid(unsafe_code)]

pub mod cli;
pub mod controller;
pub mod crd;
pub mod email;
pub mod error;
pub mod export;
pub mod goto;
pub mod http;
pub mod metrics;
pub mod preview;
pub mod probe;
pub mod report;
pub mod simulator;
pub mod sync;
pub mod telemetry;
pub mod text;
pub mod webhook;

pub use error::{Error, Result};
