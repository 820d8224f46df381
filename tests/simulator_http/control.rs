//! The `/_sim/` endpoints, secrets, the server's lifecycle and the `simulate` command.
use super::*;

#[tokio::test]
async fn sim_endpoints_need_no_token() {
    let e = env().await;
    let base = format!("http://{}/_sim", e.sim.addr());
    let http = &e.http;
    let added: Value = http
        .post(format!("{base}/organizers"))
        .json(&json!({"email": "riley.chen@example.com", "firstName": "Riley", "lastName": "Chen"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = added["organizerKey"].as_str().unwrap().to_string();
    let meeting = json!({"subject": "demo", "startTime": "2030-01-01T10:00:00Z", "endTime": "2030-01-01T11:00:00Z"});
    let resp = http
        .post(format!("{base}/organizers/{key}/meetings"))
        .json(&meeting)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let meeting_id = resp.json::<Value>().await.unwrap()["meetingId"]
        .as_str()
        .unwrap()
        .to_string();
    let patched = http
        .patch(format!("{base}/organizers/{key}"))
        .json(&json!({"timeZone": "UTC"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(e.sim.organizer(&key).unwrap().time_zone, "UTC");
    let bad_faults = http
        .put(format!("{base}/faults"))
        .json(&json!({"dropRate": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_faults.status(), StatusCode::BAD_REQUEST);
    let faults = http
        .put(format!("{base}/faults"))
        .json(&json!({"error5xxRate": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), StatusCode::OK);
    assert_eq!(e.get(&format!("/organizers/{key}")).await.status, 503);
    http.put(format!("{base}/faults"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let seats = http
        .put(format!("{base}/seats"))
        .json(&json!({"seats": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(seats.status(), StatusCode::OK);
    assert_eq!(e.create("new.hire@example.com").await.status, 402);
    let state: Value = http
        .get(format!("{base}/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (state["seats"].as_u64(), state["seatsUsed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(state["meetings"][0]["meetingId"], meeting_id.as_str());
    let gone = http
        .delete(format!("{base}/meetings/{meeting_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let log = http
        .get(format!("{base}/requests"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("/G2M/rest/v2/organizers/"));
    assert!(
        !log.contains("demo-secret") && !log.contains(&e.token),
        "no secret in the request log"
    );
    let cleared = http
        .delete(format!("{base}/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(e.sim.requests().is_empty());
    let removed = http
        .delete(format!("{base}/organizers/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(e.sim.organizer(&key).is_none());
}

#[tokio::test]
async fn secret_never_in_debug_output() {
    let config = SimConfig {
        client_secret: "s3cr3t-value".into(),
        ..SimConfig::default()
    };
    assert!(!format!("{config:?}").contains("s3cr3t-value"));
    let sim = Simulator::start(config).await.unwrap();
    assert!(!format!("{sim:?}").contains("s3cr3t-value"));
}

#[tokio::test]
async fn server_stops_when_the_last_handle_is_dropped() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let addr = sim.addr();
    let clone = sim.clone();
    drop(sim);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_ok(),
        "a clone keeps it running"
    );
    drop(clone);
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        refused,
        "the simulator kept listening after its handles were dropped"
    );
}

/// Kills the spawned simulator process even when the test fails.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn simulate_command_prints_its_urls_and_serves_the_seed() {
    use std::io::BufRead;
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/simulator/seed.yaml");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_goto-operator"))
        .args([
            "simulate",
            "--bind",
            "127.0.0.1:0",
            "--seed",
            seed,
            "--client-secret",
            "cli-secret",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Child(child);
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let rest = line
        .trim()
        .strip_prefix("goto simulator listening: api=")
        .unwrap();
    let (api, token_url) = rest.split_once(" token=").unwrap();
    assert!(
        api.starts_with("http://127.0.0.1:") && api.ends_with("/G2M/rest/v2"),
        "{line}"
    );
    assert!(token_url.ends_with("/oauth/token"));
    assert!(!api.contains(":0/"), "the real port is printed");

    let http = http_client();
    let token: Value = http
        .post(token_url)
        .basic_auth("demo-client", Some("cli-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list: Value = http
        .get(format!("{api}/accounts/{ACCOUNT}/organizers"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails: Vec<_> = list["organizers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["email"].clone())
        .collect();
    assert!(
        emails.contains(&json!("jordan.lee@example.com"))
            && emails.contains(&json!("sam.taylor@example.com"))
    );
}
