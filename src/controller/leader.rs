//! Leader election on a coordination.k8s.io Lease, so that two replicas never both write to GoTo.
//!
//! Holding the Lease is not enough: a leader cut off from the API server cannot renew it, a
//! standby takes over once it expires, and every in-flight reconcile of the old leader would go on
//! writing to GoTo (re-creating a seat the new leader just offboarded). So the holder reads its
//! Lease back every second and keeps a [`Fence`]: open while the last renewal it can see is less
//! than [`RENEW_DEADLINE`] old, closed for good as soon as it is older, the Lease names another
//! holder, or the lease library reports the loss. Every GoTo write checks the fence right before
//! it is sent; `run()` exits non-zero when it closes, and the pod restarts as a standby.
//!
//! The deadline is measured from the renewal time written in the Lease by this process (its own
//! clock), never from when the library notices a failure: the library keeps believing it leads
//! while the API server is unreachable.
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::coordination::v1::Lease as LeaseObject;
use kube::{Api, Client};
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder, LeaseParams};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::metrics::Metrics;

/// Seconds a lease is valid without renewal; a standby takes over this long after a crash.
const LEASE_SECONDS: u64 = 15;
/// Seconds before expiry at which the holder renews: every 5 s, so one or two failed renewals
/// still leave time before the deadline.
const GRACE_SECONDS: u64 = 10;
/// Writes stop when the last renewal is this old: 5 s before any standby may take over.
pub const RENEW_DEADLINE: Duration = Duration::from_secs(10);
/// How often the holder reads its Lease back.
const CHECK_PERIOD: Duration = Duration::from_secs(1);

/// Whether this process may still write to GoTo. Cheap to clone and to check; once closed it
/// never opens again (the process exits and restarts as a standby).
///
/// Besides the closed flag, the fence carries the deadline of the last renewal it was told of,
/// on the monotonic clock, and checks it at every write: a guard task that is starved or stuck
/// cannot keep writes going past it (issue 21: a boolean a task flips is only as timely as
/// the task).
#[derive(Clone)]
pub struct Fence {
    open: Arc<watch::Sender<bool>>,
    /// Writes stop at this instant unless a renewal moves it; `None`: no deadline (no election).
    deadline: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl Fence {
    /// An open fence without a deadline (nothing can depose this process).
    pub fn open() -> Self {
        Self {
            open: Arc::new(watch::Sender::new(true)),
            deadline: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// An open fence whose writes stop at `deadline` unless [`Fence::extend`] moves it.
    pub fn until(deadline: Instant) -> Self {
        let fence = Self::open();
        fence.extend(deadline);
        fence
    }

    /// Moves the deadline (a renewal was seen); never reopens a closed fence.
    pub fn extend(&self, deadline: Instant) {
        *crate::sync::lock(&self.deadline) = Some(deadline);
    }

    /// True while writes are allowed: not closed, and the deadline not passed.
    pub fn is_open(&self) -> bool {
        let within =
            crate::sync::lock(&self.deadline).is_none_or(|deadline| Instant::now() < deadline);
        *self.open.borrow() && within
    }

    /// Stops every write from now on.
    pub fn close(&self, why: &str) {
        // Logged before closing: `run()` exits the process the moment the fence closes, which
        // could otherwise cut this line off.
        if *self.open.borrow() {
            tracing::error!(
                why,
                "leadership can no longer be proven: GoTo writes stopped"
            );
        }
        self.open.send_replace(false);
    }

    /// Resolves once the fence is closed.
    pub async fn closed(&self) {
        let mut rx = self.open.subscribe();
        // The sender lives in `self`, so waiting cannot fail while we wait.
        let _ = rx.wait_for(|open| !open).await;
    }

    /// The check the GoTo client runs before each write.
    pub fn as_write_fence(&self) -> crate::goto::WriteFence {
        let fence = self.clone();
        Arc::new(move || fence.is_open())
    }
}

/// A held lease.
pub struct Lease {
    leader: watch::Receiver<bool>,
    task: JoinHandle<kube_lease_manager::Result<LeaseManager>>,
    fence: Fence,
    guard: Guard,
}

impl Lease {
    /// The fence that closes when leadership can no longer be proven.
    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// Resolves when leadership is lost or can no longer be proven; the fence is closed by then.
    pub async fn lost(&mut self) {
        let leader = &mut self.leader;
        let reported = async {
            loop {
                if leader.changed().await.is_err() || !*leader.borrow() {
                    return;
                }
            }
        };
        tokio::select! {
            () = self.fence.closed() => {}
            () = reported => self.fence.close("the lease library reports the lease lost"),
        }
        tracing::warn!("leader lease lost");
    }

    /// Gives the lease up on a clean shutdown, so a standby takes over at once instead of
    /// waiting for it to expire. Writes stop first: the next leader may start the moment the
    /// Lease is released.
    pub async fn release(self) {
        drop(self.guard);
        self.fence.close("releasing the lease on shutdown");
        drop(self.leader); // closing the channel makes the manager release the Lease and stop
        match tokio::time::timeout(Duration::from_secs(5), self.task).await {
            Ok(Ok(Ok(_))) => tracing::info!("released the leader lease"),
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "could not release the leader lease"),
            Ok(Err(_)) | Err(_) => tracing::warn!("the leader lease was not released in time"),
        }
    }
}

/// The guard task, stopped with the [`Lease`] that owns it.
struct Guard(JoinHandle<()>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.abort();
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
    let manager = LeaseManagerBuilder::new(client.clone(), name)
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
    // Acquisition has just written a renewal.
    let fence = Fence::until(Instant::now() + RENEW_DEADLINE);
    let leases: Api<LeaseObject> = Api::namespaced(client, namespace);
    let (lease_name, me) = (name.to_string(), identity.to_string());
    let read = move || {
        let (leases, lease_name) = (leases.clone(), lease_name.clone());
        async move {
            let lease = leases
                .get_opt(&lease_name)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Record::of(lease.as_ref()))
        }
    };
    let guard = Guard(tokio::spawn(guard(fence.clone(), me, read)));
    Ok(Lease {
        leader,
        task,
        fence,
        guard,
    })
}

/// What the holder needs from its Lease object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `spec.holderIdentity`; `None` when the Lease is gone or released.
    pub holder: Option<String>,
    /// `spec.renewTime`.
    pub renewed: Option<SystemTime>,
}

