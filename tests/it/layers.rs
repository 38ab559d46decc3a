//! The layers read top to bottom: the module graph built from the `crate::`
//! (and `super::`) paths in `src/` has no cycle, and nothing in the library
//! uses the command line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::*;

/// Top-level modules, from `src/lib.rs`.
fn top_level_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').trim().to_owned())
        .collect()
}

/// The code of a file without comments (doc links are not dependencies).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            // Good enough for this code base: no `//` inside strings that
            // also hold a path.
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first identifiers after each `prefix` (`crate::`), groups included:
/// `crate::{a::b, c}` gives `a` and `c`.
fn roots_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // `self::crate::`, `xcrate::`: not ours
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut at_item_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        at_item_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if depth == 1 && at_item_start {
                    if c.is_alphanumeric() || c == '_' {
                        item.push(c);
                        continue;
                    }
                    if !item.is_empty() {
                        out.insert(std::mem::take(&mut item));
                        at_item_start = false;
                    }
                }
            }
            if !item.is_empty() {
                out.insert(item);
            }
        } else {
            let ident: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !ident.is_empty() {
                out.insert(ident);
            }
        }
    }
    out
}

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Module → the top-level modules it uses.
pub fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo_root().join("src");
    let modules = top_level_modules(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for m in &modules {
        let mut files = Vec::new();
        let single = src.join(format!("{m}.rs"));
        if single.exists() {
            files.push(single);
        }
        let dir = src.join(m);
        if dir.is_dir() {
            rs_files(&dir, &mut files);
        }
        for f in files {
            let text = code(&std::fs::read_to_string(&f).unwrap());
            let rel = f.strip_prefix(&src).unwrap();
            // How many `super::` reach the crate root from this file.
            let depth = rel.components().count()
                - usize::from(rel.file_name().is_some_and(|n| n == "mod.rs"));
            let mut used = roots_after(&text, "crate::");
            used.extend(roots_after(&text, &"super::".repeat(depth)));
            for u in used {
                if modules.contains(&u) && &u != m {
                    graph.get_mut(m).unwrap().insert(u);
                }
            }
        }
    }
    graph
}

