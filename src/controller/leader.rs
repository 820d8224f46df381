//! Leader election on a coordination.k8s.io Lease, so that two replicas never both write to GoTo.
use futures::future::BoxFuture;
use kube::Client;
use kube_lease_manager::{LeaseManagerBuilder, LeaseParams};

use crate::metrics::Metrics;

/// Seconds a lease is valid without renewal; a standby takes over this long after a crash.
const LEASE_SECONDS: u64 = 15;
/// Seconds before expiry at which the holder renews.
const GRACE_SECONDS: u64 = 5;

/// A held lease.
pub struct Lease {
    lost: BoxFuture<'static, ()>,
}

impl Lease {
    /// Resolves when leadership is lost.
    pub async fn lost(self) {
        self.lost.await;
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
                .with_field_manager("goto-operator"),
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
    let lost = async move {
        let _task = task;
        loop {
            if leader.changed().await.is_err() || !*leader.borrow() {
                tracing::warn!("leader lease lost");
                return;
            }
        }
    };
    Ok(Lease {
        lost: Box::pin(lost),
    })
}
