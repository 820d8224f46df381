//! The README names only things that exist: make targets, metrics, CLI flags and their
//! environment variables, condition reasons, CRD fields, local links and paths.

use std::collections::BTreeSet;

use std::process::Command;
use std::time::Duration;

use goto_operator::crd::{GoToAccount, GoToOrganizer};
use goto_operator::goto::Observer;
use goto_operator::metrics::Metrics;
use kube::CustomResourceExt;
use serde_json::Value;

mod common;
use common::repo;

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn readme() -> String {
    read("README.md")
}

/// Every maximal run of `[a-z0-9_]` (or the given extra characters) that starts with `prefix`.
fn words_starting(text: &str, prefix: &str, extra: &[char]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices(prefix) {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(&c)) {
            continue; // in the middle of a longer word
        }
        let word: String = text[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || extra.contains(c))
            .collect();
        out.insert(word.trim_end_matches(['-', '_']).to_owned());
    }
    out
}

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_goto-operator"))
        .args(args)
        .arg("--help")
        .output()
        .expect("run goto-operator --help");
    assert!(out.status.success(), "goto-operator {args:?} --help failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_two_commands_come_first() {
    let readme = readme();
    let first_block = readme
        .split("```")
        .nth(1)
        .expect("a code block near the top");
    assert!(
        first_block.contains("make demo") && first_block.contains("make test"),
        "{first_block}"
    );
}

#[test]
fn every_make_target_named_exists() {
    let makefile = read("Makefile");
    let targets: BTreeSet<&str> = makefile
        .lines()
        .filter(|l| !l.starts_with(['\t', '#', '.']) && !l.contains(":="))
        .filter_map(|l| l.split_once(':').map(|(t, _)| t.trim()))
        .flat_map(str::split_whitespace)
        .collect();
    // `make X` in inline code, or a code line starting with `make X`; prose may say "make it".
    let readme = readme();
    let mut named = BTreeSet::new();
    for line in readme.lines() {
        let code_line = line.trim_start().strip_prefix("make ");
        let inline = line.split("`make ").skip(1);
        for rest in code_line.into_iter().chain(inline) {
            named.insert(rest.split([' ', '`']).next().unwrap_or_default().to_owned());
        }
    }
    assert!(named.len() >= 5, "{named:?}");
    for target in named {
        assert!(
            targets.contains(target.as_str()),
            "README names `make {target}`, not a Makefile target ({targets:?})"
        );
    }
}

#[test]
fn every_metric_named_is_exported() {
    let m = Metrics::default();
    m.reconciled("organizer", "ok", Duration::from_millis(1));
    m.request("get_organizer", "ok", Duration::from_millis(1));
    m.goto_write("create");
    m.deletion_blocked(0);
    m.set_leader(false);
    m.webhook_request("accepted");
    let labels = goto_operator::metrics::OrganizerLabels {
        namespace: "it".into(),
        account: "acme".into(),
        ready: "True",
        reason: "Reconciled".into(),
    };
    m.set_organizers(&Default::default(), &[(labels, 1)].into());
    m.time_to_ready(1.0);
    m.set_seats("it", "acme", &[("in_goto", 1)]);
    m.set_effective_resync("it", "acme", 600);
    m.drift_read_deferred();
    let m = std::sync::Arc::new(m);
    let account = m.for_account("ns", "acme");
    account.budget_waited(Duration::from_millis(1), 10.0);
    account.rate_limited(5.0);
    let exposition = m.encode();
    let exported: BTreeSet<&str> = exposition
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut named = words_starting(&readme(), "goto_operator_", &[]);
    assert!(named.len() >= 7, "{named:?}");
    // The standard process metrics, read from /proc: exported on Linux only.
    let process = words_starting(&readme(), "process_", &[]);
    assert!(process.len() >= 5, "{process:?}");
    if cfg!(target_os = "linux") {
        named.extend(process);
    }
    for name in &named {
        let family = ["_total", "_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        assert!(
            exported.contains(family),
            "README names {name}; /metrics has {exported:?}"
        );
    }
    for family in exported {
        assert!(
            named.iter().any(|n| n.starts_with(family)),
            "README does not document {family}"
        );
    }
}

