//! The attendance report against the in-process GoTo simulator: exact rows, paging, ranges,
//! organizers without history, keys above 2^64, 429s mid-run, the API-call formula of
//! docs/report.md, and every bad-input case through the real binary. The `--account` mode is
//! tested against the real kube-apiserver in `report_kube.rs`-style tests at the end.
mod common;

use std::num::NonZeroU32;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use goto_operator::cli::ReportFormat;
use goto_operator::goto::{AccountKey, ClientConfig, Credentials, GoToClient};
use goto_operator::report::{
    COLUMNS, DateRange, OrganizerSelection, Progress, ProgressEvent, ReportRequest, run_report,
};
use goto_operator::simulator::{
    FaultRule, Faults, SeedOrganizer, SeedSession, SimAttendee, SimConfig, SimHandle, Simulator,
};
use jiff::{SignedDuration, Timestamp};

const FROM: &str = "2025-03-01";
const TO: &str = "2025-03-31";
/// An organizer key above 2^128 (GoTo keys are strings of any length).
const BIG_KEY: &str = "340282366920938463463374607431768211457";
/// One recurring meeting (above 2^64) whose sessions must be told apart by instance key.
const RECURRING: &str = "99999999999999999999";
const SECRET: &str = "demo-secret";

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn range_start() -> Timestamp {
    ts("2025-03-01T00:00:00Z")
}

/// The exclusive end of the range: midnight after `TO`.
fn range_end() -> Timestamp {
    ts("2025-04-01T00:00:00Z")
}

/// The seeded account and what the report must say about it.
struct World {
    sim: SimHandle,
    /// Every expected CSV record (without header), in the report's order.
    expected: Vec<Vec<String>>,
    /// Organizers in the account.
    organizers: usize,
    /// Per organizer: sessions the HISTORY listing returns for the query window.
    listed: Vec<usize>,
    /// Per session in the range: its number of attendees.
    attendee_lists: Vec<usize>,
    /// Every meetingInstanceKey in the range.
    instance_keys: Vec<String>,
    organizer_keys: Vec<String>,
}

impl World {
    fn new(sim: SimHandle) -> Self {
        World {
            sim,
            expected: Vec::new(),
            organizers: 0,
            listed: Vec::new(),
            attendee_lists: Vec::new(),
            instance_keys: Vec::new(),
            organizer_keys: Vec::new(),
        }
    }

    fn organizer(&mut self, seed: SeedOrganizer) -> (String, String) {
        let email = seed.email.clone();
        let key = self.sim.insert_organizer(seed);
        self.organizers += 1;
        self.listed.push(0);
        self.organizer_keys.push(key.clone());
        (key, email)
    }

    /// Adds a held session of the last organizer with `attendees` attendees, recording the rows
    /// it must produce when it starts in the range.
    fn session(
        &mut self,
        organizer: &(String, String),
        meeting_id: &str,
        start: Timestamp,
        attendees: usize,
    ) {
        let end = start + SignedDuration::from_mins(45);
        let subject = format!("Weekly sync, \"all hands\" {start}");
        let people: Vec<SimAttendee> = (0..attendees).map(|j| attendee(start, j)).collect();
        let instance = self.sim.add_session(
            &organizer.0,
            SeedSession {
                meeting_id: Some(meeting_id.to_owned()),
                meeting_instance_key: None,
                subject: subject.clone(),
                start_time: start,
                end_time: end,
                attendees: people.clone(),
            },
        );
        // The simulator reads endDate as inclusive; the report asks up to the exclusive end and
        // drops the extra session itself.
        if start >= range_start() && start <= range_end() {
            *self.listed.last_mut().unwrap() += 1;
        }
        if !(start >= range_start() && start < range_end()) {
            return;
        }
        self.attendee_lists.push(attendees);
        self.instance_keys.push(instance.clone());
        for person in people {
            let duration = person
                .leave_time
                .map(|leave| (leave.as_second() - person.join_time.as_second()).to_string());
            self.expected.push(vec![
                organizer.0.clone(),
                organizer.1.clone(),
                meeting_id.to_owned(),
                instance.clone(),
                subject.clone(),
                start.to_string(),
                end.to_string(),
                person.attendee_email,
                person.attendee_name.unwrap_or_default(),
                person.join_time.to_string(),
                person.leave_time.map(|t| t.to_string()).unwrap_or_default(),
                duration.unwrap_or_default(),
            ]);
        }
    }

