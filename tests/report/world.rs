//! The seeded GoTo account the report tests run against, and what the report must say about it.
#![allow(dead_code)] // each test module uses a different part

use std::num::NonZeroU32;
use std::sync::Mutex;

use goto_operator::cli::ReportFormat;
use goto_operator::goto::{AccountKey, ClientConfig, Credentials, GoToClient};
use goto_operator::report::{
    DateRange, OrganizerSelection, Progress, ProgressEvent, ReportRequest,
};
use goto_operator::simulator::{
    RecordedRequest, SeedOrganizer, SeedSession, SimAttendee, SimConfig, SimHandle, Simulator,
};
use jiff::{SignedDuration, Timestamp};

pub const FROM: &str = "2025-03-01";
pub const TO: &str = "2025-03-31";
/// An organizer key above 2^128 (GoTo keys are strings of any length).
pub const BIG_KEY: &str = "340282366920938463463374607431768211457";
/// One recurring meeting (above 2^64) whose sessions must be told apart by instance key.
pub const RECURRING: &str = "99999999999999999999";
pub const SECRET: &str = "demo-secret";

pub fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub fn range_start() -> Timestamp {
    ts("2025-03-01T00:00:00Z")
}

/// The exclusive end of the range: midnight after `TO`.
pub fn range_end() -> Timestamp {
    ts("2025-04-01T00:00:00Z")
}

/// The seeded account and what the report must say about it.
pub struct World {
    pub sim: SimHandle,
    /// Every expected CSV record (without header), in the report's order.
    pub expected: Vec<Vec<String>>,
    /// Organizers in the account.
    pub organizers: usize,
    /// Per organizer: sessions the HISTORY listing returns for the query window.
    pub listed: Vec<usize>,
    /// Per session in the range: its number of attendees.
    pub attendee_lists: Vec<usize>,
    /// Every meetingInstanceKey in the range.
    pub instance_keys: Vec<String>,
    pub organizer_keys: Vec<String>,
}

impl World {
    pub fn new(sim: SimHandle) -> Self {
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

    pub fn organizer(&mut self, seed: SeedOrganizer) -> (String, String) {
        let email = seed.email.clone();
        let key = self.sim.insert_organizer(seed);
        self.organizers += 1;
        self.listed.push(0);
        self.organizer_keys.push(key.clone());
        (key, email)
    }

    /// Adds a held session of the last organizer with `attendees` attendees, recording the rows
    /// it must produce when it starts in the range.
    pub fn session(
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
    pub fn expected_api_calls(&self) -> usize {
        pages(self.organizers)
            + self.listed.iter().map(|n| pages(*n)).sum::<usize>()
            + self.attendee_lists.iter().map(|n| pages(*n)).sum::<usize>()
    }
}

pub fn pages(items: usize) -> usize {
    items.div_ceil(100).max(1)
}

/// Attendee `j` of a session: some without a name, some without a leave time.
pub fn attendee(start: Timestamp, j: usize) -> SimAttendee {
    let join = start + SignedDuration::from_secs(7 * j as i64 % 300);
    SimAttendee {
        attendee_email: format!("person{j:03}@corp.example"),
        attendee_name: (!j.is_multiple_of(3)).then(|| format!("Person {j}")),
        join_time: join,
        leave_time: (j % 5 != 4).then(|| join + SignedDuration::from_secs(1200 + j as i64)),
    }
}

/// Ada: 105 sessions of one recurring meeting in the range (one with 130 attendees, so both
/// listings page at 100), one in the last second of the range, and sessions just outside it.
/// Bob: 11 sessions of 11 attendees, and more outside the range. Carol: no history. Dave: only
/// history outside the range.
pub async fn big_world() -> World {
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
pub fn sort_expected(rows: &mut [Vec<String>]) {
    let num = |s: &str| (s.len(), s.to_owned());
    rows.sort_by_key(|r| (num(&r[0]), ts(&r[5]), num(&r[3]), ts(&r[9]), r[7].clone()));
}

pub fn client(sim: &SimHandle, secret: &str) -> GoToClient {
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

pub fn request(format: ReportFormat, selection: OrganizerSelection) -> ReportRequest {
    ReportRequest::new(DateRange::parse(FROM, TO).unwrap(), format, selection)
}

/// Keeps every progress event as text.
#[derive(Default)]
pub struct Recorder(Mutex<Vec<String>>);

impl Progress for Recorder {
    fn event(&self, event: ProgressEvent<'_>) {
        self.0.lock().unwrap().push(format!("{event:?}"));
    }
}

impl Recorder {
    pub fn warnings(&self) -> Vec<String> {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .filter(|e| e.starts_with("Warning"))
            .cloned()
            .collect()
    }
}

pub fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
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

pub fn api_requests(sim: &SimHandle) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/G2M/rest/v2/"))
        .collect()
}

/// A small account for the binary, whose standalone budget is GoTo's default 10 requests/s: one
/// organizer with two sessions of three attendees in the range and one session outside it, and
/// one organizer without history.
pub async fn small_world() -> World {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let mut world = World::new(sim);
    let ada = world.organizer(SeedOrganizer {
        organizer_key: Some(BIG_KEY.into()),
        ..SeedOrganizer::new("ada@example.com", "Ada", "Lovelace")
    });
    world.session(&ada, RECURRING, ts("2025-03-03T09:00:00Z"), 3);
    world.session(&ada, RECURRING, ts("2025-03-10T09:00:00Z"), 3);
    world.session(&ada, RECURRING, ts("2025-04-07T09:00:00Z"), 3);
    world.organizer(SeedOrganizer::new("carol@example.com", "Carol", "Shaw"));
    sort_expected(&mut world.expected);
    world
}
