//! `psrt audit`: nothing psrt depends on stops or loosens silently
//! (PRODUCT.md, "Nothing stops or loosens silently"). It reads, and
//! reports as problems:
//!
//! - `PSRT_MODE` still `plan` (or not a mode);
//! - the policy repository's scheduled workflows ([`workflows`]): disabled
//!   by GitHub for inactivity (`--apply` enables them again, and keeps the
//!   active ones alive), disabled by hand (reported, never touched), a
//!   failed latest scheduled run, no success within twice the period;
//! - the default branch's rules ([`rules`]): `psrt/approvals` required
//!   (from the approvals App), code owners' review, approval of the latest
//!   push, active rulesets without bypass actors, CODEOWNERS without
//!   errors;
//! - private vulnerability reporting ([`reporting`]) on every advisory
//!   repository, and nowhere unwatched in the organisation;
//! - with `--credentials`, each credential verified by a read
//!   ([`credentials`]).
//!
//! A read that fails is a problem of its own ("not checked"), never "all
//! clear", and a problem found earlier is cleared only by a run that made
//! its check again. `--send` tells the admins ([`mail`]); the ledger's
//! audit section remembers what they were told. Exit 1 while a problem
//! remains.

pub mod credentials;
pub mod mail;
pub mod model;
pub mod reporting;
pub mod rules;
pub mod workflows;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

pub use model::{Area, Finding, Kind, Problem, Report, State};

use crate::config::{Env, Mode};
use crate::github::{GitHub, Level, Permission, Scope, Tuning};
use crate::ids::RepoName;
use crate::ledger::{Ledger, OpenProblem};
use crate::roster::Roster;

/// On the policy repository: the workflows and their runs, the workflow
/// files and CODEOWNERS' errors, the rulesets. A dry run reads only.
pub const POLICY_PERMISSIONS: &[Permission] = &[
    ("actions", Level::Read),
    ("contents", Level::Read),
    ("metadata", Level::Read),
];
/// `--apply` enables workflows: `actions: write`, on the policy repository only.
pub const POLICY_APPLY_PERMISSIONS: &[Permission] = &[
    ("actions", Level::Write),
    ("contents", Level::Read),
    ("metadata", Level::Read),
];
/// Whether a repository accepts private vulnerability reports: on each
/// advisory repository, and on every repository of the organisation.
pub const REPORTING_PERMISSIONS: &[Permission] =
    &[("administration", Level::Read), ("metadata", Level::Read)];

/// What `psrt audit` may do on GitHub.
pub fn github_scope(roster: &Roster, policy_repo: &str, apply: bool) -> Scope {
    Scope::org(&roster.github.org, &[])
        // The sweep reads the policy repository's reporting setting too.
        .repos(&[policy_repo], REPORTING_PERMISSIONS)
        .repos(
            &[policy_repo],
            if apply {
                POLICY_APPLY_PERMISSIONS
            } else {
                POLICY_PERMISSIONS
            },
        )
        .repos(&roster.github.advisory_repos, REPORTING_PERMISSIONS)
        .org_repos(REPORTING_PERMISSIONS)
}

/// How a run goes.
pub struct Options<'a> {
    /// Enable what GitHub disabled, keep the rest alive.
    pub apply: bool,
    /// Verify every credential by a read.
    pub credentials: bool,
    pub now: DateTime<Utc>,
    pub env: &'a Env,
    pub tuning: Tuning,
    /// Emails go out (with `--send`).
    pub sending: Option<mail::Sending<'a>>,
    /// Why `--send` cannot send, when it cannot.
    pub send_blocked: Option<String>,
    /// The ledger is written (`--apply` or `--send`); otherwise read only.
    pub record: bool,
    pub ledger: &'a mut Ledger,
}

