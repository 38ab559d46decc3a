//! The policy repository as `psrt audit` reads it: psrt's seven workflows
//! (four scheduled) with their latest scheduled runs, the ruleset the
//! operations guide asks for, a CODEOWNERS file, private vulnerability
//! reporting on the advisory repositories; and the ways each can go wrong.
//! Plain data and seeding; what the audit should make of it is for the
//! tests to say.

use chrono::{DateTime, Duration, Utc};

use crate::github::{FakeRuleset, GitHubFake};

/// The job every scheduled psrt workflow runs besides the audit's.
pub const AUDIT_JOB: &str = "psrt audit";

/// psrt's workflows: (file, its cron or none, its main job's name).
pub const WORKFLOWS: [(&str, Option<&str>, &str); 7] = [
    ("nightly.yml", Some("17 3 * * *"), "sync, deadlines"),
    ("hourly.yml", Some("41 * * * *"), "advisory lifecycle"),
    ("yearly.yml", Some("0 9 1 11 *"), "inactivity report"),
    ("publish.yml", Some("0 10 2 1 *"), "publish"),
    ("approvals.yml", None, "approvals"),
    ("review.yml", None, "record"),
    ("pull-request.yml", None, "check"),
];

/// The ruleset's id.
pub const RULESET_ID: u64 = 4_200;

/// A workflow file with that schedule.
pub fn workflow_yaml(file: &str, cron: Option<&str>) -> String {
    let name = file.trim_end_matches(".yml");
    match cron {
        Some(c) => format!(
            "name: {name}\non:\n  schedule:\n    - cron: \"{c}\"\n  workflow_dispatch: {{}}\npermissions: {{}}\njobs: {{}}\n"
        ),
        None => format!("name: {name}\non:\n  pull_request: {{}}\npermissions: {{}}\njobs: {{}}\n"),
    }
}

/// Seeds `repo` (the policy repository) healthy at `now`: every workflow
/// active, each scheduled one's latest scheduled run passed recently, the
/// ruleset active with no bypass, CODEOWNERS without errors, and private
/// vulnerability reporting on every repository of `advisory_repos`.
/// Returns the workflows' ids by file.
pub fn healthy(
    gh: &GitHubFake,
    repo: &str,
    advisory_repos: &[&str],
    approvals_app: Option<u64>,
    now: DateTime<Utc>,
) -> Vec<(String, u64)> {
    gh.commit(
        repo,
        "main",
        &[(
            ".github/CODEOWNERS",
            "* @python/psrt-admins\n/roster.yaml @python/steering-council\n",
        )],
        "CODEOWNERS",
    );
    let mut ids = Vec::new();
    for (file, cron, job) in WORKFLOWS {
        let path = format!(".github/workflows/{file}");
        let id = gh.workflow(repo, &path, &workflow_yaml(file, cron), "active");
        if cron.is_some() {
            // Its latest scheduled run, a little after it fired.
            let ago = match file {
                "hourly.yml" => Duration::minutes(20),
                "nightly.yml" => Duration::hours(5),
                _ => Duration::days(30),
            };
            gh.run(
                repo,
                id,
                "schedule",
                "main",
                now - ago,
                &[(job, "success"), (AUDIT_JOB, "success")],
            );
        }
        ids.push((file.to_owned(), id));
    }
    gh.audit_state(repo, |a| {
        a.rulesets = vec![FakeRuleset::psrt(RULESET_ID, approvals_app)];
        a.pushed_at = Some(now - Duration::days(3));
    });
    for r in advisory_repos {
        gh.repo(r);
        gh.audit_state(r, |a| a.private_reporting = true);
    }
    ids
}

/// Public repositories of the organisation (none accepting reports), up to `n`.
pub fn org_repositories(gh: &GitHubFake, org: &str, n: usize) {
    for i in 0..n {
        gh.repo(&format!("{org}/project-{i:03}"));
    }
}

/// Everything the audit checks, broken at once (on a [`healthy`] world):
/// the hourly workflow disabled for inactivity, the yearly one by hand,
/// the nightly's latest run failed, the publish workflow without a success
/// for two years, the ruleset without code owners' review and with a
/// bypass actor, psrt/approvals from any source, CODEOWNERS with an error,
/// private reporting off on `advisory_off`, and `unwatched` accepting
/// reports outside `advisory_repos`.
pub fn everything_broken(
    gh: &GitHubFake,
    repo: &str,
    ids: &[(String, u64)],
    advisory_off: &str,
    unwatched: &str,
    now: DateTime<Utc>,
) {
    let id = |f: &str| {
        ids.iter()
            .find(|(x, _)| x == f)
            .map(|(_, i)| *i)
            .unwrap_or(0)
    };
    gh.audit_state(repo, |a| {
        for w in &mut a.workflows {
            if w.path.ends_with("/hourly.yml") {
                w.state = "disabled_inactivity".into();
            }
            if w.path.ends_with("/yearly.yml") {
                w.state = "disabled_manually".into();
            }
        }
        a.runs.retain(|r| r.workflow_id != id("publish.yml"));
        a.codeowners_errors = vec![(".github/CODEOWNERS".into(), 2, "Unknown owner".into())];
        if let Some(rs) = a.rulesets.first_mut() {
            rs.bypass_actors = vec!["RepositoryRole".into()];
            for rule in &mut rs.rules {
                if rule["type"] == "pull_request" {
                    rule["parameters"]["require_code_owner_review"] = serde_json::json!(false);
                }
                if rule["type"] == "required_status_checks" {
                    rule["parameters"]["required_status_checks"] =
                        serde_json::json!([{ "context": "psrt/approvals" }]);
                }
            }
        }
    });
    gh.run(
        repo,
        id("nightly.yml"),
        "schedule",
        "main",
        now - Duration::hours(2),
        &[("sync, deadlines", "failure"), (AUDIT_JOB, "success")],
    );
    gh.run(
        repo,
        id("publish.yml"),
        "schedule",
        "main",
        now - Duration::days(800),
        &[("publish", "success")],
    );
    gh.audit_state(advisory_off, |a| a.private_reporting = false);
    gh.repo(unwatched);
    gh.audit_state(unwatched, |a| a.private_reporting = true);
}