/// Flags of other tools that the README uses, so that every other `--flag` must be the
/// operator's own.
const OTHER_TOOLS_FLAGS: [&str; 10] = [
    "--server-side",      // kubectl apply
    "--build-arg",        // docker build
    "--create-namespace", // helm install
    "--set",              // helm
    "--from-literal",     // kubectl create secret
    "--type",             // kubectl patch
    "--patch-file",       // kubectl patch
    "--once",             // hack/demo.sh (make demo ARGS=--once)
    "--test",             // cargo test
    "--nocapture",        // cargo test's test harness
];

#[test]
fn every_flag_and_env_var_named_exists() {
    let helps = [
        help(&[]),
        help(&["run"]),
        help(&["simulate"]),
        help(&["report", "attendance"]),
        help(&["export"]),
        help(&["plan"]),
    ]
    .join("\n");
    let readme = readme();
    for flag in words_starting(&readme, "--", &['-']) {
        if flag.trim_matches('-').is_empty() || OTHER_TOOLS_FLAGS.contains(&flag.as_str()) {
            continue;
        }
        assert!(
            helps.contains(&format!("{flag} ")) || helps.contains(&format!("{flag}\n")),
            "README names {flag}, which no goto-operator subcommand has"
        );
    }
    let run = help(&["run"]);
    let envs = words_starting(&readme, "GOTO_OPERATOR_", &[]);
    assert!(envs.len() >= 10, "{envs:?}");
    for env in envs {
        assert!(
            run.contains(&format!("[env: {env}=")),
            "README names {env}, which `run` does not read"
        );
    }
    // The flags table pairs each flag with its variable: check each pair against one help entry.
    for row in readme.lines().filter(|l| l.starts_with("| `--")) {
        let cells: Vec<&str> = row.split('|').map(|c| c.trim().trim_matches('`')).collect();
        let (flag, env) = (cells[1], cells[2]);
        let entry = run
            .split("\n      --")
            .find(|e| e.starts_with(&format!("{} ", flag.trim_start_matches("--"))))
            .unwrap_or_else(|| panic!("`run` has no {flag}"));
        assert!(
            entry.contains(&format!("[env: {env}=")),
            "{flag} is not read from {env}"
        );
    }
}

#[test]
fn every_condition_reason_is_documented() {
    let source = read("src/crd/conditions.rs");
    let start = source.find("pub mod reason").expect("mod reason");
    let end = start + source[start..].find("\n}").expect("end of mod reason");
    let reasons: Vec<&str> = source[start..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split('"').nth(1))
        .collect();
    assert!(reasons.len() >= 15, "{reasons:?}");
    let readme = readme();
    let troubleshooting = readme
        .split("## Conditions and troubleshooting")
        .nth(1)
        .expect("a troubleshooting section");
    for reason in reasons {
        assert!(
            troubleshooting.contains(&format!("| `{reason}` |")),
            "reason {reason} has no row in the README's troubleshooting table"
        );
    }
}

/// Dotted paths of every leaf property under spec and status (list items add their own fields
/// by name; the standard Condition fields are Kubernetes', not ours).
fn fields(schema: &Value, path: &str, out: &mut Vec<(String, bool)>) {
    let Some(props) = schema["properties"].as_object() else {
        return;
    };
    for (name, sub) in props {
        let dotted = format!("{path}.{name}");
        if name == "conditions" || sub.get("properties").is_none() {
            // A leaf (or the standard conditions list): documented by its full path.
            out.push((dotted.clone(), false));
        }
        if name == "conditions" {
            continue;
        }
        fields(sub, &dotted, out);
        if let Some(items) = sub["items"]["properties"].as_object() {
            for (item, item_schema) in items {
                out.push((item.clone(), true));
                fields(item_schema, &format!("{dotted}[].{item}"), out);
            }
        }
    }
}

