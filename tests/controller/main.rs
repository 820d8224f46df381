//! End-to-end tests of the controllers: the real kube-apiserver (from `make test`), the operator
//! binary as a child process, and the GoTo simulator in-process. GoTo's side is asserted through
//! the simulator's state and request log.
#[path = "../argocd/mod.rs"]
mod argocd;
#[path = "../common/mod.rs"]
mod common;
mod harness;
#[path = "../operator/mod.rs"]
mod operator;

mod argocd_health;
mod bad_input;
mod deletion;
mod export;
mod fairness;
mod hostile_directory;
mod isolation;
mod leader;
mod leader_label;
mod lifecycle;
mod metrics;
mod namespace_deletion;
mod plan;
mod policies;
mod proxy;
mod resilience;
mod safety;
mod scale;
mod seat_queue;
mod seats;
mod v1_resync;
mod webhook;
mod wire;
