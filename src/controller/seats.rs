//! The seat inventory of a GoToAccount (`status.seats`, `goto_operator_seats`): how many
//! organizers GoTo holds, how many a GoToOrganizer claims, how many none does, how many are
//! suspended, and how many objects wait for a paid seat.
//!
//! It costs no GoTo call in steady state: the numbers come from the account directory the GoTo
//! client already keeps for email lookups (one listing, kept current by the operator's own
//! writes). Only an account that never had an inventory, and whose directory is still empty, is
//! listed once for it. The account reconcile refreshes it, which runs once per resync. Who claims what is the
//! same rule `goto-operator export` uses ([`ownership`]).
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

use super::ownership::{self, Claims};
use crate::crd::conditions::{self, READY, reason};
use crate::crd::{GoToAccount, GoToOrganizer, SeatInventory};
use crate::goto::{DirectorySnapshot, GoToApi};

/// The inventory from the directory; `None` when there is nothing new to count (the previous
/// inventory is then kept).
///
/// Only an account that never had an inventory (`first`) and whose directory has not been
/// listed yet is listed here, once, and without filling the directory: a listing made for the
/// inventory must not change what the email lookups find.
pub async fn inventory(
    account: &GoToAccount,
    goto: &dyn GoToApi,
    organizers: &[std::sync::Arc<GoToOrganizer>],
    first: bool,
) -> Option<SeatInventory> {
    let snapshot = match goto.known_organizers() {
        Some(snapshot) => snapshot,
        None if first => match goto.list().await {
            Ok(listed) => DirectorySnapshot::of(listed, std::time::Duration::ZERO),
            Err(e) => {
                tracing::info!(account = %account.name_any(), error = %e, "seat inventory: GoTo could not be listed");
                return None;
            }
        },
        None => return None,
    };
    let observed_at = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::try_from(snapshot.age).unwrap_or_default())
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let organizers: Vec<&GoToOrganizer> = organizers.iter().map(AsRef::as_ref).collect();
    Some(count(account, &snapshot, &organizers, Time(observed_at)))
}

/// The counts, pure: `organizers` are every GoToOrganizer the operator sees.
pub fn count(
    account: &GoToAccount,
    snapshot: &DirectorySnapshot,
    organizers: &[&GoToOrganizer],
    observed_at: Time,
) -> SeatInventory {
    let namespace = account.namespace().unwrap_or_default();
    let name = account.name_any();
    let key = account.spec.account_key.as_str();
    let mine = |o: &GoToOrganizer| {
        o.namespace().as_deref() == Some(namespace.as_str()) && o.spec.account_ref.name == name
    };
    // An object's GoTo account: what it recorded, else this account's key if it names this
    // account (objects of other GoToAccounts that recorded nothing cannot hold a seat here yet).
    let claims: Claims = organizers
        .iter()
        .map(|o| (*o, mine(o).then_some(key)))
        .collect();
    let managed = snapshot
        .entries
        .iter()
        .filter(|e| ownership::claimant(&claims, key, e.organizer_key.as_str(), &e.email).is_some())
        .count();
    let waiting = organizers
        .iter()
        .filter(|o| mine(o))
        .filter(|o| {
            o.status
                .as_ref()
                .and_then(|s| conditions::find(&s.conditions, READY))
                .is_some_and(|c| c.status == "False" && c.reason == reason::SEAT_UNAVAILABLE)
        })
        .count();
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    SeatInventory {
        observed_at,
        in_goto: n(snapshot.count),
        managed: n(managed),
        unmanaged: n(snapshot.count.saturating_sub(managed)),
        suspended: n(snapshot.suspended),
        waiting_for_seat: n(waiting),
    }
}

