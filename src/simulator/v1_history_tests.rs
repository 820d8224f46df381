//! The v1 history routes over HTTP (attendees by organizer, historical meetings, attendees by
//! meeting id), with the helpers of `v1_tests`.
use jiff::Timestamp;

use super::model::{SeedOrganizer, SeedSession};
use super::v1_tests::{V1, at, attendee, hours, start, v1_config};

/// An organizer with an ended session in March (two attendees, one without a leave time), a
/// session running now, and one in May.
fn with_history(e: &V1) -> (String, String) {
    let now = Timestamp::now();
    let key = e.sim.insert_organizer(SeedOrganizer::new(
        "jordan.lee@example.com",
        "Jordan",
        "Lee",
    ));
    let march = SeedSession {
        subject: "Quarterly review".into(),
        start_time: at("2026-03-10T10:00:00Z"),
        end_time: at("2026-03-10T11:00:00Z"),
        attendees: vec![
            attendee("late@example.com", at("2026-03-10T10:20:00Z"), None),
            attendee(
                "alex.kim@example.com",
                at("2026-03-10T10:01:00Z"),
                Some(at("2026-03-10T10:46:30Z")),
            ),
        ],
        ..SeedSession::default()
    };
    let march = e.sim.add_session(&key, march);
    let may = SeedSession {
        subject: "May".into(),
        start_time: at("2026-05-10T10:00:00Z"),
        end_time: at("2026-05-10T11:00:00Z"),
        ..SeedSession::default()
    };
    e.sim.add_session(&key, may);
    let running = SeedSession {
        subject: "running".into(),
        start_time: now - hours(1),
        end_time: now + hours(1),
        attendees: vec![attendee("x@example.com", now - hours(1), None)],
        ..SeedSession::default()
    };
    e.sim.add_session(&key, running);
    (key, march)
}

#[tokio::test]
async fn attendees_by_organizer_cover_every_ended_session_in_the_window() {
    let e = start(v1_config()).await;
    let (key, march) = with_history(&e);
    let path = |q: &str| format!("/organizers/{key}/attendees{q}");
    let answer = e
        .get(&path(
            "?startDate=2026-03-01T00:00:00Z&endDate=2026-04-01T00:00:00Z",
        ))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let rows = answer.json();
    let rows = rows.as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["attendeeEmail"], "alex.kim@example.com",
        "join order"
    );
    assert_eq!(rows[0]["duration"], 45);
    assert_eq!(
        rows[1]["leaveTime"], "2026-03-10T11:00:00Z",
        "stayed to the end"
    );
    assert!(
        answer
            .text
            .contains(&format!(r#""meetingInstanceKey":{march},"#)),
        "{}",
        answer.text
    );
    assert!(answer.text.contains(&format!(r#""organizerkey":{key},"#)));
    for row in &rows {
        assert!(row["meetingId"].is_u64() && row["meetingInstanceKey"].is_u64());
        assert_eq!(
            (row["numAttendees"].as_u64(), row["name"].as_str()),
            (Some(2), Some("Jordan Lee"))
        );
        for field in [
            "newMeetingId",
            "groupName",
            "conferenceCallInfo",
            "meetingType",
            "subject",
            "startTime",
            "endTime",
            "joinTime",
            "attendeeName",
            "email",
            "firstName",
            "lastName",
        ] {
            assert!(row.get(field).is_some(), "{field} missing in {row}");
        }
    }
    // Until 2099: March's two rows (nobody attended in May); the running session is not there.
    let year = e
        .get(&path(
            "?startDate=2026-01-01T00:00:00Z&endDate=2099-01-01T00:00:00Z",
        ))
        .await;
    assert_eq!(year.json().as_array().map(Vec::len), Some(2));
    for bad in [
        "",
        "?startDate=2026-03-01T00:00:00Z",
        "?endDate=2026-04-01T00:00:00Z",
        "?startDate=2026-03-01&endDate=2026-04-01",
        "?startDate=2026-03-01T00:00:00%2B02:00&endDate=2026-04-01T00:00:00Z",
        "?startDate=2026-04-01T00:00:00Z&endDate=2026-03-01T00:00:00Z",
        "?startDate=2026-03-01T00:00:00Z&endDate=2026-04-01T00:00:00Z&limit=5",
    ] {
        assert_eq!(e.get(&path(bad)).await.status, 400, "{bad}");
    }
    let unknown = e
        .get("/organizers/9007199254749999/attendees?startDate=2026-03-01T00:00:00Z&endDate=2026-04-01T00:00:00Z")
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn historical_meetings_list_ended_sessions_in_the_window() {
    let e = start(v1_config()).await;
    let (key, march) = with_history(&e);
    let answer = e
        .get(&format!("/organizers/{key}/historicalMeetings?startDate=2026-01-01T00:00:00Z&endDate=2099-01-01T00:00:00Z"))
        .await;
    assert_eq!(answer.status, 200);
    let items = answer.json();
    let items = items.as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "the running session is not history yet");
    assert_eq!(items[0]["sessionId"], march.as_str());
    assert_eq!(
        (
            items[0]["duration"].as_str(),
            items[0]["numAttendees"].as_str()
        ),
        (Some("60"), Some("2"))
    );
    assert!(items[0]["organizerKey"].is_string() && items[0]["meetingId"].is_string());
    assert_eq!(
        e.get(&format!("/organizers/{key}/historicalMeetings"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn attendees_by_meeting_id_and_not_by_instance_key() {
    let e = start(v1_config()).await;
    let (_, march) = with_history(&e);
    let meeting_id = e.sim.state_json()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["meetingInstanceKey"] == march.as_str())
        .unwrap()["meetingId"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = e.get(&format!("/meetings/{meeting_id}/attendees")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let rows = answer.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
    assert_eq!(rows[0]["name"], "Alex Kim", "the attendee's name here");
    assert!(rows[0].get("newMeetingId").is_none());
    assert_eq!(
        e.get(&format!("/meetings/{march}/attendees")).await.status,
        404
    );
    assert_eq!(
        e.get("/meetings/9007199254749999/attendees").await.status,
        404
    );
    assert_eq!(e.get("/meetings/abc/attendees").await.status, 400);
}
