//! Watching a list of namespaces as one cache (`--namespace` repeated): one watch per namespace
//! (a Role in each is enough, no cluster-wide rights), merged into the events of a single
//! reflector, so that the controllers and every index keep one store.
//!
//! A reflector's listing replaces its whole store, so the namespaces' listings cannot simply be
//! interleaved: the first listing of every namespace together makes one listing of the union
//! (it ends when the last namespace's ends), and a later re-listing of one namespace (after a
//! watch gap) becomes plain events: each listed object an `Apply` at once, and a `Delete` for
//! each object of that namespace the cache holds but the listing did not have.
use std::collections::HashSet;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource, ResourceExt};

/// What the watches of `namespaces` (one `Api` each, in the same order) say, as one reflector's
/// events. `store` is the reader of the reflector these events go to: a namespace's re-listing
/// is compared with it.
pub fn watch<K>(
    apis: Vec<(String, Api<K>)>,
    config: &watcher::Config,
    store: Store<K>,
) -> BoxStream<'static, Result<watcher::Event<K>, watcher::Error>>
where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
    K::DynamicType: Clone + Default + Eq + std::hash::Hash + Send + Sync,
{
    let mut apis = apis;
    if apis.len() == 1
        && let Some((_, api)) = apis.pop()
    {
        return watcher(api, config.clone()).default_backoff().boxed();
    }
    let namespaces: Vec<String> = apis.iter().map(|(ns, _)| ns.clone()).collect();
    let watches = apis.into_iter().enumerate().map(|(i, (_, api))| {
        watcher(api, config.clone())
            .default_backoff()
            .map(move |event| (i, event))
            .boxed()
    });
    merge(futures::stream::select_all(watches), namespaces, store).boxed()
}