/// The inventory as `goto_operator_seats` samples.
pub fn samples(seats: &SeatInventory) -> [(&'static str, i64); 5] {
    [
        ("in_goto", i64::from(seats.in_goto)),
        ("managed", i64::from(seats.managed)),
        ("unmanaged", i64::from(seats.unmanaged)),
        ("suspended", i64::from(seats.suspended)),
        ("waiting_for_seat", i64::from(seats.waiting_for_seat)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goto::{DirectoryEntry, OrganizerKey, OrganizerStatus};
    use serde_json::json;

    use crate::crd::fixtures::account;

    fn organizer(ns: &str, name: &str, email: &str, status: serde_json::Value) -> GoToOrganizer {
        let mut o = crate::crd::fixtures::organizer(ns, name, "acme", email);
        o.status = serde_json::from_value(status).expect("status");
        o
    }

    fn entry(key: &str, email: &str, suspended: bool) -> DirectoryEntry {
        DirectoryEntry {
            organizer_key: OrganizerKey::new(key),
            email: email.into(),
            status: Some(if suspended {
                OrganizerStatus::Suspended
            } else {
                OrganizerStatus::Active
            }),
        }
    }

    /// Only an account never counted is listed for its inventory; once the email lookups have
    /// listed it, counting costs no call.
    #[tokio::test]
    async fn the_inventory_lists_only_an_account_never_counted() {
        use crate::goto::{GoToApi, MemoryGoTo, Op};
        let goto = MemoryGoTo::new("42");
        goto.insert({
            let mut o: crate::goto::Organizer =
                serde_json::from_value(json!({"organizerKey": "1", "email": "a@example.com"}))
                    .expect("organizer");
            // MemoryGoTo assigns the key.
            o.organizer_key = crate::goto::OrganizerKey::new("");
            o
        });
        let acme = account("it", "acme", "42");
        assert_eq!(inventory(&acme, &goto, &[], false).await, None);
        let first = inventory(&acme, &goto, &[], true).await.expect("counted");
        assert_eq!((first.in_goto, first.unmanaged), (1, 1));
        assert_eq!(goto.count(Op::List), 1);
        goto.find_by_email("b@example.com")
            .await
            .expect("looked up");
        let later = inventory(&acme, &goto, &[], false).await.expect("counted");
        assert_eq!(later.in_goto, 1);
        assert_eq!(goto.count(Op::List), 1);
    }

    #[test]
    fn counts_claimed_unclaimed_suspended_and_waiting() {
        let snapshot = DirectorySnapshot {
            age: std::time::Duration::ZERO,
            count: 4,
            suspended: 1,
            entries: vec![
                entry("1", "jane@example.com", false),
                entry("2", "sam@example.com", true),
                entry("3", "alex@example.com", false),
                entry("4", "morgan@example.com", false),
            ],
        };
        let seat_unavailable = json!({"conditions": [{"type": "Ready", "status": "False",
            "reason": "SeatUnavailable", "message": "no seat", "lastTransitionTime": "2026-01-01T00:00:00Z"}]});
        let objects = [
            // by email, through this account
            organizer("it", "jane", "JANE@example.com", json!(null)),
            // by recorded key, from another namespace and GoToAccount naming the same GoTo account
            organizer(
                "sales",
                "sam",
                "renamed@example.com",
                json!({"organizerKey": "2", "accountKey": "42"}),
            ),
            // another GoTo account altogether
            organizer(
                "ops",
                "alex",
                "alex@example.com",
                json!({"organizerKey": "9", "accountKey": "43"}),
            ),
            // waiting for a seat
            organizer("it", "new", "new@example.com", seat_unavailable),
        ];
        let refs: Vec<&GoToOrganizer> = objects.iter().collect();
        let at = Time(jiff::Timestamp::UNIX_EPOCH);
        let seats = count(&account("it", "acme", "42"), &snapshot, &refs, at.clone());
        assert_eq!(
            seats,
            SeatInventory {
                observed_at: at,
                in_goto: 4,
                managed: 2,
                unmanaged: 2,
                suspended: 1,
                waiting_for_seat: 1,
            }
        );
        assert_eq!(samples(&seats)[2], ("unmanaged", 2));
    }
}
