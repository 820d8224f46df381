//! Leader election on a coordination.k8s.io Lease, so that two replicas never both write to GoTo.
use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder, LeaseParams};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::metrics::Metrics;

/// Seconds a lease is valid without renewal; a standby takes over this long after a crash.
const LEASE_SECONDS: u64 = 15;
/// Seconds before expiry at which the holder renews.
const GRACE_SECONDS: u64 = 5;

/// A held lease.
pub struct Lease {
    leader: watch::Receiver<bool>,
    task: JoinHandle<kube_lease_manager::Result<LeaseManager>>,
}

impl Lease {
    /// Resolves when leadership is lost.
    pub async fn lost(&mut self) {
        loop {
            if self.leader.changed().await.is_err() || !*self.leader.borrow() {
                tracing::warn!("leader lease lost");
                return;
            }
        }
    }

    /// Gives the lease up on a clean shutdown, so a standby takes over at once instead of
    /// waiting for it to expire.
    pub async fn release(self) {
        drop(self.leader); // closing the channel makes the manager release the Lease and stop
        match tokio::time::timeout(Duration::from_secs(5), self.task).await {
            Ok(Ok(Ok(_))) => tracing::info!("released the leader lease"),
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "could not release the leader lease"),
            Ok(Err(_)) | Err(_) => tracing::warn!("the leader lease was not released in time"),
        }
    }
}

/// Waits until this replica holds the lease.
pub async fn acquire(
    client: Client,
    namespace: &str,
    name: &str,
    identity: &str,
    metrics: &Metrics,
) -> crate::Result<Lease> {
    let manager = LeaseManagerBuilder::new(client, name)
        .with_namespace(namespace)
        .with_parameters(
            LeaseParams::new(identity, LEASE_SECONDS, GRACE_SECONDS)
                // One field manager per replica: the library detects two replicas locking at
                // once through server-side-apply conflicts, which a shared manager name hides.
                .with_field_manager(format!("goto-operator-{identity}")),
        )
        .build()
        .await
        .map_err(|e| {
            crate::Error::Invalid(format!("leader election on Lease {namespace}/{name}: {e}"))
        })?;
    let (mut leader, task) = manager.watch().await;
    tracing::info!(
        namespace,
        lease = name,
        identity,
        "waiting for the leader lease"
    );
    while !*leader.borrow_and_update() {
        if leader.changed().await.is_err() {
            return Err(crate::Error::Invalid(
                "leader election stopped before acquiring the lease".into(),
            ));
        }
    }
    metrics.set_leader(true);
    tracing::info!(identity, "acquired the leader lease");
    Ok(Lease { leader, task })
}
