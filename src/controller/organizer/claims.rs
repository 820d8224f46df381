//! One organizer, one owner. Two GoToOrganizers in a namespace that name the same account and the
//! same email (or the same organizer key) would adopt one GoTo organizer and fight over it, and
//! deleting either would offboard the person the other still declares. The older object owns the
//! organizer; the younger one never writes to GoTo, neither in Apply nor in Cleanup.
use kube::ResourceExt;

use crate::crd::GoToOrganizer;

/// The name of an older object that already claims what `obj` claims, if any.
pub fn older_claimant<'a>(
    obj: &GoToOrganizer,
    others: impl IntoIterator<Item = &'a GoToOrganizer>,
) -> Option<String> {
    others
        .into_iter()
        .filter(|other| other.uid() != obj.uid() && other.namespace() == obj.namespace())
        .filter(|other| other.spec.account_ref == obj.spec.account_ref)
        .filter(|other| same_organizer(obj, other))
        .filter(|other| is_older(other, obj))
        .map(ResourceExt::name_any)
        .min()
}

fn same_organizer(a: &GoToOrganizer, b: &GoToOrganizer) -> bool {
    a.spec.email.eq_ignore_ascii_case(&b.spec.email)
        || matches!(
            (a.claimed_organizer_key(), b.claimed_organizer_key()),
            (Some(x), Some(y)) if x == y
        )
}

/// Older by creation time (whole seconds, so ties are common); among objects created in the same
/// second, one that already recorded an organizer key owns it; the name breaks remaining ties, so
/// exactly one of two objects is older.
fn is_older(a: &GoToOrganizer, b: &GoToOrganizer) -> bool {
    let rank = |o: &GoToOrganizer| {
        let created = o.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let unrecorded = o.recorded_organizer_key().is_none();
        (created, unrecorded, o.name_any())
    };
    rank(a) < rank(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use serde_json::json;

    fn organizer(name: &str, email: &str, created_secs: i64, key: Option<&str>) -> GoToOrganizer {
        let mut o: GoToOrganizer = serde_json::from_value(json!({
            "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
            "metadata": {"name": name, "namespace": "it", "uid": format!("uid-{name}")},
            "spec": {"accountRef": {"name": "acme"}, "email": email, "firstName": "A", "lastName": "B"},
        }))
        .expect("organizer");
        o.metadata.creation_timestamp = Some(Time(
            jiff::Timestamp::from_second(created_secs).expect("time"),
        ));
        o.status = key.map(|k| crate::crd::GoToOrganizerStatus {
            organizer_key: Some(k.into()),
            ..Default::default()
        });
        o
    }

    #[test]
    fn the_younger_duplicate_yields_to_the_older() {
        let old = organizer("jane", "jane@example.com", 100, Some("1"));
        let dup = organizer("jane-again", "JANE@example.com", 200, None);
        let all = [old.clone(), dup.clone()];
        assert_eq!(older_claimant(&dup, &all), Some("jane".to_string()));
        assert_eq!(
            older_claimant(&old, &all),
            None,
            "the owner keeps its organizer"
        );
    }

    #[test]
    fn the_same_key_under_another_email_is_a_duplicate_too() {
        let old = organizer("jane", "jane@example.com", 100, Some("42"));
        let dup = organizer("janet", "janet@example.com", 200, Some("42"));
        assert_eq!(
            older_claimant(&dup, &[old.clone(), dup.clone()]),
            Some("jane".into())
        );
    }

    #[test]
    fn other_people_other_accounts_and_other_namespaces_are_not_duplicates() {
        let me = organizer("jane", "jane@example.com", 200, None);
        let other_person = organizer("sam", "sam@example.com", 100, None);
        let mut other_account = organizer("jane-b", "jane@example.com", 100, None);
        other_account.spec.account_ref.name = "beta".into();
        let mut other_namespace = organizer("jane-c", "jane@example.com", 100, None);
        other_namespace.metadata.namespace = Some("sales".into());
        let all = [me.clone(), other_person, other_account, other_namespace];
        assert_eq!(older_claimant(&me, &all), None);
    }

    #[test]
    fn equal_creation_times_break_ties_by_name() {
        let a = organizer("a", "x@example.com", 100, None);
        let b = organizer("b", "x@example.com", 100, None);
        let all = [a.clone(), b.clone()];
        assert_eq!(older_claimant(&b, &all), Some("a".into()));
        assert_eq!(older_claimant(&a, &all), None);
    }

    #[test]
    fn in_the_same_second_the_object_that_recorded_a_key_owns_it() {
        let owner = organizer("zed", "x@example.com", 100, Some("7"));
        let copy = organizer("abe", "x@example.com", 100, None);
        let all = [owner.clone(), copy.clone()];
        assert_eq!(older_claimant(&copy, &all), Some("zed".into()));
        assert_eq!(older_claimant(&owner, &all), None);
    }
}
