//! Tests of `models`.
/// Issue 21 (5): keys from GoTo are digits, bounded; an unknown status is kept, cut.
#[test]
fn keys_from_goto_are_digits_and_an_unknown_status_is_bounded() {
    let parse = |key: &str| {
        serde_json::from_value::<Organizer>(serde_json::json!({
            "organizerKey": key, "email": "a@example.com", "status": "ACTIVE"}))
    };
    assert!(parse("18446744073709551616").is_ok(), "above 2^64 is fine");
    for bad in ["", "12a", "-1", "1 2", "../../x", &"9".repeat(41)] {
        let err = parse(bad).expect_err(bad).to_string();
        assert!(err.contains("is not 1 to 40 digits"), "{bad}: {err}");
    }
    let hostile: Organizer = serde_json::from_value(serde_json::json!({
        "organizerKey": "1", "email": "a@example.com", "status": "X".repeat(1 << 20)}))
    .expect("an unknown status is kept");
    let status = hostile.status.expect("status");
    assert_eq!(status.as_str().chars().count(), MAX_STATUS_CHARS);
    let account: Result<AccountKey, _> = serde_json::from_value(serde_json::json!("acme"));
    assert!(account.is_err());
}
use super::*;

const ABOVE_2_128: &str = "340282366920938463463374607431768211457";

#[test]
fn keys_above_2_64_round_trip_exactly() {
    let json = format!(
        r#"{{"organizerKey":"{ABOVE_2_128}","accountKey":"18446744073709551617","email":"a@b.c"}}"#
    );
    let organizer: Organizer = serde_json::from_str(&json).unwrap();
    assert_eq!(organizer.organizer_key.as_str(), ABOVE_2_128);
    assert_eq!(
        organizer.account_key.as_ref().unwrap().as_str(),
        "18446744073709551617"
    );
    let back = serde_json::to_value(&organizer).unwrap();
    assert_eq!(
        back["organizerKey"],
        serde_json::Value::String(ABOVE_2_128.into())
    );
    assert_eq!(OrganizerKey::new(ABOVE_2_128).to_string(), ABOVE_2_128);
}

#[test]
fn numeric_keys_are_rejected_not_rounded() {
    let json = r#"{"organizerKey":340282366920938463463374607431768211457}"#;
    assert!(serde_json::from_str::<Organizer>(json).is_err());
}

#[test]
fn unknown_status_is_kept_verbatim() {
    let organizer: Organizer =
        serde_json::from_str(r#"{"organizerKey":"1","status":"PENDING"}"#).unwrap();
    assert_eq!(
        organizer.status,
        Some(OrganizerStatus::Other("PENDING".into()))
    );
    assert_eq!(
        serde_json::to_value(&organizer).unwrap()["status"],
        "PENDING"
    );
}

#[test]
fn unknown_fields_are_carried_through_a_full_put() {
    let raw = r#"{"organizerKey":"1","accountKey":"2","email":"a@b.c","firstName":"A",
        "lastName":"B","status":"ON_LEAVE","productType":"G2M_BUSINESS",
        "groupId":"77","flags":{"beta":true},"adminRoles":[]}"#;
    let organizer: Organizer = serde_json::from_str(raw).unwrap();
    let body = serde_json::to_value(OrganizerUpdate {
        status: organizer.status.clone(),
        ..OrganizerUpdate::from_organizer(&organizer)
    })
    .unwrap();
    assert_eq!(body["productType"], "G2M_BUSINESS");
    assert_eq!(body["groupId"], "77");
    assert_eq!(body["flags"], serde_json::json!({"beta": true}));
    assert_eq!(body["status"], "ON_LEAVE");
    assert!(body.get("organizerKey").is_none(), "{body}");
}

#[test]
fn update_body_is_complete_and_omits_only_none() {
    let update = OrganizerUpdate {
        email: "a@b.c".into(),
        first_name: "A".into(),
        last_name: "B".into(),
        locale: Some("en_US".into()),
        time_zone: None,
        admin_roles: vec![],
        status: Some(OrganizerStatus::Active),
        extra: Default::default(),
    };
    let body = serde_json::to_value(&update).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"email":"a@b.c","firstName":"A","lastName":"B",
            "locale":"en_US","adminRoles":[],"status":"ACTIVE"})
    );
}

#[test]
fn history_meeting_decodes() {
    let json = r#"{"meetingId":"18446744073709551616","meetingInstanceKey":"99999999999999999999",
        "subject":"s","startTime":"2026-01-02T10:00:00Z","endTime":"2026-01-02T11:00:00Z"}"#;
    let meeting: Meeting = serde_json::from_str(json).unwrap();
    assert_eq!(
        meeting.meeting_instance_key.unwrap().as_str(),
        "99999999999999999999"
    );
    assert_eq!(
        meeting.start_time.unwrap().to_string(),
        "2026-01-02T10:00:00Z"
    );
}

#[test]
fn meeting_subjects_are_cleaned_and_cut() {
    let long = "x".repeat(10_000);
    let json = format!(r#"{{"meetingId":"1","subject":"a\u001b[2Jb\n{long}"}}"#);
    let meeting: Meeting = serde_json::from_str(&json).unwrap();
    assert!(meeting.subject.starts_with("a[2Jbx"), "{}", meeting.subject);
    assert_eq!(meeting.subject.chars().count(), MAX_SUBJECT_CHARS);
    let plain: Meeting = serde_json::from_str(r#"{"meetingId":"1","subject":"Standup"}"#).unwrap();
    assert_eq!(plain.subject, "Standup");
    let none: Meeting = serde_json::from_str(r#"{"meetingId":"1"}"#).unwrap();
    assert_eq!(none.subject, "");
}
