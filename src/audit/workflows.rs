//! The policy repository's scheduled workflows: enabled (GitHub disables a
//! public repository's scheduled workflows after 60 days without activity),
//! kept alive, and running: the latest scheduled run on the default branch
//! passed, and one passed within twice the schedule's period. A run is
//! judged by its jobs other than psrt audit's own ([`AUDIT_JOB`]): two
//! audits that each reported the other's red run would otherwise keep each
//! other red forever.

use chrono::{DateTime, Duration, Utc};
use croner::parser::{CronParser, Seconds, Year};

use super::model::{Area, Finding, Kind, State};
use crate::github::GitHub;
use crate::github::actions::{Job, Run, Workflow};
use crate::ids::RepoName;

/// The display name of the audit's own job in the workflows
/// (`tests/it/workflows.rs` holds the workflows to it).
pub const AUDIT_JOB: &str = "psrt audit";

/// How often the active scheduled workflows are kept alive while the
/// repository is quiet. GitHub disables them after 60 days without
/// activity and warns by email a week before; 30 days keeps every workflow
/// alive with a month to spare (a missed run or two changes nothing), and
/// costs one write per workflow a month, none while people push.
pub const KEEPALIVE_EVERY_DAYS: i64 = 30;

/// Scheduled runs read per workflow: the newest that ran to the end. Runs
/// cancelled before they did anything (a newer pending run replaced them)
/// prove nothing either way, so a few are read to find one that decides.
pub const RUNS_READ: u32 = 10;

/// The schedules of a workflow file (`on.schedule[].cron`); empty: not a
/// scheduled workflow. `Err`: the file is not YAML psrt can read.
pub fn crons(workflow_yaml: &str) -> Result<Vec<String>, String> {
    // YAML 1.2 booleans: `on:` is a key, not `true`.
    let options = serde_saphyr::options! { strict_booleans: true };
    let v: serde_json::Value = serde_saphyr::from_str_with_options(workflow_yaml, options)
        .map_err(|e| {
            format!(
                "not a workflow psrt can read ({})",
                first_line(&e.to_string())
            )
        })?;
    let schedule = v.get("on").and_then(|on| on.get("schedule"));
    Ok(schedule
        .and_then(serde_json::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("cron").and_then(serde_json::Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).chars().take(160).collect()
}

/// The schedule's period: the longest gap between two consecutive times
/// the crons fire (GitHub's POSIX cron, in UTC), looked at over the years
/// after `from`. A nightly cron gives a day, an hourly one an hour, one on
/// 1 November a year. `Err` for a cron GitHub would not take either.
pub fn period(crons: &[String], from: DateTime<Utc>) -> Result<Duration, String> {
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build();
    let horizon = from + Duration::days(5 * 366);
    let mut times: Vec<DateTime<Utc>> = Vec::new();
    for c in crons {
        if c.split_whitespace().count() != 5 {
            return Err(format!("cron `{c}` is not five fields"));
        }
        let cron = parser
            .parse(c)
            .map_err(|e| format!("cron `{c}`: {}", first_line(&e.to_string())))?;
        // Bounded: at most 20,000 firings of each (every 5 minutes, GitHub's
        // shortest, covers ten weeks; anything rarer covers the five years).
        times.extend(
            cron.iter_after(from)
                .take_while(|t| *t <= horizon)
                .take(20_000),
        );
    }
    times.sort();
    times.dedup();
    let gap = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .ok_or_else(|| "the schedule fires less than twice in five years".to_owned())?;
    Ok(gap)
}

/// "1 hour", "1 day", "365 days".
pub fn describe(d: Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if d.num_days() >= 1 && d.num_seconds() % 86_400 == 0 {
        plural(d.num_days(), "day")
    } else if d.num_hours() >= 1 && d.num_seconds() % 3600 == 0 {
        plural(d.num_hours(), "hour")
    } else {
        plural(d.num_minutes(), "minute")
    }
}

/// How a run went, judged by its jobs other than the audit's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    /// Cancelled or skipped before anything ran: proves nothing.
    Undecided,
}

/// The verdict of a run from its jobs, the audit's own left out.
pub fn judge(jobs: &[Job]) -> Verdict {
    let others: Vec<&Job> = jobs.iter().filter(|j| j.name != AUDIT_JOB).collect();
    fn concl<'a>(j: &&'a Job) -> &'a str {
        j.conclusion.as_deref().unwrap_or("")
    }
    if others.iter().any(|j| {
        matches!(
            concl(j),
            "failure" | "timed_out" | "action_required" | "startup_failure"
        )
    }) {
        return Verdict::Failed;
    }
    if others.iter().any(|j| concl(j) == "success")
        && others
            .iter()
            .all(|j| matches!(concl(j), "success" | "skipped" | "neutral"))
    {
        return Verdict::Passed;
    }
    Verdict::Undecided
}

/// One scheduled workflow as the audit read it.
pub struct Scheduled {
    pub workflow: Workflow,
    pub crons: Vec<String>,
}