    /// API requests the report must make (docs/report.md): one listing of the organizers, then
    /// per organizer its HISTORY pages, then per session its attendee pages; 100 items a page,
    /// and an empty listing is still one request.
    fn expected_api_calls(&self) -> usize {
        pages(self.organizers)
            + self.listed.iter().map(|n| pages(*n)).sum::<usize>()
            + self.attendee_lists.iter().map(|n| pages(*n)).sum::<usize>()
    }
}

fn pages(items: usize) -> usize {
    items.div_ceil(100).max(1)
}

/// Attendee `j` of a session: some without a name, some without a leave time.
fn attendee(start: Timestamp, j: usize) -> SimAttendee {
    let join = start + SignedDuration::from_secs(7 * j as i64 % 300);
    SimAttendee {
        attendee_email: format!("person{j:03}@corp.example"),
        attendee_name: (j % 3 != 0).then(|| format!("Person {j}")),
        join_time: join,
        leave_time: (j % 5 != 4).then(|| join + SignedDuration::from_secs(1200 + j as i64)),
    }
}

/// Ada: 105 sessions of one recurring meeting in the range (one with 130 attendees, so both
/// listings page at 100), one in the last second of the range, and sessions just outside it.
/// Bob: 11 sessions of 11 attendees, and more outside the range. Carol: no history. Dave: only
/// history outside the range.
async fn big_world() -> World {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let mut world = World::new(sim);
    let ada = world.organizer(SeedOrganizer {
        organizer_key: Some(BIG_KEY.into()),
        ..SeedOrganizer::new("ada@example.com", "Ada", "Lovelace")
    });
    for i in 0..105 {
        let start = range_start() + SignedDuration::from_hours(6 * i);
        world.session(&ada, RECURRING, start, if i == 7 { 130 } else { 12 });
    }
    world.session(&ada, RECURRING, ts("2025-03-31T23:59:59Z"), 3);
    world.session(&ada, RECURRING, ts("2025-04-01T00:00:00Z"), 4);
    world.session(&ada, RECURRING, ts("2025-02-28T23:59:59Z"), 4);
    let bob = world.organizer(SeedOrganizer::new("bob@example.com", "Bob", "Noyce"));
    for i in 0..11 {
        let start = ts("2025-03-10T09:00:00Z") + SignedDuration::from_hours(24 * i);
        world.session(&bob, &format!("{}", 424_242 + i), start, 11);
    }
    world.session(&bob, "424242", ts("2025-01-15T09:00:00Z"), 11);
    world.session(&bob, "424242", ts("2025-05-15T09:00:00Z"), 11);
    world.organizer(SeedOrganizer::new("carol@example.com", "Carol", "Shaw"));
    let dave = world.organizer(SeedOrganizer::new("dave@example.com", "Dave", "Cutler"));
    world.session(&dave, "777", ts("2024-12-01T10:00:00Z"), 5);
    sort_expected(&mut world.expected);
    world
}

/// The report's documented order, computed independently: organizer key (as a number), start,
/// instance key (as a number), join time, attendee email.
fn sort_expected(rows: &mut [Vec<String>]) {
    let num = |s: &str| (s.len(), s.to_owned());
    rows.sort_by_key(|r| (num(&r[0]), ts(&r[5]), num(&r[3]), ts(&r[9]), r[7].clone()));
}

fn client(sim: &SimHandle, secret: &str) -> GoToClient {
    let mut config = ClientConfig::new(
        AccountKey::new(sim.account_key()),
        Credentials {
            client_id: "demo-client".into(),
            client_secret: secret.to_owned().into(),
        },
    );
    config.api_base_url = sim.base_url().parse().unwrap();
    config.token_url = sim.token_url().parse().unwrap();
    config.requests_per_second = NonZeroU32::new(1000).unwrap();
    GoToClient::new(config).unwrap()
}

fn request(format: ReportFormat, selection: OrganizerSelection) -> ReportRequest {
    ReportRequest::new(DateRange::parse(FROM, TO).unwrap(), format, selection)
}

/// Keeps every progress event as text.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Progress for Recorder {
    fn event(&self, event: ProgressEvent<'_>) {
        self.0.lock().unwrap().push(format!("{event:?}"));
    }
}

