//! The claims of a whole cluster at once, for the callers that ask "is this GoTo organizer
//! claimed" of every organizer of an account: `goto-operator export` (which writes manifests only
//! for unclaimed organizers) and the seat inventory. Pure, so it is tested without a cluster.
use std::collections::HashMap;

use kube::ResourceExt;

use super::Claim;
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::email::NormalEmail;

/// Every claim, indexed by GoTo account key, then by organizer key and by normalised email:
/// answering "is this organizer claimed" for each organizer of an account is one lookup each,
/// not a scan of every claim (a seat inventory of 5,000 organizers would compare 25 million
/// pairs). Borrowed from the objects: per object it holds a reference, its organizer key's
/// and its normalised email's places in the maps, and that email (the only copy). The seat
/// inventory builds it for every object of the cluster once per account reconcile; at 20,000
/// organizers the owned claims with each object's name had taken 8.6 MiB for the moment,
/// the top of the operator's peak memory (docs/benchmarks-notes.md).
#[derive(Debug, Default)]
pub struct Claims<'a> {
    /// Each claiming object, in the order given.
    all: Vec<&'a GoToOrganizer>,
    by_account: HashMap<&'a str, AccountClaims<'a>>,
}

/// The claims on one GoTo account, as positions in [`Claims::all`].
#[derive(Debug, Default)]
struct AccountClaims<'a> {
    by_organizer_key: HashMap<&'a str, usize>,
    by_email: HashMap<NormalEmail, usize>,
}

impl<'a> FromIterator<(&'a GoToOrganizer, Option<&'a str>)> for Claims<'a> {
    /// From each object and the key of its GoToAccount, when known (see [`Claim::resolved`]).
    fn from_iter<I: IntoIterator<Item = (&'a GoToOrganizer, Option<&'a str>)>>(objects: I) -> Self {
        let mut out = Claims::default();
        for (obj, declared) in objects {
            let Some(claim) = Claim::resolved(obj, declared) else {
                continue;
            };
            let at = out.all.len();
            let account = out.by_account.entry(claim.account).or_default();
            if let Some(key) = claim.organizer {
                account.by_organizer_key.entry(key).or_insert(at);
            }
            account.by_email.entry(claim.email).or_insert(at);
            out.all.push(obj);
        }
        out
    }
}

/// The claims of every object in `organizers`, their accounts resolved through `accounts`
/// (an object whose GoToAccount is missing and that recorded no account key claims nothing).
pub fn claims<'a>(organizers: &'a [GoToOrganizer], accounts: &'a [GoToAccount]) -> Claims<'a> {
    let keys: HashMap<(String, String), &str> = accounts
        .iter()
        .map(|a| {
            (
                (a.namespace().unwrap_or_default(), a.name_any()),
                a.spec.account_key.as_str(),
            )
        })
        .collect();
    organizers
        .iter()
        .map(|o| {
            let key = keys
                .get(&(
                    o.namespace().unwrap_or_default(),
                    o.spec.account_ref.name.clone(),
                ))
                .copied();
            (o, key)
        })
        .collect()
}