/// What the workflows part found, and what `--apply` should write.
#[derive(Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// Workflows GitHub disabled for inactivity (to enable again).
    pub to_enable: Vec<(u64, String)>,
    /// Active scheduled workflows (to keep alive when due).
    pub active: Vec<(u64, String)>,
}

fn scope_state(file: &str) -> String {
    format!("workflow {file}")
}

fn scope_runs(file: &str) -> String {
    format!("runs of {file}")
}

/// Reads every workflow of the policy repository, the files of the
/// scheduled ones, and each one's latest scheduled runs on the default
/// branch.
pub async fn check(
    gh: &GitHub,
    repo: &RepoName,
    default_branch: &str,
    now: DateTime<Utc>,
) -> Outcome {
    let mut out = Outcome::default();
    let workflows = match gh.workflows(repo).await {
        Ok(w) => w,
        Err(e) => {
            out.findings.push(Finding::not_checked(
                Area::Workflows,
                "workflows",
                format!("the workflows could not be read: {}", e.reason()),
            ));
            return out;
        }
    };
    let mut scheduled = Vec::new();
    for w in workflows.into_iter().filter(|w| w.state != "deleted") {
        match gh
            .file(
                repo,
                &w.path,
                crate::github::repos::Rev::Branch(default_branch),
            )
            .await
        {
            Ok(Some(blob)) => {
                let text = String::from_utf8_lossy(&blob.bytes().unwrap_or_default()).into_owned();
                match crons(&text) {
                    Ok(c) if c.is_empty() => {}
                    Ok(c) => scheduled.push(Scheduled {
                        workflow: w,
                        crons: c,
                    }),
                    Err(why) => out.findings.push(Finding::not_checked(
                        Area::Workflows,
                        &scope_state(w.file()),
                        format!("{}: {why}", w.path),
                    )),
                }
            }
            // A workflow GitHub lists whose file is gone from the default
            // branch (a branch's workflow): nothing scheduled runs it.
            Ok(None) => {}
            Err(e) => out.findings.push(Finding::not_checked(
                Area::Workflows,
                &scope_state(w.file()),
                format!("{} could not be read: {}", w.path, e.reason()),
            )),
        }
    }
    scheduled.sort_by(|a, b| a.workflow.path.cmp(&b.workflow.path));
    if scheduled.is_empty() && out.findings.is_empty() {
        out.findings.push(Finding::problem(
            Area::Workflows,
            "workflows",
            Kind::NoRecentSuccess,
            "scheduled workflows",
            format!("none on {default_branch}: psrt's nightly and hourly jobs do not run"),
        ));
    }
    for s in &scheduled {
        state_of(s, &mut out);
        out.findings
            .push(runs_of(gh, repo, default_branch, s, now).await);
    }
    out
}

fn state_of(s: &Scheduled, out: &mut Outcome) {
    let w = &s.workflow;
    let file = w.file();
    let scope = scope_state(file);
    match w.state.as_str() {
        "active" => {
            out.active.push((w.id, file.to_owned()));
            out.findings.push(Finding::ok(
                Area::Workflows,
                &scope,
                file,
                format!("enabled ({})", s.crons.join(", ")),
            ));
        }
        "disabled_inactivity" => {
            out.to_enable.push((w.id, file.to_owned()));
            out.findings.push(Finding::problem(
                Area::Workflows,
                &scope,
                Kind::WorkflowDisabled,
                file,
                "disabled by GitHub for inactivity (60 days without activity in the repository)",
            ));
        }
        "disabled_manually" => out.findings.push(Finding::problem(
            Area::Workflows,
            &scope,
            Kind::WorkflowDisabledByHand,
            file,
            "disabled by hand (reported; psrt never enables it)",
        )),
        other => out.findings.push(Finding::problem(
            Area::Workflows,
            &scope,
            Kind::WorkflowDisabledByHand,
            file,
            format!("state {other} (reported; psrt does not touch it)"),
        )),
    }
}

