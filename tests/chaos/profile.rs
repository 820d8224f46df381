//! How big a chaos run is.
use std::time::Duration;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Profile {
    pub name: &'static str,
    /// Organizers created over the run (about a third are deleted again, half are updated).
    pub organizers: usize,
    /// `kill -9` of the operator.
    pub kills: usize,
    /// kube-apiserver restarts; the last one comes after the window (with no operator kill after
    /// it), so that the last fault is a restart during which objects are deleted and updated.
    pub apiserver_restarts: usize,
    /// Deletes and updates issued while each kube-apiserver restart is under way (half each).
    pub restart_burst: usize,
    /// Organizers that already have a seat in GoTo before their object is applied (adopted by
    /// email); every third of them has an upcoming meeting, so deleting it is blocked.
    pub adopted: usize,
    /// How long faults are injected; the workload runs within it.
    #[serde(with = "secs")]
    pub window: Duration,
    /// Everything must hold this soon after the last fault.
    #[serde(with = "secs")]
    pub converge_within: Duration,
    pub seed: u64,
}

impl Profile {
    /// `GOTO_CHAOS=full`: the soak; otherwise the CI-sized run (well under 5 minutes).
    /// `GOTO_CHAOS_SEED` replays a run's random choices.
    pub fn from_env() -> Self {
        let seed = std::env::var("GOTO_CHAOS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(rand::random);
        match std::env::var("GOTO_CHAOS").as_deref() {
            Ok("full") => Profile {
                name: "full",
                organizers: 300,
                kills: 20,
                apiserver_restarts: 3,
                restart_burst: 8,
                adopted: 60,
                window: Duration::from_secs(160),
                converge_within: Duration::from_secs(120),
                seed,
            },
            _ => Profile {
                name: "ci",
                organizers: 40,
                kills: 6,
                apiserver_restarts: 2,
                restart_burst: 4,
                adopted: 8,
                window: Duration::from_secs(60),
                converge_within: Duration::from_secs(120),
                seed,
            },
        }
    }
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}
