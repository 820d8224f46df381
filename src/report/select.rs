//! Which organizers the report covers: every organizer of the account, or those named by
//! `--email` and `--organizer-key`.
use std::collections::HashSet;

use super::rows::{OrganizerRef, key_cmp};
use crate::goto::{GoToApi, ListedOrganizer, OrganizerKey};

/// The organizers asked for on the command line; both empty means all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrganizerSelection {
    /// Login emails, matched ignoring case as GoTo does.
    pub emails: Vec<String>,
    /// Organizer keys, exact strings.
    pub keys: Vec<OrganizerKey>,
}

impl OrganizerSelection {
    /// Checks the flags before any GoTo call: keys are digits, emails are not blank.
    pub fn new(emails: Vec<String>, keys: Vec<String>) -> crate::Result<Self> {
        if let Some(blank) = emails.iter().find(|e| e.trim().is_empty()) {
            return Err(crate::Error::Invalid(format!("--email {blank:?} is empty")));
        }
        if let Some(bad) = keys
            .iter()
            .find(|k| k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(crate::Error::Invalid(format!(
                "--organizer-key {bad:?} is not a GoTo key (digits only)"
            )));
        }
        Ok(Self {
            emails,
            keys: keys.into_iter().map(OrganizerKey::new).collect(),
        })
    }

    /// True when no flag narrows the report.
    pub fn is_all(&self) -> bool {
        self.emails.is_empty() && self.keys.is_empty()
    }
}

/// Resolves the selection to organizers, in key order, each once.
///
/// Emails are matched against ONE listing of the account's organizers, however many `--email`
/// flags there are; each `--organizer-key` costs one GET. An email or key GoTo does not know is
/// an error: a compliance report silently missing a person is worse than no report.
pub async fn resolve(
    client: &dyn GoToApi,
    selection: &OrganizerSelection,
) -> crate::Result<Vec<OrganizerRef>> {
    let mut chosen: Vec<ListedOrganizer> = Vec::new();
    if selection.is_all() || !selection.emails.is_empty() {
        let all: Vec<ListedOrganizer> = client.list().await?;
        if selection.is_all() {
            chosen = all;
        } else {
            for email in &selection.emails {
                let found = all
                    .iter()
                    .find(|o| crate::email::same(&o.email, email))
                    .ok_or_else(|| {
                        crate::Error::Invalid(format!(
                            "no organizer with email {:?} in GoTo account {}",
                            email.trim(),
                            client.account_key()
                        ))
                    })?;
                chosen.push(found.clone());
            }
        }
    }
    for key in &selection.keys {
        match client.read(key).await? {
            Some(organizer) => chosen.push(ListedOrganizer::from(&organizer)),
            None => {
                return Err(crate::Error::Invalid(format!(
                    "no organizer with key {key} in GoTo"
                )));
            }
        }
    }
    Ok(dedupe_sorted(chosen))
}

/// One entry per organizer key, in numeric key order.
fn dedupe_sorted(organizers: Vec<ListedOrganizer>) -> Vec<OrganizerRef> {
    let mut seen = HashSet::new();
    let mut refs: Vec<OrganizerRef> = organizers
        .into_iter()
        .filter(|o| seen.insert(o.organizer_key.clone()))
        .map(|o| OrganizerRef {
            key: o.organizer_key.as_str().to_owned(),
            email: o.email,
        })
        .collect();
    refs.sort_by(|a, b| key_cmp(&a.key, &b.key));
    refs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organizer(key: &str, email: &str) -> ListedOrganizer {
        serde_json::from_value(serde_json::json!({"organizerKey": key, "email": email})).unwrap()
    }

    #[test]
    fn flags_are_checked_before_any_call() {
        assert!(OrganizerSelection::new(vec![], vec![]).unwrap().is_all());
        let error = OrganizerSelection::new(vec![], vec!["12a".into()]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--organizer-key \"12a\" is not a GoTo key (digits only)"
        );
        assert!(OrganizerSelection::new(vec![" ".into()], vec![]).is_err());
        let ok = OrganizerSelection::new(
            vec!["a@b.c".into()],
            vec!["340282366920938463463374607431768211457".into()],
        )
        .unwrap();
        assert_eq!(
            ok.keys[0].as_str(),
            "340282366920938463463374607431768211457"
        );
    }

    #[test]
    fn organizers_are_deduplicated_and_in_key_order() {
        let refs = dedupe_sorted(vec![
            organizer("18446744073709551618", "b@x.io"),
            organizer("9", "c@x.io"),
            organizer("18446744073709551618", "b@x.io"),
        ]);
        let keys: Vec<&str> = refs.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["9", "18446744073709551618"]);
    }

    #[test]
    fn emails_match_ignoring_case() {
        assert!(crate::email::same("Ada@Example.com", " ada@example.COM "));
        assert!(!crate::email::same("ada@example.com", "ada2@example.com"));
    }
}
