//! How `tests/openapi/gotomeeting-rest-v1.json` is made from GoTo's published document: the
//! operations the operator uses, the components they reference (transitively), and no prose.
//! `tests/v1_conformance.rs` checks that the committed copy is exactly this function's output
//! whenever the published document is at hand.
#![allow(dead_code)]

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// The operations of GoTo Meeting REST v1 the operator uses (goto-api.md, "The published API").
pub const OPERATIONS: [(&str, &str); 9] = [
    ("get", "/organizers"),
    ("post", "/organizers"),
    ("get", "/organizers/{organizerKey}"),
    ("put", "/organizers/{organizerKey}"),
    ("delete", "/organizers/{organizerKey}"),
    ("get", "/organizers/{organizerKey}/upcomingMeetings"),
    ("get", "/organizers/{organizerKey}/historicalMeetings"),
    ("get", "/organizers/{organizerKey}/attendees"),
    ("get", "/meetings/{meetingId}/attendees"),
];

/// Keys that are prose (or vendor extensions, `x-`), dropped everywhere except where a name is
/// a property's name. A Response object keeps its one-word `description` ("OK", "Not found"):
/// OpenAPI 3.0 requires it.
const PROSE: [&str; 4] = ["description", "summary", "tags", "externalDocs"];

fn strip(v: &Value, keep_description: bool) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, x) in map {
                let value = match k.as_str() {
                    "description" if keep_description => x.clone(),
                    k if PROSE.contains(&k) || k.starts_with("x-") => continue,
                    "properties" => Value::Object(
                        x.as_object()
                            .into_iter()
                            .flatten()
                            .map(|(name, p)| (name.clone(), strip(p, false)))
                            .collect(),
                    ),
                    "responses" => Value::Object(
                        x.as_object()
                            .into_iter()
                            .flatten()
                            .map(|(status, r)| (status.clone(), strip(r, true)))
                            .collect(),
                    ),
                    _ => strip(x, false),
                };
                out.insert(k.clone(), value);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|x| strip(x, false)).collect()),
        other => other.clone(),
    }
}

fn refs(v: &Value, found: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => found.push(r.clone()),
                    _ => refs(x, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| refs(x, found)),
        _ => {}
    }
}

/// The published document trimmed to [`OPERATIONS`].
pub fn trim(published: &Value) -> Result<Value, String> {
    let mut paths = Map::new();
    for (method, path) in OPERATIONS {
        let op = published["paths"][path]
            .get(method)
            .ok_or_else(|| format!("the published document has no {method} {path}"))?;
        let item = paths
            .entry(path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(method.to_string(), strip(op, false));
        }
    }
    let mut components = Map::new();
    let mut todo = Vec::new();
    refs(&Value::Object(paths.clone()), &mut todo);
    let mut seen = BTreeSet::new();
    while let Some(reference) = todo.pop() {
        if !seen.insert(reference.clone()) {
            continue;
        }
        let parts: Vec<&str> = reference.split('/').collect();
        let [_, "components", kind, name] = parts.as_slice() else {
            return Err(format!("unexpected reference {reference}"));
        };
        let component = published["components"][kind]
            .get(*name)
            .ok_or_else(|| format!("{reference} does not resolve"))?;
        let component = strip(component, false);
        refs(&component, &mut todo);
        let section = components
            .entry(kind.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(section) = section {
            section.insert(name.to_string(), component);
        }
    }
    Ok(json!({
        "openapi": published["openapi"],
        "info": {"title": published["info"]["title"], "version": published["info"]["version"]},
        "servers": published["servers"],
        "paths": paths,
        "components": components,
    }))
}

/// Every object key and value of `copy` is in `published` at the same place (arrays item by
/// item, of the same length).
pub fn assert_subset(copy: &Value, published: &Value, at: &str) {
    match (copy, published) {
        (Value::Object(c), Value::Object(p)) => {
            for (k, v) in c {
                let theirs = p
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}/{k} is not in the published document"));
                assert_subset(v, theirs, &format!("{at}/{k}"));
            }
        }
        (Value::Array(c), Value::Array(p)) => {
            assert_eq!(
                c.len(),
                p.len(),
                "{at} differs in length from the published document"
            );
            for (i, (c, p)) in c.iter().zip(p).enumerate() {
                assert_subset(c, p, &format!("{at}/{i}"));
            }
        }
        (c, p) => assert_eq!(c, p, "{at} differs from the published document"),
    }
}
