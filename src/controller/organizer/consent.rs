//! Consent that names what it cancels. A GoTo DELETE cancels every upcoming meeting of the
//! organizer, silently and for good. `onUpcomingMeetings: Cancel` is a standing switch (for
//! automation): it cancels whatever the final audit finds. A person reviewing a blocked deletion
//! consents instead to exactly the meetings they saw: the annotation
//! `goto-operator.dev/cancel-meetings` names the digest of that audit
//! (`status.meetingAudit.digest`), and the DELETE goes ahead only while the final audit (after
//! the suspend) still has that digest. A meeting booked or moved meanwhile changes the digest:
//! nothing is deleted, and the block is written again with the new list and digest.
use sha2::{Digest, Sha256};

use crate::crd::{GoToOrganizerSpec, OnUpcomingMeetings};
use crate::goto::Meeting;

pub use crate::crd::organizer::CANCEL_MEETINGS_ANNOTATION as ANNOTATION;

/// The digest of an audit: SHA-256 over the sorted meeting ids and start times, as
/// `sha256:<hex>`. The same meetings in any order give the same digest; any other meeting, or
/// one moved to another time, gives another.
pub fn digest(meetings: &[Meeting]) -> String {
    let mut lines: Vec<String> = meetings
        .iter()
        .map(|m| {
            let start = m.start_time.map(|t| t.to_string()).unwrap_or_default();
            format!("{}\t{start}\n", m.meeting_id)
        })
        .collect();
    lines.sort();
    let mut hash = Sha256::new();
    for line in &lines {
        hash.update(line.as_bytes());
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Whether a Delete may cancel `meetings`: none, the standing `Cancel` policy, or the consent
/// annotation naming exactly their digest.
pub fn allows(spec: &GoToOrganizerSpec, consent: Option<&str>, meetings: &[Meeting]) -> bool {
    meetings.is_empty()
        || spec.on_upcoming_meetings == OnUpcomingMeetings::Cancel
        || consent.is_some_and(|named| named.trim() == digest(meetings))
}

/// The one-line consent a person runs for `meetings` of object `name`.
pub fn command(name: &str, meetings: &[Meeting]) -> String {
    format!(
        "kubectl annotate gto {name} {ANNOTATION}={}",
        digest(meetings)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meeting(id: &str, start: &str) -> Meeting {
        serde_json::from_value(json!({"meetingId": id, "subject": "s", "startTime": start}))
            .expect("meeting")
    }

    fn spec(policy: &str) -> GoToOrganizerSpec {
        serde_json::from_value(json!({
            "accountRef": {"name": "acme"}, "email": "a@example.com", "firstName": "A",
            "lastName": "B", "onUpcomingMeetings": policy,
        }))
        .expect("spec")
    }

    #[test]
    fn the_digest_names_the_set_of_meetings_and_their_times() {
        let a = meeting("1", "2026-12-10T10:00:00Z");
        let b = meeting("2", "2026-12-11T10:00:00Z");
        let both = digest(&[a.clone(), b.clone()]);
        assert!(
            both.starts_with("sha256:") && both.len() == 7 + 64,
            "{both}"
        );
        assert_eq!(
            both,
            digest(&[b.clone(), a.clone()]),
            "order does not matter"
        );
        assert_ne!(both, digest(std::slice::from_ref(&a)), "one meeting fewer");
        let moved = meeting("2", "2026-12-12T10:00:00Z");
        assert_ne!(both, digest(&[a.clone(), moved]), "a meeting moved");
    }

    #[test]
    fn a_delete_cancels_only_what_was_consented_to() {
        let reviewed = [meeting("1", "2026-12-10T10:00:00Z")];
        let booked_since = [
            meeting("1", "2026-12-10T10:00:00Z"),
            meeting("3", "2026-12-13T10:00:00Z"),
        ];
        let consent = digest(&reviewed);
        let block = spec("Block");
        assert!(allows(&block, None, &[]), "nothing to cancel");
        assert!(!allows(&block, None, &reviewed));
        assert!(allows(&block, Some(&consent), &reviewed));
        assert!(allows(&block, Some(&format!(" {consent} ")), &reviewed));
        assert!(
            !allows(&block, Some(&consent), &booked_since),
            "a new meeting"
        );
        assert!(!allows(&block, Some("sha256:junk"), &reviewed));
        assert!(
            allows(&spec("Cancel"), None, &booked_since),
            "the standing policy"
        );
    }
}