impl Recorder {
    fn warnings(&self) -> Vec<String> {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .filter(|e| e.starts_with("Warning"))
            .cloned()
            .collect()
    }
}

fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn api_requests(sim: &SimHandle) -> Vec<goto_operator::simulator::RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/G2M/rest/v2/"))
        .collect()
}

async fn csv_report(
    world: &World,
    req: &ReportRequest,
    progress: &Recorder,
) -> (String, goto_operator::report::ReportSummary) {
    let mut out = Vec::new();
    let summary = run_report(&client(&world.sim, SECRET), req, &mut out, progress)
        .await
        .unwrap();
    (String::from_utf8(out).unwrap(), summary)
}

#[tokio::test]
async fn every_attendee_of_every_session_in_the_range_exactly_once() {
    let world = big_world().await;
    let progress = Recorder::default();
    let req = request(ReportFormat::Csv, OrganizerSelection::default());
    let (text, summary) = csv_report(&world, &req, &progress).await;

    let (header, rows) = parse_csv(&text);
    assert_eq!(header, COLUMNS);
    assert!(text.starts_with("organizerKey,organizerEmail,meetingId,meetingInstanceKey,subject,startTime,endTime,attendeeEmail,attendeeName,joinTime,leaveTime,durationSeconds\n"));
    assert_eq!(rows.len(), 105 * 12 + 130 - 12 + 3 + 11 * 11);
    assert_eq!(rows, world.expected);
    assert!(rows.iter().any(|r| r[0] == BIG_KEY && r[2] == RECURRING));
    assert_eq!(summary.organizers, 4);
    assert_eq!(summary.sessions, 106 + 11);
    assert_eq!(summary.rows, rows.len());
    assert_eq!(summary.skipped_sessions, 0);
    assert_eq!(summary.outside_range, 1, "the session at the exclusive end");
    assert!(progress.warnings().is_empty(), "{:?}", progress.warnings());

    // The cost formula of docs/report.md, counted from the simulator's log.
    let api = api_requests(&world.sim);
    assert_eq!(api.len(), world.expected_api_calls());
    assert_eq!(api.len(), 124);
    let tokens = world
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/oauth/token")
        .count();
    assert_eq!(tokens, 1);
    assert!(api.iter().all(|r| r.method == "GET" && r.status == 200));

    // Attendees only ever by meetingInstanceKey, each session once; HISTORY with the range.
    let mut attendee_keys: Vec<String> = api
        .iter()
        .filter_map(|r| r.path.strip_prefix("/G2M/rest/v2/meetings/"))
        .map(|rest| rest.trim_end_matches("/attendees").to_owned())
        .collect();
    assert!(!attendee_keys.iter().any(|k| k == RECURRING));
    attendee_keys.sort();
    attendee_keys.dedup();
    let mut instances = world.instance_keys.clone();
    instances.sort();
    assert_eq!(attendee_keys, instances);
    for listing in api.iter().filter(|r| r.path.ends_with("/meetings")) {
        let query = listing.query.as_deref().unwrap_or_default();
        assert!(
            query.starts_with("status=HISTORY&startDate=2025-03-01T00%3A00%3A00Z&endDate=2025-04-01T00%3A00%3A00Z&limit=100"),
            "{query}"
        );
    }
}

#[tokio::test]
async fn json_has_the_same_rows_with_string_keys() {
    let world = big_world().await;
    let mut out = Vec::new();
    let req = request(ReportFormat::Json, OrganizerSelection::default());
    run_report(
        &client(&world.sim, SECRET),
        &req,
        &mut out,
        &Recorder::default(),
    )
    .await
    .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let objects = value.as_array().unwrap();
    let rows: Vec<Vec<String>> = objects
        .iter()
        .map(|object| {
            let object = object.as_object().unwrap();
            assert_eq!(object.len(), COLUMNS.len());
            COLUMNS
                .iter()
                .map(|column| match &object[*column] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::Number(n) if *column == "durationSeconds" => n.to_string(),
                    other => panic!("{column} is {other}"),
                })
                .collect()
        })
        .collect();
    assert_eq!(rows, world.expected);
    assert!(objects.iter().any(|o| o["durationSeconds"].is_null()));
    assert!(objects.iter().all(|o| o["meetingInstanceKey"].is_string()));
}

