//! Which applied objects are worth a reconcile: those whose trigger hash
//! ([`organizer_trigger`](super::triggers::organizer_trigger),
//! [`account_trigger`](super::triggers::account_trigger)) differs from the last one seen for the
//! same object, so that a status write never triggers another reconcile.
//!
//! kube-runtime's `predicate_filter` does this keyed by a copy of each object's name, namespace
//! and uid: about 240 bytes an organizer, 4.7 MiB at 20,000 (measured with heaptrack,
//! docs/benchmarks.md). [`Seen`] keys each object by a 64-bit digest of the same three, 16 bytes
//! an object, and forgets an object when its watch reports it deleted (kube-runtime's evicts an
//! entry only after an hour without events).
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt, TryStreamExt};
use kube::Resource;
use kube::runtime::watcher;

/// The last trigger hash seen per object; shared by the watch that forgets deleted objects and
/// the filter.
#[derive(Clone, Default)]
pub struct Seen {
    hashes: Arc<Mutex<HashMap<u64, u64>>>,
}

/// An object as the filter keys it: namespace, name and uid (a re-created object is another).
/// Two objects with one digest (a chance of about 2^-64 per pair) would share an entry: one's
/// change could then be taken for the other's, costing a reconcile or, at worst, suppressing
/// one until the object's next change or resync.
fn identity<K: Resource>(obj: &K) -> u64 {
    let meta = obj.meta();
    let mut h = DefaultHasher::new();
    (&meta.namespace, &meta.name, &meta.uid).hash(&mut h);
    h.finish()
}

impl Seen {
    /// Whether `obj`, whose trigger hash is `hash`, is new or changed since last seen; records
    /// it. An object without a hash always counts as changed.
    pub fn changed<K: Resource>(&self, obj: &K, hash: Option<u64>) -> bool {
        let Some(hash) = hash else {
            return true;
        };
        let mut hashes = self.lock();
        hashes.insert(identity(obj), hash) != Some(hash)
    }

    /// Forgets a deleted object.
    pub fn forget<K: Resource>(&self, obj: &K) {
        self.lock().remove(&identity(obj));
    }

    /// Passes a watch's events on, forgetting each object its watch reports deleted.
    pub fn forgetting_deleted<S, K, E>(
        &self,
        events: S,
    ) -> impl Stream<Item = Result<watcher::Event<K>, E>> + Send + use<S, K, E>
    where
        S: Stream<Item = Result<watcher::Event<K>, E>> + Send,
        K: Resource + Send,
    {
        let seen = self.clone();
        events.inspect(move |event| {
            if let Ok(watcher::Event::Delete(obj)) = event {
                seen.forget(obj);
            }
        })
    }

    /// The applied objects of `stream` that [`changed`](Self::changed) lets through.
    pub fn filter<S, K, E>(
        &self,
        stream: S,
        trigger: fn(&K) -> Option<u64>,
    ) -> impl Stream<Item = Result<K, E>> + Send + use<S, K, E>
    where
        S: Stream<Item = Result<K, E>> + Send,
        K: Resource + Send,
    {
        let seen = self.clone();
        stream.try_filter(move |obj| futures::future::ready(seen.changed(obj, trigger(obj))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, u64>> {
        crate::sync::lock(&self.hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::triggers::organizer_trigger;
    use crate::crd::GoToOrganizer;
    use futures::StreamExt;

    fn organizer(uid: &str, generation: i64, ready: bool) -> GoToOrganizer {
        let mut o = crate::crd::fixtures::organizer("it", "jane", "acme", "jane@example.com");
        o.metadata.uid = Some(uid.into());
        o.metadata.generation = Some(generation);
        o.status = ready.then(|| crate::crd::GoToOrganizerStatus {
            organizer_key: Some("7".into()),
            ..Default::default()
        });
        o
    }

    async fn passed(seen: &Seen, objects: Vec<GoToOrganizer>) -> Vec<(String, i64)> {
        let stream = futures::stream::iter(objects.into_iter().map(Ok::<_, ()>));
        seen.filter(stream, organizer_trigger)
            .map(|o| {
                let o = o.expect("no error");
                (
                    o.metadata.uid.unwrap_or_default(),
                    o.metadata.generation.unwrap_or(0),
                )
            })
            .collect()
            .await
    }

    #[tokio::test]
    async fn a_status_write_passes_nothing_a_new_generation_passes() {
        let seen = Seen::default();
        let out = passed(
            &seen,
            vec![
                organizer("a", 1, false),
                organizer("a", 1, true),
                organizer("a", 2, true),
                organizer("a", 2, true),
            ],
        )
        .await;
        assert_eq!(out, [("a".to_string(), 1), ("a".to_string(), 2)]);
    }

    #[tokio::test]
    async fn a_recreated_object_and_a_forgotten_one_pass_again() {
        let seen = Seen::default();
        assert_eq!(passed(&seen, vec![organizer("a", 1, true)]).await.len(), 1);
        assert_eq!(
            passed(&seen, vec![organizer("b", 1, true)]).await.len(),
            1,
            "same name, new uid: another object"
        );
        assert!(
            passed(&seen, vec![organizer("a", 1, true)])
                .await
                .is_empty()
        );
        seen.forget(&organizer("a", 1, true));
        assert_eq!(passed(&seen, vec![organizer("a", 1, true)]).await.len(), 1);
        assert_eq!(seen.lock().len(), 2);
    }

    #[tokio::test]
    async fn a_deleted_object_is_forgotten_by_its_watch() {
        let seen = Seen::default();
        assert_eq!(passed(&seen, vec![organizer("a", 1, true)]).await.len(), 1);
        let events = futures::stream::iter([
            Ok::<_, ()>(watcher::Event::Apply(organizer("a", 1, true))),
            Ok(watcher::Event::Delete(organizer("a", 1, true))),
        ]);
        let n = seen.forgetting_deleted(events).count().await;
        assert_eq!(n, 2, "every event passes on");
        assert!(seen.lock().is_empty());
    }
}
