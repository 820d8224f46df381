//! Kubernetes Events with bounded memory.
//!
//! kube-runtime's [`Recorder`] folds a repeated Event into one series, and to do so it caches
//! every Event it published; the cache is pruned (of entries older than six minutes) only when
//! the next Event is published. After a mass import, 5,000 organizers' Events stayed cached for
//! as long as nothing new happened: about 13 MiB of a steady-state operator that does nothing.
//! [`Events`] hands out a fresh recorder after [`MAX_PER_RECORDER`] Events or
//! [`RECORDER_TTL`], whichever comes first, so the cache holds at most that many. The price: an
//! Event repeating across such a boundary starts a new series instead of extending the old one.
use std::sync::Mutex;
use std::time::Duration;

use kube::Client;
use kube::runtime::events::{Recorder, Reporter};
use tokio::time::Instant;

/// The most Events one recorder publishes (and so caches) before a fresh one takes over. Each
/// cached Event costs about 3.3 KiB (heaptrack, during an import of 5,000 organizers): 1,000
/// made 3.3 MiB of the import's peak; 250 keep it under 1 MiB, and the operator's own Events
/// rarely repeat (one per transition), so a series seldom spans more.
pub const MAX_PER_RECORDER: u32 = 250;

/// How long one recorder serves: kube-runtime folds repeats within six minutes.
pub const RECORDER_TTL: Duration = Duration::from_secs(6 * 60);

/// Hands out the recorder to publish the next Event with.
pub struct Events {
    kube: Client,
    reporter: Reporter,
    current: Mutex<Current>,
}

struct Current {
    recorder: Recorder,
    published: u32,
    since: Instant,
}

impl Events {
    /// Events reported as `reporter`.
    pub fn new(kube: Client, reporter: Reporter) -> Self {
        let current = Mutex::new(Current {
            recorder: Recorder::new(kube.clone(), reporter.clone()),
            published: 0,
            since: Instant::now(),
        });
        Events {
            kube,
            reporter,
            current,
        }
    }

    /// The recorder for one more Event.
    pub fn recorder(&self) -> Recorder {
        let mut current = crate::sync::lock(&self.current);
        if rotate(current.published, current.since.elapsed()) {
            current.recorder = Recorder::new(self.kube.clone(), self.reporter.clone());
            current.published = 0;
            current.since = Instant::now();
        }
        current.published = current.published.saturating_add(1);
        current.recorder.clone()
    }
}

/// Whether a recorder that published `published` Events over `age` must hand over.
fn rotate(published: u32, age: Duration) -> bool {
    published >= MAX_PER_RECORDER || age >= RECORDER_TTL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorder_hands_over_after_its_count_or_its_age() {
        assert!(!rotate(0, Duration::ZERO));
        assert!(!rotate(
            MAX_PER_RECORDER - 1,
            RECORDER_TTL - Duration::from_secs(1)
        ));
        assert!(rotate(MAX_PER_RECORDER, Duration::ZERO));
        assert!(rotate(1, RECORDER_TTL));
    }
}
