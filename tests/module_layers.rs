//! The modules of `src/goto`, `src/simulator` and the organizer reconcile's stages
//! (`src/controller/organizer`) import each other in one direction only: the one their `mod.rs`
//! documents.
//!
//! A circle (auth needs client's types, client needs auth) means neither layer can be read,
//! tested or changed alone; the shared types live in a module below both instead
//! (`goto/config.rs`, `simulator/tokens.rs`). This reads the `super::` paths of every
//! module (its test module excluded) and fails naming the first circle it finds, then checks
//! them against the layer order the folder's `mod.rs` documents ("Layers, bottom up: ..."), so
//! that the documentation a reader trusts is the order the code keeps.
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Sibling modules each module of `dir` names through `super::`.
fn imports(dir: &str) -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut modules = BTreeMap::new();
    for entry in fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.extension().is_some_and(|e| e == "rs") && name != "mod" && name != "tests" {
            let text = fs::read_to_string(&path).unwrap();
            let code = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .to_owned();
            modules.insert(name, code);
        }
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(name, code)| {
            let used = referenced(code)
                .into_iter()
                .filter(|used| used != name && names.contains(used))
                .collect();
            (name.clone(), used)
        })
        .collect()
}

/// First path segments after `super::`, including each item of `use super::{a, b::C}`.
fn referenced(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("super::") {
        let rest = &code[at + "super::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item = String::new();
            let mut start_of_item = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if !item.is_empty() {
                            found.insert(std::mem::take(&mut item));
                        }
                        start_of_item = true;
                    }
                    c if start_of_item && (c.is_alphanumeric() || c == '_') => item.push(c),
                    _ if start_of_item && !item.is_empty() => {
                        found.insert(std::mem::take(&mut item));
                        start_of_item = false;
                    }
                    _ => {}
                }
            }
            if !item.is_empty() {
                found.insert(item);
            }
        } else {
            let ident: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(ident);
        }
    }
    found
}

/// A circle through `graph`, as the list of modules walked, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_reader_sees_grouped_and_inline_paths() {
    let code = "use super::a::X;\nuse super::{b::{Y, Z}, c, d::W};\nlet _ = super::e::f();";
    let found: Vec<String> = referenced(code).into_iter().collect();
    assert_eq!(found, ["a", "b", "c", "d", "e"]);
    let mut graph = BTreeMap::new();
    graph.insert("x".to_owned(), BTreeSet::from(["y".to_owned()]));
    graph.insert("y".to_owned(), BTreeSet::from(["x".to_owned()]));
    assert_eq!(
        circle(&graph),
        Some(vec!["x".into(), "y".into(), "x".into()])
    );
}

#[test]
fn the_goto_client_has_no_import_circle() {
    let graph = imports("src/goto");
    assert!(graph.contains_key("client") && graph["client"].contains("auth"));
    assert_eq!(circle(&graph), None, "imports: {graph:#?}");
}

#[test]
fn the_simulator_has_no_import_circle() {
    let graph = imports("src/simulator");
    assert!(graph.contains_key("world") && graph["world"].contains("tokens"));
    assert_eq!(circle(&graph), None, "imports: {graph:#?}");
}

#[test]
fn the_organizer_reconcile_stages_have_no_import_circle() {
    let graph = imports("src/controller/organizer");
    assert!(graph.contains_key("report") && graph["report"].contains("act"));
    assert!(graph.contains_key("decide") && graph["decide"].contains("plan"));
    assert_eq!(circle(&graph), None, "imports: {graph:#?}");
}

/// The layer order `dir/mod.rs` documents: in the paragraph of its module documentation that
/// starts with "Layers, bottom up", the backticked lower-case names, in order.
fn documented_layers(dir: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(dir)
        .join("mod.rs");
    let text = fs::read_to_string(path).unwrap();
    let doc: Vec<&str> = text
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").trim())
        .collect();
    let start = doc
        .iter()
        .position(|l| l.starts_with("Layers, bottom up"))
        .unwrap_or_else(|| panic!("{dir}/mod.rs documents no \"Layers, bottom up\" paragraph"));
    let paragraph = doc[start..]
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    paragraph
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect()
}

/// Every module of `dir` (test files aside) is in its documented layers, and imports only
/// modules listed before it.
fn assert_documented_layers(dir: &str) {
    let graph = imports(dir);
    let order = documented_layers(dir);
    let at = |module: &str| order.iter().position(|m| m == module);
    for (module, used) in graph.iter().filter(|(m, _)| !m.ends_with("_tests")) {
        let Some(level) = at(module) else {
            panic!("{dir}/{module}.rs is not in the layers {dir}/mod.rs documents: {order:?}");
        };
        for other in used {
            assert!(
                at(other).is_some_and(|theirs| theirs < level),
                "{dir}/{module}.rs imports `{other}`, which {dir}/mod.rs documents as not below it: {order:?}"
            );
        }
    }
}

#[test]
fn the_reader_finds_the_documented_layers() {
    let order = documented_layers("src/controller/organizer");
    assert_eq!(order.first().map(String::as_str), Some("consent"));
    assert_eq!(order.last().map(String::as_str), Some("report"));
}

#[test]
fn the_goto_client_keeps_its_documented_layers() {
    assert_documented_layers("src/goto");
}

#[test]
fn the_simulator_keeps_its_documented_layers() {
    assert_documented_layers("src/simulator");
}

#[test]
fn the_ownership_model_keeps_its_documented_layers() {
    let graph = imports("src/controller/ownership");
    // The graph was read: every module is in it (none imports a sibling today, mod.rs
    // composes them).
    let modules: Vec<&str> = graph.keys().map(String::as_str).collect();
    assert_eq!(modules, ["index", "inventory", "owner"]);
    assert_documented_layers("src/controller/ownership");
}

#[test]
fn the_organizer_reconcile_keeps_its_documented_layers() {
    assert_documented_layers("src/controller/organizer");
}

/// Source files (test files included) stay small enough to read in one sitting (issue 19: no
/// file over 450 lines). A file that grows past it is split by what it does, or its tests move
/// to a `*_tests.rs` file beside it.
#[test]
fn no_source_file_is_over_450_lines() {
    fn walk(dir: &Path, long: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, long);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let lines = fs::read_to_string(&path).unwrap().lines().count();
                if lines > 450 {
                    long.push(format!("{} ({lines} lines)", path.display()));
                }
            }
        }
    }
    let mut long = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut long,
    );
    assert!(long.is_empty(), "over 450 lines: {long:?}");
}
