//! Who owns a GoTo organizer: the one ownership model of the cluster's GoToOrganizers.
//!
//! A **claim** ([`Claim`]) is what an object names in GoTo: a GoTo account, by its account *key*
//! (not the GoToAccount object: two namespaces may point at one GoTo account), and in it an
//! organizer key (recorded in `status.organizerKey`, else the organizer-key annotation) and an
//! email, compared as [`NormalEmail`]s, as GoTo compares logins. Two claims **overlap** when
//! they name the same account and either the same organizer key or the same email.
//!
//! An object's account key is resolved by one rule, [`claimed_account_key`]: the key it
//! recorded in its status, else its GoToAccount's. Every caller below uses it.
//!
//! Layers, bottom up, each importing only layers before it and this file (tests/module_layers.rs
//! checks): `index`, `owner`, `inventory`.
//! - [`owner`]: of several objects whose claims overlap, which one owns the organizer (the one
//!   that recorded its key, else the oldest); every other gets `OwnedElsewhere`, never writes to
//!   GoTo, and its deletion touches nothing. Every organizer reconcile asks [`Ownership::of`]
//!   (here), which finds the candidates through the index and ranks them by this rule.
//! - [`index`]: the objects whose claims may overlap a given one, by lookup rather than by
//!   scanning every object (kept beside the organizer watch's reflector store).
//! - [`inventory`]: every claim of the cluster at once, for "is this GoTo organizer claimed"
//!   asked of each organizer of an account (`goto-operator export`, the seat inventory).
use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};

use crate::controller::validate;
use crate::crd::conditions::{self, READY};
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::email::NormalEmail;

pub mod index;
pub mod inventory;
pub mod owner;

pub use index::ClaimIndex;
pub use inventory::{Claims, claimant, claims};
pub use owner::owner_elsewhere;

/// Who owns the GoTo organizer an object names.
#[derive(Clone, Debug, PartialEq)]
pub enum Ownership {
    /// This object (or nobody else claims it).
    Owner,
    /// Another object, `namespace/name`.
    OwnedElsewhere {
        /// The owner's `namespace/name`.
        owner: String,
    },
}

impl Ownership {
    /// Who owns what `obj` claims, among the watched objects: its candidates come from `index`,
    /// their objects from `organizers`, their accounts from `accounts`. `declared` is the key of
    /// `obj`'s own GoToAccount, when known; an object whose account is unknown owns nothing
    /// anyone else claims, so it is its own owner until it is known.
    pub fn of(
        obj: &GoToOrganizer,
        declared: Option<&str>,
        index: &ClaimIndex,
        organizers: &Store<GoToOrganizer>,
        accounts: &Store<GoToAccount>,
    ) -> Self {
        let Some(account_key) = claimed_account_key(obj, declared) else {
            return Ownership::Owner;
        };
        let mine = Claim::of(obj, account_key);
        let candidates: Vec<_> = index
            .candidates(&mine)
            .iter()
            .filter_map(|reference| organizers.get(reference))
            .collect();
        let owner = owner_elsewhere(
            obj,
            &mine,
            candidates.iter().map(AsRef::as_ref),
            |other| account_key_in(accounts, other),
            |other| claim_counts(accounts, other),
        );
        match owner {
            Some(owner) => Ownership::OwnedElsewhere { owner },
            None => Ownership::Owner,
        }
    }
}

/// What one object claims in GoTo, borrowed from the object (and its account's key): building
/// one copies nothing but the normalised email, so the claims of every object of a cluster can
/// be held at once (the seat inventory, `export`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim<'a> {
    /// The GoTo account key.
    pub account: &'a str,
    /// The organizer key it recorded or names by annotation.
    pub organizer: Option<&'a str>,
    /// Its email.
    pub email: NormalEmail,
}

impl<'a> Claim<'a> {
    /// The claim of `obj`, whose GoTo account key is `account`.
    pub fn of(obj: &'a GoToOrganizer, account: &'a str) -> Self {
        Claim {
            account,
            organizer: obj.claimed_organizer_key(),
            email: NormalEmail::new(&obj.spec.email),
        }
    }