/// Runs every check, `--apply`'s writes, and the emails.
pub async fn run(gh: &GitHub, roster: &Roster, repo: &RepoName, opts: Options<'_>) -> Report {
    let Options {
        apply,
        credentials: check_credentials,
        now,
        env,
        tuning,
        sending,
        send_blocked,
        record,
        ledger,
    } = opts;
    let mut findings = vec![mode(env)];
    let mut skipped = Vec::new();
    let mut writes = Vec::new();
    let mut write_failures = Vec::new();
    let mut ledger_error = None;
    match gh.repository(repo).await {
        Err(e) => {
            for scope in ["workflows", "rules", "codeowners"] {
                findings.push(Finding::not_checked(
                    if scope == "workflows" {
                        Area::Workflows
                    } else {
                        Area::Rules
                    },
                    scope,
                    format!("{repo} could not be read: {}", e.reason()),
                ));
            }
        }
        Ok(meta) => {
            let branch = meta.default_branch.clone();
            let mut wf = workflows::check(gh, repo, &branch, now).await;
            // GitHub disabled them for inactivity: enable them again.
            for (_, file) in &wf.to_enable {
                if !apply {
                    writes.push(format!(
                        "would enable {file} again (disabled for inactivity)"
                    ));
                    continue;
                }
                match gh.enable_workflow(repo, file).await {
                    Ok(()) => {
                        writes.push(format!("enabled {file} again"));
                        for f in findings_of(&mut wf.findings, file, Kind::WorkflowDisabled) {
                            f.state = State::Fixed;
                            f.text = "was disabled by GitHub for inactivity: enabled again".into();
                        }
                    }
                    Err(e) => write_failures.push(format!("enabling {file}: {}", e.reason())),
                }
            }
            // Keep the active ones alive while the repository is quiet.
            let last = [meta.pushed_at, ledger.audit().kept_alive]
                .into_iter()
                .flatten()
                .max();
            let quiet =
                last.is_none_or(|t| now - t >= Duration::days(workflows::KEEPALIVE_EVERY_DAYS));
            if quiet && !wf.active.is_empty() {
                let files: Vec<&str> = wf.active.iter().map(|(_, f)| f.as_str()).collect();
                if apply {
                    let mut ok = true;
                    for (_, file) in &wf.active {
                        if let Err(e) = gh.enable_workflow(repo, file).await {
                            ok = false;
                            write_failures.push(format!("keeping {file} alive: {}", e.reason()));
                        }
                    }
                    writes.push(format!(
                        "kept alive (no activity for {} days or more): {}",
                        workflows::KEEPALIVE_EVERY_DAYS,
                        files.join(", ")
                    ));
                    if ok && record {
                        if let Err(e) = ledger.audit_kept_alive(now) {
                            ledger_error = Some(format!("{e:#}"));
                        }
                    }
                } else {
                    writes.push(format!(
                        "would keep alive (no activity for {} days or more): {}",
                        workflows::KEEPALIVE_EVERY_DAYS,
                        files.join(", ")
                    ));
                }
            }
            findings.extend(wf.findings);
            let approvals_app = env.approvals_app_id;
            findings.extend(rules::check(gh, repo, &branch, approvals_app, env.in_actions).await);
        }
    }
    let advisory: Vec<RepoName> = roster
        .github
        .advisory_repos
        .iter()
        .filter_map(|r| RepoName::parse(r).ok())
        .collect();
    findings.extend(reporting::advisory_repos(gh, &advisory).await);
    let swept = ledger.audit().swept;
    if swept.is_none_or(|t| now - t >= Duration::hours(reporting::SWEEP_EVERY_HOURS)) {
        let found = reporting::sweep(gh, &roster.github.org, &advisory).await;
        let complete = !found.iter().any(|f| f.kind() == Some(Kind::NotChecked));
        findings.extend(found);
        if complete && record {
            if let Err(e) = ledger.audit_swept(now) {
                ledger_error = Some(format!("{e:#}"));
            }
        }
    } else if let Some(t) = swept {
        skipped.push(format!(
            "the {} (swept {}; every {} hours)",
            reporting::ORG_SCOPE,
            t.format("%Y-%m-%d %H:%M UTC"),
            reporting::SWEEP_EVERY_HOURS
        ));
    }
    if check_credentials {
        findings.extend(credentials::check(env, roster, &repo.to_string(), &tuning).await);
    } else {
        skipped.push("credentials (run with --credentials)".to_owned());
    }

    // What remains, what cleared.
    let checked: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.kind() != Some(Kind::NotChecked))
        .map(|f| f.scope.as_str())
        .collect();
    let unchecked: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.kind() == Some(Kind::NotChecked))
        .map(|f| f.scope.as_str())
        .collect();
    let open = ledger.audit().problems.clone();
    let mut problems: Vec<Problem> = findings
        .iter()
        .filter_map(|f| {
            let kind = f.kind()?;
            let since = open
                .get(&OpenProblem::key(kind.as_str(), &f.subject))
                .map_or(now, |o| o.since);
            Some(Problem {
                kind,
                subject: f.subject.clone(),
                scope: f.scope.clone(),
                text: f.text.clone(),
                since,
                seen_now: true,
            })
        })
        .collect();
    let now_keys: BTreeSet<String> = problems
        .iter()
        .map(|p| OpenProblem::key(p.kind.as_str(), &p.subject))
        .collect();
    let mut cleared = Vec::new();
    for (key, o) in &open {
        if now_keys.contains(key) {
            continue;
        }
        if checked.contains(o.scope.as_str()) && !unchecked.contains(o.scope.as_str()) {
            cleared.push(o.clone());
        } else {
            problems.push(Problem {
                kind: Kind::named(&o.kind),
                subject: o.subject.clone(),
                scope: o.scope.clone(),
                text: "found by an earlier run".to_owned(),
                since: o.since,
                seen_now: false,
            });
        }
    }
    let mut mail = mail::tell(
        &repo.to_string(),
        &problems,
        &cleared,
        &findings,
        ledger,
        record,
        sending.as_ref(),
        env.run.url.as_deref(),
        now,
    )
    .await;
    mail.blocked = send_blocked;
    Report {
        repo: repo.to_string(),
        findings,
        problems,
        cleared: cleared
            .iter()
            .map(|c| format!("{} {}", c.kind, c.subject))
            .collect(),
        skipped,
        writes,
        write_failures,
        mail,
        ledger_error,
    }
}

fn findings_of<'a>(
    findings: &'a mut [Finding],
    subject: &'a str,
    kind: Kind,
) -> impl Iterator<Item = &'a mut Finding> {
    findings
        .iter_mut()
        .filter(move |f| f.subject == subject && f.kind() == Some(kind))
}

/// `PSRT_MODE`: plan mode is a problem while it lasts (the admins must
/// switch to apply after the first week); a value that is no mode too.
fn mode(env: &Env) -> Finding {
    let scope = "mode";
    let var = crate::config::MODE_VAR;
    match &env.mode {
        Ok(Some(Mode::Apply)) => Finding::ok(Area::Mode, scope, var, "apply"),
        Ok(Some(Mode::Plan)) => Finding::problem(
            Area::Mode,
            scope,
            Kind::PlanMode,
            var,
            "plan: the scheduled jobs write nothing (switch to apply after the first week)",
        ),
        Ok(None) => Finding::ok(Area::Mode, scope, var, "not set (a local run)"),
        Err(why) => Finding::problem(Area::Mode, scope, Kind::PlanMode, var, why.clone()),
    }
}
