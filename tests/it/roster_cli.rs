//! `psrt check`, `import`, `publish` and `schema` as a person runs them.

use crate::common::*;

#[test]
fn the_committed_roster_passes_check() {
    let r = run(psrt().current_dir(repo_root()).arg("check"));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("roster.yaml: 31 members, 9 emeritus; 0 error(s)"),
        "{}",
        r.stdout
    );
}

#[test]
fn check_reports_every_problem_with_position_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = std::fs::read_to_string(repo_root().join("roster.yaml"))
        .unwrap()
        .replacen(
            "github: sethmlarson",
            "github: sethmlarson\n    emial: s@example.org",
            1,
        )
        .replacen("roles: [admin]", "roles: [admn]", 1);
    let path = write(dir.path(), "roster.yaml", &bad);
    let r = run(psrt().current_dir(dir.path()).args(["check"]));
    assert_eq!(r.code, 1, "{}", r.all());
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        r.stdout.contains(&format!(
            "roster.yaml:{}:5: error[unknown-key]: unknown key `emial`",
            line_of("emial")
        )),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("help: did you mean `email`?"));
    assert!(
        r.stdout
            .contains("error[unknown-role]: `admn` is not a role"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("::error"),
        "annotations only under Actions"
    );
    drop(path);

    let r = run(psrt()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .arg("check"));
    let want = format!(
        "::error file=roster.yaml,line={},col=5,title=error[unknown-key]::unknown key `emial`",
        line_of("emial")
    );
    assert!(r.stdout.contains(&want), "{}", r.stdout);
}

#[test]
fn check_json_lists_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        "version: 1\ngithub: {org: python, team: psrt}\nmembers: []\n",
    );
    let r = run(psrt().current_dir(dir.path()).args(["check", "--json"]));
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rules: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"empty-roster") && rules.contains(&"min-admins"),
        "{rules:?}"
    );
}

#[test]
fn missing_roster_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(psrt().current_dir(dir.path()).arg("check"));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("cannot read roster.yaml"), "{}", r.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let r = run(psrt().args(["check", "--no-such-flag"]));
    assert_eq!(r.code, 2);
    let r = run(&mut psrt());
    assert_eq!(r.code, 2);
}

#[test]
fn import_then_publish_reproduces_the_devguide_files_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let members = fixture("devguide-psrt.csv");
    let emeritus = fixture("devguide-psrt-emeritus.csv");
    let roster = dir.path().join("roster.yaml");
    let r = run(psrt()
        .arg("import")
        .arg("--members")
        .arg(&members)
        .arg("--emeritus")
        .arg(&emeritus)
        .arg("--out")
        .arg(&roster));
    assert_eq!(r.code, 0, "{}", r.all());
    let r = run(psrt().current_dir(dir.path()).arg("check"));
    assert_eq!(r.code, 0, "{}", r.all());
    let out = dir.path().join("public");
    let r = run(psrt()
        .current_dir(dir.path())
        .args(["publish", "--out", "public"]));
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read(out.join("psrt.csv")).unwrap(),
        std::fs::read(&members).unwrap()
    );
    assert_eq!(
        std::fs::read(out.join("psrt-emeritus.csv")).unwrap(),
        std::fs::read(&emeritus).unwrap()
    );

    // import never overwrites
    let r = run(psrt()
        .arg("import")
        .arg("--members")
        .arg(&members)
        .arg("--out")
        .arg(&roster));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("never overwrites"), "{}", r.stderr);
}

#[test]
fn the_committed_roster_publishes_todays_devguide_lists() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(psrt()
        .current_dir(repo_root())
        .arg("publish")
        .arg("--out")
        .arg(dir.path()));
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read(dir.path().join("psrt.csv")).unwrap(),
        std::fs::read(fixture("devguide-psrt.csv")).unwrap()
    );
    assert_eq!(
        std::fs::read(dir.path().join("psrt-emeritus.csv")).unwrap(),
        std::fs::read(fixture("devguide-psrt-emeritus.csv")).unwrap()
    );
}

#[test]
fn import_refuses_bad_rows_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "m.csv", "A,a,Admin\nB,,\n");
    let r = run(psrt().arg("import").arg("--members").arg(&csv));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("m.csv:2: B has no GitHub username"),
        "{}",
        r.stderr
    );
}

#[test]
fn publish_refuses_an_invalid_roster_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "roster.yaml",
        "version: 1\ngithub: {org: python, team: psrt}\nmembers: []\n",
    );
    let r = run(psrt()
        .current_dir(dir.path())
        .args(["publish", "--out", "public"]));
    assert_eq!(r.code, 1);
    assert!(!dir.path().join("public").exists());
}

#[test]
fn the_committed_schema_is_current() {
    let committed =
        std::fs::read_to_string(repo_root().join(psrt::roster::schema::SCHEMA_PATH)).unwrap();
    assert!(
        committed == psrt::roster::schema::schema_text(),
        "schema/roster.schema.json is stale: run `cargo run -- schema > schema/roster.schema.json`"
    );
    let roster = std::fs::read_to_string(repo_root().join("roster.yaml")).unwrap();
    assert!(roster.starts_with("# yaml-language-server: $schema=schema/roster.schema.json\n"));
}
