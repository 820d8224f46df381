//! One GoToOrganizer manifest for one GoTo organizer: pure, so every choice below is unit-tested.
//!
//! The manifest restates what GoTo holds (email, names, locale, time zone, admin roles,
//! suspended), names the organizer by key in the organizer-key annotation (so it is adopted, never
//! looked up or created), and writes **every defaulted spec field explicitly**: the spec is
//! serialised from the typed [`GoToOrganizerSpec`], whose serde defaults are the CRD's defaults,
//! so what `kubectl get -o yaml` shows after an apply equals the manifest and Argo CD never
//! reports OutOfSync because the API server filled a default in.
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::controller::validate;
use crate::crd::organizer::ORGANIZER_KEY_ANNOTATION;
use crate::crd::{GoToOrganizer, ManagementPolicy};
use crate::goto::{Organizer, OrganizerStatus};

/// The longest name an exported object gets (shorter than the 253 allowed: names show in
/// `kubectl get` columns and in file names).
const MAX_NAME: usize = 63;

/// Builds the manifest of `organizer` in `namespace`, using the GoToAccount `account`.
///
/// Observed optional fields that the operator would refuse (a locale or time zone it does not
/// know, a malformed role) are left out, which leaves them unmanaged, rather than producing an
/// object that would only report `InvalidSpec`. `Err` when even the required fields are unusable
/// (for example a blank name in GoTo): such an organizer cannot be expressed as a GoToOrganizer.
pub fn manifest(
    namespace: &str,
    account: &str,
    name: &str,
    organizer: &Organizer,
    policy: ManagementPolicy,
) -> Result<GoToOrganizer, String> {
    manifest_with(namespace, account, name, organizer, policy, true)
}

/// [`manifest`], for a dialect that may not tell the locale, time zone and roles
/// (`profile_known: false`, GoTo's v1): those are then left out, unmanaged, rather than
/// restated as "none" from an answer that cannot carry them.
pub fn manifest_with(
    namespace: &str,
    account: &str,
    name: &str,
    organizer: &Organizer,
    policy: ManagementPolicy,
    profile_known: bool,
) -> Result<GoToOrganizer, String> {
    if !profile_known {
        return build(namespace, account, name, organizer, policy, false);
    }
    let full = build(namespace, account, name, organizer, policy, true)?;
    if validate::organizer(&full).is_ok() {
        return Ok(full);
    }
    let required_only = build(namespace, account, name, organizer, policy, false)?;
    validate::organizer(&required_only).map(|()| required_only)
}

fn build(
    namespace: &str,
    account: &str,
    name: &str,
    organizer: &Organizer,
    policy: ManagementPolicy,
    optional: bool,
) -> Result<GoToOrganizer, String> {
    let mut spec = json!({
        "accountRef": {"name": account},
        "email": organizer.email,
        "firstName": organizer.first_name,
        "lastName": organizer.last_name,
        "suspended": organizer.status == Some(OrganizerStatus::Suspended),
        "deletionPolicy": "Orphan",
        "managementPolicy": policy,
    });
    if optional {
        if let Some(locale) = &organizer.locale {
            spec["locale"] = json!(locale);
        }
        if let Some(tz) = &organizer.time_zone {
            spec["timeZone"] = json!(tz);
        }
        let roles: BTreeSet<&str> = organizer.admin_roles.iter().map(String::as_str).collect();
        if roles.iter().all(|r| (1..=64).contains(&r.chars().count())) && roles.len() <= 20 {
            spec["adminRoles"] = json!(roles);
        }
    }
    let obj = json!({
        "apiVersion": "goto-operator.dev/v1alpha1",
        "kind": "GoToOrganizer",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {ORGANIZER_KEY_ANNOTATION: organizer.organizer_key.as_str()},
        },
        "spec": spec,
    });
    serde_json::from_value(obj).map_err(|e| {
        format!(
            "organizer {} ({}) cannot be written as a GoToOrganizer: {e}",
            organizer.organizer_key, organizer.email
        )
    })
}

/// A DNS-1123 name for the organizer, from its email's local part (`Jane.Doe@x` → `jane-doe`),
/// not in `taken`; on a clash the organizer key is appended, which is unique in the account.
pub fn object_name(organizer: &Organizer, taken: &BTreeSet<String>) -> String {
    let local = organizer.email.split('@').next().unwrap_or_default();
    let mut base = String::new();
    for c in local.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            base.push(c);
        } else if !base.ends_with('-') {
            base.push('-');
        }
    }
    let mut base = base.trim_matches('-').to_string();
    if base.is_empty() {
        base = "organizer".into();
    }
    base.truncate(MAX_NAME);
    let base = base.trim_end_matches('-').to_string();
    if !taken.contains(&base) {
        return base;
    }
    let key: String = organizer
        .organizer_key
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let room = MAX_NAME.saturating_sub(key.len() + 1).max(1);
    let mut head = base;
    head.truncate(room);
    format!("{}-{key}", head.trim_end_matches('-'))
}

