//! Which objects may share a claim with a given one, found by lookup rather than by scanning.
//!
//! Every reconcile asks [`Ownership::of`](super::Ownership::of) who else claims its organizer, cluster-wide.
//! Asked of every watched object, a resync then costs N² comparisons: at 5,000 organizers that
//! scan was most of the operator's steady-state CPU. The index maps each normalised email and
//! each claimed organizer key to the objects that carry it, kept by the organizer watch right
//! beside its reflector store (the same events, in the same order, including a re-list's
//! buffer-then-swap), so the reconcile compares itself only with the few objects that may
//! overlap. The answer stays `owner_elsewhere`'s: the index only narrows its input, and never
//! leaves out an object that [`Claim::overlaps`](super::Claim::overlaps) would find overlapping.
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;

use super::Claim;
use crate::crd::GoToOrganizer;
use crate::email::NormalEmail;

type Ref = ObjectRef<GoToOrganizer>;

/// An object as `namespace/name`, one allocation shared by the index's maps.
type Name = Arc<str>;

/// Shared between the watch that keeps it and the reconciles that read it.
#[derive(Clone, Default)]
pub struct ClaimIndex {
    inner: Arc<RwLock<State>>,
}

#[derive(Default)]
struct State {
    live: Table,
    /// A re-list in progress: filled by its objects, swapped in when it completes.
    relist: Option<Table>,
}

/// Emails and organizer keys are held as 64-bit digests (not a copy of each string in each
/// map). Two different keys with one digest only make an extra candidate: the reconcile
/// compares its candidates in full. Each digest-to-object link is one entry of an ordered set,
/// about 40 bytes, where a map of digests to lists of names cost about 120 (a list allocated
/// per email, almost always for one name).
#[derive(Default)]
struct Table {
    keys: HashMap<Name, Keys>,
    by_email: Links,
    by_organizer_key: Links,
}

/// Digest-to-object links, ordered by digest: the objects of one digest are one range.
type Links = BTreeSet<(u64, Name)>;

/// The objects linked to `digest`.
fn linked(links: &Links, digest: u64) -> impl Iterator<Item = &Name> {
    links
        .range((digest, Name::from(""))..)
        .take_while(move |(d, _)| *d == digest)
        .map(|(_, name)| name)
}

/// What one object claims by, as [`Claim::overlaps`](super::Claim::overlaps) compares it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Keys {
    email: u64,
    organizer_key: Option<u64>,
}

impl Keys {
    /// What `obj` claims by, by the one rule of [`Claim::of`].
    fn of(obj: &GoToOrganizer) -> Self {
        Keys::new(
            &NormalEmail::new(&obj.spec.email),
            obj.claimed_organizer_key(),
        )
    }

    fn new(email: &NormalEmail, organizer_key: Option<&str>) -> Self {
        Keys {
            email: digest(email.as_str()),
            organizer_key: organizer_key.map(digest),
        }
    }
}

