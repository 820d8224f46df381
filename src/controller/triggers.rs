//! What makes the controllers reconcile an object, and when: a watch event is only turned into a
//! reconcile once the reflector's cache already holds what the event says.
//!
//! kube-runtime's reflector fills its cache from a (re-)listing only at the listing's end
//! (`InitDone`), while `applied_objects()` hands every listed object on at once (`InitApply`).
//! After a watch gap (a kube-apiserver restart, a 410 Gone) the controller therefore used to
//! reconcile the object as the cache still had it from before the gap: an object deleted or
//! edited during the gap was reconciled in its old form, found in sync, and requeued a whole
//! resync period later; the predicate filter had meanwhile recorded the new form, so nothing
//! triggered it again (issue 18: leavers' seats left active for the rest of the period). An object
//! created during the gap was not in the cache at all: kube-runtime dropped its reconcile silently.
//! [`consistent_applies`] holds a listing's objects back until the listing is complete, then
//! hands each on as the cache now has it.
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use futures::{Stream, StreamExt};
use kube::Resource;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;

use crate::crd::conditions::{self, READY};
use crate::crd::{GoToAccount, GoToOrganizer};

/// The applied objects of a reflected watch, each handed on only when `store` (the cache the
/// watch fills) holds it: a watch event at once (the reflector applied it before passing it on),
/// a listing's objects when the listing is done, as the cache then has them. Listed objects are
/// remembered by reference only and cloned one at a time as the controller takes them, so a
/// re-listing of 20,000 organizers costs no second copy of the cache.
pub fn consistent_applies<K, S>(
    events: S,
    store: Store<K>,
) -> impl Stream<Item = Result<K, watcher::Error>> + Send
where
    K: Resource + Clone + Send + Sync + 'static,
    K::DynamicType: Clone + Default + Eq + std::hash::Hash + Send + Sync,
    S: Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send,
{
    events
        .scan(Vec::new(), move |listed, event| {
            let batch = ready_now(listed, event);
            let store = store.clone();
            futures::future::ready(Some(futures::stream::iter(batch.into_iter().filter_map(
                move |ready| match ready {
                    Ready::Object(obj) => Some(Ok(obj)),
                    Ready::Listed(reference) => store.get(&reference).map(|o| Ok((*o).clone())),
                    Ready::Failed(e) => Some(Err(e)),
                },
            ))))
        })
        .flatten()
}

/// One trigger, as [`ready_now`] releases it.
enum Ready<K: Resource> {
    /// An object the cache holds as it is here.
    Object(K),
    /// A listed object: the cache holds its listed form now.
    Listed(ObjectRef<K>),
    /// The watch failed (kube-runtime logs and counts it).
    Failed(watcher::Error),
}

/// What one watch event releases, given the references of the listing in progress: an applied
/// object at once; a listed one not until the listing is done, and then every one of them.
fn ready_now<K>(
    listed: &mut Vec<ObjectRef<K>>,
    event: Result<watcher::Event<K>, watcher::Error>,
) -> Vec<Ready<K>>
where
    K: Resource,
    K::DynamicType: Clone + Default + Eq + std::hash::Hash,
{
    match event {
        Ok(watcher::Event::Apply(obj)) => vec![Ready::Object(obj)],
        Ok(watcher::Event::Delete(_)) => Vec::new(),
        Ok(watcher::Event::Init) => {
            listed.clear();
            Vec::new()
        }
        Ok(watcher::Event::InitApply(obj)) => {
            listed.push(ObjectRef::from_obj(&obj));
            Vec::new()
        }
        Ok(watcher::Event::InitDone) => std::mem::take(listed)
            .into_iter()
            .map(Ready::Listed)
            .collect(),
        Err(e) => vec![Ready::Failed(e)],
    }
}

/// The reference the controller queues `obj` by: its namespace and name only.
/// `ObjectRef::from_obj` also copies the uid and resource version, which the queue never
/// compares (`ObjectRef` equality ignores them) but would keep in each queued request twice (in
/// the scheduler's map and its delay queue): about 130 bytes per organizer waiting for its
/// drift read, 2.5 MiB at 20,000 (docs/benchmarks.md).
pub fn queued<K>(obj: &K) -> ObjectRef<K>
where
    K: Resource,
    K::DynamicType: Default,
{
    let meta = obj.meta();
    let reference = ObjectRef::new(meta.name.as_deref().unwrap_or_default());
    match meta.namespace.as_deref() {
        Some(namespace) => reference.within(namespace),
        None => reference,
    }
}

/// `obj` as the controller's trigger, which only makes [`queued`]'s reference of it: without
/// the uid and resource version kube-runtime would otherwise copy into the reference.
pub fn unversioned<K: Resource>(mut obj: K) -> K {
    let meta = obj.meta_mut();
    meta.uid = None;
    meta.resource_version = None;
    obj
}

