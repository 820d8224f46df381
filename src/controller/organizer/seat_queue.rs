//! Seat waits: per GoTo account, the GoToOrganizers whose create waits for a paid seat, served
//! oldest first (creation timestamp, then namespace/name).
//!
//! Only the oldest waiter of an account probes GoTo (retries its create), on a short backoff
//! ([`FIRST_PROBE`] doubling to [`LAST_PROBE`]), so a seat freed outside the operator is taken
//! within about 35 s at a cost of one call per account per probe. Every other waiter decides
//! `WaitForSeat` (no GoTo call) and is triggered when its turn comes: when the operator itself
//! frees a seat (a DELETE), the oldest waiter is triggered at once; when the oldest waiter leaves
//! the queue (it got its seat, was deleted, or its spec no longer asks for a create), the next
//! oldest is triggered.
//!
//! The queue lives in this process's memory: after a restart every organizer reconciles, the
//! ones refused a seat join again, and the order (creation time) is the same.
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use futures::channel::mpsc::UnboundedSender;
use jiff::Timestamp;
use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;

use crate::controller::error::Error;
use crate::crd::GoToOrganizer;
use crate::goto;
use crate::sync::lock;

/// The oldest waiter's first probe after a refused create.
pub const FIRST_PROBE: Duration = Duration::from_secs(5);
/// The longest wait between two probes of one account.
pub const LAST_PROBE: Duration = Duration::from_secs(30);

/// One object waiting for a seat; ordered oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Waiter {
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl Waiter {
    /// The waiter an object would be.
    pub fn of(obj: &GoToOrganizer) -> Self {
        Self {
            created: obj.metadata.creation_timestamp.as_ref().map(|t| t.0),
            namespace: obj.namespace().unwrap_or_default(),
            name: obj.name_any(),
        }
    }
}

/// An object's place in its account's seat queue, as `decide` sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeatTurn {
    /// Nobody older waits for a seat in this account: a create may be tried.
    #[default]
    First,
    /// Older objects wait for a seat in this account: wait for them.
    Behind {
        /// 1-based place in the queue (2 = next after the oldest).
        position: usize,
        /// How many wait, this object included.
        waiting: usize,
    },
}

/// What a reconcile's plan and outcome mean for the object's place in the queue (the rule is
/// the organizer pass's `seat_membership`: the queue knows nothing of plans).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// GoTo refused the create for want of a seat, or the object waits its turn: (stay) in.
    Wait,
    /// Unknown yet (a transient failure): keep whatever place it has.
    Keep,
    /// It no longer waits: out, and the next oldest is triggered.
    Leave,
}

/// Whether a failure is GoTo refusing a create for want of a seat, or a wait for one.
pub fn seat_refused(err: &Error) -> bool {
    matches!(
        err,
        Error::GoTo(goto::Error::SeatUnavailable { .. }) | Error::WaitingForSeat(_)
    )
}

#[derive(Default)]
struct Line {
    waiting: BTreeSet<Waiter>,
    /// Probes the current oldest waiter made without getting a seat.
    probes: u32,
}

/// The seat queues of every account, keyed by GoTo account key.
#[derive(Default)]
pub struct SeatQueue {
    lines: Mutex<HashMap<String, Line>>,
    trigger: Mutex<Option<UnboundedSender<ObjectRef<GoToOrganizer>>>>,
}

impl SeatQueue {
    /// Where reconciles of waiting objects are requested (the organizer controller's
    /// `reconcile_on` stream).
    pub fn set_trigger(&self, sender: UnboundedSender<ObjectRef<GoToOrganizer>>) {
        *lock(&self.trigger) = Some(sender);
    }

    /// The turn `waiter` has (or would have, were it to join) in `account`'s queue.
    pub fn turn(&self, account: &str, waiter: &Waiter) -> SeatTurn {
        let lines = lock(&self.lines);
        let Some(line) = lines.get(account) else {
            return SeatTurn::First;
        };
        let older = line.waiting.range(..waiter).count();
        if older == 0 {
            return SeatTurn::First;
        }
        let waiting = line.waiting.len() + usize::from(!line.waiting.contains(waiter));
        SeatTurn::Behind {
            position: older + 1,
            waiting,
        }
    }

    /// `waiter` waits for a seat in `account` (idempotent). It leaves any other account's queue.
    pub fn wait(&self, account: &str, waiter: &Waiter) {
        let mut lines = lock(&self.lines);
        let elsewhere: Vec<String> = lines
            .iter()
            .filter(|(a, l)| a.as_str() != account && l.waiting.contains(waiter))
            .map(|(a, _)| a.clone())
            .collect();
        let mut next = Vec::new();
        for a in elsewhere {
            next.extend(remove(&mut lines, &a, waiter));
        }
        let line = lines.entry(account.to_string()).or_default();
        let was_first = line.waiting.first().cloned();
        line.waiting.insert(waiter.clone());
        if line.waiting.first() != was_first.as_ref() {
            // An older object took the head: it probes afresh.
            line.probes = 0;
        }
        drop(lines);
        self.trigger_all(next);
    }

    /// `waiter` no longer waits; the next oldest of its account is triggered if it was first.
    pub fn leave(&self, waiter: &Waiter) {
        let mut lines = lock(&self.lines);
        let accounts: Vec<String> = lines
            .iter()
            .filter(|(_, l)| l.waiting.contains(waiter))
            .map(|(a, _)| a.clone())
            .collect();
        let mut next = Vec::new();
        for a in accounts {
            next.extend(remove(&mut lines, &a, waiter));
        }
        drop(lines);
        self.trigger_all(next);
    }

