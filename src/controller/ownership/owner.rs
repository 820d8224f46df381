//! One organizer, one owner, cluster-wide. Two GoToOrganizers whose claims overlap (the same
//! organizer key, or the same email, within one GoTo account) would fight over it, and deleting
//! either would offboard the person the other still declares, whatever namespace or GoToAccount
//! object each comes through. The object that recorded the organizer's key owns it, else the
//! oldest claimant; every other gets `OwnedElsewhere`, never writes to GoTo, and its deletion
//! touches nothing.
use kube::ResourceExt;

use super::Claim;
use crate::crd::GoToOrganizer;

/// `namespace/name` of the object that owns what `obj` claims, when that is another object.
///
/// `account_key_of` gives another object's GoTo account key (its status, else its
/// GoToAccount's spec); objects whose account key is unknown are compared by namespace and
/// account name, as they must then share the GoToAccount object to collide. `counts` says
/// whether another object's claim counts at all ([`claim_counts`](super::claim_counts)).
pub fn owner_elsewhere<'a>(
    obj: &GoToOrganizer,
    mine: &Claim,
    others: impl IntoIterator<Item = &'a GoToOrganizer>,
    account_key_of: impl Fn(&GoToOrganizer) -> Option<String>,
    counts: impl Fn(&GoToOrganizer) -> bool,
) -> Option<String> {
    others
        .into_iter()
        .filter(|other| other.metadata.uid != obj.metadata.uid)
        .filter(|other| counts(other))
        .filter(|other| match account_key_of(other) {
            Some(account) => mine.overlaps(&Claim::of(other, &account)),
            None => {
                other.namespace() == obj.namespace()
                    && other.spec.account_ref == obj.spec.account_ref
                    && mine.overlaps(&Claim::of(other, mine.account))
            }
        })
        .filter(|other| is_older(other, obj))
        .map(rank)
        .min()
        .map(|(_, _, namespace, name)| format!("{namespace}/{name}"))
}

type Rank = (bool, Option<jiff::Timestamp>, String, String);

/// The object that recorded an organizer key owns it for as long as it exists, whatever its age
/// (issue 21: an older object edited to name the same person took the seat from the object that
/// recorded it, and that object's deletion then released the leaver's seat untouched); among
/// objects that did not, the older by creation time (whole seconds); namespace and name break
/// the remaining ties, so exactly one of two objects ranks first.
fn rank(o: &GoToOrganizer) -> Rank {
    let created = o.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let unrecorded = o.recorded_organizer_key().is_none();
    (
        unrecorded,
        created,
        o.namespace().unwrap_or_default(),
        o.name_any(),
    )
}

