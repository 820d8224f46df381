//! Tests of `v1_wire`: v1's shapes, and keys parsed exactly.
use super::*;

fn organizer(key: &str) -> Result<Organizer, serde_json::Error> {
    let body = format!(
        r#"[{{"organizerKey":{key},"email":"ada@example.com","firstName":"Ada","lastName":"L",
        "groupId":{key},"groupName":"g","status":"active","products":["G2M"],
        "maxNumAttendeesAllowed":250}}]"#
    );
    serde_json::from_str::<Vec<V1Organizer>>(&body).map(|mut v| v.remove(0).into())
}

/// Issue 20 (3): keys above 2^53 (where f64 rounds) are kept to the digit; above 2^63 - 1,
/// or not an integer, they are refused with a message that says why.
#[test]
fn int64_keys_are_exact_above_2_53_and_refused_above_2_63() {
    for key in ["9007199254740993", "9223372036854775807", "0", "1"] {
        let o = organizer(key).expect(key);
        assert_eq!(o.organizer_key.as_str(), key);
    }
    assert_eq!(
        organizer("9007199254740993")
            .unwrap()
            .organizer_key
            .as_str(),
        "9007199254740993",
        "2^53 + 1 would read as 2^53 through f64"
    );
    for (key, why) in [
        ("9223372036854775808", "above 2^63 - 1"),
        ("18446744073709551616", "beyond 2^63 - 1"),
        ("340282366920938463463374607431768211457", "beyond 2^63 - 1"),
        ("1.5", "not an int64"),
        ("1e3", "not an int64"),
        ("-7", "negative"),
        ("\"12a\"", "not int64 digits"),
    ] {
        let err = organizer(key).expect_err(key).to_string();
        assert!(err.contains(why), "{key}: {err}");
    }
    let quoted = organizer("\"9007199254740993\"").expect("digits in a string");
    assert_eq!(quoted.organizer_key.as_str(), "9007199254740993");
}

#[test]
fn a_v1_organizer_reads_as_the_operators_organizer() {
    let o = organizer("9007199254740993").unwrap();
    assert_eq!(o.email, "ada@example.com");
    assert_eq!(o.first_name, "Ada");
    assert_eq!(o.status, Some(OrganizerStatus::Active));
    assert_eq!(o.max_participants, Some(250));
    assert_eq!(o.locale, None, "v1 cannot read the locale");
    assert_eq!(o.account_key, None);
    let suspended: V1Organizer = serde_json::from_str(
        r#"{"organizerKey":2,"email":"a@b.c","status":"suspended","products":[]}"#,
    )
    .unwrap();
    assert_eq!(
        Organizer::from(suspended).status,
        Some(OrganizerStatus::Suspended)
    );
    let odd: V1Organizer = serde_json::from_str(&format!(
        r#"{{"organizerKey":2,"status":"{}"}}"#,
        "x".repeat(5000)
    ))
    .unwrap();
    let odd = Organizer::from(odd).status.unwrap();
    assert_eq!(odd.as_str().chars().count(), MAX_STATUS_CHARS);
}

#[test]
fn requests_have_the_published_field_names() {
    let new = NewOrganizer {
        email: "ada@example.com".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
    };
    assert_eq!(
        serde_json::to_value(V1NewOrganizer::from(&new)).unwrap(),
        serde_json::json!({"organizerEmail": "ada@example.com", "firstName": "Ada",
            "lastName": "Lovelace", "productType": "G2M"})
    );
    assert_eq!(
        serde_json::to_value(V1StatusChange::SUSPEND).unwrap(),
        serde_json::json!({"status": "suspended"})
    );
    assert_eq!(
        serde_json::to_value(V1StatusChange::RESUME).unwrap(),
        serde_json::json!({"productType": "G2M"})
    );
}

#[test]
fn meetings_and_attendees_keep_their_keys_as_digits() {
    let m: V1UpcomingMeeting = serde_json::from_str(
        r#"{"meetingId":"123456789","subject":"Standup\u0007","startTime":"2026-12-24T09:00:00Z",
        "endTime":"2026-12-24T09:30:00Z","accountKey":"1","organizerKey":"2"}"#,
    )
    .unwrap();
    let m = Meeting::from(m);
    assert_eq!(m.meeting_id.as_str(), "123456789");
    assert_eq!(m.subject, "Standup");
    let a: V1Attendee = serde_json::from_str(
        r#"{"meetingInstanceKey":9007199254740995,"meetingId":9007199254740993,
        "attendeeEmail":"bob@example.com","joinTime":"2026-11-01T10:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(
        a.session().meeting_instance_key.unwrap().as_str(),
        "9007199254740995"
    );
    assert_eq!(a.attendee().attendee_email, "bob@example.com");
}
