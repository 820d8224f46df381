//! The GoTo client against the in-process GoTo simulator: every operation and every sharp
//! edge of the contract (paging, 429, 5xx, tokens, big keys, full PUT, seats, ambiguous create).
use futures::TryStreamExt;
use goto_operator::goto::{
    AccountKey, ClientConfig, Credentials, DeleteOutcome, Error, GoToClient, MeetingInstanceKey,
    MeetingQuery, MeetingStatus, NewOrganizer, Observer, OrganizerKey, OrganizerStatus,
    OrganizerUpdate, RetryPolicy,
};
use goto_operator::simulator::{
    FaultRule, Faults, RecordedRequest, SeedMeeting, SeedOrganizer, SeedSession, SimAttendee,
    SimConfig, SimHandle, Simulator,
};
use secrecy::SecretString;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The write fence that stops a stale leader's writes.
#[path = "goto_client/fence.rs"]
mod fence;
/// A hostile or broken endpoint: refused URLs, redirects, oversized and garbage answers.
#[path = "goto_client/hostile.rs"]
mod hostile;
/// Tests against a hand-written mock, for server misbehaviour the simulator never shows.
#[path = "goto_client/mock.rs"]
mod mock;
/// Every operation and the contract's data edges: paging, big keys, full PUT, seats.
#[path = "goto_client/operations.rs"]
mod operations;
/// The proof table: 30+ hostile answers, each with its error, no write, no panic, no echo.
#[path = "goto_client/proof.rs"]
mod proof;
/// Retries, timeouts, 429 and the shared request budget.
#[path = "goto_client/resilience.rs"]
mod resilience;
/// The seam's contract, kept alike by the v2 client and the in-memory GoTo.
#[path = "goto_client/seam.rs"]
mod seam;
/// The token cache: renewal, single-flight, bad credentials.
#[path = "goto_client/tokens.rs"]
mod tokens;

const SECRET: &str = "s3cr3t-for-tests";
/// Above 2^128: no integer type anywhere may hold it.
const HUGE_KEY: &str = "340282366920938463463374607431768211457";
/// Above 2^64.
const ACCOUNT: &str = "18446744073709551617";
const CREATE_PATH: &str = "/G2M/rest/v2/accounts/*/organizers";
const ORGANIZER_PATH: &str = "/G2M/rest/v2/organizers/*";

async fn start(config: SimConfig) -> SimHandle {
    Simulator::start(SimConfig {
        account_key: ACCOUNT.into(),
        client_secret: SECRET.into(),
        ..config
    })
    .await
    .expect("simulator starts")
}

fn config(sim: &SimHandle) -> ClientConfig {
    let mut config = ClientConfig::new(
        AccountKey::new(sim.account_key()),
        Credentials {
            client_id: "demo-client".into(),
            client_secret: SecretString::from(SECRET),
        },
    );
    config.api_base_url = sim.base_url().parse().unwrap();
    config.token_url = sim.token_url().parse().unwrap();
    config.requests_per_second = NonZeroU32::new(1000).unwrap();
    config.request_timeout = Duration::from_secs(5);
    config.retry = RetryPolicy {
        max_retries: 3,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
    };
    config
}

fn client(sim: &SimHandle) -> GoToClient {
    GoToClient::new(config(sim)).unwrap()
}

fn new_organizer(email: &str) -> NewOrganizer {
    NewOrganizer {
        email: email.into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
    }
}

fn token_requests(sim: &SimHandle) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path == "/oauth/token")
        .count()
}

fn api_requests(sim: &SimHandle, method: &str) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.starts_with("/G2M/"))
        .collect()
}

fn ts(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

#[derive(Default)]
struct Recorder(Mutex<Vec<(&'static str, &'static str)>>);

impl Observer for Recorder {
    fn request(&self, operation: &'static str, outcome: &'static str, _elapsed: Duration) {
        self.0.lock().unwrap().push((operation, outcome));
    }
}
