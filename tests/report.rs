//! The attendance report against the in-process GoTo simulator: exact rows, paging, ranges,
//! organizers without history, keys above 2^64, 429s mid-run, and the API-call formula of
//! docs/report.md. `cli` runs every bad-input case through the real binary; `account_mode` runs the
//! `--account` mode against the real kube-apiserver of `make test`.
#[path = "report/account_mode.rs"]
mod account_mode;
#[path = "report/cli.rs"]
mod cli;
mod common;
#[path = "report/world.rs"]
mod world;

use goto_operator::cli::ReportFormat;
use goto_operator::report::{
    COLUMNS, OrganizerSelection, ReportRequest, ReportSummary, run_report,
};
use goto_operator::simulator::{FaultRule, Faults};
use world::*;

async fn csv_report(
    world: &World,
    req: &ReportRequest,
    progress: &Recorder,
) -> (String, ReportSummary) {
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

#[tokio::test]
async fn a_missing_attendee_list_is_skipped_aloud_and_transient_failures_are_retried() {
    let world = big_world().await;
    let gone = world.instance_keys[3].clone();
    let flaky = &world.instance_keys[60];
    let bob = &world.organizer_keys[1];
    world.sim.set_faults(Faults {
        rules: vec![
            FaultRule::status(
                "GET",
                &format!("/G2M/rest/v2/meetings/{gone}/attendees"),
                404,
            ),
            FaultRule::status(
                "GET",
                &format!("/G2M/rest/v2/meetings/{flaky}/attendees"),
                503,
            ),
            FaultRule::drop_connection("GET", &format!("/G2M/rest/v2/organizers/{bob}/meetings")),
        ],
        ..Faults::default()
    });
    let progress = Recorder::default();
    let req = request(ReportFormat::Csv, OrganizerSelection::default());
    let (text, summary) = csv_report(&world, &req, &progress).await;
    let wanted: Vec<Vec<String>> = world
        .expected
        .iter()
        .filter(|r| r[3] != gone)
        .cloned()
        .collect();
    assert_eq!(parse_csv(&text).1, wanted);
    assert_eq!(summary.skipped_sessions, 1);
    let warnings = progress.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(&format!("no attendee list for session {gone}")),
        "{warnings:?}"
    );
}

/// docs/report.md stays true: it shows the real header and documents exactly the real flags.
#[test]
fn the_documentation_matches_the_command() {
    use clap::CommandFactory;
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.md")).unwrap();
    assert!(docs.contains(&format!("\n{}\n", COLUMNS.join(","))));
    let cli = goto_operator::cli::Cli::command();
    let attendance = cli
        .find_subcommand("report")
        .and_then(|report| report.find_subcommand("attendance"))
        .unwrap();
    let flags: Vec<String> = attendance
        .get_arguments()
        .filter_map(|arg| arg.get_long())
        .filter(|long| !["help", "log-format"].contains(long))
        .map(|long| format!("--{long}"))
        .collect();
    for flag in &flags {
        assert!(
            docs.contains(&format!("`{flag}")),
            "{flag} is not documented"
        );
    }
    // Every `--flag` outside the lines that start the simulator.
    let report_lines: String = docs
        .lines()
        .filter(|line| !line.contains("goto-operator simulate"))
        .collect::<Vec<_>>()
        .join("\n");
    let documented = report_lines
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| {
            word.starts_with("--") && word[2..].starts_with(|c: char| c.is_ascii_alphabetic())
        });
    for word in documented {
        assert!(
            flags.iter().any(|f| f == word),
            "docs name {word}, which does not exist"
        );
    }
}

/// Issue 20 (4): `report attendance --api v1` reads every session's attendees of one organizer
/// in one call (`GET /organizers/{key}/attendees?startDate&endDate`) and writes the v2 report of
/// the same world, row for row.
#[tokio::test]
async fn through_v1_the_report_is_the_v2_report_row_for_row_in_one_call_per_organizer() {
    use goto_operator::goto::{AccountKey, ClientConfig, Credentials, V1Client};
    use goto_operator::simulator::{SeedOrganizer, SimConfig, Simulator, V1_FIRST_KEY};
    let sim = Simulator::start(SimConfig {
        first_key: V1_FIRST_KEY,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut world = World::new(sim);
    let ada = world.organizer(SeedOrganizer::new("ada@example.com", "Ada", "Lovelace"));
    world.session(&ada, "4242", ts("2025-03-03T09:00:00Z"), 3);
    world.session(&ada, "4242", ts("2025-03-10T09:00:00Z"), 130);
    world.session(&ada, "4242", ts("2025-04-07T09:00:00Z"), 3);
    world.session(&ada, "4343", ts("2025-02-28T23:00:00Z"), 2);
    let bob = world.organizer(SeedOrganizer::new("bob@example.com", "Bob", "Noyce"));
    world.session(&bob, "5151", ts("2025-03-31T23:30:00Z"), 4);
    world.organizer(SeedOrganizer::new("carol@example.com", "Carol", "Shaw"));
    sort_expected(&mut world.expected);

    let req = request(ReportFormat::Csv, OrganizerSelection::default());
    let (v2_text, v2) = csv_report(&world, &req, &Recorder::default()).await;
    let mut config = ClientConfig::new(
        AccountKey::new(world.sim.account_key()),
        Credentials {
            client_id: "demo-client".into(),
            client_secret: SECRET.to_owned().into(),
        },
    );
    config.api_base_url = world.sim.v1_base_url().parse().unwrap();
    config.token_url = world.sim.token_url().parse().unwrap();
    config.requests_per_second = std::num::NonZeroU32::new(1000).unwrap();
    let v1_client = V1Client::new(goto_operator::goto::GoToClient::new(config).unwrap());
    world.sim.clear_requests();
    let mut out = Vec::new();
    let v1 = run_report(&v1_client, &req, &mut out, &Recorder::default())
        .await
        .unwrap();
    let v1_text = String::from_utf8(out).unwrap();
    let (_, rows) = parse_csv(&v1_text);
    let (_, v2_rows) = parse_csv(&v2_text);
    assert_eq!(rows.len(), v2_rows.len());
    // Row for row, column for column, with one difference the published schema forces: v1's
    // AttendeeByOrganizer requires a leaveTime, so where v2 has none (the attendee's leave was
    // not recorded) v1 gives the session's end, and the duration follows from it.
    let mut unknown_leaves = 0;
    for (i, (v1_row, v2_row)) in rows.iter().zip(&v2_rows).enumerate() {
        if v2_row[10].is_empty() {
            unknown_leaves += 1;
            assert_eq!(v1_row[..10], v2_row[..10], "row {i}");
            assert_eq!(
                v1_row[10], v2_row[6],
                "row {i}: v1's leave is the session's end"
            );
        } else {
            assert_eq!(v1_row, v2_row, "row {i}");
        }
    }
    assert!(unknown_leaves > 0 && unknown_leaves < rows.len() / 4);
    assert_eq!(v2_rows, world.expected);
    assert_eq!((v1.rows, v1.organizers), (v2.rows, v2.organizers));
    assert_eq!(v1.rows, 3 + 130 + 4);
    // One listing of the account, then one call per organizer.
    let v1_calls: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/G2M/rest/") && !r.path.starts_with("/G2M/rest/v2/"))
        .collect();
    assert_eq!(v1_calls.len(), 1 + 3, "{v1_calls:?}");
}
