//! Objects for unit tests, written once: every test module builds its GoToOrganizers and
//! GoToAccounts here and changes only what its test is about.
use serde_json::json;

use super::{GoToAccount, GoToOrganizer};

/// GoToOrganizer `namespace/name` of GoToAccount `account` with `email`, named "A B"; no
/// generation, status or finalizer.
pub(crate) fn organizer(namespace: &str, name: &str, account: &str, email: &str) -> GoToOrganizer {
    serde_json::from_value(json!({
        "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"accountRef": {"name": account}, "email": email,
                 "firstName": "A", "lastName": "B"},
    }))
    .expect("a valid GoToOrganizer")
}

/// GoToAccount `namespace/name` for GoTo account `account_key`, through the v2 API, with the
/// credentials Secret `goto-oauth`.
pub(crate) fn account(namespace: &str, name: &str, account_key: &str) -> GoToAccount {
    serde_json::from_value(json!({
        "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"accountKey": account_key, "credentialsSecretRef": {"name": "goto-oauth"}},
    }))
    .expect("a valid GoToAccount")
}
