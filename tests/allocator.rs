//! The operator binary runs on jemalloc with the options `src/main.rs` gives it (its
//! `malloc_conf`): if the symbol were not linked, jemalloc would silently run on its defaults,
//! and the memory the benchmarks record (docs/benchmarks.md) would no longer be the product's.
//! A background purge thread (`jemalloc_bg_thd`) exists only when the options were read.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Names of the threads of process `pid` (Linux).
fn threads(pid: u32) -> Vec<String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc/<pid>/task");
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_string())
        .collect()
}

#[test]
fn the_binary_reads_its_jemalloc_options() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_goto-operator"))
        .args(["simulate", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("goto-operator simulate");
    // Its first line says it listens: the process is up and has allocated.
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let names = threads(child.id());
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(line.contains("listening"), "{line}");
    assert!(
        names.iter().any(|n| n == "jemalloc_bg_thd"),
        "no jemalloc background thread: malloc_conf was not read; threads: {names:?}"
    );
}
