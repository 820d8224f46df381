//! `goto-operator report attendance` as a user runs it: the real binary, standalone mode
//! (credentials from the environment), data on stdout or in `--output`, and every bad input
//! ending in one `error:` line, exit code 1, nothing on stdout and no file left behind.
use std::path::Path;
use std::process::Command;

use futures::future::join_all;

use super::world::*;

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with `args`, a clean environment for credentials and kubeconfig, and `env`.
/// Blocking, so it runs on tokio's blocking pool while the in-process simulator keeps serving.
pub async fn run(args: Vec<String>, env: Vec<(&'static str, String)>) -> Run {
    tokio::task::spawn_blocking(move || {
        let output = Command::new(env!("CARGO_BIN_EXE_goto-operator"))
            .args(&args)
            .env_remove("GOTO_CLIENT_ID")
            .env_remove("GOTO_CLIENT_SECRET")
            .env_remove("KUBECONFIG")
            .env("RUST_LOG", "warn")
            .envs(env)
            .output()
            .unwrap();
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    })
    .await
    .unwrap()
}

/// `report attendance` in standalone mode against `api`/`token`, plus `extra` flags.
fn standalone(from: &str, to: &str, api: &str, token: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "report",
        "attendance",
        "--from",
        from,
        "--to",
        to,
        "--account-key",
        "4200000000000000001",
        "--api-base-url",
        api,
        "--token-url",
        token,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn credentials(secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GOTO_CLIENT_ID", "demo-client".to_owned()),
        ("GOTO_CLIENT_SECRET", secret.to_owned()),
    ]
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The failure contract: exit 1, exactly one stderr line, `error: ` + `prefix`, empty stdout.
pub fn assert_clean_failure(name: &str, run: &Run, prefix: &str) {
    assert_eq!(run.code, Some(1), "{name}: {run:?}");
    assert!(run.stdout.is_empty(), "{name}: stdout {:?}", run.stdout);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{name}: stderr {:?}", run.stderr);
    assert!(
        lines[0].starts_with(&format!("error: {prefix}")),
        "{name}: expected `error: {prefix}…`, got {:?}",
        lines[0]
    );
    assert!(!run.stderr.contains("panicked"), "{name}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_writes_data_only_to_stdout_or_the_output_file() {
    let world = small_world().await;
    let (api, token) = (world.sim.base_url(), world.sim.token_url());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("attendance.csv");
    let file_arg = file.to_string_lossy().into_owned();

    let to_file = run(
        standalone(FROM, TO, &api, &token, &["--output", &file_arg]),
        credentials(SECRET),
    )
    .await;
    assert_eq!(to_file.code, Some(0), "{to_file:?}");
    assert!(to_file.stdout.is_empty(), "{:?}", to_file.stdout);
    assert!(
        to_file
            .stderr
            .contains("report: 6 row(s) from 2 session(s) of 2 organizer(s) written to"),
        "{}",
        to_file.stderr
    );
    assert_eq!(entries(dir.path()), ["attendance.csv"]);
    let written = std::fs::read_to_string(&file).unwrap();
    let (header, rows) = parse_csv(&written);
    assert_eq!(header, goto_operator::report::COLUMNS);
    assert_eq!(rows, world.expected);

    let to_stdout = run(standalone(FROM, TO, &api, &token, &[]), credentials(SECRET)).await;
    assert_eq!(to_stdout.code, Some(0), "{to_stdout:?}");
    assert_eq!(to_stdout.stdout, written);
    assert!(!to_stdout.stderr.contains(SECRET));

    let json = run(
        standalone(
            FROM,
            TO,
            &api,
            &token,
            &["--format", "json", "--email", "ADA@example.com"],
        ),
        credentials(SECRET),
    )
    .await;
    assert_eq!(json.code, Some(0), "{json:?}");
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value.as_array().unwrap().len(), 6);
    assert_eq!(value[0]["organizerKey"], BIG_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_inputs_fail_with_one_line_and_leave_no_file() {
    let world = small_world().await;
    let (api, token) = (world.sim.base_url(), world.sim.token_url());
    // A loopback port nobody listens on: bound, read, released.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let dead_api = format!("http://{closed}/G2M/rest/v2");
    let dead_token = format!("http://{closed}/oauth/token");
    let secret = "wrong-secret-Zq81";
    let cases: Vec<Case> = vec![
        (
            "impossible date",
            standalone("2025-02-30", TO, &api, &token, &[]),
            credentials(SECRET),
            "--from \"2025-02-30\" is not a valid date",
        ),
        (
            "not a date",
            standalone(FROM, "next tuesday", &api, &token, &[]),
            credentials(SECRET),
            "--to \"next tuesday\" is not a valid date",
        ),
        (
            "inverted range",
            standalone("2025-04-01", "2025-03-01", &api, &token, &[]),
            credentials(SECRET),
            "inverted range: --from 2025-04-01 is after --to 2025-03-01",
        ),
        (
            "missing credentials",
            standalone(FROM, TO, &api, &token, &[]),
            vec![],
            "GOTO_CLIENT_ID and GOTO_CLIENT_SECRET must be set in the environment",
        ),
        (
            "bad secret",
            standalone(FROM, TO, &api, &token, &[]),
            credentials(secret),
            "GoTo API: GoTo refused the credentials",
        ),
        (
            "unreachable GoTo",
            standalone(FROM, TO, &dead_api, &dead_token, &[]),
            credentials(secret),
            "GoTo API: transient GoTo failure: connection failed",
        ),
        (
            "unknown organizer",
            standalone(
                FROM,
                TO,
                &api,
                &token,
                &["--organizer-key", "18446744073709551999"],
            ),
            credentials(SECRET),
            "no organizer with key 18446744073709551999 in GoTo",
        ),
        (
            "unknown email",
            standalone(FROM, TO, &api, &token, &["--email", "nobody@example.com"]),
            credentials(SECRET),
            "no organizer with email \"nobody@example.com\"",
        ),
        (
            "bad account flag",
            args(&["--account", "just-a-name"]),
            credentials(SECRET),
            "--account \"just-a-name\" must be NAMESPACE/NAME",
        ),
        (
            "no kubeconfig",
            args(&["--account", "team-a/goto"]),
            vec![("KUBECONFIG", "/nonexistent/kubeconfig".to_owned())],
            "cannot use the kubeconfig for --account",
        ),
    ];
    let dirs: Vec<tempfile::TempDir> = cases.iter().map(|_| tempfile::tempdir().unwrap()).collect();
    let runs = join_all(cases.iter().zip(&dirs).map(|((_, args, env, _), dir)| {
        let mut args = args.clone();
        args.push("--output".into());
        args.push(dir.path().join("report.csv").to_string_lossy().into_owned());
        run(args, env.clone())
    }))
    .await;
    for (((name, _, _, prefix), run), dir) in cases.iter().zip(&runs).zip(&dirs) {
        assert_clean_failure(name, run, prefix);
        assert!(!run.stderr.contains(secret), "{name} echoed the secret");
        assert!(
            entries(dir.path()).is_empty(),
            "{name} left {:?}",
            entries(dir.path())
        );
    }
    // An --output whose directory does not exist fails before any GoTo call.
    world.sim.clear_requests();
    let missing = run(
        standalone(
            FROM,
            TO,
            &api,
            &token,
            &["--output", "/nonexistent/dir/report.csv"],
        ),
        credentials(SECRET),
    )
    .await;
    assert_clean_failure(
        "missing directory",
        &missing,
        "cannot write a report in /nonexistent/dir",
    );
    assert!(world.sim.requests().is_empty());
}

/// One bad-input case: its name, flags, environment, and the start of the expected error.
type Case = (&'static str, Vec<String>, Env, &'static str);
type Env = Vec<(&'static str, String)>;

/// `report attendance` over `FROM..TO` with only `extra` as the account flags.
fn args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["report", "attendance", "--from", FROM, "--to", TO]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}
