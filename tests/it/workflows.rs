//! The GitHub Actions workflows: safe in a public repository.

use psrt::roster::source::Node;

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
fn tree(text: &str) -> Node {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<serde_saphyr::Spanned<Node>>(text, options)
        .unwrap()
        .value
}

#[test]
fn every_workflow_follows_the_rules() {
    let all = workflows();
    assert_eq!(
        all.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        [
            "approvals.yml",
            "hourly.yml",
            "nightly.yml",
            "publish.yml",
            "pull-request.yml",
            "review.yml",
            "yearly.yml"
        ]
    );
    for (name, text) in &all {
        let wf = tree(text);
        // Top-level permissions: {}.
        let perms = wf.get("permissions").map(|(_, v)| v.value.clone());
        assert_eq!(
            perms,
            Some(Node::Map(vec![])),
            "{name}: top-level permissions must be {{}}"
        );
        let on = wf
            .get("on")
            .map(|(_, v)| v.value.clone())
            .expect("triggers");
        let triggers: Vec<String> = match on {
            Node::Map(m) => m
                .iter()
                .filter_map(|(k, _)| k.value.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        };
        // Only the approvals workflow may run on these (it never runs the head).
        assert!(
            name == "approvals.yml"
                || !triggers
                    .iter()
                    .any(|t| t == "pull_request_target" || t == "workflow_run"),
            "{name}: {triggers:?}"
        );
        let Some((_, jobs)) = wf.get("jobs") else {
            panic!("{name}: no jobs")
        };
        let Node::Map(jobs) = &jobs.value else {
            panic!()
        };
        for (job_name, job) in jobs {
            let job_name = job_name.value.as_str().unwrap_or("?");
            assert!(
                job.value.get("timeout-minutes").is_some(),
                "{name}/{job_name}: timeout-minutes"
            );
            assert!(
                job.value.get("permissions").is_some(),
                "{name}/{job_name}: job permissions"
            );
            for step in job
                .value
                .get("steps")
                .map(|(_, s)| s.value.items().to_vec())
                .unwrap_or_default()
            {
                if let Some(uses) = step
                    .value
                    .get("uses")
                    .and_then(|(_, u)| u.value.as_str().map(str::to_owned))
                {
                    let sha = uses.split('@').nth(1).unwrap_or("");
                    assert!(
                        sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{name}: {uses} is not pinned by SHA"
                    );
                    if uses.starts_with("actions/checkout@") {
                        let pc = step.value.get("with").and_then(|(_, w)| {
                            w.value
                                .get("persist-credentials")
                                .map(|(_, v)| v.value.clone())
                        });
                        assert_eq!(
                            pc,
                            Some(Node::Bool(false)),
                            "{name}: checkout without persist-credentials: false"
                        );
                    }
                }
            }
        }
        // Secrets only where an environment protects them.
        if text.contains("secrets.") {
            assert!(
                text.contains("environment: psrt"),
                "{name}: secrets outside the protected environment"
            );
            assert!(
                !triggers
                    .iter()
                    .any(|t| t == "pull_request" || t == "pull_request_review"),
                "{name}: secrets in a pull request workflow"
            );
        }
    }
    let nightly = tree(&all.iter().find(|(n, _)| n == "nightly.yml").unwrap().1);
    let conc = nightly
        .get("concurrency")
        .map(|(_, c)| c.value.clone())
        .unwrap();
    assert_eq!(
        conc.get("cancel-in-progress").map(|(_, v)| v.value.clone()),
        Some(Node::Bool(false))
    );
}

/// Where secrets go in the workflows that open pull requests: never to the
/// build (build scripts run dependencies' code) nor to a whole job, only to
/// the one step that runs psrt.
#[test]
fn the_app_key_reaches_only_the_step_that_runs_psrt() {
    for (name, text) in workflows()
        .into_iter()
        .filter(|(n, _)| n == "publish.yml" || n == "yearly.yml")
    {
        let wf = tree(&text);
        let has_secret = |n: &Node| format!("{n:?}").contains("secrets.");
        assert!(
            !wf.get("env").is_some_and(|(_, v)| has_secret(&v.value)),
            "{name}: secrets in the workflow's env"
        );
        let Some((_, jobs)) = wf.get("jobs") else {
            panic!("{name}: no jobs")
        };
        let Node::Map(jobs) = &jobs.value else {
            panic!()
        };
        for (job_name, job) in jobs {
            let job_name = job_name.value.as_str().unwrap_or("?");
            assert!(
                !job.value
                    .get("env")
                    .is_some_and(|(_, v)| has_secret(&v.value)),
                "{name}/{job_name}: secrets in the job's env"
            );
            let steps: Vec<Node> = job
                .value
                .get("steps")
                .map(|(_, s)| s.value.items().iter().map(|i| i.value.clone()).collect())
                .unwrap_or_default();
            let with_secrets: Vec<&Node> = steps.iter().filter(|s| has_secret(s)).collect();
            assert_eq!(
                with_secrets.len(),
                1,
                "{name}/{job_name}: steps with secrets"
            );
            let run = with_secrets[0]
                .get("run")
                .and_then(|(_, r)| r.value.as_str().map(str::to_owned))
                .unwrap_or_default();
            assert!(
                run.trim_start().starts_with("./target/release/psrt "),
                "{name}/{job_name}: the secret goes to `{run}`"
            );
            let build = steps
                .iter()
                .position(|s| {
                    s.get("run")
                        .and_then(|(_, r)| r.value.as_str().map(|r| r.contains("cargo build")))
                        .unwrap_or(false)
                })
                .expect("a build step");
            assert!(
                !has_secret(&steps[build]),
                "{name}/{job_name}: the build sees a secret"
            );
        }
    }
    let publish = tree(
        &workflows()
            .into_iter()
            .find(|(n, _)| n == "publish.yml")
            .unwrap()
            .1,
    );
    let on = publish.get("on").map(|(_, v)| v.value.clone()).unwrap();
    for trigger in ["push", "schedule", "workflow_dispatch"] {
        assert!(
            on.get(trigger).is_some(),
            "publish.yml: no {trigger} trigger"
        );
    }
    let push = on.get("push").map(|(_, v)| v.value.clone()).unwrap();
    assert_eq!(
        format!(
            "{:?}",
            push.get("paths").map(|(_, v)| v
                .value
                .items()
                .iter()
                .map(|i| i.value.as_str().map(str::to_owned))
                .collect::<Vec<_>>())
        ),
        format!("{:?}", Some(vec![Some("roster.yaml".to_owned())])),
        "publish.yml runs when roster.yaml changes on main"
    );
}

fn workflow(name: &str) -> (String, Node) {
    let text = std::fs::read_to_string(repo_root().join(".github/workflows").join(name)).unwrap();
    let wf = tree(&text);
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

fn strings(node: &Node) -> Vec<String> {
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
        strings(&prt.value.get("types").unwrap().1.value),
        ["opened", "synchronize", "reopened", "edited"]
    );
    let run = on.get("workflow_run").unwrap().1;
    assert_eq!(
        strings(&run.value.get("workflows").unwrap().1.value),
        ["review"]
    );
    assert_eq!(
        strings(&run.value.get("types").unwrap().1.value),
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
    // `--publish` appears in approvals.yml only.
    for (name, text) in workflows() {
        assert!(
            name == "approvals.yml" || !text.contains("--publish"),
            "{name}"
        );
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

#[test]
fn codeowners_give_the_roster_to_the_steering_council() {
    let text = std::fs::read_to_string(repo_root().join(".github/CODEOWNERS")).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("/roster.yaml") && l.contains("@python/steering-council"))
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("/.github/") && l.contains("@python/psrt-admins"))
    );
}
