//! Reading the manifests `plan -f` names: files or directories (`*.yaml`, `*.yml`, `*.json`,
//! sorted, not recursive), YAML streams and `kind: List` included, as `kubectl apply -f` reads
//! them. GoToOrganizers are kept; anything else is named so the user knows it was not previewed.
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::crd::GoToOrganizer;

/// The GoToOrganizers in `paths` (namespace defaulted to `namespace`), and what was skipped.
pub fn read(
    paths: &[PathBuf],
    namespace: &str,
) -> crate::Result<(Vec<GoToOrganizer>, Vec<String>)> {
    let mut organizers = Vec::new();
    let mut skipped = Vec::new();
    for file in files(paths)? {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| crate::Error::io(format!("reading {}", file.display()), e))?;
        for doc in documents(&text).map_err(|e| {
            crate::Error::Invalid(format!("{} is not YAML or JSON: {e}", file.display()))
        })? {
            let kind = doc["kind"].as_str().unwrap_or_default().to_string();
            let name = doc["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let group_ok = doc["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("goto-operator.dev/"));
            if kind != "GoToOrganizer" || !group_ok {
                skipped.push(format!("{kind}/{name} in {}", file.display()));
                continue;
            }
            let mut obj: GoToOrganizer = serde_json::from_value(doc).map_err(|e| {
                crate::Error::Invalid(format!(
                    "GoToOrganizer {name:?} in {} is not valid: {e}",
                    file.display()
                ))
            })?;
            if obj.metadata.namespace.is_none() {
                obj.metadata.namespace = Some(namespace.to_string());
            }
            organizers.push(obj);
        }
    }
    Ok((organizers, skipped))
}

fn files(paths: &[PathBuf]) -> crate::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| crate::Error::io(format!("reading {}", path.display()), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_manifest(p))
                .collect();
            entries.sort();
            out.extend(entries);
        } else if path.is_file() {
            out.push(path.clone());
        } else {
            return Err(crate::Error::Invalid(format!(
                "{} is neither a file nor a directory",
                path.display()
            )));
        }
    }
    Ok(out)
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Every object in a YAML stream (JSON is YAML), with `kind: List` items flattened.
fn documents(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let value: Value = serde::Deserialize::deserialize(doc).map_err(|e| e.to_string())?;
        match value {
            Value::Null => {}
            Value::Object(ref o) if o.get("kind").and_then(Value::as_str) == Some("List") => {
                out.extend(
                    o.get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                );
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_lists_and_other_kinds() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("a.yaml"),
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n---\n\
             apiVersion: goto-operator.dev/v1alpha1\nkind: GoToOrganizer\n\
             metadata: {name: jane}\n\
             spec: {accountRef: {name: acme}, email: j@example.com, firstName: J, lastName: D}\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("b.json"),
            r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "goto-operator.dev/v1alpha1",
               "kind": "GoToOrganizer", "metadata": {"name": "sam", "namespace": "sales"},
               "spec": {"accountRef": {"name": "acme"}, "email": "s@example.com", "firstName": "S", "lastName": "T"}}]}"#,
        )
        .expect("write");
        std::fs::write(dir.path().join("notes.txt"), "not a manifest").expect("write");
        let (objs, skipped) = read(&[dir.path().to_path_buf()], "it").expect("read");
        let names: Vec<_> = objs
            .iter()
            .map(|o| {
                format!(
                    "{}/{}",
                    o.metadata.namespace.as_deref().unwrap_or(""),
                    o.metadata.name.as_deref().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(names, ["it/jane", "sales/sam"]);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].starts_with("Secret/s in "), "{skipped:?}");
        assert!(read(&[dir.path().join("missing.yaml")], "it").is_err());
    }

    #[test]
    fn an_invalid_organizer_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("bad.yaml");
        std::fs::write(
            &file,
            "apiVersion: goto-operator.dev/v1alpha1\nkind: GoToOrganizer\nmetadata: {name: x}\nspec: {email: 3}\n",
        )
        .expect("write");
        let err = read(&[file], "it").expect_err("invalid");
        assert!(err.to_string().contains("GoToOrganizer \"x\""), "{err}");
    }
}
