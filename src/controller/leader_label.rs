//! The leader's Pod carries the label `goto-operator.dev/leader: "true"`, so that a Service can
//! route to the leader alone: the chart's webhook Service selects it, because only the leader
//! acts on a push notification (a standby answers 503).
//!
//! One task owns the label of this process's own Pod (`--pod-name`). It is told what the label
//! should be: absent at startup (a container that restarts after losing the Lease may still carry
//! it), present once this replica leads, absent again before it gives the Lease up or exits after
//! losing it. It applies the latest wish with a JSON merge patch, in order, retrying with backoff.
//! A failure (the API server unreachable, no RBAC to patch pods) is logged and retried, never
//! fatal: the label only steers notifications, which senders retry and the resync covers anyway.
//! A leader that dies without removing it needs nothing from us: a Pod whose container is down is
//! not ready, and a Service sends nothing to a Pod that is not ready.
use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The label the leader's Pod carries, with the value [`LEADER_VALUE`].
pub const LEADER_LABEL: &str = "goto-operator.dev/leader";
/// The label's value on the leader's Pod; other Pods do not carry the label at all.
pub const LEADER_VALUE: &str = "true";
/// The field manager of the patch.
const FIELD_MANAGER: &str = "goto-operator";
/// First retry after a failed patch; it doubles up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(30);

/// The JSON merge patch (RFC 7386) that puts the label on a Pod (`leading`) or removes it (a
/// `null` value deletes the key; removing an absent label changes nothing). It names nothing else,
/// so it needs no read first and leaves every other label alone.
pub fn patch(leading: bool) -> Value {
    let value = if leading {
        Value::from(LEADER_VALUE)
    } else {
        Value::Null
    };
    json!({"metadata": {"labels": {LEADER_LABEL: value}}})
}

/// A wish for the label: its sequence number (later wishes win) and whether this replica leads.
type Wish = (u64, bool);

/// The owner of this Pod's leader label; dropping it stops the task.
pub struct PodLabel {
    wanted: watch::Sender<Wish>,
    /// The sequence number of the last wish applied.
    applied: watch::Receiver<u64>,
    task: JoinHandle<()>,
}

impl PodLabel {
    /// Starts with the wish "not leading": the label is removed from Pod `namespace/pod` at once.
    pub fn start(client: Client, namespace: &str, pod: &str) -> Self {
        let pods: Api<Pod> = Api::namespaced(client, namespace);
        let name = pod.to_string();
        let apply = move |leading: bool| {
            let (pods, name) = (pods.clone(), name.clone());
            async move {
                pods.patch(
                    &name,
                    &PatchParams {
                        field_manager: Some(FIELD_MANAGER.into()),
                        ..PatchParams::default()
                    },
                    &Patch::Merge(patch(leading)),
                )
                .await
                .map(drop)
                .map_err(|e| e.to_string())
            }
        };
        Self::with(format!("{namespace}/{pod}"), apply)
    }

    /// Starts the task with `apply` as the patch (a test passes a scripted one).
    fn with<A, F>(pod: String, apply: A) -> Self
    where
        A: FnMut(bool) -> F + Send + 'static,
        F: Future<Output = Result<(), String>> + Send + 'static,
    {
        let (wanted, wishes) = watch::channel((1, false));
        let (done, applied) = watch::channel(0);
        let task = tokio::spawn(keep(pod, wishes, done, apply));
        Self {
            wanted,
            applied,
            task,
        }
    }

    /// Asks for the label (`leading`) or its removal; returns the wish's sequence number.
    pub fn set(&self, leading: bool) -> u64 {
        let mut seq = 0;
        self.wanted.send_modify(|wish| {
            seq = wish.0 + 1;
            *wish = (seq, leading);
        });
        seq
    }

    /// [`PodLabel::set`], then waits up to `within` until it is applied (or a later wish is);
    /// false if it was not in time (the task keeps trying).
    pub async fn settle(&self, leading: bool, within: Duration) -> bool {
        let seq = self.set(leading);
        let mut applied = self.applied.clone();
        matches!(
            tokio::time::timeout(within, applied.wait_for(|done| *done >= seq)).await,
            Ok(Ok(_))
        )
    }
}

impl Drop for PodLabel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Applies the latest wish, in order, until the [`PodLabel`] is dropped: after a failure it
/// retries with backoff, or at once when the wish changes.
async fn keep<A, F>(
    pod: String,
    mut wishes: watch::Receiver<Wish>,
    done: watch::Sender<u64>,
    mut apply: A,
) where
    A: FnMut(bool) -> F,
    F: Future<Output = Result<(), String>>,
{
    let mut retry = FIRST_RETRY;
    loop {
        let (seq, leading) = *wishes.borrow_and_update();
        match apply(leading).await {
            Ok(()) => {
                if leading {
                    tracing::info!(pod, label = LEADER_LABEL, "labelled this pod as the leader");
                } else {
                    tracing::info!(
                        pod,
                        label = LEADER_LABEL,
                        "this pod carries no leader label"
                    );
                }
                done.send_replace(seq);
                retry = FIRST_RETRY;
                if wishes.changed().await.is_err() {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(
                    pod,
                    label = LEADER_LABEL,
                    leading,
                    %error,
                    retry_in_s = retry.as_secs(),
                    "could not update this pod's leader label: the webhook Service may route to the wrong replica (a standby answers 503)"
                );
                tokio::select! {
                    () = tokio::time::sleep(retry) => {}
                    changed = wishes.changed() => {
                        if changed.is_err() {
                            return;
                        }
                    }
                }
                retry = (retry * 2).min(MAX_RETRY);
            }
        }
    }
}

#[cfg(test)]
#[path = "leader_label_tests.rs"]
mod tests;