/// The merge of tagged per-namespace watch events (see the module doc).
fn merge<K, S>(
    events: S,
    namespaces: Vec<String>,
    store: Store<K>,
) -> impl Stream<Item = Result<watcher::Event<K>, watcher::Error>>
where
    K: Resource + Clone + Send + Sync + 'static,
    K::DynamicType: Clone + Default + Eq + std::hash::Hash + Send + Sync,
    S: Stream<Item = (usize, Result<watcher::Event<K>, watcher::Error>)>,
{
    let mut merger = Merger::new(namespaces);
    events
        .map(move |(i, event)| {
            let out = match event {
                Ok(event) => merger.step(i, event, &store).into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures::stream::iter(out)
        })
        .flatten()
}

/// Where the merge stands.
struct Merger<K: Resource> {
    namespaces: Vec<String>,
    /// Whether each namespace's first listing is complete.
    listed: Vec<bool>,
    /// Whether the union's listing was opened (`Init` sent) and closed (`InitDone` sent).
    opened: bool,
    closed: bool,
    /// Deletions seen while the union's listing is open, sent once it is closed.
    held: Vec<K>,
    /// A namespace's re-listing in progress: the objects listed so far.
    relisting: Vec<Option<HashSet<ObjectRef<K>>>>,
}

impl<K> Merger<K>
where
    K: Resource + Clone,
    K::DynamicType: Clone + Default + Eq + std::hash::Hash,
{
    fn new(namespaces: Vec<String>) -> Self {
        let n = namespaces.len();
        Merger {
            namespaces,
            listed: vec![false; n],
            opened: false,
            closed: false,
            held: Vec::new(),
            relisting: (0..n).map(|_| None).collect(),
        }
    }

    /// The reflector events for namespace `i`'s `event`.
    fn step(
        &mut self,
        i: usize,
        event: watcher::Event<K>,
        store: &Store<K>,
    ) -> Vec<watcher::Event<K>> {
        use watcher::Event::{Apply, Delete, Init, InitApply, InitDone};
        let mut out = Vec::new();
        if !self.opened {
            self.opened = true;
            out.push(Init);
        }
        if !self.closed {
            match event {
                // Into the union's listing; a namespace restarting its first listing just lists
                // its objects again.
                Init => {}
                InitApply(o) | Apply(o) => out.push(InitApply(o)),
                Delete(o) => self.held.push(o),
                InitDone => {
                    if let Some(done) = self.listed.get_mut(i) {
                        *done = true;
                    }
                    if self.listed.iter().all(|done| *done) {
                        self.closed = true;
                        out.push(InitDone);
                        out.extend(self.held.drain(..).map(Delete));
                    }
                }
            }
            return out;
        }
        match event {
            Apply(o) => out.push(Apply(o)),
            Delete(o) => out.push(Delete(o)),
            Init => {
                if let Some(listing) = self.relisting.get_mut(i) {
                    *listing = Some(HashSet::new());
                }
            }
            InitApply(o) => {
                if let Some(Some(listing)) = self.relisting.get_mut(i) {
                    listing.insert(ObjectRef::from_obj(&o));
                }
                out.push(Apply(o));
            }
            InitDone => {
                let listing = self.relisting.get_mut(i).and_then(Option::take);
                let namespace = self.namespaces.get(i);
                if let (Some(listing), Some(namespace)) = (listing, namespace) {
                    out.extend(
                        store
                            .state()
                            .into_iter()
                            .filter(|o| o.namespace().as_ref() == Some(namespace))
                            .filter(|o| !listing.contains(&ObjectRef::from_obj(o.as_ref())))
                            .map(|o| Delete(o.as_ref().clone())),
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::GoToOrganizer;
    use kube::runtime::reflector;
    use watcher::Event::{Apply, Delete, Init, InitApply, InitDone};

    fn organizer(namespace: &str, name: &str, last_name: &str) -> GoToOrganizer {
        let email = format!("{name}@example.com");
        let mut o = crate::crd::fixtures::organizer(namespace, name, "acme", &email);
        o.spec.last_name = last_name.into();
        o
    }

    /// Runs tagged events through the merge into a reflector; returns the cache's contents
    /// (`namespace/name: lastName`, sorted) and whether it is ready.
    async fn cache_after(
        events: Vec<(usize, watcher::Event<GoToOrganizer>)>,
    ) -> (Vec<String>, bool) {
        let (store, writer) = reflector::store();
        let merged = merge(
            futures::stream::iter(events.into_iter().map(|(i, e)| (i, Ok(e)))),
            vec!["a".to_string(), "b".to_string()],
            store.clone(),
        );
        merged.reflect(writer).for_each(|_| async {}).await;
        let mut seen: Vec<String> = store
            .state()
            .iter()
            .map(|o| {
                format!(
                    "{}/{}: {}",
                    o.namespace().unwrap_or_default(),
                    o.name_any(),
                    o.spec.last_name
                )
            })
            .collect();
        seen.sort();
        // Ready only if the writer marked it so (a dropped writer answers with an error).
        let ready = matches!(
            futures::FutureExt::now_or_never(store.wait_until_ready()),
            Some(Ok(()))
        );
        (seen, ready)
    }

    #[tokio::test]
    async fn the_first_listings_of_all_namespaces_make_one_listing() {
        let (seen, ready) = cache_after(vec![
            (0, Init),
            (0, InitApply(organizer("a", "jane", "A0"))),
            (0, InitDone),
            // Namespace a's watch goes on before b has listed: kept in the union.
            (0, Apply(organizer("a", "joe", "A1"))),
            (1, Init),
            (1, InitApply(organizer("b", "ann", "B0"))),
        ])
        .await;
        assert!(!ready, "not ready before every namespace listed");
        assert!(seen.is_empty(), "{seen:?}");

        let (seen, ready) = cache_after(vec![
            (0, Init),
            (0, InitApply(organizer("a", "jane", "A0"))),
            (0, InitDone),
            (0, Apply(organizer("a", "joe", "A1"))),
            (0, Delete(organizer("a", "jane", "A0"))),
            (1, Init),
            (1, InitApply(organizer("b", "ann", "B0"))),
            (1, InitDone),
        ])
        .await;
        assert!(ready);
        assert_eq!(seen, vec!["a/joe: A1", "b/ann: B0"]);
    }

    #[tokio::test]
    async fn a_relisting_of_one_namespace_updates_and_deletes_only_there() {
        let (seen, ready) = cache_after(vec![
            (0, Init),
            (0, InitApply(organizer("a", "jane", "A0"))),
            (0, InitApply(organizer("a", "gone", "A0"))),
            (0, InitDone),
            (1, Init),
            (1, InitApply(organizer("b", "ann", "B0"))),
            (1, InitDone),
            // Namespace a's watch had a gap: jane changed, gone was deleted, new-hire created.
            (0, Init),
            (0, InitApply(organizer("a", "jane", "A1"))),
            (0, InitApply(organizer("a", "new-hire", "A0"))),
            (0, InitDone),
        ])
        .await;
        assert!(ready);
        assert_eq!(seen, vec!["a/jane: A1", "a/new-hire: A0", "b/ann: B0"]);
    }
}