    /// The operator freed a seat of `account`: its oldest waiter is triggered at once.
    pub fn seat_freed(&self, account: &str) {
        let head = {
            let mut lines = lock(&self.lines);
            lines.get_mut(account).and_then(|line| {
                line.probes = 0;
                line.waiting.first().cloned()
            })
        };
        self.trigger_all(head);
    }

    /// When a waiting object is looked at again: the oldest waiter of its account on the probe
    /// backoff (each call counts one probe), `None` for the others (they are triggered).
    pub fn requeue(&self, waiter: &Waiter) -> Option<Duration> {
        let mut lines = lock(&self.lines);
        let line = lines
            .values_mut()
            .find(|l| l.waiting.first() == Some(waiter))?;
        let delay = probe_delay(line.probes);
        line.probes = line.probes.saturating_add(1);
        Some(delay)
    }

    fn trigger_all(&self, waiters: impl IntoIterator<Item = Waiter>) {
        let trigger = lock(&self.trigger);
        let Some(sender) = trigger.as_ref() else {
            return;
        };
        for w in waiters {
            tracing::debug!(namespace = %w.namespace, name = %w.name, "seat queue: your turn");
            // A closed channel means the controller is stopping: nothing to trigger.
            let _ = sender.unbounded_send(ObjectRef::new(&w.name).within(&w.namespace));
        }
    }
}

/// Removes `waiter` from `account`'s queue; the new head if the waiter was the head.
fn remove(lines: &mut HashMap<String, Line>, account: &str, waiter: &Waiter) -> Option<Waiter> {
    let line = lines.get_mut(account)?;
    let was_first = line.waiting.first() == Some(waiter);
    line.waiting.remove(waiter);
    let head = line.waiting.first().cloned();
    if head.is_none() {
        lines.remove(account);
        return None;
    }
    if was_first {
        line.probes = 0;
        head
    } else {
        None
    }
}

/// The delay before the `probes`-th probe: 5 s doubling to 30 s.
pub fn probe_delay(probes: u32) -> Duration {
    FIRST_PROBE
        .saturating_mul(1u32 << probes.min(8))
        .min(LAST_PROBE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiter(created: &str, name: &str) -> Waiter {
        Waiter {
            created: Some(created.parse().expect("time")),
            namespace: "ns".into(),
            name: name.into(),
        }
    }

    fn triggered(
        rx: &mut futures::channel::mpsc::UnboundedReceiver<ObjectRef<GoToOrganizer>>,
    ) -> Vec<String> {
        let mut names = Vec::new();
        while let Ok(r) = rx.try_recv() {
            names.push(r.name);
        }
        names
    }

    #[test]
    fn waiters_are_served_oldest_first_then_by_name() {
        let q = SeatQueue::default();
        let late = waiter("2026-01-02T00:00:00Z", "a-late");
        let b = waiter("2026-01-01T00:00:00Z", "b");
        let a = waiter("2026-01-01T00:00:00Z", "a");
        for w in [&late, &b, &a] {
            q.wait("acct", w);
        }
        assert_eq!(q.turn("acct", &a), SeatTurn::First);
        assert_eq!(
            q.turn("acct", &b),
            SeatTurn::Behind {
                position: 2,
                waiting: 3
            }
        );
        assert_eq!(
            q.turn("acct", &late),
            SeatTurn::Behind {
                position: 3,
                waiting: 3
            }
        );
        // A newcomer is placed by age too, without joining yet.
        let newcomer = waiter("2026-01-03T00:00:00Z", "z");
        assert_eq!(
            q.turn("acct", &newcomer),
            SeatTurn::Behind {
                position: 4,
                waiting: 4
            }
        );
        // Another account's queue is its own.
        assert_eq!(q.turn("other", &late), SeatTurn::First);
    }

    #[test]
    fn only_the_oldest_probes_on_a_backoff_of_5_to_30_seconds() {
        let q = SeatQueue::default();
        let a = waiter("2026-01-01T00:00:00Z", "a");
        let b = waiter("2026-01-01T00:00:01Z", "b");
        q.wait("acct", &a);
        q.wait("acct", &b);
        assert_eq!(q.requeue(&b), None);
        let delays: Vec<u64> = (0..5)
            .filter_map(|_| q.requeue(&a))
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(delays, vec![5, 10, 20, 30, 30]);
        // A seat freed by the operator restarts the backoff.
        q.seat_freed("acct");
        assert_eq!(q.requeue(&a), Some(FIRST_PROBE));
    }

    #[test]
    fn a_freed_seat_and_a_leaving_head_trigger_the_next_oldest() {
        let q = SeatQueue::default();
        let (tx, mut rx) = futures::channel::mpsc::unbounded();
        q.set_trigger(tx);
        let a = waiter("2026-01-01T00:00:00Z", "a");
        let b = waiter("2026-01-01T00:00:01Z", "b");
        let c = waiter("2026-01-01T00:00:02Z", "c");
        for w in [&a, &b, &c] {
            q.wait("acct", w);
        }
        q.seat_freed("acct");
        assert_eq!(triggered(&mut rx), vec!["a"]);
        // A waiter behind the head leaving triggers nobody.
        q.leave(&b);
        assert_eq!(triggered(&mut rx), Vec::<String>::new());
        q.leave(&a);
        assert_eq!(triggered(&mut rx), vec!["c"]);
        assert_eq!(q.turn("acct", &c), SeatTurn::First);
        q.leave(&c);
        assert_eq!(triggered(&mut rx), Vec::<String>::new());
        assert!(lock(&q.lines).is_empty());
        // Freeing a seat with nobody waiting triggers nothing.
        q.seat_freed("acct");
        assert!(rx.try_recv().is_err());
    }
}
