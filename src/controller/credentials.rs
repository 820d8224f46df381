//! Keeps a GoToAccount's credentials Secret until nothing can need it any more.
//!
//! Deleting a namespace deletes its Secrets, GoToAccounts and GoToOrganizers all at once. The
//! organizers' finalizers still have to reach GoTo (offboarding a seat), which takes the account's
//! credentials; the account's own finalizer keeps the account while organizers reference it, and
//! this module does the same for the Secret: while a GoToAccount references a Secret, the Secret
//! carries the finalizer [`FINALIZER`]. So after an operator restart (no cached client) the
//! organizers still finalize with the Secret's data, and the Secret goes last.
//!
//! The finalizer is added by the account's reconcile, and released by a sweep of the namespace
//! (run by every account reconcile, and by an account's cleanup before it lets go of the account):
//! a Secret with the finalizer is still needed while some GoToAccount references it and that
//! account is either not being deleted or still has GoToOrganizers. A Secret deleted while a live
//! account references it stays `Terminating` until the account stops referencing it.
//!
//! Only Secret metadata is read here (`get`/`list` as PartialObjectMetadata); the data is read
//! only by `clients.rs`, for the one Secret an account names.
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use super::error::Error;
use crate::crd::{GoToAccount, GoToOrganizer};

/// Finalizer the operator puts on a Secret that a GoToAccount references.
pub const FINALIZER: &str = "goto-operator.dev/credentials-in-use";

/// Puts [`FINALIZER`] on the Secret `account` references, unless it is already there, the Secret
/// does not exist, or it is already being deleted (no finalizer can be added then).
pub async fn protect(kube: &Client, account: &GoToAccount) -> Result<(), Error> {
    let namespace = account.namespace().unwrap_or_default();
    let name = &account.spec.credentials_secret_ref.name;
    let secrets: Api<Secret> = Api::namespaced(kube.clone(), &namespace);
    let Some(secret) = secrets.get_metadata_opt(name).await? else {
        return Ok(());
    };
    if secret.metadata.deletion_timestamp.is_some()
        || secret.finalizers().iter().any(|f| f == FINALIZER)
    {
        return Ok(());
    }
    // Finalizers merge as a set under a strategic merge patch: nothing else on the list is lost.
    let patch = json!({"metadata": {"finalizers": [FINALIZER]}});
    secrets
        .patch_metadata(name, &PatchParams::default(), &Patch::Strategic(patch))
        .await?;
    tracing::info!(namespace, secret = %name, account = %account.name_any(), "credentials Secret protected by a finalizer");
    Ok(())
}

/// Releases [`FINALIZER`] from every Secret of the namespace that no longer needs it.
/// `finishing`: the account whose cleanup is about to let go of it (it no longer counts).
pub async fn sweep(kube: &Client, namespace: &str, finishing: Option<&str>) -> Result<(), Error> {
    let secrets: Api<Secret> = Api::namespaced(kube.clone(), namespace);
    let held: Vec<String> = secrets
        .list_metadata(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|s| s.finalizers().iter().any(|f| f == FINALIZER))
        .map(|s| s.name_any())
        .collect();
    if held.is_empty() {
        return Ok(());
    }
    let accounts = Api::<GoToAccount>::namespaced(kube.clone(), namespace)
        .list(&ListParams::default())
        .await?
        .items;
    // A live account keeps its Secret without looking further; organizers are listed only when
    // a Secret's accounts are all being deleted.
    let candidates: Vec<String> = held
        .into_iter()
        .filter(|secret| !still_needed(secret, &accounts, &[], finishing))
        .collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let organizers = Api::<GoToOrganizer>::namespaced(kube.clone(), namespace)
        .list(&ListParams::default())
        .await?
        .items;
    for secret in candidates {
        if still_needed(&secret, &accounts, &organizers, finishing) {
            continue;
        }
        let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": [FINALIZER]}});
        match secrets
            .patch_metadata(&secret, &PatchParams::default(), &Patch::Strategic(patch))
            .await
        {
            Ok(_) => tracing::info!(namespace, secret, "credentials Secret released"),
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Whether some account still needs the Secret `secret`: it references it and is either live
/// or still has organizers to finalize.
fn still_needed(
    secret: &str,
    accounts: &[GoToAccount],
    organizers: &[GoToOrganizer],
    finishing: Option<&str>,
) -> bool {
    accounts
        .iter()
        .filter(|a| a.spec.credentials_secret_ref.name == secret)
        .filter(|a| Some(a.name_any().as_str()) != finishing)
        .any(|a| {
            a.metadata.deletion_timestamp.is_none()
                || organizers
                    .iter()
                    .any(|o| o.spec.account_ref.name == a.name_any())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn account(name: &str, secret: &str, deleting: bool) -> GoToAccount {
        let mut a = crate::crd::fixtures::account("ns", name, "1");
        a.spec.credentials_secret_ref.name = secret.into();
        if deleting {
            a.metadata.deletion_timestamp = Some(Time(jiff::Timestamp::now()));
        }
        a
    }

    fn organizer(account: &str) -> GoToOrganizer {
        let name = format!("user-of-{account}");
        crate::crd::fixtures::organizer("ns", &name, account, "a@example.com")
    }

    #[test]
    fn a_secret_is_kept_while_any_account_may_still_need_it() {
        let live = account("a", "s", false);
        let deleting = account("b", "s", true);
        let other = account("c", "other", false);
        // (what, accounts, organizers, finishing account, still needed)
        type Case<'a> = (
            &'a str,
            Vec<GoToAccount>,
            Vec<GoToOrganizer>,
            Option<&'a str>,
            bool,
        );
        let cases: Vec<Case> = vec![
            ("live account", vec![live.clone()], vec![], None, true),
            (
                "no account references it",
                vec![other.clone()],
                vec![],
                None,
                false,
            ),
            ("no account at all", vec![], vec![], None, false),
            (
                "deleting, organizers left",
                vec![deleting.clone()],
                vec![organizer("b")],
                None,
                true,
            ),
            (
                "deleting, no organizers",
                vec![deleting.clone()],
                vec![organizer("c")],
                None,
                false,
            ),
            (
                "the finishing account itself",
                vec![live.clone()],
                vec![],
                Some("a"),
                false,
            ),
            (
                "two accounts, one finishing, the other live",
                vec![live.clone(), deleting.clone()],
                vec![],
                Some("b"),
                true,
            ),
            (
                "two accounts deleting together, both done",
                vec![account("a", "s", true), deleting.clone()],
                vec![],
                Some("a"),
                false,
            ),
        ];
        for (what, accounts, organizers, finishing, want) in cases {
            assert_eq!(
                still_needed("s", &accounts, &organizers, finishing),
                want,
                "{what}"
            );
        }
    }
}