async fn runs_of(
    gh: &GitHub,
    repo: &RepoName,
    branch: &str,
    s: &Scheduled,
    now: DateTime<Utc>,
) -> Finding {
    let w = &s.workflow;
    let file = w.file();
    let scope = scope_runs(file);
    let period = match period(&s.crons, now) {
        Ok(p) => p,
        Err(why) => {
            return Finding::not_checked(Area::Workflows, &scope, format!("{file}: {why}"));
        }
    };
    let window = period * 2;
    let runs = match gh
        .completed_runs(repo, file, "schedule", branch, RUNS_READ)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            return Finding::not_checked(
                Area::Workflows,
                &scope,
                format!("the runs of {file} could not be read: {}", e.reason()),
            );
        }
    };
    // GitHub filters by event and branch; a dispatch, or a copy of the
    // workflow run on another branch, proves nothing: checked again here.
    let runs: Vec<&Run> = runs
        .iter()
        .filter(|r| r.event == "schedule" && r.head_branch.as_deref() == Some(branch))
        .filter(|r| r.status.as_deref().is_none_or(|s| s == "completed"))
        .collect();
    let mut decided: Option<(&Run, Verdict)> = None;
    for r in runs {
        let jobs = match gh.run_jobs(repo, r.id).await {
            Ok(j) => j,
            Err(e) => {
                return Finding::not_checked(
                    Area::Workflows,
                    &scope,
                    format!(
                        "the jobs of a run of {file} could not be read: {}",
                        e.reason()
                    ),
                );
            }
        };
        let v = judge(&jobs);
        if v != Verdict::Undecided {
            decided = Some((r, v));
            break;
        }
    }
    let every = describe(period);
    let at = |r: &Run| r.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let link = |r: &Run| {
        r.html_url
            .as_deref()
            .map_or(String::new(), |u| format!(": {u}"))
    };
    match decided {
        Some((r, Verdict::Failed)) => Finding::problem(
            Area::Workflows,
            &scope,
            Kind::RunFailed,
            file,
            format!("the latest scheduled run ({}) failed{}", at(r), link(r)),
        ),
        Some((r, _)) if now - r.created_at > window => Finding::problem(
            Area::Workflows,
            &scope,
            Kind::NoRecentSuccess,
            file,
            format!(
                "no scheduled run passed within twice its period ({every}): the latest that passed ran {}",
                at(r)
            ),
        ),
        Some((r, _)) => Finding::ok(
            Area::Workflows,
            &scope,
            file,
            format!(
                "the latest scheduled run ({}) passed; runs every {every}",
                at(r)
            ),
        ),
        None if now - w.created_at > window => Finding::problem(
            Area::Workflows,
            &scope,
            Kind::NoRecentSuccess,
            file,
            format!(
                "no scheduled run passed within twice its period ({every}); none decided among the latest {RUNS_READ}"
            ),
        ),
        None => Finding::new(
            Area::Workflows,
            &scope,
            file,
            State::Ok,
            format!("no scheduled run yet (new; runs every {every})"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_period_of_psrts_own_schedules() {
        let now = at("2026-12-07T12:00:00Z");
        let p = |c: &[&str]| {
            period(&c.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(), now).unwrap()
        };
        assert_eq!(p(&["41 * * * *"]), Duration::hours(1));
        assert_eq!(p(&["17 3 * * *"]), Duration::days(1));
        // 1 November: a year, the leap year's 366 days at most.
        assert_eq!(p(&["0 9 1 11 *"]), Duration::days(366));
        // Weekdays only: the weekend is the longest gap.
        assert_eq!(p(&["0 9 * * 1-5"]), Duration::days(3));
        // Two schedules: the union.
        assert_eq!(p(&["0 0 * * *", "0 12 * * *"]), Duration::hours(12));
        assert_eq!(describe(Duration::hours(1)), "1 hour");
        assert_eq!(describe(Duration::days(366)), "366 days");
    }

    #[test]
    fn a_cron_github_would_refuse_is_an_error_not_a_panic() {
        let now = at("2026-12-07T12:00:00Z");
        for bad in [
            "",
            "* * * *",
            "0 0 0 * * *",
            "61 * * * *",
            "x y z a b",
            "0 0 30 2 *",
        ] {
            assert!(period(&[bad.to_owned()], now).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_the_crons_of_a_workflow() {
        let wf = "name: n\non:\n  schedule:\n    - cron: \"17 3 * * *\"\n    - cron: '0 12 * * 1'\n  workflow_dispatch: {}\njobs: {}\n";
        assert_eq!(crons(wf).unwrap(), ["17 3 * * *", "0 12 * * 1"]);
        assert!(crons("on: [push]\njobs: {}\n").unwrap().is_empty());
        assert!(crons("on:\n  pull_request: {}\n").unwrap().is_empty());
        assert!(crons(": : :\n\t- [").is_err());
    }

    fn job(name: &str, conclusion: &str) -> Job {
        Job {
            name: name.to_owned(),
            status: Some("completed".into()),
            conclusion: Some(conclusion.to_owned()),
        }
    }

    #[test]
    fn a_run_is_judged_without_the_audits_own_job() {
        use Verdict::*;
        assert_eq!(
            judge(&[job("sync, deadlines", "success"), job(AUDIT_JOB, "failure")]),
            Passed
        );
        assert_eq!(
            judge(&[job("sync, deadlines", "failure"), job(AUDIT_JOB, "success")]),
            Failed
        );
        // The audit's job cancelled by a newer pending audit: the run still passed.
        assert_eq!(
            judge(&[
                job("sync, deadlines", "success"),
                job(AUDIT_JOB, "cancelled")
            ]),
            Passed
        );
        assert_eq!(judge(&[job("sync, deadlines", "cancelled")]), Undecided);
        assert_eq!(judge(&[job(AUDIT_JOB, "success")]), Undecided);
        assert_eq!(judge(&[job("a", "timed_out"), job("b", "success")]), Failed);
        assert_eq!(judge(&[]), Undecided);
    }
}
