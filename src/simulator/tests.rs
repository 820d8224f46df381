//! Unit tests of the directory rules (organizers, meetings), without HTTP.
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::directory::{CreateBody, Directory, UpdateBody};
use super::meetings::{MeetingFilter, Window};
use super::model::{CancelledVia, OrganizerStatus, Seed, SeedMeeting, SeedOrganizer, SeedSession};

const ACCOUNT: &str = "4200000000000000001";

fn dir() -> Directory {
    Directory::new(ACCOUNT.into(), None, StatusCode::PAYMENT_REQUIRED)
}

fn create(body: serde_json::Value) -> CreateBody {
    serde_json::from_value(body).unwrap()
}

fn update(body: serde_json::Value) -> UpdateBody {
    serde_json::from_value(body).unwrap()
}

fn status_of<T: std::fmt::Debug>(r: Result<T, super::reply::ApiError>) -> u16 {
    r.unwrap_err().status.as_u16()
}

fn jordan() -> serde_json::Value {
    json!({"email": "jordan.lee@example.com", "firstName": "Jordan", "lastName": "Lee"})
}

#[test]
fn create_checks_required_fields_email_and_duplicates() {
    let mut d = dir();
    let o = d.create(create(jordan())).unwrap();
    assert_eq!(o.organizer_key, "18446744073709551617");
    assert_eq!(
        (o.status, o.max_participants),
        (OrganizerStatus::Active, 250)
    );
    assert_eq!(
        status_of(d.create(create(json!({"email": "a@b.co", "firstName": "A"})))),
        400
    );
    assert_eq!(
        status_of(d.create(create(
            json!({"email": "nope", "firstName": "A", "lastName": "B"})
        ))),
        400
    );
    let dup = json!({"email": "JORDAN.LEE@example.com", "firstName": "J", "lastName": "L"});
    assert_eq!(status_of(d.create(create(dup))), 409);
    let bad_tz =
        json!({"email": "x@y.co", "firstName": "X", "lastName": "Y", "timeZone": "Nowhere/City"});
    assert_eq!(status_of(d.create(create(bad_tz))), 400);
}

#[test]
fn unknown_body_fields_are_refused() {
    let typo = json!({"email": "x@y.co", "firstName": "X", "lastName": "Y", "timezone": "UTC"});
    assert!(serde_json::from_value::<CreateBody>(typo).is_err());
    assert!(serde_json::from_value::<UpdateBody>(json!({"organizerKey": 42})).is_err());
}

#[test]
fn seats_give_the_configured_status() {
    for (status, expected) in [
        (StatusCode::PAYMENT_REQUIRED, 402),
        (StatusCode::CONFLICT, 409),
    ] {
        let mut d = Directory::new(ACCOUNT.into(), Some(1), status);
        d.create(create(jordan())).unwrap();
        let next = json!({"email": "sam@example.com", "firstName": "Sam", "lastName": "T"});
        assert_eq!(status_of(d.create(create(next))), expected);
    }
}

#[test]
fn full_put_resets_omitted_fields_and_keeps_status() {
    let mut d = dir();
    let mut body = jordan();
    body["locale"] = json!("en_US");
    body["timeZone"] = json!("America/New_York");
    body["adminRoles"] = json!(["MANAGE_USERS"]);
    let key = d.create(create(body)).unwrap().organizer_key;
    let o = d
        .update(&key, update(json!({"timeZone": "Europe/Paris"})))
        .unwrap();
    assert_eq!(o.time_zone, "Europe/Paris");
    assert_eq!(
        (o.email.as_str(), o.first_name.as_str(), o.locale.as_str()),
        ("", "", "")
    );
    assert!(o.admin_roles.is_empty());
    assert_eq!(o.status, OrganizerStatus::Active);
    let o = d
        .update(&key, update(json!({"status": "SUSPENDED"})))
        .unwrap();
    assert_eq!(o.status, OrganizerStatus::Suspended);
}

