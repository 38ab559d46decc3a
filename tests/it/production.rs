//! The production build (`--no-default-features`, what the workflows run):
//! no demo, so none of the stand-ins and no HTTP server in the binary.

use std::process::Command;

use crate::common::*;

/// psrt's normal dependencies (no dev or build dependencies) as
/// (package, its features), with or without the default features.
fn normal_dependencies(default_features: bool) -> Vec<(String, Vec<String>)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(repo_root()).args([
        "tree",
        "--package",
        "psrt",
        "--edges",
        "normal",
        "--prefix",
        "none",
        "--format",
        "{p}|{f}",
        "--locked",
        "--offline",
    ]);
    if !default_features {
        cmd.arg("--no-default-features");
    }
    let out = cmd.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (package, features) = l.split_once('|')?;
            let name = package.split_whitespace().next()?.to_owned();
            let features = features
                .trim_end_matches(" (*)")
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect();
            Some((name, features))
        })
        .collect()
}

/// What in a dependency graph serves HTTP: the stand-ins, axum, or
/// hyper's server half.
fn http_servers(packages: &[(String, Vec<String>)]) -> Vec<String> {
    let mut found: Vec<String> = packages
        .iter()
        .filter_map(|(name, features)| match name.as_str() {
            "psrt-fakes" | "axum" | "axum-core" | "matchit" => Some(name.clone()),
            "hyper" | "hyper-util" => features
                .iter()
                .find(|f| f.starts_with("server"))
                .map(|f| format!("{name} (feature {f})")),
            _ => None,
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn the_production_build_has_no_http_server_and_none_of_the_stand_ins() {
    let production = normal_dependencies(false);
    assert!(
        production.iter().any(|(n, _)| n == "octocrab"),
        "the graph was read: {production:?}"
    );
    assert_eq!(
        http_servers(&production),
        Vec::<String>::new(),
        "the production build (--no-default-features) serves HTTP"
    );
    // The same check sees them where they are: the default build has the demo.
    let with_demo = http_servers(&normal_dependencies(true));
    for want in ["psrt-fakes", "axum", "hyper (feature server)"] {
        assert!(
            with_demo.iter().any(|s| s == want),
            "{want} missing from the default build: {with_demo:?}"
        );
    }
}

/// The binary `scripts/test` builds with `--no-default-features` (a debug
/// build: symbols name the crates their code comes from).
fn production_binary() -> std::path::PathBuf {
    std::env::var_os("PSRT_PRODUCTION_BIN")
        .unwrap_or_else(|| {
            panic!("PSRT_PRODUCTION_BIN is not set: run scripts/test, which builds psrt with --no-default-features")
        })
        .into()
}

#[test]
#[ignore = "needs the production build: run scripts/test"]
fn the_production_binary_says_the_demo_is_not_built_in_and_carries_no_stand_ins() {
    let bin = production_binary();
    let dir = tempfile::tempdir().unwrap();
    let r = run(psrt_at(&bin).current_dir(dir.path()).arg("demo"));
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr
            .contains("the demo is not built into this psrt: this is the production build"),
        "{}",
        r.all()
    );
    assert!(!r.all().contains("panicked"), "{}", r.all());
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    // Everything else is there, and says the same as the default build.
    let example = repo_root().join("examples/roster.yaml");
    for args in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["--roster", example.to_str().unwrap(), "check"],
    ] {
        let production = run(psrt_at(&bin).args(&args));
        let default = run(psrt().args(&args));
        assert_eq!(production.code, 0, "{args:?}: {}", production.all());
        assert_eq!(production.all(), default.all(), "{args:?}");
    }
    // No code of the stand-ins nor of axum: their crates name no symbol.
    let text = |path: &std::path::Path| {
        String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
    };
    let production = text(&bin);
    let default = text(std::path::Path::new(env!("CARGO_BIN_EXE_psrt")));
    let holds = |bytes: &str, what: &str| bytes.contains(what);
    for crate_name in ["psrt_fakes", "axum"] {
        assert!(
            holds(&default, crate_name),
            "the check cannot see {crate_name} even in the default build"
        );
        assert!(
            !holds(&production, crate_name),
            "the production binary holds {crate_name}"
        );
    }
}
