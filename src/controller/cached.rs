//! What the watch caches keep of an object. kube-runtime's reflector store holds every watched
//! GoToOrganizer for as long as it exists (20,000 of them in the largest benchmark), so what
//! each one costs there is most of the operator's memory (docs/benchmarks-notes.md).
//!
//! An object is cached as served, less what no reconcile reads (its managedFields and kubectl's
//! last-applied copy of the manifest), and without the spare room deserialising left in its
//! lists: serde grows a list of unknown length to four places, so one finalizer held room for
//! four and two conditions for four (512 bytes an organizer, where 256 are used).
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;

use crate::crd::{GoToAccount, GoToOrganizer};

/// kubectl's client-side apply record: a copy of the whole manifest, in an annotation.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// An object as the watch caches hold it.
pub trait Cached: Resource {
    /// Drops what no reconcile reads and the spare room of the object's lists.
    fn slim(&mut self);
}

impl Cached for GoToOrganizer {
    fn slim(&mut self) {
        slim_meta(&mut self.metadata);
        if let Some(roles) = self.spec.admin_roles.as_mut() {
            roles.shrink_to_fit();
        }
        if let Some(status) = self.status.as_mut() {
            status.conditions.shrink_to_fit();
            if let Some(audit) = status.meeting_audit.as_mut() {
                audit.upcoming_meetings.shrink_to_fit();
            }
        }
    }
}

impl Cached for GoToAccount {
    fn slim(&mut self) {
        slim_meta(&mut self.metadata);
        if let Some(status) = self.status.as_mut() {
            status.conditions.shrink_to_fit();
        }
    }
}

/// The metadata part, the same for every kind. An annotation map left empty is dropped: a
/// `BTreeMap` keeps its first node (about 550 bytes) when its last entry is removed, and the
/// last-applied copy is often the only annotation a `kubectl apply` leaves.
fn slim_meta(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            meta.annotations = None;
        }
    }
    if let Some(finalizers) = meta.finalizers.as_mut() {
        finalizers.shrink_to_fit();
    }
    if let Some(owners) = meta.owner_references.as_mut() {
        owners.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cached(value: serde_json::Value) -> GoToOrganizer {
        let mut o: GoToOrganizer = serde_json::from_value(value).expect("organizer");
        o.slim();
        o
    }

    fn organizer(annotations: serde_json::Value) -> serde_json::Value {
        json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
            "metadata": {"name": "jane", "namespace": "it", "annotations": annotations,
                "finalizers": ["goto-operator.dev/cleanup"],
                "managedFields": [{"manager": "kubectl", "operation": "Apply",
                                   "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]},
            "spec": {"accountRef": {"name": "acme"}, "email": "jane@example.com",
                     "firstName": "Jane", "lastName": "Doe"},
            "status": {"conditions": [
                {"type": "Ready", "status": "True", "reason": "Reconciled", "message": "m",
                 "lastTransitionTime": "2026-12-02T10:00:00Z"},
                {"type": "Synced", "status": "True", "reason": "InSync", "message": "m",
                 "lastTransitionTime": "2026-12-02T10:00:00Z"}]},
        })
    }

    #[test]
    fn the_cache_keeps_everything_but_managed_fields_and_the_last_applied_copy() {
        let value =
            organizer(json!({LAST_APPLIED: "{\"spec\":{}}", "goto-operator.dev/paused": "true"}));
        let full: GoToOrganizer = serde_json::from_value(value.clone()).expect("organizer");
        let o = cached(value);
        assert_eq!(o.metadata.managed_fields, None);
        assert_eq!(
            o.metadata.annotations,
            Some([("goto-operator.dev/paused".to_string(), "true".to_string())].into())
        );
        assert_eq!(o.spec, full.spec);
        assert_eq!(o.status, full.status);
        assert_eq!(o.metadata.finalizers, full.metadata.finalizers);
    }

    #[test]
    fn lists_keep_no_spare_room_and_an_emptied_annotation_map_is_dropped() {
        let o = cached(organizer(json!({LAST_APPLIED: "{\"spec\":{}}"})));
        assert_eq!(
            o.metadata.annotations, None,
            "kubectl's copy was the only annotation"
        );
        let finalizers = o.metadata.finalizers.as_ref().expect("finalizers");
        assert_eq!(finalizers.capacity(), 1, "room for the one finalizer only");
        let status = o.status.as_ref().expect("status");
        assert_eq!(
            status.conditions.capacity(),
            2,
            "room for the two conditions only"
        );
    }
}