impl Record {
    fn of(lease: Option<&LeaseObject>) -> Self {
        let spec = lease.and_then(|l| l.spec.as_ref());
        Record {
            holder: spec.and_then(|s| s.holder_identity.clone()),
            renewed: spec
                .and_then(|s| s.renew_time.as_ref())
                .map(|t| SystemTime::from(t.0)),
        }
    }
}

/// What one read of the Lease says about our leadership.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reading {
    /// We hold it, last renewed at this instant.
    RenewedAt(Instant),
    /// We hold it but it shows no renewal time: nothing learned.
    Unknown,
    /// Someone else holds it (or nobody): we lost it.
    Lost(Option<String>),
}

/// Interprets a read of the Lease at `now` (monotonic) / `wall` (the same moment on the clock
/// that wrote `renewTime`). A renewal time in the future counts as now.
fn read_lease(record: &Record, identity: &str, now: Instant, wall: SystemTime) -> Reading {
    if record.holder.as_deref() != Some(identity) {
        return Reading::Lost(record.holder.clone());
    }
    match record.renewed {
        Some(at) => {
            let age = wall.duration_since(at).unwrap_or(Duration::ZERO);
            Reading::RenewedAt(now.checked_sub(age).unwrap_or(now))
        }
        None => Reading::Unknown,
    }
}

/// Keeps `fence` open only while our last renewal is less than [`RENEW_DEADLINE`] old; closes it
/// and returns otherwise. `read` reads the Lease; a failed read teaches nothing, so with the API
/// server unreachable the deadline simply runs out.
async fn guard<R, F>(fence: Fence, identity: String, mut read: R)
where
    R: FnMut() -> F,
    F: Future<Output = Result<Record, String>>,
{
    // Acquisition has just written a renewal.
    let mut renewed = Instant::now();
    loop {
        let deadline = renewed + RENEW_DEADLINE;
        let reading = tokio::select! {
            biased;
            () = tokio::time::sleep_until(deadline) => {
                fence.close(&format!(
                    "the lease was not renewed for {}s (deadline {}s)",
                    renewed.elapsed().as_secs(),
                    RENEW_DEADLINE.as_secs()
                ));
                return;
            }
            result = tokio::time::timeout(CHECK_PERIOD, read()) => result,
        };
        match reading {
            Ok(Ok(record)) => {
                match read_lease(&record, &identity, Instant::now(), SystemTime::now()) {
                    Reading::RenewedAt(at) => {
                        renewed = at;
                        fence.extend(at + RENEW_DEADLINE);
                    }
                    Reading::Unknown => {}
                    Reading::Lost(holder) => {
                        fence.close(&format!(
                            "the lease is now held by {}",
                            holder.as_deref().unwrap_or("nobody")
                        ));
                        return;
                    }
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "could not read the leader lease"),
            Err(_) => tracing::warn!("reading the leader lease timed out"),
        }
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(renewed + RENEW_DEADLINE) => {}
            () = tokio::time::sleep(CHECK_PERIOD) => {}
        }
    }
}

#[cfg(test)]
#[path = "leader_tests.rs"]
mod tests;
