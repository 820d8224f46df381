//! The GoTo API simulator probed over plain HTTP/JSON, one test per sharp edge of the contract
//! (goto-api.md). These tests deliberately do not use `goto_operator::goto`: they are the
//! "client nobody here wrote" that checks the simulator itself.
use std::collections::HashSet;
use std::time::Duration;

use goto_operator::simulator::{
    FaultRule, Faults, OrganizerStatus, SeedMeeting, SeedOrganizer, SeedSession, SimAttendee,
    SimConfig, SimHandle, Simulator,
};
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ACCOUNT: &str = "4200000000000000001";

/// A running simulator, an HTTP client and a valid access token.
struct Env {
    sim: SimHandle,
    http: reqwest::Client,
    token: String,
}

/// No client timeout: tests may pause tokio's clock, and a pending timer would then fire at once.
fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn start(config: SimConfig) -> Env {
    let sim = Simulator::start(config).await.unwrap();
    let http = http_client();
    let token = fetch_token(&http, &sim).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    Env { sim, http, token }
}

async fn env() -> Env {
    start(SimConfig::default()).await
}

async fn fetch_token(http: &reqwest::Client, sim: &SimHandle) -> Value {
    let resp = http
        .post(sim.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

/// A response reduced to what the tests look at.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl Env {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.base_url()))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let text = resp.text().await.unwrap();
        Answer {
            status,
            retry_after,
            text,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn create(&self, email: &str) -> Answer {
        let body = json!({"email": email, "firstName": "New", "lastName": "Hire"});
        self.call(
            Method::POST,
            &format!("/accounts/{ACCOUNT}/organizers"),
            Some(body),
        )
        .await
    }

    fn seed_many(&self, n: usize) {
        for i in 0..n {
            let email = format!("user{i:03}@example.com");
            self.sim
                .insert_organizer(SeedOrganizer::new(&email, "User", &format!("{i}")));
        }
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[path = "simulator_http/auth.rs"]
mod auth;
#[path = "simulator_http/bad_input.rs"]
mod bad_input;
#[path = "simulator_http/control.rs"]
mod control;
#[path = "simulator_http/faults.rs"]
mod faults;
#[path = "simulator_http/meetings.rs"]
mod meetings;
#[path = "simulator_http/organizers.rs"]
mod organizers;