/// The `namespace/name` of the object claiming the organizer, if any does: of several, the
/// first in the order the claims were given, as [`Claim::overlaps`] tried one by one would find.
pub fn claimant(
    claims: &Claims<'_>,
    account_key: &str,
    organizer_key: &str,
    email: &str,
) -> Option<String> {
    let account = claims.by_account.get(account_key)?;
    let by_key = account.by_organizer_key.get(organizer_key).copied();
    let by_email = account.by_email.get(&NormalEmail::new(email)).copied();
    let first = by_key.into_iter().chain(by_email).min()?;
    let object = claims.all.get(first)?;
    Some(format!(
        "{}/{}",
        object.namespace().unwrap_or_default(),
        object.name_any()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::crd::fixtures::{account, organizer};

    fn with_key(mut o: GoToOrganizer, account_key: &str, key: &str) -> GoToOrganizer {
        o.status = Some(crate::crd::GoToOrganizerStatus {
            organizer_key: Some(key.into()),
            account_key: Some(account_key.into()),
            ..Default::default()
        });
        o
    }

    #[test]
    fn the_index_finds_what_a_scan_of_every_claim_finds() {
        let organizers = [
            with_key(
                organizer("it", "jane", "acme", "jane@example.com"),
                "42",
                "7",
            ),
            organizer("it", "jane-dup", "acme", "JANE@example.com"),
            organizer("it", "sam", "acme", "sam@example.com"),
            with_key(organizer("it", "old", "acme", "old@example.com"), "42", "9"),
            organizer("sales", "sam", "goto", "sam@example.com"),
        ];
        let accounts = [account("it", "acme", "42"), account("sales", "goto", "43")];
        let all = claims(&organizers, &accounts);
        let scanned: Vec<(String, Claim)> = organizers
            .iter()
            .filter_map(|o| {
                let key = accounts
                    .iter()
                    .find(|a| {
                        a.namespace() == o.namespace() && a.name_any() == o.spec.account_ref.name
                    })
                    .map(|a| a.spec.account_key.as_str());
                let object = format!("{}/{}", o.namespace().unwrap_or_default(), o.name_any());
                Claim::resolved(o, key).map(|claim| (object, claim))
            })
            .collect();
        for account_key in ["42", "43", "44"] {
            for organizer_key in ["7", "8", "9"] {
                for email in [
                    "jane@example.com",
                    " Sam@Example.com",
                    "old@example.com",
                    "x@example.com",
                ] {
                    assert_eq!(
                        claimant(&all, account_key, organizer_key, email),
                        scanned
                            .iter()
                            .find(|(_, c)| c.overlaps(&Claim::on(
                                account_key,
                                organizer_key,
                                email
                            )))
                            .map(|(object, _)| object.clone()),
                        "{account_key} {organizer_key} {email}"
                    );
                }
            }
        }
    }

    #[test]
    fn email_claims_ignore_case_and_surrounding_space() {
        let (organizers, accounts) = (
            [organizer("it", "jane", "acme", " Jane.Doe@Example.com")],
            [account("it", "acme", "42")],
        );
        let all = claims(&organizers, &accounts);
        assert_eq!(
            claimant(&all, "42", "7", "jane.doe@example.COM"),
            Some("it/jane".to_string())
        );
        assert!(claimant(&all, "42", "7", "sam@example.com").is_none());
    }

    #[test]
    fn claims_span_namespaces_through_the_account_key() {
        let (organizers, accounts) = (
            [organizer("sales", "jane", "goto", "jane@example.com")],
            [account("sales", "goto", "42"), account("it", "acme", "42")],
        );
        let all = claims(&organizers, &accounts);
        assert!(claimant(&all, "42", "7", "jane@example.com").is_some());
        assert!(
            claimant(&all, "43", "7", "jane@example.com").is_none(),
            "another GoTo account is another person"
        );
    }

    #[test]
    fn a_recorded_key_claims_under_another_email_and_the_annotation_too() {
        let recorded = with_key(
            organizer("it", "jane", "acme", "old@example.com"),
            "42",
            "7",
        );
        let mut annotated = organizer("it", "sam", "acme", "sam@example.com");
        annotated.metadata.annotations = Some(
            [(
                crate::crd::organizer::ORGANIZER_KEY_ANNOTATION.to_string(),
                "8".to_string(),
            )]
            .into(),
        );
        let (organizers, accounts) = ([recorded, annotated], [account("it", "acme", "42")]);
        let all = claims(&organizers, &accounts);
        assert!(claimant(&all, "42", "7", "renamed@example.com").is_some());
        assert!(claimant(&all, "42", "8", "other@example.com").is_some());
        assert!(claimant(&all, "42", "9", "other@example.com").is_none());
    }

    #[test]
    fn the_recorded_account_key_wins_and_an_unknown_account_claims_nothing() {
        // The GoToAccount was re-pointed at another GoTo account after the object recorded its own.
        let recorded = with_key(
            organizer("it", "jane", "acme", "jane@example.com"),
            "41",
            "7",
        );
        let orphan = organizer("it", "sam", "gone", "sam@example.com");
        let (organizers, accounts) = ([recorded, orphan], [account("it", "acme", "42")]);
        let all = claims(&organizers, &accounts);
        assert!(claimant(&all, "41", "7", "jane@example.com").is_some());
        assert!(claimant(&all, "42", "1", "jane@example.com").is_none());
        assert!(claimant(&all, "42", "2", "sam@example.com").is_none());
    }
}