#[test]
fn put_refuses_changing_read_only_fields() {
    let mut d = dir();
    let key = d.create(create(jordan())).unwrap().organizer_key;
    assert_eq!(
        status_of(d.update(&key, update(json!({"organizerKey": "1"})))),
        400
    );
    assert_eq!(
        status_of(d.update(&key, update(json!({"accountKey": "1"})))),
        400
    );
    assert_eq!(
        status_of(d.update(&key, update(json!({"maxParticipants": 3000})))),
        400
    );
    let echo = json!({"organizerKey": key, "accountKey": ACCOUNT, "maxParticipants": 250});
    assert!(d.update(&key, update(echo)).is_ok());
    assert_eq!(
        status_of(d.update("18446744073709551999", update(json!({})))),
        404
    );
    assert_eq!(status_of(d.update("1.8e19", update(json!({})))), 400);
}

#[test]
fn accounts_and_keys() {
    let mut d = dir();
    let key = d.create(create(jordan())).unwrap().organizer_key;
    assert!(d.check_account(ACCOUNT).is_ok());
    assert_eq!(status_of(d.check_account("4200000000000000002")), 404);
    assert_eq!(status_of(d.check_account("acct")), 400);
    assert_eq!(status_of(d.suspend("4200000000000000002", &key)), 404);
    d.suspend(ACCOUNT, &key).unwrap();
    assert_eq!(d.organizers[&key].status, OrganizerStatus::Suspended);
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn delete_cancels_only_future_meetings_and_records_them() {
    let mut d = dir();
    let key = d.create(create(jordan())).unwrap().organizer_key;
    let now = at("2026-06-01T12:00:00Z");
    let past = SeedMeeting::new(
        "in progress",
        at("2026-06-01T11:30:00Z"),
        at("2026-06-01T12:30:00Z"),
    );
    let future = SeedMeeting::new(
        "standup",
        at("2026-06-02T09:00:00Z"),
        at("2026-06-02T09:15:00Z"),
    );
    d.add_meeting(&key, past);
    let future_id = d.add_meeting(&key, future);
    assert!(d.delete(&key, now, CancelledVia::Api).is_some());
    assert!(d.meetings.is_empty());
    assert_eq!(d.cancelled.len(), 1);
    assert_eq!(d.cancelled[0].meeting_id, future_id);
    assert_eq!(d.cancelled[0].organizer_key, key);
    assert_eq!(d.cancelled[0].cancelled_at, now);
    assert!(d.delete(&key, now, CancelledVia::Api).is_none());
}

#[test]
fn meeting_filters_and_history_window() {
    let mut d = dir();
    let key = d.create(create(jordan())).unwrap().organizer_key;
    let now = at("2026-06-01T12:00:00Z");
    let running = d.add_meeting(
        &key,
        SeedMeeting::new("r", at("2026-06-01T11:00:00Z"), at("2026-06-01T13:00:00Z")),
    );
    let later = d.add_meeting(
        &key,
        SeedMeeting::new("l", at("2026-06-03T11:00:00Z"), at("2026-06-03T12:00:00Z")),
    );
    let session = |start: &str, end: &str| SeedSession {
        subject: "s".into(),
        start_time: at(start),
        end_time: at(end),
        ..SeedSession::default()
    };
    let march = d.add_session(
        &key,
        session("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"),
    );
    let may = d.add_session(
        &key,
        session("2026-05-10T10:00:00Z", "2026-05-10T11:00:00Z"),
    );
    let ongoing = d.add_session(
        &key,
        session("2026-06-01T11:00:00Z", "2026-06-01T13:00:00Z"),
    );
    let ids = |filter, window| -> Vec<String> {
        let mut items = d.meeting_items(&key, filter, window, now).unwrap();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        items
            .into_iter()
            .map(|(_, i)| {
                let v = serde_json::to_value(i).unwrap();
                let k = v.get("meetingInstanceKey").or(v.get("meetingId")).unwrap();
                k.as_str().unwrap().to_string()
            })
            .collect()
    };
    let all = Window::default();
    assert_eq!(
        ids(MeetingFilter::Upcoming, all),
        [running.clone(), later.clone()]
    );
    assert_eq!(ids(MeetingFilter::Active, all), [running]);
    assert_eq!(ids(MeetingFilter::Inactive, all), [later]);
    assert_eq!(
        ids(MeetingFilter::History, all),
        [march.clone(), may.clone()]
    );
    let spring = Window::parse(Some("2026-04-01"), Some("2026-05-10")).unwrap();
    assert_eq!(
        ids(MeetingFilter::History, spring),
        std::slice::from_ref(&may)
    );
    assert!(d.attendee_items(&may, now).is_ok());
    assert_eq!(status_of(d.attendee_items(&ongoing, now)), 404);
    let meeting_id = d.sessions[&may].meeting_id.clone();
    assert_eq!(status_of(d.attendee_items(&meeting_id, now)), 404);
}

#[test]
fn windows_and_statuses_reject_bad_input() {
    assert!(MeetingFilter::parse(Some("history")).is_err());
    assert!(MeetingFilter::parse(Some("ALL")).is_err());
    assert!(Window::parse(Some("last week"), None).is_err());
    assert!(Window::parse(Some("2026-05-02"), Some("2026-05-01")).is_err());
    assert!(Window::parse(Some("2026-05-01"), Some("2026-05-01")).is_ok());
}

#[test]
fn seeds_keep_keys_as_text_and_refuse_bad_data() {
    // An unquoted YAML scalar is read as its exact text (a string field), never as a number.
    let yaml = "organizers:\n  - organizerKey: 18446744073709551617\n    email: a@b.co\n    firstName: A\n    lastName: B\n";
    let seed = Seed::parse(yaml).unwrap();
    assert_eq!(
        seed.organizers[0].organizer_key.as_deref(),
        Some("18446744073709551617")
    );
    // JSON numbers are numbers: refused.
    let json = r#"{"organizers":[{"organizerKey":18446744073709551617,"email":"a@b.co","firstName":"A","lastName":"B"}]}"#;
    assert!(Seed::parse(json).is_err());
    let json =
        r#"{"organizers":[{"email":"a@b.co","firstName":"A","lastName":"B","timeZone":"UTC"}]}"#;
    assert_eq!(Seed::parse(json).unwrap().organizers.len(), 1);
    let mut d = dir();
    let mut bad = SeedOrganizer::new("a@b.co", "A", "B");
    bad.time_zone = "Atlantis/Capital".into();
    assert!(d.insert_checked(bad).is_err());
    let ok = SeedOrganizer::new("a@b.co", "A", "B");
    d.insert_checked(ok.clone()).unwrap();
    assert!(d.insert_checked(ok).is_err(), "duplicate email");
    let backwards = SeedMeeting::new("x", at("2026-01-02T00:00:00Z"), at("2026-01-01T00:00:00Z"));
    let mut with_meeting = SeedOrganizer::new("c@d.co", "C", "D");
    with_meeting.meetings.push(backwards);
    assert!(d.insert_checked(with_meeting).is_err());
}

#[test]
fn shipped_example_seed_loads() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/simulator/seed.yaml");
    let seed = Seed::from_path(&path).unwrap();
    let mut d = dir();
    for o in seed.organizers {
        d.insert_checked(o).unwrap();
    }
    let emails: Vec<_> = d.organizers.values().map(|o| o.email.as_str()).collect();
    assert!(emails.contains(&"jordan.lee@example.com"));
    assert!(emails.contains(&"sam.taylor@example.com"));
    assert!(d.sessions.values().any(|s| !s.attendees.is_empty()));
    let future = Timestamp::now() + SignedDuration::from_hours(1);
    assert!(
        d.meetings.values().any(|m| m.start_time > future),
        "sam has upcoming meetings"
    );
}
