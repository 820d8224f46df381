//! The Dockerfile's promises that can be checked without pulling its base images (nothing can be
//! pulled on the development and CI machines): the build context holds everything Cargo needs,
//! the binary's runtime libraries are all in distroless/cc-debian12, it runs as UID/GID 65532,
//! nothing needs a shell, and it agrees with the FROM-scratch image that `make image-test` runs
//! for real (tests/image.rs) and with the Helm chart.

use std::process::Command;

use serde_json::Value;

mod common;
use common::repo;

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// Cargo refuses a manifest whose explicitly declared targets are missing, even when building
/// only the binary: each must be in the build context (.dockerignore) and copied (Dockerfile).
#[test]
fn the_build_context_holds_every_target_cargo_toml_declares() {
    let allowed: Vec<String> = read(".dockerignore")
        .lines()
        .filter_map(|l| l.trim().strip_prefix('!'))
        .map(|l| l.trim_end_matches('/').to_owned())
        .collect();
    let dockerfile = read("Dockerfile");
    let copied: Vec<&str> = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
        .flat_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            parts[..parts.len() - 1].to_vec()
        })
        .collect();
    let manifest = read("Cargo.toml");
    let mut targets = Vec::new();
    let mut section = "";
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let dir = match section {
            "[[bench]]" => "benches",
            "[[test]]" => "tests",
            "[[example]]" => "examples",
            "[[bin]]" | "[lib]" => "src",
            _ => continue,
        };
        let value = |key: &str| {
            line.strip_prefix(key).map(|v| {
                v.trim_start_matches([' ', '='])
                    .trim_matches('"')
                    .to_owned()
            })
        };
        if let Some(path) = value("path") {
            targets.push(path);
        } else if let Some(name) = value("name")
            && dir != "src"
        {
            targets.push(format!("{dir}/{name}.rs"));
        }
    }
    assert!(targets.iter().any(|t| t == "src/main.rs"), "{targets:?}");
    for target in targets {
        let top = target.split('/').next().unwrap_or_default();
        assert!(
            allowed.iter().any(|a| a == top),
            ".dockerignore leaves out {target}: add !{top}/"
        );
        assert!(
            copied.iter().any(|c| c.trim_end_matches('/') == top),
            "the Dockerfile does not COPY {top} (needed for {target})"
        );
    }
}

/// The sonames distroless/cc-debian12 provides: glibc (with libm) and libgcc_s. The debug binary
/// links the same libraries as the release build (same dependencies and features).
const IMAGE_LIBRARIES: [&str; 8] = [
    "linux-vdso.so.1",
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "ld-linux-x86-64.so.2",
];

#[test]
fn the_binary_links_only_what_the_runtime_image_has() {
    let out = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_goto-operator"))
        .output()
        .expect("ldd (libc-bin)");
    let text = String::from_utf8_lossy(&out.stdout);
    let libs: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|l| l.rsplit('/').next().unwrap_or(l))
        .collect();
    assert!(libs.contains(&"libc.so.6"), "{text}");
    for lib in libs {
        assert!(
            IMAGE_LIBRARIES.contains(&lib),
            "{lib} is not in distroless/cc-debian12:\n{text}"
        );
    }
}

