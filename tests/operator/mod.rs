//! The operator binary as a child process, for tests/controller, tests/chart_rbac.rs and
//! tests/argocd_health.rs:
//! its stderr is captured, and it is killed when the test ends, however it ends.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Operator {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Operator {
    /// `goto-operator run --namespace <namespace> <extra...>` (no `--namespace` when it is empty)
    /// with this kubeconfig, its metrics server on a free loopback port unless `extra` names one.
    pub fn start(kubeconfig: &str, namespace: &str, extra: &[&str]) -> Self {
        Self::start_with_env(kubeconfig, namespace, extra, &[])
    }

    /// [`Operator::start`] with these environment variables set as well, e.g. the
    /// `GOTO_OPERATOR_NAMESPACE` a chart render gives the container (with `namespace` empty, so
    /// that no `--namespace` flag overrides it).
    pub fn start_with_env(
        kubeconfig: &str,
        namespace: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let metrics: &[&str] = if extra.contains(&"--metrics-bind") {
            &[]
        } else {
            &["--metrics-bind", "127.0.0.1:0"]
        };
        // GOTO_TEST_OPERATOR_BIN runs another build (e.g. an older commit's, to show a test fails
        // there); by default the binary cargo built with the tests.
        let binary = std::env::var_os("GOTO_TEST_OPERATOR_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_goto-operator").into());
        let mut child = Command::new(binary)
            .arg("run")
            // An empty namespace: watch them all.
            .args(if namespace.is_empty() {
                vec![]
            } else {
                vec!["--namespace", namespace]
            })
            .args(metrics)
            .args(extra)
            .env("KUBECONFIG", kubeconfig)
            .env(
                "RUST_LOG",
                std::env::var("GOTO_TEST_OPERATOR_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env_remove("GOTO_OPERATOR_NAMESPACE")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start goto-operator run");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap_or_else(|p| p.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        Operator { child, log }
    }

    /// Sends SIGTERM (what Kubernetes sends on a rolling update) and waits for a clean exit.
    /// Async on purpose: the waiting must not block the test's runtime, which may be serving the
    /// in-process GoTo simulator that the operator's last requests are waiting on.
    pub async fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid} failed");
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    assert!(
                        status.success(),
                        "the operator exited with {status} on SIGTERM:\n{}",
                        self.log()
                    );
                    return;
                }
                _ if std::time::Instant::now() > deadline => {
                    panic!(
                        "the operator did not exit within 15 s of SIGTERM:\n{}",
                        self.log()
                    )
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Waits up to `within` for the process to exit on its own; its exit status, or `None` if it
    /// is still running then.
    pub async fn exit_within(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Fails the test with the operator's log if it has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("the operator exited ({status}):\n{}", self.log());
        }
    }

    /// The process id (to read its memory from /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status if the process has exited, without waiting.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Resolves only by panicking, with the log, if the operator exits: race it against a wait.
    pub async fn exited(&mut self) {
        loop {
            self.assert_running();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