#[tokio::test]
async fn emails_and_keys_select_organizers() {
    let world = big_world().await;
    let carol = world.organizer_keys[2].clone();
    let selection =
        OrganizerSelection::new(vec![" BOB@Example.com".into()], vec![carol, BIG_KEY.into()])
            .unwrap();
    let progress = Recorder::default();
    let (text, summary) =
        csv_report(&world, &request(ReportFormat::Csv, selection), &progress).await;
    let (_, rows) = parse_csv(&text);
    let wanted: Vec<Vec<String>> = world
        .expected
        .iter()
        .filter(|r| r[1] != "dave@example.com")
        .cloned()
        .collect();
    assert_eq!(rows, wanted);
    assert_eq!(summary.organizers, 3);
    // One organizer listing for the emails, one GET per key, then meetings and attendees.
    let api = api_requests(&world.sim);
    let gets = api
        .iter()
        .filter(|r| {
            r.path.starts_with("/G2M/rest/v2/organizers/") && !r.path.ends_with("/meetings")
        })
        .count();
    assert_eq!(gets, 2);
    assert_eq!(
        api.iter()
            .filter(|r| r.path.ends_with("/organizers"))
            .count(),
        1
    );
}

#[tokio::test]
async fn unknown_organizers_are_errors_not_empty_reports() {
    let world = big_world().await;
    let c = client(&world.sim, SECRET);
    for (emails, keys, message) in [
        (
            vec!["nobody@example.com".to_owned()],
            vec![],
            "no organizer with email \"nobody@example.com\" in GoTo account 4200000000000000001",
        ),
        (
            vec![],
            vec!["18446744073709551999".to_owned()],
            "no organizer with key 18446744073709551999 in GoTo",
        ),
    ] {
        let req = request(
            ReportFormat::Csv,
            OrganizerSelection::new(emails, keys).unwrap(),
        );
        let mut out = Vec::new();
        let error = run_report(&c, &req, &mut out, &Recorder::default())
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), message);
        assert!(out.is_empty());
    }
}

#[tokio::test]
async fn retry_after_in_the_middle_is_honoured_and_nothing_is_lost() {
    let world = big_world().await;
    let bob = &world.organizer_keys[1];
    let session = &world.instance_keys[50];
    world.sim.set_faults(Faults {
        rules: vec![
            FaultRule::status(
                "GET",
                &format!("/G2M/rest/v2/meetings/{session}/attendees"),
                429,
            )
            .with_retry_after(1)
            .times(2),
            FaultRule::status(
                "GET",
                &format!("/G2M/rest/v2/organizers/{bob}/meetings"),
                429,
            )
            .with_retry_after(1),
        ],
        ..Faults::default()
    });
    let mut req = request(ReportFormat::Csv, OrganizerSelection::default());
    // One request at a time, so "nothing sent during Retry-After" is exact.
    req.attendee_concurrency = 1;
    let started = std::time::Instant::now();
    let (text, _) = csv_report(&world, &req, &Recorder::default()).await;
    assert_eq!(parse_csv(&text).1, world.expected);
    assert_eq!(world.sim.rate_limited_count(), 3);
    assert_eq!(world.sim.retry_after_violations(), 0);
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
    assert_eq!(
        api_requests(&world.sim).len(),
        world.expected_api_calls() + 3
    );
}

#[tokio::test]
async fn a_rate_limited_account_still_gets_every_row() {
    let world = big_world().await;
    world.sim.set_rate_limit(Some(40.0));
    let req = request(ReportFormat::Csv, OrganizerSelection::default());
    let (text, _) = csv_report(&world, &req, &Recorder::default()).await;
    assert_eq!(parse_csv(&text).1, world.expected);
    assert!(
        world.sim.rate_limited_count() > 0,
        "the run should have met 429s"
    );
}

#[tokio::test]
async fn bad_credentials_fail_before_any_api_call() {
    let world = big_world().await;
    let mut out = Vec::new();
    let req = request(ReportFormat::Csv, OrganizerSelection::default());
    let error = run_report(
        &client(&world.sim, "wrong-secret-XYZ"),
        &req,
        &mut out,
        &Recorder::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.to_string(), "GoTo API: GoTo refused the credentials");
    assert!(out.is_empty());
    assert!(api_requests(&world.sim).is_empty());
}