#[test]
fn the_dockerfile_runs_the_binary_as_65532_without_a_shell() {
    let dockerfile = read("Dockerfile");
    let last_stage = dockerfile.rsplit("\nFROM ").next().expect("a FROM line");
    assert!(
        last_stage.starts_with("gcr.io/distroless/cc-debian12:nonroot"),
        "{last_stage}"
    );
    let instructions: Vec<&str> = last_stage
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(
        !instructions.iter().any(|l| l.starts_with("RUN")),
        "no shell in distroless: {instructions:?}"
    );
    assert!(
        instructions.contains(&"USER 65532:65532"),
        "{instructions:?}"
    );
    assert!(
        instructions.contains(&r#"ENTRYPOINT ["/goto-operator"]"#),
        "exec form: {instructions:?}"
    );
    assert!(instructions.contains(&r#"CMD ["run"]"#), "{instructions:?}");
    assert!(dockerfile.contains("cargo build --release --locked"));

    // The chart runs the same user, and no probe or command needs a shell.
    let values: Value =
        serde_norway::from_str(&read("charts/goto-operator/values.yaml")).expect("values");
    for ctx in ["podSecurityContext", "securityContext"] {
        assert_eq!(values[ctx]["runAsUser"], 65532, "{ctx}");
        assert_eq!(values[ctx]["runAsGroup"], 65532, "{ctx}");
    }
    let deployment = read("charts/goto-operator/templates/deployment.yaml");
    assert!(
        !deployment.contains("command:") && !deployment.contains("exec:"),
        "shell-free pod"
    );
}

/// As root (CI), actually run the binary as UID/GID 65532 with no supplementary groups, from a
/// copy outside any private directory: it must work unprivileged.
#[test]
fn the_binary_runs_as_an_unprivileged_numeric_user() {
    let uid = Command::new("id").arg("-u").output().expect("id -u");
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("note: not root, cannot switch to UID 65532; checked in CI, which runs as root");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("goto-operator");
    std::fs::copy(env!("CARGO_BIN_EXE_goto-operator"), &bin).expect("copy the binary");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = Command::new("setpriv")
        .args(["--reuid=65532", "--regid=65532", "--clear-groups", "--"])
        .arg(&bin)
        .arg("crds")
        .env_clear()
        .current_dir("/")
        .output()
        .expect("setpriv (util-linux)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        goto_operator::crd::all_yaml()
    );
}

/// The instructions of a Containerfile's last stage, without comments and blank lines.
fn final_stage(path: &str) -> Vec<String> {
    let text = read(path);
    let last = text.rsplit("\nFROM ").next().expect("a FROM line");
    last.lines()
        .skip(1) // the FROM line itself
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The value of the one `KEYWORD ...` instruction in a stage.
fn instruction<'a>(stage: &'a [String], keyword: &str) -> &'a str {
    let found: Vec<&str> = stage
        .iter()
        .filter_map(|l| l.strip_prefix(keyword)?.strip_prefix(' '))
        .collect();
    assert_eq!(found.len(), 1, "one {keyword} in {stage:?}");
    found[0]
}

/// `make image` (hack/image/Containerfile, FROM scratch) and the Dockerfile (for users with a
/// registry) build the same runtime: same user, entrypoint, command and port, and they are the
/// ones the Helm chart runs and probes.
#[test]
fn the_dockerfile_the_scratch_containerfile_and_the_chart_agree() {
    let dockerfile = final_stage("Dockerfile");
    let scratch = final_stage("hack/image/Containerfile");
    assert!(
        read("hack/image/Containerfile").contains("\nFROM scratch\n"),
        "the Containerfile must need no base image"
    );
    for keyword in ["USER", "ENTRYPOINT", "CMD", "EXPOSE"] {
        assert_eq!(
            instruction(&dockerfile, keyword),
            instruction(&scratch, keyword),
            "{keyword} differs between the Dockerfile and hack/image/Containerfile"
        );
    }

    let values: Value =
        serde_norway::from_str(&read("charts/goto-operator/values.yaml")).expect("values");
    let user = instruction(&scratch, "USER");
    let (uid, gid) = user.split_once(':').expect("USER uid:gid");
    for ctx in ["podSecurityContext", "securityContext"] {
        assert_eq!(values[ctx]["runAsUser"].to_string(), uid, "{ctx}");
        assert_eq!(values[ctx]["runAsGroup"].to_string(), gid, "{ctx}");
    }
    assert_eq!(
        values["metrics"]["port"].to_string(),
        instruction(&scratch, "EXPOSE"),
        "the chart's metrics port (its probes and Service) is the image's port"
    );
    let deployment = read("charts/goto-operator/templates/deployment.yaml");
    assert!(
        deployment.contains("args: [run]") && instruction(&scratch, "CMD") == r#"["run"]"#,
        "the chart runs `run`, the image's CMD"
    );

    // The scratch image's /etc/passwd and /etc/group name that user (hack/image.sh writes them).
    let stage = read("hack/image.sh");
    assert!(
        stage.contains(&format!("nonroot:x:{uid}:{gid}:"))
            && stage.contains(&format!("nonroot:x:{gid}:")),
        "hack/image.sh must write passwd/group entries for {user}"
    );
}