fn is_older(a: &GoToOrganizer, b: &GoToOrganizer) -> bool {
    rank(a) < rank(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn organizer(name: &str, email: &str, created_secs: i64, key: Option<&str>) -> GoToOrganizer {
        let mut o = crate::crd::fixtures::organizer("it", name, "acme", email);
        o.metadata.uid = Some(format!("uid-{name}"));
        o.metadata.creation_timestamp = Some(Time(
            jiff::Timestamp::from_second(created_secs).expect("time"),
        ));
        o.status = key.map(|k| crate::crd::GoToOrganizerStatus {
            organizer_key: Some(k.into()),
            ..Default::default()
        });
        o
    }

    /// Every object of account object `acme` is in GoTo account 1, `beta` in 2, `gamma` in 1.
    fn account_of(o: &GoToOrganizer) -> Option<String> {
        match o.spec.account_ref.name.as_str() {
            "acme" | "gamma" => Some("1".into()),
            "beta" => Some("2".into()),
            _ => None,
        }
    }

    fn owner(obj: &GoToOrganizer, all: &[GoToOrganizer]) -> Option<String> {
        let account = account_of(obj).unwrap_or_default();
        let mine = Claim::of(obj, &account);
        owner_elsewhere(obj, &mine, all, account_of, |_| true)
    }

    #[test]
    fn the_younger_duplicate_yields_to_the_older() {
        let old = organizer("jane", "jane@example.com", 100, Some("1"));
        let dup = organizer("jane-again", "JANE@example.com ", 200, None);
        let all = [old.clone(), dup.clone()];
        assert_eq!(owner(&dup, &all), Some("it/jane".to_string()));
        assert_eq!(owner(&old, &all), None, "the owner keeps its organizer");
    }

    #[test]
    fn the_same_key_under_another_email_is_a_duplicate_too() {
        let old = organizer("jane", "jane@example.com", 100, Some("42"));
        let dup = organizer("janet", "janet@example.com", 200, Some("42"));
        assert_eq!(owner(&dup, &[old, dup.clone()]), Some("it/jane".into()));
    }

    #[test]
    fn claims_cross_namespaces_and_account_objects_on_one_goto_account() {
        let me = organizer("jane", "jane@example.com", 200, None);
        let mut other_namespace = organizer("jane", "jane@example.com", 100, None);
        other_namespace.metadata.namespace = Some("sales".into());
        other_namespace.metadata.uid = Some("uid-sales-jane".into());
        assert_eq!(
            owner(&me, &[me.clone(), other_namespace.clone()]),
            Some("sales/jane".into())
        );
        let mut other_account_object = organizer("jane-g", "jane@example.com", 100, None);
        other_account_object.spec.account_ref.name = "gamma".into();
        assert_eq!(
            owner(&me, &[me.clone(), other_account_object]),
            Some("it/jane-g".into())
        );
    }

    #[test]
    fn other_people_and_other_goto_accounts_are_not_duplicates() {
        let me = organizer("jane", "jane@example.com", 200, None);
        let other_person = organizer("sam", "sam@example.com", 100, None);
        let mut other_account = organizer("jane-b", "jane@example.com", 100, None);
        other_account.spec.account_ref.name = "beta".into();
        let all = [me.clone(), other_person, other_account];
        assert_eq!(owner(&me, &all), None);
    }

    #[test]
    fn an_unknown_account_key_compares_by_account_object() {
        let me = organizer("jane", "jane@example.com", 200, None);
        let mut unknown = organizer("jane-x", "jane@example.com", 100, None);
        unknown.spec.account_ref.name = "missing".into();
        assert_eq!(owner(&me, &[me.clone(), unknown]), None);
    }

    #[test]
    fn equal_creation_times_break_ties_by_namespace_and_name() {
        let a = organizer("a", "x@example.com", 100, None);
        let b = organizer("b", "x@example.com", 100, None);
        let all = [a.clone(), b.clone()];
        assert_eq!(owner(&b, &all), Some("it/a".into()));
        assert_eq!(owner(&a, &all), None);
    }

    /// Issue 21 (1): an older object in another namespace, edited to name the person whose key
    /// another object recorded, does not take the seat; the recorder keeps it.
    #[test]
    fn the_object_that_recorded_the_key_owns_it_whatever_the_age_of_the_others() {
        let recorder = organizer("jane", "jane@example.com", 200, Some("7"));
        let mut intruder = organizer("old", "jane@example.com", 100, None);
        intruder.metadata.namespace = Some("tenant-b".into());
        intruder.metadata.uid = Some("uid-intruder".into());
        let all = [recorder.clone(), intruder.clone()];
        assert_eq!(owner(&recorder, &all), None, "the recorder keeps its seat");
        assert_eq!(owner(&intruder, &all), Some("it/jane".into()));
    }

    /// Issue 21 (1): an unrecorded claim counts only if `counts` says so (its account
    /// authenticated and its spec is valid).
    #[test]
    fn a_claim_that_does_not_count_is_ignored() {
        let me = organizer("jane", "jane@example.com", 200, None);
        let older = organizer("junk", "jane@example.com", 100, None);
        let all = [me.clone(), older.clone()];
        let mine = Claim::of(&me, "1");
        assert_eq!(
            owner_elsewhere(&me, &mine, &all, account_of, |o| o.name_any() != "junk"),
            None
        );
        assert_eq!(owner(&me, &all), Some("it/junk".into()), "when it counts");
    }

    #[test]
    fn in_the_same_second_the_object_that_recorded_a_key_owns_it() {
        let owner_obj = organizer("zed", "x@example.com", 100, Some("7"));
        let copy = organizer("abe", "x@example.com", 100, None);
        let all = [owner_obj.clone(), copy.clone()];
        assert_eq!(owner(&copy, &all), Some("it/zed".into()));
        assert_eq!(owner(&owner_obj, &all), None);
    }
}
