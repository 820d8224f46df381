//! Which organizers' deletion waits for a person, by account: what a GoToAccount reports as
//! `OffboardingBlocked` and `status.blockedDeletions`.
//!
//! Argo CD never runs a health check on an object that has a deletion timestamp (it shows
//! "Pending deletion"), so a GoToOrganizer whose deletion is blocked cannot show Degraded there.
//! Its account can: the organizer reconcile records here whether the object's deletion is blocked
//! (with the meeting count of the audit it just wrote), and a change for an account triggers that
//! account's reconcile, which writes [`status`] of the entries. The registry lives in memory only:
//! after a restart every organizer is reconciled again and it refills.
use std::collections::BTreeMap;
use std::sync::Mutex;

use futures::channel::mpsc::UnboundedSender;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::runtime::reflector::ObjectRef;

use crate::crd::account::BLOCKED_LIST_LIMIT;
use crate::crd::conditions;
use crate::crd::{BlockedDeletion, BlockedDeletions, GoToAccount};
use crate::sync::lock;

/// (namespace, name) of a GoToOrganizer.
type ObjectName = (String, String);

/// One blocked deletion: whose account it is, and how many meetings block it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    /// The GoToAccount (`spec.accountRef.name`, in the object's namespace).
    account: String,
    upcoming_meetings: u32,
}

/// The registry of blocked deletions, shared by both controllers.
#[derive(Default)]
pub struct Offboarding {
    entries: Mutex<BTreeMap<ObjectName, Entry>>,
    trigger: Mutex<Option<UnboundedSender<ObjectRef<GoToAccount>>>>,
}

/// What a [`Offboarding::set`] changed, for the blocked-deletions gauge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The object's deletion was not blocked and now is.
    Blocked,
    /// It was blocked and no longer is.
    Released,
    /// Blocked before and after (perhaps with another meeting count), or neither.
    Same,
}

impl Offboarding {
    /// Where to send the accounts whose blocked deletions changed (the account controller's
    /// `reconcile_on`).
    pub fn set_trigger(&self, sender: UnboundedSender<ObjectRef<GoToAccount>>) {
        *lock(&self.trigger) = Some(sender);
    }

    /// Records whether the deletion of GoToOrganizer `namespace/name` (of GoToAccount `account`)
    /// waits for a person: `Some(upcoming meetings)`, or `None`. Triggers the account when that
    /// changes what it reports.
    pub fn set(
        &self,
        namespace: &str,
        name: &str,
        account: &str,
        upcoming_meetings: Option<u32>,
    ) -> Change {
        let key = (namespace.to_owned(), name.to_owned());
        let next = upcoming_meetings.map(|upcoming_meetings| Entry {
            account: account.to_owned(),
            upcoming_meetings,
        });
        let previous = {
            let mut entries = lock(&self.entries);
            match &next {
                Some(entry) => entries.insert(key, entry.clone()),
                None => entries.remove(&key),
            }
        };
        if previous == next {
            return Change::Same;
        }
        // Every account the change touches, once (an accountRef is immutable, but be exact).
        let mut accounts: Vec<&str> = [&previous, &next]
            .into_iter()
            .flatten()
            .map(|e| e.account.as_str())
            .collect();
        accounts.dedup();
        for account in accounts {
            self.trigger(namespace, account);
        }
        match (previous, next) {
            (None, Some(_)) => Change::Blocked,
            (Some(_), None) => Change::Released,
            _ => Change::Same,
        }
    }

    /// The blocked deletions of GoToAccount `namespace/account`, by namespace and name.
    pub fn of_account(&self, namespace: &str, account: &str) -> Vec<BlockedDeletion> {
        lock(&self.entries)
            .iter()
            .filter(|((ns, _), entry)| ns == namespace && entry.account == account)
            .map(|((namespace, name), entry)| BlockedDeletion {
                namespace: namespace.clone(),
                name: name.clone(),
                upcoming_meetings: entry.upcoming_meetings,
            })
            .collect()
    }

    /// Reconciles GoToAccount `namespace/account` soon (its status has news to show).
    pub fn trigger(&self, namespace: &str, account: &str) {
        if let Some(sender) = lock(&self.trigger).as_ref() {
            // The account controller may have stopped (shutdown): nothing left to tell.
            let _ = sender.unbounded_send(ObjectRef::new(account).within(namespace));
        }
    }
}

