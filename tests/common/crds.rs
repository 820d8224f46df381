//! Installs the project's CRDs (every YAML document in `crds/*.yaml`, as `make crds` writes them)
//! into the test control plane, the way a user would, and waits until they can be used.

use std::path::{Path, PathBuf};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams};
use kube::runtime::wait::conditions::is_crd_established;
use kube::{Api, Client};
use serde::Deserialize;

use super::wait::{DEFAULT_TIMEOUT, await_condition};

/// Field manager of the tests' server-side applies, distinct from the operator's own.
const FIELD_MANAGER: &str = "goto-operator-tests";

/// Server-side applies every CRD found in `crds/` and waits until each is Established. Returns
/// their names (empty while the repository has no CRDs yet). Idempotent, so every test may call
/// it.
pub async fn apply_crds(client: &Client) -> Vec<String> {
    let api = Api::<CustomResourceDefinition>::all(client.clone());
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut names = Vec::new();
    for crd in read_crds(&Path::new(env!("CARGO_MANIFEST_DIR")).join("crds")) {
        let name = crd
            .metadata
            .name
            .clone()
            .unwrap_or_else(|| panic!("a CRD in crds/ has no metadata.name"));
        api.patch(&name, &params, &Patch::Apply(&crd))
            .await
            .unwrap_or_else(|e| panic!("cannot apply CRD {name}: {e}"));
        names.push(name);
    }
    for name in &names {
        await_condition(api.clone(), name, is_crd_established(), DEFAULT_TIMEOUT).await;
    }
    names
}

/// Every CRD document of every `*.yaml` file in `dir`, in file-name order. A missing directory
/// means no CRDs yet.
fn read_crds(dir: &Path) -> Vec<CustomResourceDefinition> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    let mut crds = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        for document in serde_norway::Deserializer::from_str(&text) {
            let value = serde_norway::Value::deserialize(document)
                .unwrap_or_else(|e| panic!("invalid YAML in {}: {e}", file.display()));
            if value.is_null() {
                continue; // empty document, e.g. after a trailing `---`
            }
            crds.push(
                serde_norway::from_value(value)
                    .unwrap_or_else(|e| panic!("{} holds a non-CRD document: {e}", file.display())),
            );
        }
    }
    crds
}
