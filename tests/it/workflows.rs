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
            "hourly.yml",
            "nightly.yml",
            "pull-request.yml",
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
        assert!(
            !triggers
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