/// The YAML of one manifest, with the fields in the order people expect them (no `status`).
pub fn to_yaml(obj: &GoToOrganizer) -> Result<String, String> {
    let mut value = serde_json::to_value(obj).map_err(|e| e.to_string())?;
    if let Value::Object(fields) = &mut value {
        fields.remove("status");
    }
    serde_norway::to_string(&value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goto::OrganizerKey;

    fn observed() -> Organizer {
        Organizer {
            organizer_key: OrganizerKey::new("18446744073709551617"),
            account_key: None,
            email: "Jane.Doe@Example.com".into(),
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            status: Some(OrganizerStatus::Suspended),
            locale: Some("en_US".into()),
            time_zone: Some("Europe/Paris".into()),
            max_participants: Some(250),
            admin_roles: vec!["MANAGER".into(), "ADMIN".into(), "MANAGER".into()],
            extra: Default::default(),
        }
    }

    #[test]
    fn the_manifest_restates_goto_and_spells_out_every_default() {
        let obj = manifest(
            "it",
            "acme",
            "jane-doe",
            &observed(),
            ManagementPolicy::Observe,
        )
        .expect("manifest");
        let yaml = to_yaml(&obj).expect("yaml");
        let value: Value = serde_norway::from_str(&yaml).expect("parse");
        assert_eq!(
            value["metadata"]["annotations"][ORGANIZER_KEY_ANNOTATION], "18446744073709551617",
            "the key stays a string"
        );
        assert_eq!(value["metadata"]["namespace"], "it");
        let spec = &value["spec"];
        assert_eq!(spec["email"], "Jane.Doe@Example.com");
        assert_eq!(spec["suspended"], true);
        assert_eq!(spec["adminRoles"], json!(["ADMIN", "MANAGER"]), "a set");
        assert_eq!(spec["locale"], "en_US");
        assert_eq!(spec["timeZone"], "Europe/Paris");
        assert_eq!(spec["managementPolicy"], "Observe");
        assert_eq!(spec["deletionPolicy"], "Orphan");
        assert_eq!(spec["onUpcomingMeetings"], "Block", "defaults are explicit");
        assert!(value.get("status").is_none(), "{yaml}");
        let manage = manifest(
            "it",
            "acme",
            "jane-doe",
            &observed(),
            ManagementPolicy::Manage,
        )
        .expect("manifest");
        assert_eq!(manage.spec.management_policy, ManagementPolicy::Manage);
    }

    #[test]
    fn every_field_with_a_crd_default_is_written() {
        // The CRD's defaults come from the same serde defaults; a field added to the spec later
        // with a default is covered by serialising the typed spec, which this test pins.
        let obj =
            manifest("it", "acme", "x", &observed(), ManagementPolicy::Observe).expect("manifest");
        let spec = serde_json::to_value(&obj.spec).expect("spec");
        let crd =
            serde_json::to_value(<GoToOrganizer as kube::CustomResourceExt>::crd()).expect("crd");
        let props = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            ["properties"];
        for (field, schema) in props.as_object().expect("properties") {
            if schema.get("default").is_some() {
                assert!(
                    spec.get(field).is_some(),
                    "defaulted field {field} not written"
                );
            }
        }
    }

    #[test]
    fn values_the_operator_would_refuse_are_left_unmanaged() {
        let mut o = observed();
        o.time_zone = Some("Mars/Olympus_Mons".into());
        o.locale = Some("english".into());
        let obj = manifest("it", "acme", "x", &o, ManagementPolicy::Observe).expect("manifest");
        assert_eq!(obj.spec.time_zone, None);
        assert_eq!(obj.spec.locale, None);
        assert_eq!(obj.spec.first_name, "Jane");
        let mut blank = observed();
        blank.first_name = " ".into();
        assert!(manifest("it", "acme", "x", &blank, ManagementPolicy::Observe).is_err());
    }

    #[test]
    fn through_a_dialect_that_cannot_tell_roles_they_are_left_unmanaged() {
        let mut o = observed();
        o.admin_roles.clear();
        let obj = manifest_with("it", "acme", "x", &o, ManagementPolicy::Observe, false)
            .expect("manifest");
        let spec = serde_json::to_value(&obj.spec).unwrap();
        assert!(spec.get("adminRoles").is_none_or(|r| r.is_null()), "{spec}");
        assert!(spec.get("locale").is_none_or(|r| r.is_null()), "{spec}");
        let known = manifest("it", "acme", "x", &o, ManagementPolicy::Observe).expect("manifest");
        assert_eq!(
            serde_json::to_value(&known.spec).unwrap()["adminRoles"],
            json!([])
        );
    }

    #[test]
    fn names_come_from_the_email_and_never_clash() {
        let mut taken = BTreeSet::new();
        let o = observed();
        assert_eq!(object_name(&o, &taken), "jane-doe");
        taken.insert("jane-doe".to_string());
        assert_eq!(object_name(&o, &taken), "jane-doe-18446744073709551617");
        let mut odd = observed();
        odd.email = "..+__@example.com".into();
        assert_eq!(object_name(&odd, &BTreeSet::new()), "organizer");
        let mut long = observed();
        long.email = format!("{}@example.com", "a".repeat(100));
        let name = object_name(&long, &BTreeSet::new());
        assert_eq!(name.len(), MAX_NAME);
        taken.insert(name.clone());
        let with_key = object_name(&long, &taken);
        assert!(with_key.len() <= MAX_NAME, "{with_key}");
        assert!(with_key.ends_with("-18446744073709551617"));
    }
}