/// A cycle, if there is one (depth-first search).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.to_owned());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_owned());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// The graph in layers: each module after everything it uses.
fn render(graph: &BTreeMap<String, BTreeSet<String>>) -> String {
    let mut level: BTreeMap<&str, usize> = BTreeMap::new();
    // Longest path to a leaf; the graph is acyclic when this is called.
    fn depth<'a>(
        n: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        level: &mut BTreeMap<&'a str, usize>,
    ) -> usize {
        if let Some(d) = level.get(n) {
            return *d;
        }
        let d = graph
            .get(n)
            .into_iter()
            .flatten()
            .map(|m| depth(m, graph, level) + 1)
            .max()
            .unwrap_or(0);
        level.insert(n, d);
        d
    }
    for n in graph.keys() {
        depth(n, graph, &mut level);
    }
    let mut rows: Vec<(usize, &str)> = level.iter().map(|(n, d)| (*d, *n)).collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    rows.iter()
        .map(|(d, n)| {
            let deps: Vec<&str> = graph[*n].iter().map(String::as_str).collect();
            format!(
                "layer {d}: {n:<11} -> {}",
                if deps.is_empty() {
                    "(nothing)".to_owned()
                } else {
                    deps.join(", ")
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_parser_finds_plain_grouped_and_super_paths() {
    let text = "use crate::{github::advisories::Advisory, roster::{Login, Roster}};\nlet x = crate::net::rest::Rest::new();\n// crate::commented\nuse super::super::ledger;";
    let c = code(text);
    assert_eq!(
        roots_after(&c, "crate::").into_iter().collect::<Vec<_>>(),
        ["github", "net", "roster"]
    );
    assert_eq!(
        roots_after(&c, "super::super::")
            .into_iter()
            .collect::<Vec<_>>(),
        ["ledger"]
    );
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.insert("a".into(), ["b".to_owned()].into());
    g.insert("b".into(), ["a".to_owned()].into());
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
}

#[test]
fn the_module_graph_has_no_cycle_and_the_library_never_uses_the_command_line() {
    let graph = module_graph();
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "import cycle among the top-level modules: {}\n{graph:#?}",
            cycle.join(" -> ")
        );
    }
    println!("{}", render(&graph));
    for (m, deps) in &graph {
        if m != "cli" {
            assert!(
                !deps.contains("cli"),
                "{m} uses cli: the command line is the top layer"
            );
        }
        if m != "cli" && m != "commands" {
            assert!(
                !deps.contains("commands"),
                "{m} uses commands: commands use the library, never the reverse"
            );
        }
    }
    // The two cycles issue 15 named stay gone.
    assert!(!graph["commands"].contains("cli"));
    assert!(!graph["notify"].contains("deadlines"));
}

/// Whether a line of `text` (without comments) needs the demo: it names
/// the stand-ins' crate or psrt's demo modules.
fn needs_the_demo(line: &str) -> bool {
    line.contains("psrt_fakes")
        || line.contains("crate::demo")
        || line.contains("commands::demo")
        || line.trim_start().starts_with("pub mod demo;")
        || line.trim_start().starts_with("mod demo;")
}

/// The places in `src/` that need the demo but are not under
/// `#[cfg(feature = "demo")]` (the attribute on the line before; the demo's
/// own modules, declared so, are exempt).
fn ungated_demo_uses(files: &[(String, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    for (rel, text) in files {
        if rel == "demo.rs" || rel.starts_with("demo/") || rel == "commands/demo.rs" {
            continue;
        }
        let code = code(text);
        let lines: Vec<&str> = code.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !needs_the_demo(line) {
                continue;
            }
            let gated = lines[..i]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.trim() == "#[cfg(feature = \"demo\")]");
            if !gated {
                bad.push(format!("src/{rel}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    bad
}

#[test]
fn the_stand_ins_reach_the_library_only_through_the_demo_feature() {
    let src = repo_root().join("src");
    let mut paths = Vec::new();
    rs_files(&src, &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|p| {
            (
                p.strip_prefix(&src)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    let bad = ungated_demo_uses(&files);
    assert!(
        bad.is_empty(),
        "the stand-ins (psrt_fakes) or the demo used outside #[cfg(feature = \"demo\")]:\n{}",
        bad.join("\n")
    );
    // The declarations are there to be gated (the check reads what it should).
    let lib = &files.iter().find(|(r, _)| r == "lib.rs").unwrap().1;
    assert!(lib.contains("#[cfg(feature = \"demo\")]\npub mod demo;"));
    // And the stand-ins know nothing of psrt: no dependency, no path.
    let fakes = repo_root().join("crates/psrt-fakes");
    let manifest = std::fs::read_to_string(fakes.join("Cargo.toml")).unwrap();
    assert!(
        !manifest
            .lines()
            .any(|l| l.trim_start().starts_with("psrt ") || l.trim_start().starts_with("psrt=")),
        "psrt-fakes depends on psrt"
    );
    let mut fake_files = Vec::new();
    rs_files(&fakes.join("src"), &mut fake_files);
    assert!(fake_files.len() > 5, "{fake_files:?}");
    for f in fake_files {
        let text = code(&std::fs::read_to_string(&f).unwrap());
        assert!(!text.contains("psrt::"), "{} names psrt", f.display());
    }
}

#[test]
fn an_ungated_use_of_the_stand_ins_is_caught() {
    let file = |rel: &str, text: &str| vec![(rel.to_owned(), text.to_owned())];
    assert!(
        ungated_demo_uses(&file(
            "lib.rs",
            "#[cfg(feature = \"demo\")]\npub mod demo;\n"
        ))
        .is_empty()
    );
    assert!(
        ungated_demo_uses(&file("demo.rs", "use psrt_fakes::github::GitHubFake;\n")).is_empty()
    );
    // A comment is no use.
    assert!(ungated_demo_uses(&file("sync/mod.rs", "// psrt_fakes::github\n")).is_empty());
    for (rel, text) in [
        ("lib.rs", "pub mod demo;\n"),
        ("sync/mod.rs", "use psrt_fakes::github::GitHubFake;\n"),
        ("cli.rs", "#[cfg(test)]\nuse crate::demo::run;\n"),
        ("commands/mod.rs", "pub mod check;\npub mod demo;\n"),
    ] {
        assert_eq!(
            ungated_demo_uses(&file(rel, text)).len(),
            1,
            "{rel}: {text}"
        );
    }
}

/// GitHub's REST paths are spelled in `src/github/` only (the facade); every
/// other module calls its named methods. The stand-ins (`src/fakes/`) serve
/// those paths, so they may spell them too.
#[test]
fn no_github_path_outside_the_facade() {
    let src = repo_root().join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let prefixes = [
        "/repos/",
        "/orgs/",
        "/users/",
        "/user/",
        "/user\"",
        "/app\"",
        "/app/",
        "/advisories/",
        "/installation",
        "api.github.com",
    ];
    let mut found = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        if rel.starts_with("github/") || rel.starts_with("fakes/") {
            continue;
        }
        let text = code(&std::fs::read_to_string(&f).unwrap());
        for (n, line) in text.lines().enumerate() {
            // Discord's current user (`/users/@me`) shares GitHub's prefix;
            // GitHub has no `@me`.
            if line.contains("\"/users/@me\"") {
                continue;
            }
            // A string literal that starts with one of GitHub's paths.
            let hit = prefixes.iter().any(|p| {
                line.contains(&format!("\"{p}")) || line.contains(&format!("format!(\"{p}"))
            });
            if hit {
                found.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "GitHub paths outside src/github/ (add a named method to the facade instead):\n{}",
        found.join("\n")
    );
}

/// Inside a module, the files read top to bottom too: no two files (or
/// folders) of one module use each other, directly or around a circle.
/// `mod.rs` declares them and is left out. (The advisory lifecycle's plan
/// and its rules once imported each other.)
#[test]
fn no_import_cycle_among_the_files_of_a_module() {
    let src = repo_root().join("src");
    let mut cycles = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let module = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut children: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                let mut files = Vec::new();
                rs_files(&p, &mut files);
                children.insert(name, files);
            } else if p.extension().is_some_and(|x| x == "rs") && name != "mod" {
                children.insert(name, vec![p]);
            }
        }
        let mut graph: BTreeMap<String, BTreeSet<String>> = children
            .keys()
            .map(|c| (c.clone(), BTreeSet::new()))
            .collect();
        for (child, files) in &children {
            for f in files {
                let text = code(&std::fs::read_to_string(f).unwrap());
                let rel = f.strip_prefix(&dir).unwrap();
                let depth = rel.components().count()
                    - usize::from(rel.file_name().is_some_and(|n| n == "mod.rs"));
                let mut used = roots_after(&text, &format!("crate::{module}::"));
                used.extend(roots_after(&text, &"super::".repeat(depth)));
                for u in used {
                    if children.contains_key(&u) && &u != child {
                        graph.get_mut(child).unwrap().insert(u);
                    }
                }
            }
        }
        if let Some(c) = find_cycle(&graph) {
            cycles.push(format!("{module}: {}", c.join(" -> ")));
        }
    }
    assert!(
        cycles.is_empty(),
        "files of a module that use each other:\n{}",
        cycles.join("\n")
    );
}
