//! The version of each credentials Secret, as the account controller's metadata-only Secret watch
//! last saw it. An organizer reconcile tells from it that its account's cached client is still
//! current, without reading the Secret: that read had been one Kubernetes GET per organizer
//! reconcile (333 a second in the 20,000-organizer bench). The account reconcile still reads the
//! Secret itself, and a Secret the watch has not seen (before its first list, after a re-list
//! began) is read as before.
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::PartialObjectMeta;
use kube::runtime::watcher::Event;

/// A digest of the Secret's uid and resource version: changes whenever the Secret does.
pub fn version_of(meta: &ObjectMeta) -> u64 {
    let mut h = DefaultHasher::new();
    (meta.uid.as_deref(), meta.resource_version.as_deref()).hash(&mut h);
    h.finish()
}

/// Secret versions by (namespace, name), kept from watch events.
#[derive(Default)]
pub struct SecretVersions {
    versions: Mutex<HashMap<(String, String), u64>>,
}

impl SecretVersions {
    /// Follows one event of the watch of `watched` (a namespace; empty: all of them). A (re-)list
    /// forgets the watch's Secrets first, so one deleted while the watch was down is not kept.
    pub fn follow(&self, watched: &str, event: &Event<PartialObjectMeta<Secret>>) {
        let mut versions = self.lock();
        match event {
            Event::Init => {
                versions.retain(|(namespace, _), _| !watched.is_empty() && namespace != watched)
            }
            Event::InitApply(secret) | Event::Apply(secret) => {
                if let Some(key) = key_of(&secret.metadata) {
                    versions.insert(key, version_of(&secret.metadata));
                }
            }
            Event::Delete(secret) => {
                if let Some(key) = key_of(&secret.metadata) {
                    versions.remove(&key);
                }
            }
            Event::InitDone => {}
        }
    }

    /// The version of Secret `name` in `namespace`, when the watch holds it.
    pub fn version(&self, namespace: &str, name: &str) -> Option<u64> {
        self.lock()
            .get(&(namespace.to_string(), name.to_string()))
            .copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), u64>> {
        // A panic while holding this lock cannot leave the map inconsistent (single changes).
        crate::sync::lock(&self.versions)
    }
}

fn key_of(meta: &ObjectMeta) -> Option<(String, String)> {
    Some((meta.namespace.clone()?, meta.name.clone()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(namespace: &str, name: &str, version: &str) -> PartialObjectMeta<Secret> {
        PartialObjectMeta::<Secret> {
            metadata: ObjectMeta {
                namespace: Some(namespace.into()),
                name: Some(name.into()),
                uid: Some("u1".into()),
                resource_version: Some(version.into()),
                ..ObjectMeta::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn follows_changes_and_deletions() {
        let versions = SecretVersions::default();
        assert_eq!(versions.version("a", "goto"), None);
        versions.follow("a", &Event::Apply(secret("a", "goto", "1")));
        let first = versions.version("a", "goto");
        assert_eq!(first, Some(version_of(&secret("a", "goto", "1").metadata)));
        versions.follow("a", &Event::Apply(secret("a", "goto", "2")));
        assert_ne!(versions.version("a", "goto"), first);
        versions.follow("a", &Event::Delete(secret("a", "goto", "2")));
        assert_eq!(versions.version("a", "goto"), None);
    }

    #[test]
    fn a_relist_forgets_only_its_own_namespace() {
        let versions = SecretVersions::default();
        versions.follow("a", &Event::Apply(secret("a", "goto", "1")));
        versions.follow("b", &Event::Apply(secret("b", "goto", "1")));
        versions.follow("a", &Event::Init);
        assert_eq!(versions.version("a", "goto"), None);
        assert!(versions.version("b", "goto").is_some());
        // A cluster-wide watch (namespace "") forgets everything it re-lists.
        versions.follow("", &Event::Init);
        assert_eq!(versions.version("b", "goto"), None);
    }
}