/// What makes an organizer worth reconciling again: its spec (generation), annotations (paused,
/// organizer-key), finalizers and deletion. Status writes do not count, so writing status never
/// triggers another GoTo round trip.
pub fn organizer_trigger(o: &GoToOrganizer) -> Option<u64> {
    let mut h = DefaultHasher::new();
    (
        o.metadata.generation,
        &o.metadata.annotations,
        &o.metadata.finalizers,
        o.metadata.deletion_timestamp.is_some(),
    )
        .hash(&mut h);
    Some(h.finish())
}

/// Organizers care about an account's spec and whether it is Ready, not its other status.
pub fn account_trigger(a: &GoToAccount) -> Option<u64> {
    let ready = a
        .status
        .as_ref()
        .and_then(|s| conditions::find(&s.conditions, READY).map(|c| c.status.clone()));
    let mut h = DefaultHasher::new();
    (a.metadata.generation, ready).hash(&mut h);
    Some(h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use kube::runtime::reflector;
    use kube::runtime::{WatchStreamExt, watcher::Event};

    fn organizer(name: &str, generation: i64, last_name: &str) -> GoToOrganizer {
        let email = format!("{name}@example.com");
        let mut o = crate::crd::fixtures::organizer("it", name, "acme", &email);
        o.metadata.generation = Some(generation);
        o.spec.last_name = last_name.into();
        o
    }

    /// Feeds `events` through a reflector into `consistent_applies`, and records, for every
    /// object the controller is handed, what the cache holds for it at that moment (as
    /// kube-runtime's runner reads it when the reconcile starts).
    async fn handed_on(
        before: Vec<GoToOrganizer>,
        events: Vec<Event<GoToOrganizer>>,
    ) -> Vec<(String, Option<String>)> {
        let (store, mut writer) = reflector::store();
        writer.apply_watcher_event(&Event::Init);
        for o in &before {
            writer.apply_watcher_event(&Event::InitApply(o.clone()));
        }
        writer.apply_watcher_event(&Event::InitDone);
        let stream = futures::stream::iter(events.into_iter().map(Ok)).reflect(writer);
        let reader = store.clone();
        consistent_applies(stream, store)
            .map(|o| {
                let o = o.expect("no watch error");
                let cached = reader
                    .get(&ObjectRef::from_obj(&o))
                    .map(|c| c.spec.last_name.clone());
                (o.spec.last_name.clone(), cached)
            })
            .collect()
            .await
    }

    #[tokio::test]
    async fn a_relisted_object_is_handed_on_only_once_the_cache_holds_the_listing() {
        // The object was edited (Gen0 -> Gen1) and a new one created while the watch was down.
        let seen = handed_on(
            vec![organizer("jane", 1, "Gen0")],
            vec![
                Event::Init,
                Event::InitApply(organizer("jane", 2, "Gen1")),
                Event::InitApply(organizer("new-hire", 1, "Gen0")),
                Event::InitDone,
            ],
        )
        .await;
        assert_eq!(
            seen,
            vec![
                ("Gen1".to_string(), Some("Gen1".to_string())),
                ("Gen0".to_string(), Some("Gen0".to_string())),
            ],
            "each object handed on must be in the cache as listed (before the fix: jane was \
             reconciled as Gen0 from the stale cache, new-hire not found and dropped)"
        );
    }

    #[tokio::test]
    async fn watch_events_pass_at_once_and_a_listing_cut_short_hands_on_nothing_stale() {
        let seen = handed_on(
            vec![organizer("jane", 1, "Gen0")],
            vec![
                Event::Apply(organizer("jane", 2, "Gen1")),
                Event::Delete(organizer("jane", 2, "Gen1")),
                // A listing restarted before it was done: only the second one counts.
                Event::Init,
                Event::InitApply(organizer("gone", 1, "Gen0")),
                Event::Init,
                Event::InitApply(organizer("kept", 1, "Gen3")),
                Event::InitDone,
            ],
        )
        .await;
        assert_eq!(
            seen,
            vec![
                ("Gen1".to_string(), Some("Gen1".to_string())),
                ("Gen3".to_string(), Some("Gen3".to_string())),
            ]
        );
    }

    #[test]
    fn the_queue_keeps_a_reference_by_name_only() {
        let mut o = crate::crd::fixtures::organizer("it", "jane", "acme", "jane@example.com");
        o.metadata.uid = Some("0c0ffee0-0000-4000-8000-000000000001".into());
        o.metadata.resource_version = Some("123456".into());
        let full = ObjectRef::from_obj(&o);
        let queued = queued(&o);
        assert_eq!(queued, full, "the same object to the queue");
        assert_eq!(queued.extra.uid, None);
        assert_eq!(queued.extra.resource_version, None);
        let trigger = unversioned(o.clone());
        assert_eq!(ObjectRef::from_obj(&trigger).extra.uid, None);
        assert_eq!(trigger.spec, o.spec);
    }
}
