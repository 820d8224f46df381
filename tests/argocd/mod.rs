//! Argo CD's view of an object's health, for tests/argocd_health.rs (sample objects) and
//! tests/controller (live objects from the real kube-apiserver).
//!
//! Argo CD (gitops-engine's `GetResourceHealth`) answers "Progressing: Pending deletion" for any
//! object with a deletion timestamp and never runs its health check on it; [`health`] does the
//! same, so no test can assert a health that Argo CD would never show. Everything else goes to
//! deploy/argocd/health.lua in `argocd-lua` (hack/envtest/lua, built by hack/tools.sh):
//! gopher-lua, the Lua 5.1 that Argo CD embeds, with Argo CD's sandbox (no string or math library
//! unless useOpenLibs). So a construct of a later Lua, or a library call the sandbox lacks, fails
//! here as it would fail in Argo CD, instead of passing in a desktop Lua.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The health statuses Argo CD accepts; anything else it shows as Unknown.
pub const ARGO_CD_STATUSES: [&str; 6] = [
    "Healthy",
    "Progressing",
    "Degraded",
    "Suspended",
    "Missing",
    "Unknown",
];

/// What Argo CD shows for any object being deleted, without running its health check.
pub const PENDING_DELETION: (&str, &str) = ("Progressing", "Pending deletion");

pub use crate::common::repo;

pub fn health_lua() -> PathBuf {
    repo().join("deploy/argocd/health.lua")
}

/// The runner: `GOTO_TEST_LUA` (hack/test.sh exports it), else the one hack/tools.sh builds and
/// caches. Any replacement takes the same arguments: `SCRIPT OBJECT.json`, result as JSON.
pub fn lua() -> &'static Path {
    static LUA: OnceLock<PathBuf> = OnceLock::new();
    LUA.get_or_init(|| {
        if let Some(path) = std::env::var_os("GOTO_TEST_LUA").filter(|p| !p.is_empty()) {
            return PathBuf::from(path);
        }
        let out = Command::new(repo().join("hack/tools.sh"))
            .args(["--env", "argocd-lua"])
            .output()
            .expect("run hack/tools.sh");
        assert!(
            out.status.success(),
            "hack/tools.sh argocd-lua failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let env = String::from_utf8_lossy(&out.stdout);
        env.lines()
            .find_map(|l| l.strip_prefix("GOTO_TEST_LUA="))
            .map(PathBuf::from)
            .unwrap_or_else(|| panic!("no GOTO_TEST_LUA in hack/tools.sh --env:\n{env}"))
    })
}

/// Runs `script` on `obj` in Argo CD's Lua: Ok((status, message)), or Err(the runner's error).
pub fn run_script(script: &Path, obj: &Value) -> Result<(String, String), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let object = dir.path().join("obj.json");
    std::fs::write(&object, obj.to_string()).expect("write the object");
    let out = Command::new(lua())
        .arg(script)
        .arg(&object)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e})", lua().display()));
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let result: Value = serde_json::from_slice(&out.stdout).expect("the runner prints JSON");
    let field = |name: &str| result[name].as_str().unwrap_or_default().to_owned();
    Ok((field("status"), field("message")))
}

/// The health Argo CD shows for `obj` with health.lua installed, as (status, message): "Pending
/// deletion" for an object being deleted (the script never sees it), else the script's answer,
/// which must be a status Argo CD knows.
pub fn health(obj: &Value) -> (String, String) {
    if !obj["metadata"]["deletionTimestamp"].is_null() {
        return (PENDING_DELETION.0.into(), PENDING_DELETION.1.into());
    }
    let (status, message) = run_script(&health_lua(), obj)
        .unwrap_or_else(|e| panic!("health.lua failed in Argo CD's Lua on {obj}:\n{e}"));
    assert!(
        ARGO_CD_STATUSES.contains(&status.as_str()),
        "Argo CD would show {status:?} as Unknown"
    );
    (status, message)
}