/// What a GoToAccount reports about its blocked deletions: `OffboardingBlocked` and
/// `status.blockedDeletions` (count, the first [`BLOCKED_LIST_LIMIT`] by namespace and name).
pub fn status(
    blocked: &[BlockedDeletion],
    generation: Option<i64>,
    now: jiff::Timestamp,
) -> (Condition, BlockedDeletions) {
    let mut objects = blocked.to_vec();
    objects.sort();
    let count = u32::try_from(objects.len()).unwrap_or(u32::MAX);
    let more = objects.len().saturating_sub(BLOCKED_LIST_LIMIT);
    objects.truncate(BLOCKED_LIST_LIMIT);
    let condition = if objects.is_empty() {
        conditions::offboarding_blocked(
            false,
            "no GoToOrganizer of this account waits for a person to be deleted",
            generation,
            now,
        )
    } else {
        let named: Vec<String> = objects
            .iter()
            .map(|o| {
                format!(
                    "{}/{} ({} upcoming meeting{})",
                    o.namespace,
                    o.name,
                    o.upcoming_meetings,
                    if o.upcoming_meetings == 1 { "" } else { "s" }
                )
            })
            .collect();
        let and_more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        conditions::offboarding_blocked(
            true,
            format!(
                "the deletion of {count} GoToOrganizer(s) waits for their upcoming meetings: {}{and_more}; \
                 reassign the meetings (each organizer's status.meetingAudit lists them), or set \
                 spec.onUpcomingMeetings: Cancel on the organizer to delete it and cancel them",
                named.join(", ")
            ),
            generation,
            now,
        )
    };
    (condition, BlockedDeletions { count, objects })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::conditions::{OFFBOARDING_BLOCKED, reason};
    use futures::{FutureExt, StreamExt};

    fn blocked(namespace: &str, name: &str, upcoming_meetings: u32) -> BlockedDeletion {
        BlockedDeletion {
            namespace: namespace.into(),
            name: name.into(),
            upcoming_meetings,
        }
    }

    #[test]
    fn nothing_blocked_is_false_with_reason_none_and_count_zero() {
        let (condition, listed) = status(&[], Some(3), jiff::Timestamp::now());
        assert_eq!(condition.type_, OFFBOARDING_BLOCKED);
        assert_eq!(condition.status, "False");
        assert_eq!(condition.reason, reason::NONE);
        assert_eq!(condition.observed_generation, Some(3));
        assert_eq!(listed, BlockedDeletions::default());
    }

    #[test]
    fn blocked_deletions_are_true_and_named_with_their_meeting_counts() {
        let (condition, listed) = status(
            &[blocked("it", "sam", 1), blocked("it", "leaver", 2)],
            Some(1),
            jiff::Timestamp::now(),
        );
        assert_eq!(condition.status, "True");
        assert_eq!(condition.reason, reason::DELETIONS_BLOCKED);
        assert!(
            condition
                .message
                .contains("2 GoToOrganizer(s) waits for their upcoming meetings: it/leaver (2 upcoming meetings), it/sam (1 upcoming meeting);"),
            "{}",
            condition.message
        );
        assert!(
            condition.message.contains("onUpcomingMeetings: Cancel"),
            "{}",
            condition.message
        );
        assert_eq!(listed.count, 2);
        assert_eq!(
            listed.objects,
            vec![blocked("it", "leaver", 2), blocked("it", "sam", 1)],
            "sorted by namespace and name"
        );
    }

    #[test]
    fn only_the_first_twenty_are_listed_and_the_message_says_how_many_more() {
        let many: Vec<_> = (0..23)
            .map(|i| blocked("it", &format!("leaver-{i:02}"), 1))
            .collect();
        let (condition, listed) = status(&many, None, jiff::Timestamp::now());
        assert_eq!(listed.count, 23);
        assert_eq!(listed.objects.len(), BLOCKED_LIST_LIMIT);
        assert_eq!(listed.objects[0].name, "leaver-00");
        assert_eq!(listed.objects[19].name, "leaver-19");
        assert!(
            condition.message.contains(" and 3 more;"),
            "{}",
            condition.message
        );
        assert!(
            !condition.message.contains("leaver-20"),
            "{}",
            condition.message
        );
    }

    fn triggered(
        rx: &mut futures::channel::mpsc::UnboundedReceiver<ObjectRef<GoToAccount>>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(Some(r)) = rx.next().now_or_never() {
            out.push(format!("{}/{}", r.namespace.unwrap_or_default(), r.name));
        }
        out
    }

    #[test]
    fn the_registry_keeps_entries_by_account_and_triggers_an_account_on_a_change_only() {
        let registry = Offboarding::default();
        let (tx, mut rx) = futures::channel::mpsc::unbounded();
        registry.set_trigger(tx);

        assert_eq!(
            registry.set("it", "leaver", "acme", Some(2)),
            Change::Blocked
        );
        assert_eq!(
            registry.set("it", "other", "globex", Some(1)),
            Change::Blocked
        );
        assert_eq!(
            registry.set("hr", "leaver", "acme", Some(4)),
            Change::Blocked
        );
        assert_eq!(triggered(&mut rx), ["it/acme", "it/globex", "hr/acme"]);
        assert_eq!(
            registry.of_account("it", "acme"),
            [blocked("it", "leaver", 2)]
        );

        // The periodic re-audit finds the same: no trigger, no status write.
        assert_eq!(registry.set("it", "leaver", "acme", Some(2)), Change::Same);
        assert_eq!(triggered(&mut rx), Vec::<String>::new());
        // A meeting was reassigned: the account's message changes.
        assert_eq!(registry.set("it", "leaver", "acme", Some(1)), Change::Same);
        assert_eq!(triggered(&mut rx), ["it/acme"]);
        // Consent given, organizer deleted.
        assert_eq!(registry.set("it", "leaver", "acme", None), Change::Released);
        assert_eq!(triggered(&mut rx), ["it/acme"]);
        assert!(registry.of_account("it", "acme").is_empty());
        // An organizer that was never blocked: nothing to tell.
        assert_eq!(registry.set("it", "fine", "acme", None), Change::Same);
        assert_eq!(triggered(&mut rx), Vec::<String>::new());
    }
}
