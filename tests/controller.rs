//! End-to-end tests of the controllers: the real kube-apiserver (from `make test`), the operator
//! binary as a child process, and the GoTo simulator in-process. GoTo's side is asserted through
//! the simulator's state and request log.
#[path = "argocd/mod.rs"]
mod argocd;
#[path = "common/mod.rs"]
mod common;
#[path = "controller/harness.rs"]
mod harness;
#[path = "operator/mod.rs"]
mod operator;

#[path = "controller/argocd_health.rs"]
mod argocd_health;
#[path = "controller/bad_input.rs"]
mod bad_input;
#[path = "controller/deletion.rs"]
mod deletion;
#[path = "controller/export.rs"]
mod export;
#[path = "controller/fairness.rs"]
mod fairness;
#[path = "controller/hostile_directory.rs"]
mod hostile_directory;
#[path = "controller/isolation.rs"]
mod isolation;
#[path = "controller/leader.rs"]
mod leader;
#[path = "controller/leader_label.rs"]
mod leader_label;
#[path = "controller/lifecycle.rs"]
mod lifecycle;
#[path = "controller/metrics.rs"]
mod metrics;
#[path = "controller/namespace_deletion.rs"]
mod namespace_deletion;
#[path = "controller/plan.rs"]
mod plan;
#[path = "controller/policies.rs"]
mod policies;
#[path = "controller/proxy.rs"]
mod proxy;
#[path = "controller/resilience.rs"]
mod resilience;
#[path = "controller/safety.rs"]
mod safety;
#[path = "controller/scale.rs"]
mod scale;
#[path = "controller/seat_queue.rs"]
mod seat_queue;
#[path = "controller/seats.rs"]
mod seats;
#[path = "controller/v1_resync.rs"]
mod v1_resync;
#[path = "controller/webhook.rs"]
mod webhook;
#[path = "controller/wire.rs"]
mod wire;