#[test]
fn every_crd_field_is_documented() {
    let readme = readme();
    for crd in [GoToAccount::crd(), GoToOrganizer::crd()] {
        let crd = serde_json::to_value(crd).expect("CRD as JSON");
        let root = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
        let mut all = Vec::new();
        fields(&root["spec"], "spec", &mut all);
        fields(&root["status"], "status", &mut all);
        assert!(all.len() >= 8, "{all:?}");
        for (field, is_item) in all {
            assert!(
                readme.contains(&format!("`{field}`")),
                "{} field {field} is not documented in the README{}",
                crd["spec"]["names"]["kind"],
                if is_item {
                    " (as `name`)"
                } else {
                    " (as `spec.x.y`)"
                }
            );
        }
    }
}

#[test]
fn every_local_link_resolves() {
    let readme = readme();
    let mut checked = 0;
    for (i, _) in readme.match_indices("](") {
        let target: String = readme[i + 2..].chars().take_while(|c| *c != ')').collect();
        if target.starts_with("http") || target.starts_with('#') {
            continue;
        }
        assert!(
            repo().join(&target).exists(),
            "README links to {target}, which does not exist"
        );
        checked += 1;
    }
    assert!(checked >= 2);
    for path in words_starting(&readme, "examples/", &['-', '.', '/'])
        .into_iter()
        .chain(words_starting(&readme, "deploy/argocd/", &['-', '.', '/']))
        .chain(words_starting(&readme, "tests/", &['-', '.', '/']))
        .chain(words_starting(&readme, "hack/", &['-', '.', '/']))
        .filter(|p| p.contains('.'))
    {
        assert!(
            repo().join(&path).exists(),
            "README names {path}, which does not exist"
        );
    }
}

/// Commands a fresh machine may lack, that the README's `make test` and `make demo` must
/// therefore not run: the tools are built from Go modules instead (hack/tools.sh).
const NOT_ON_A_FRESH_MACHINE: [&str; 6] = ["openssl", "curl", "wget", "lua5.1", "lua5.3", "lua5.4"];

/// The shell code of a script: no comments, no here-documents (text shown to a person).
fn shell_code(script: &str) -> Vec<String> {
    let mut code = Vec::new();
    let mut heredoc_end: Option<String> = None;
    for line in script.lines() {
        if let Some(end) = &heredoc_end {
            if line.trim() == end {
                heredoc_end = None;
            }
            continue;
        }
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some((_, rest)) = line.split_once("<<") {
            let end: String = rest
                .trim_start_matches('-')
                .trim()
                .trim_matches(['\'', '"'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !end.is_empty() {
                heredoc_end = Some(end);
            }
        }
        code.push(line.to_owned());
    }
    code
}

#[test]
fn make_test_and_make_demo_need_nothing_installed_by_hand() {
    let mut scripts = vec!["Makefile".to_owned(), ".ci/run".to_owned()];
    for dir in ["hack", "hack/envtest"] {
        for entry in std::fs::read_dir(repo().join(dir)).expect("read hack/") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "sh") {
                let rel = path.strip_prefix(repo()).expect("in the repo");
                scripts.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    assert!(scripts.len() >= 8, "{scripts:?}");
    for script in &scripts {
        for line in shell_code(&read(script)) {
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || "|&;()$`\"'".contains(c))
                .collect();
            for tool in NOT_ON_A_FRESH_MACHINE {
                assert!(
                    !words.contains(&tool),
                    "{script} runs {tool}, which a fresh machine lacks: build it from a Go \
                     module in hack/envtest/ (hack/tools.sh) instead\n  {line}"
                );
            }
            // Only the image's tooling installs Debian packages, and it does so itself.
            if words.contains(&"apt-get") || words.contains(&"dpkg") {
                assert_eq!(script, "hack/podman.sh", "{script}: {line}");
            }
        }
    }
    // CI does what the README says and nothing more.
    let ci: Vec<String> = shell_code(&read(".ci/run"))
        .into_iter()
        .filter(|l| !l.starts_with("echo ") && !l.starts_with("set ") && !l.starts_with("cd "))
        .filter(|l| !l.is_empty() && !l.starts_with("export CI="))
        .collect();
    assert!(
        ci.iter().all(|l| l.starts_with("make ")),
        ".ci/run must only run make targets the README documents: {ci:?}"
    );
    assert!(ci.contains(&"make test".to_owned()), "{ci:?}");
}
