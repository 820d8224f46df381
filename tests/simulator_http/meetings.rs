//! Meetings (upcoming and HISTORY) and attendees.
use super::*;

fn attendee(email: &str, join: &str) -> SimAttendee {
    SimAttendee {
        attendee_email: email.into(),
        attendee_name: None,
        join_time: at(join),
        leave_time: None,
    }
}

#[tokio::test]
async fn history_by_range_and_attendees_by_instance_key_only() {
    let e = env().await;
    let mut jordan = SeedOrganizer::new("jordan.lee@example.com", "Jordan", "Lee");
    let session = |start: &str, end: &str, attendees| SeedSession {
        meeting_id: Some("18446744073709560001".into()),
        subject: "weekly".into(),
        start_time: at(start),
        end_time: at(end),
        attendees,
        ..SeedSession::default()
    };
    let people = vec![
        attendee("a@example.com", "2026-03-10T10:00:00Z"),
        attendee("b@example.com", "2026-03-10T10:05:00Z"),
        attendee("c@example.com", "2026-03-10T10:09:00Z"),
    ];
    jordan.history = vec![
        session("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", people),
        session("2026-05-10T10:00:00Z", "2026-05-10T11:00:00Z", vec![]),
    ];
    let now = Timestamp::now();
    let ongoing = session("2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", vec![]);
    jordan.history.push(SeedSession {
        start_time: now - SignedDuration::from_mins(5),
        end_time: now + SignedDuration::from_hours(1),
        ..ongoing
    });
    let key = e.sim.insert_organizer(jordan);

    let march = e
        .get(&format!(
            "/organizers/{key}/meetings?status=HISTORY&startDate=2026-03-01&endDate=2026-03-31"
        ))
        .await;
    assert_eq!(march.status, 200);
    let meetings = march.json()["meetings"].as_array().unwrap().clone();
    assert_eq!(meetings.len(), 1);
    let instance = meetings[0]["meetingInstanceKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(meetings[0]["meetingId"], "18446744073709560001");
    let all = e
        .get(&format!("/organizers/{key}/meetings?status=HISTORY"))
        .await
        .json();
    assert_eq!(
        all["meetings"].as_array().unwrap().len(),
        2,
        "the running session is not history yet"
    );

    let attendees = e
        .get(&format!("/meetings/{instance}/attendees"))
        .await
        .json();
    let emails: Vec<_> = attendees["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attendeeEmail"].clone())
        .collect();
    assert_eq!(emails, ["a@example.com", "b@example.com", "c@example.com"]);
    let paged = e
        .get(&format!("/meetings/{instance}/attendees?limit=2"))
        .await
        .json();
    assert_eq!(paged["attendees"].as_array().unwrap().len(), 2);
    let next = paged["nextPageToken"].as_str().unwrap();
    let rest = e
        .get(&format!(
            "/meetings/{instance}/attendees?limit=2&pageToken={next}"
        ))
        .await
        .json();
    assert_eq!(rest["attendees"][0]["attendeeEmail"], "c@example.com");

    assert_eq!(
        e.get("/meetings/18446744073709560001/attendees")
            .await
            .status,
        404,
        "meetingId is not a session key"
    );
    assert_eq!(
        e.get("/meetings/18446744073709599999/attendees")
            .await
            .status,
        404
    );
    let running = e.sim.state_json()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["startTime"].as_str().unwrap() > "2026-06")
        .map(|s| s["meetingInstanceKey"].as_str().unwrap().to_string())
        .unwrap();
    assert_eq!(
        e.get(&format!("/meetings/{running}/attendees"))
            .await
            .status,
        404,
        "not ended"
    );
}

#[tokio::test]
async fn upcoming_meetings_without_status() {
    let e = env().await;
    let mut sam = SeedOrganizer::new("sam.taylor@example.com", "Sam", "Taylor");
    let soon = Timestamp::now() + SignedDuration::from_hours(2);
    sam.meetings = vec![SeedMeeting::new(
        "1:1",
        soon,
        soon + SignedDuration::from_mins(30),
    )];
    let key = e.sim.insert_organizer(sam);
    let upcoming = e.get(&format!("/organizers/{key}/meetings")).await;
    assert_eq!(upcoming.status, 200);
    let m = &upcoming.json()["meetings"][0];
    assert_eq!(m["subject"], "1:1");
    assert!(m["meetingId"].is_string() && m.get("meetingInstanceKey").is_none());
    let inactive = e
        .get(&format!("/organizers/{key}/meetings?status=INACTIVE"))
        .await
        .json();
    assert_eq!(inactive["meetings"].as_array().unwrap().len(), 1);
    let active = e
        .get(&format!("/organizers/{key}/meetings?status=ACTIVE"))
        .await
        .json();
    assert!(active["meetings"].as_array().unwrap().is_empty());
    let id = m["meetingId"].as_str().unwrap();
    assert!(e.sim.remove_meeting(id));
    assert!(
        e.get(&format!("/organizers/{key}/meetings")).await.json()["meetings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