/// SipHash with fixed keys: the same digest for the same string, within and across runs.
fn digest(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

impl Table {
    fn insert(&mut self, obj: &GoToOrganizer) {
        let name = name(obj);
        let keys = Keys::of(obj);
        if self.keys.get(name.as_str()) == Some(&keys) {
            return;
        }
        self.remove(&name);
        let name: Name = name.into();
        self.by_email.insert((keys.email, name.clone()));
        if let Some(key) = keys.organizer_key {
            self.by_organizer_key.insert((key, name.clone()));
        }
        self.keys.insert(name, keys);
    }

    fn remove(&mut self, name: &str) {
        let Some(keys) = self.keys.remove(name) else {
            return;
        };
        let name = Name::from(name);
        self.by_email.remove(&(keys.email, name.clone()));
        if let Some(key) = keys.organizer_key {
            self.by_organizer_key.remove(&(key, name));
        }
    }
}

fn name(obj: &GoToOrganizer) -> String {
    format!(
        "{}/{}",
        obj.metadata.namespace.as_deref().unwrap_or_default(),
        obj.name_any()
    )
}

/// The reflector-store reference of `namespace/name` (names and namespaces hold no `/`).
fn reference(qualified: &str) -> Ref {
    match qualified.split_once('/') {
        Some(("", name)) => ObjectRef::new(name),
        Some((namespace, name)) => ObjectRef::new(name).within(namespace),
        None => ObjectRef::new(qualified),
    }
}

impl ClaimIndex {
    /// An index of `objects`, for a one-off view of the cluster (`goto-operator plan`).
    pub fn of<'a>(objects: impl IntoIterator<Item = &'a GoToOrganizer>) -> Self {
        let index = ClaimIndex::default();
        {
            let mut state = crate::sync::write(&index.inner);
            for obj in objects {
                state.live.insert(obj);
            }
        }
        index
    }

    /// Follows one watch event, as the reflector store does.
    pub fn apply(&self, event: &watcher::Event<GoToOrganizer>) {
        let mut state = crate::sync::write(&self.inner);
        match event {
            watcher::Event::Apply(obj) => state.live.insert(obj),
            watcher::Event::Delete(obj) => state.live.remove(&name(obj)),
            watcher::Event::Init => state.relist = Some(Table::default()),
            watcher::Event::InitApply(obj) => {
                state.relist.get_or_insert_with(Table::default).insert(obj);
            }
            watcher::Event::InitDone => {
                if let Some(table) = state.relist.take() {
                    state.live = table;
                }
            }
        }
    }

    /// The objects that may claim what `claim` does: the same normalised email or the same
    /// claimed organizer key (or, rarely, another with the same digest). The claimant itself
    /// is among them when it is indexed.
    pub fn candidates(&self, claim: &Claim) -> Vec<Ref> {
        let keys = Keys::new(&claim.email, claim.organizer);
        let state = crate::sync::read(&self.inner);
        let by_email = linked(&state.live.by_email, keys.email);
        let by_key = keys
            .organizer_key
            .into_iter()
            .flat_map(|k| linked(&state.live.by_organizer_key, k));
        let mut found: Vec<&str> = by_email.chain(by_key).map(|n| &**n).collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(reference).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organizer(ns: &str, name: &str, email: &str, key: Option<&str>) -> GoToOrganizer {
        let mut o = crate::crd::fixtures::organizer(ns, name, "acme", email);
        o.status = key.map(|k| crate::crd::GoToOrganizerStatus {
            organizer_key: Some(k.into()),
            ..Default::default()
        });
        o
    }

    /// The candidates of `obj`'s claim other than itself.
    fn others(index: &ClaimIndex, obj: &GoToOrganizer) -> Vec<String> {
        let claim = crate::controller::ownership::Claim::of(obj, "42");
        let me = name(obj);
        names(index.candidates(&claim))
            .into_iter()
            .filter(|n| *n != me)
            .collect()
    }

    fn names(refs: Vec<Ref>) -> Vec<String> {
        let mut names: Vec<String> = refs
            .into_iter()
            .map(|r| format!("{}/{}", r.namespace.unwrap_or_default(), r.name))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn candidates_share_a_folded_email_or_a_claimed_key() {
        let index = ClaimIndex::default();
        let jane = organizer("it", "jane", "jane@example.com", Some("7"));
        for o in [
            jane.clone(),
            organizer("sales", "jane", " JANE@example.com", None),
            organizer("it", "renamed", "j.doe@example.com", Some("7")),
            organizer("it", "sam", "sam@example.com", Some("8")),
        ] {
            index.apply(&watcher::Event::Apply(o));
        }
        assert_eq!(others(&index, &jane), vec!["it/renamed", "sales/jane"]);
    }

    #[test]
    fn an_edit_moves_the_object_and_a_delete_removes_it() {
        let index = ClaimIndex::default();
        let jane = organizer("it", "jane", "jane@example.com", None);
        let other = organizer("it", "other", "jane@example.com", None);
        index.apply(&watcher::Event::Apply(other.clone()));
        assert_eq!(others(&index, &jane), vec!["it/other"]);
        let moved = organizer("it", "other", "someone@example.com", None);
        index.apply(&watcher::Event::Apply(moved.clone()));
        assert!(others(&index, &jane).is_empty());
        index.apply(&watcher::Event::Apply(other.clone()));
        index.apply(&watcher::Event::Delete(other));
        assert!(others(&index, &jane).is_empty());
    }

    #[test]
    fn a_relist_replaces_the_index_only_when_it_completes() {
        let index = ClaimIndex::default();
        let jane = organizer("it", "jane", "jane@example.com", None);
        let gone = organizer("it", "gone", "jane@example.com", None);
        let kept = organizer("it", "kept", "jane@example.com", None);
        index.apply(&watcher::Event::Apply(gone));
        index.apply(&watcher::Event::Init);
        index.apply(&watcher::Event::InitApply(kept));
        assert_eq!(
            others(&index, &jane),
            vec!["it/gone"],
            "the old view serves until the re-list is done"
        );
        index.apply(&watcher::Event::InitDone);
        assert_eq!(others(&index, &jane), vec!["it/kept"]);
    }

    /// The index never hides an object the full comparison would find overlapping.
    #[test]
    fn every_overlapping_object_is_a_candidate() {
        let index = ClaimIndex::default();
        let emails = [
            "a@x.io",
            "A@x.io ",
            "b@x.io",
            "ΟΔΥΣΣΕΥΣ@x.io",
            "οδυσσευς@x.io",
        ];
        let keys = [None, Some("1"), Some("2")];
        let mut all = Vec::new();
        for (i, email) in emails.iter().enumerate() {
            for (j, key) in keys.iter().enumerate() {
                let o = organizer("it", &format!("o{i}-{j}"), email, *key);
                index.apply(&watcher::Event::Apply(o.clone()));
                all.push(o);
            }
        }
        for obj in &all {
            let mine = crate::controller::ownership::Claim::of(obj, "42");
            let candidates = index.candidates(&mine);
            for other in all.iter().filter(|o| o.name_any() != obj.name_any()) {
                if mine.overlaps(&crate::controller::ownership::Claim::of(other, "42")) {
                    assert!(
                        candidates.contains(&reference(&name(other))),
                        "{} overlaps {} but is no candidate",
                        other.name_any(),
                        obj.name_any()
                    );
                }
            }
        }
    }
}
