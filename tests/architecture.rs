//! The floor plan of `docs/architecture.md`, checked: no two modules import each other
//! (directly or around a longer loop), and the report crate does not depend on the learn
//! crate. A module may use its own submodules and its parent's items; what is forbidden
//! is a loop between modules that are not nested in one another, because such a loop
//! means neither can be understood, tested or replaced without the other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`data::loader`) of every `.rs` file under `src`.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            out.insert(parts.join("::"), path);
        }
    }
    out
}

/// The code of a file without comments and without its `#[cfg(test)]` module (tests may
/// reach anywhere; a doc link is not an import).
fn non_test_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read source");
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text,
    };
    code.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Paths named in `code` as `crate::a::b` or `super::x`, resolved to absolute segments.
fn referenced_paths(code: &str, module: &str) -> Vec<Vec<String>> {
    let own: Vec<String> = module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let mut out = Vec::new();
    for prefix in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                rest = &rest[prefix.len()..];
                continue;
            }
            let (base, after) = resolve_start(rest, &own);
            rest = after;
            out.extend(group_members(after, &base));
            out.push(base.into_iter().chain(segments(after)).collect());
        }
    }
    out
}

/// The module a path starting at `text` (`crate::...` or `super::super::...`) is rooted
/// in, and the text after those leading segments.
fn resolve_start<'a>(text: &'a str, own: &[String]) -> (Vec<String>, &'a str) {
    if let Some(after) = text.strip_prefix("crate::") {
        return (Vec::new(), after);
    }
    let mut base = own.to_vec();
    let mut rest = text;
    while let Some(after) = rest.strip_prefix("super::") {
        base.pop();
        rest = after;
    }
    (base, rest)
}

/// For a path that ends in a group (`a::b::{X, c::Y}`), each member as its own path under
/// `base` + the path's leading segments (a nested group counts by its leading path).
fn group_members(text: &str, base: &[String]) -> Vec<Vec<String>> {
    let lead = segments(text);
    let consumed: usize = lead.iter().map(|s| s.len() + 2).sum();
    let Some(group) = text.get(consumed..).and_then(|t| t.strip_prefix('{')) else {
        return Vec::new();
    };
    top_level_members(group)
        .into_iter()
        .map(|m| {
            let mut path = base.to_vec();
            path.extend(lead.iter().cloned());
            path.extend(segments(m.trim()));
            path
        })
        .collect()
}

/// Leading `a::b::c` identifiers of `text`.
fn segments(text: &str) -> Vec<String> {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text[..end]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The comma-separated members of a `{...}` group whose opening brace precedes `text`.
fn top_level_members(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0usize, 0usize, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                out.push(&text[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// The module a path points into: its longest prefix that is a module.
fn owner(path: &[String], mods: &BTreeMap<String, PathBuf>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| mods.contains_key(m))
}

/// Edges between modules not nested in one another, lifted to siblings: `a::x -> b::y`
/// becomes `a -> b` at their first differing level.
fn sibling_edges(src: &Path) -> BTreeSet<(String, String)> {
    let mods = modules(src);
    let mut edges = BTreeSet::new();
    for (module, path) in &mods {
        if module == "tests" || module.ends_with("::tests") {
            continue;
        }
        for target in referenced_paths(&non_test_code(path), module) {
            let Some(to) = owner(&target, &mods) else {
                continue;
            };
            if let Some(edge) = lift(module, &to) {
                edges.insert(edge);
            }
        }
    }
    edges
}

fn lift(from: &str, to: &str) -> Option<(String, String)> {
    let a: Vec<&str> = from.split("::").filter(|s| !s.is_empty()).collect();
    let b: Vec<&str> = to.split("::").filter(|s| !s.is_empty()).collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == a.len() || common == b.len() {
        return None; // nested: a module and its own parent or child
    }
    Some((a[..=common].join("::"), b[..=common].join("::")))
}

/// Every loop of the graph, as the modules on it (strongly connected components > 1).
fn cycles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let reach = |start: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(n) = stack.pop() {
            for (a, b) in edges {
                if *a == n && seen.insert(b.clone()) {
                    stack.push(b.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for n in &nodes {
        let comp: Vec<String> = nodes
            .iter()
            .filter(|m| reachable[*n].contains(**m) && reachable[*m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        if comp.len() > 1 && !out.contains(&comp) {
            out.push(comp);
        }
    }
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_module_imports_its_importer() {
    let crates = [
        root().join("src"),
        root().join("crates/anomalab-learn/src"),
        root().join("crates/anomalab-flow/src"),
        root().join("crates/anomalab-report/src"),
        root().join("crates/anomalab-results/src"),
    ];
    let mut found = Vec::new();
    for src in crates {
        for cycle in cycles(&sibling_edges(&src)) {
            found.push(format!("{}: {}", src.display(), cycle.join(" <-> ")));
        }
    }
    assert!(found.is_empty(), "module cycles:\n{}", found.join("\n"));
}

/// The `[dependencies]` table of a workspace crate's manifest.
fn dependencies(krate: &str) -> String {
    let path = root().join("crates").join(krate).join("Cargo.toml");
    let manifest = std::fs::read_to_string(&path).expect("read a crate manifest");
    manifest
        .split("\n[")
        .find(|s| s.starts_with("dependencies]"))
        .expect("a [dependencies] table")
        .to_string()
}

#[test]
fn the_report_crate_does_not_depend_on_the_learn_crate() {
    let deps = dependencies("anomalab-report");
    assert!(
        !deps.contains("anomalab-learn"),
        "anomalab-report must not depend on anomalab-learn:\n{deps}"
    );
}

#[test]
fn the_results_crate_depends_on_no_other_crate_of_the_workspace() {
    let deps = dependencies("anomalab-results");
    assert!(
        !deps.contains("anomalab-"),
        "anomalab-results is the bottom of the graph:\n{deps}"
    );
}

#[test]
fn the_checker_finds_a_loop() {
    let edges: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
        .iter()
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect();
    assert_eq!(cycles(&edges), vec![vec!["a", "b", "c"]]);
    let code = "use super::{a::X, b::{Y, Z}};\nuse crate::{c, d::e};";
    let found = referenced_paths(code, "m::n");
    for want in [
        vec!["m", "a", "X"],
        vec!["m", "b"],
        vec!["c"],
        vec!["d", "e"],
    ] {
        assert!(
            found.contains(&want.iter().map(|s| s.to_string()).collect()),
            "{want:?}"
        );
    }
    let deep = referenced_paths("use super::super::x::{Y};", "m::n::o");
    assert!(deep.contains(&vec!["m".to_string(), "x".to_string(), "Y".to_string()]));
    assert_eq!(lift("runner::trial", "runner"), None);
    assert_eq!(
        lift("runner::trial", "data::spec"),
        Some(("runner".into(), "data".into()))
    );
    assert_eq!(
        lift("data::spec", "data::loader"),
        Some(("data::spec".into(), "data::loader".into()))
    );
}