    /// The claim of `obj`, its account resolved by [`claimed_account_key`] from `declared` (its
    /// GoToAccount's key, when known); `None` when its account is not known, since such an
    /// object cannot be said to claim anything yet.
    pub fn resolved(obj: &'a GoToOrganizer, declared: Option<&'a str>) -> Option<Self> {
        claimed_account_key(obj, declared).map(|account| Claim::of(obj, account))
    }

    /// The claim on organizer `organizer_key` / `email` of GoTo account `account` (a listed
    /// organizer, to be compared with objects' claims).
    pub fn on(account: &'a str, organizer_key: &'a str, email: &str) -> Self {
        Claim {
            account,
            organizer: Some(organizer_key),
            email: NormalEmail::new(email),
        }
    }

    /// Whether the two claims name the same organizer: the same account, and the same email or
    /// the same organizer key.
    pub fn overlaps(&self, other: &Claim<'_>) -> bool {
        self.account == other.account
            && (self.email == other.email
                || matches!((self.organizer, other.organizer), (Some(a), Some(b)) if a == b))
    }
}

/// The GoTo account whose organizer an object claims: the account key the operator recorded in
/// its status, else `declared` (the key of the GoToAccount its `accountRef` names, when known);
/// `None` when neither is known. The one rule every claim resolves an object's account by.
pub fn claimed_account_key<'a>(
    obj: &'a GoToOrganizer,
    declared: Option<&'a str>,
) -> Option<&'a str> {
    obj.status
        .as_ref()
        .and_then(|s| s.account_key.as_deref())
        .or(declared)
}

/// Another object's GoTo account key, its GoToAccount looked up in `accounts`.
pub fn account_key_in(accounts: &Store<GoToAccount>, other: &GoToOrganizer) -> Option<String> {
    let account = account_of(accounts, other);
    let declared = account.as_ref().map(|a| a.spec.account_key.as_str());
    claimed_account_key(other, declared).map(str::to_string)
}

/// Whether another object's claim counts: a recorded key always does; a claim by email or
/// annotation only from an object whose own spec is valid and whose GoToAccount authenticated
/// (issue 21: a GoToAccount naming someone else's account key with junk credentials, or an
/// invalid spec, never takes a seat from its owner).
pub fn claim_counts(accounts: &Store<GoToAccount>, other: &GoToOrganizer) -> bool {
    if other.recorded_organizer_key().is_some() {
        return true;
    }
    let authenticated = account_of(accounts, other).is_some_and(|a| {
        a.status
            .as_ref()
            .and_then(|s| conditions::find(&s.conditions, READY))
            .is_some_and(|c| c.status == "True")
    });
    authenticated && validate::organizer(other).is_ok()
}

fn account_of(accounts: &Store<GoToAccount>, o: &GoToOrganizer) -> Option<Arc<GoToAccount>> {
    let reference = ObjectRef::<GoToAccount>::new(&o.spec.account_ref.name)
        .within(&o.namespace().unwrap_or_default());
    accounts.get(&reference)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::fixtures::organizer;

    #[test]
    fn an_objects_account_is_the_recorded_one_else_the_declared_one() {
        let o = organizer("it", "jane", "acme", "jane@example.com");
        assert_eq!(claimed_account_key(&o, Some("1")), Some("1"));
        assert_eq!(
            claimed_account_key(&o, None),
            None,
            "unknown: claims nothing"
        );
        let mut recorded = o;
        recorded.status = Some(crate::crd::GoToOrganizerStatus {
            organizer_key: Some("7".into()),
            account_key: Some("2".into()),
            ..Default::default()
        });
        assert_eq!(claimed_account_key(&recorded, Some("1")), Some("2"));
    }

    #[test]
    fn claims_overlap_by_email_or_key_within_one_account() {
        let jane = Claim::on("42", "7", " Jane@Example.com");
        assert!(jane.overlaps(&Claim::on("42", "8", "jane@example.com")));
        assert!(jane.overlaps(&Claim::on("42", "7", "other@example.com")));
        assert!(!jane.overlaps(&Claim::on("43", "7", "jane@example.com")));
        let unkeyed = Claim {
            organizer: None,
            ..Claim::on("42", "7", "sam@example.com")
        };
        assert!(!unkeyed.overlaps(&Claim {
            organizer: None,
            ..Claim::on("42", "7", "x@example.com")
        }));
    }
}
