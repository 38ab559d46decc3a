//! The advisory lifecycle (`psrt advisories`, hourly): everything the PSRT's
//! GHSA bot did, and more, for the triage, draft and closed advisories of
//! `github.advisory_repos`. [`run`]: read → plan → apply → report.
//!
//! - [`model`]: the vocabulary every part shares (what was read, commands,
//!   the change builder, the update and its effects, the plan);
//! - [`read()`]: the state, commands included (never a title or comment text);
//! - [`plan::plan`]: the [`rules`] in order, one file each, one signature
//!   (pure: roster, what was read, ledger, time);
//! - [`apply`]: one advisory at a time, read again first, then its effects
//!   (one PATCH; a fork, a CVE reservation and an email are the only other
//!   writes);
//! - [`discussion`]: the only module that will ever hold comment text;
//! - [`report`]: what output says (one line per report, naming no one).
//!
//! Published and withdrawn advisories are never touched.

pub mod apply;
pub mod digest;
pub mod discussion;
pub mod model;
pub mod plan;
pub mod read;
pub mod report;
pub mod rules;

use chrono::{DateTime, Utc};

pub use model::{CvePlan, Decision, Plan, State, Update};
pub use plan::plan;
pub use read::read;
pub use report::Report;

use crate::github::advisories::{Advisory, AdvisoryState};
use crate::github::{GitHub, Level, Permission, Scope};
use crate::ledger::Ledger;
use crate::roster::{Login, Roster};

/// Reading the team (who is outside it becomes a collaborating user).
pub const ORG_PERMISSIONS: &[Permission] = &[("members", Level::Read)];
/// A dry run: reading the advisories.
pub const REPO_READ_PERMISSIONS: &[Permission] = &[("repository_advisories", Level::Read)];
/// `--apply`: updating advisories and creating their temporary private forks.
pub const REPO_WRITE_PERMISSIONS: &[Permission] = &[("repository_advisories", Level::Write)];
/// Reading the pull requests and reviews in the private forks (credits).
pub const FORK_PERMISSIONS: &[Permission] = &[("pull_requests", Level::Read)];

/// The GitHub scope of `psrt advisories`: a token per advisory repository
/// (each in its own organisation's installation), one for the team, one per
/// owner for the private forks.
pub fn github_scope(roster: &Roster, apply: bool) -> Scope {
    Scope::org(&roster.github.org, ORG_PERMISSIONS)
        .repos(
            &roster.github.advisory_repos,
            if apply {
                REPO_WRITE_PERMISSIONS
            } else {
                REPO_READ_PERMISSIONS
            },
        )
        .forks(FORK_PERMISSIONS)
}

/// Emails a new coordinator (login, update).
pub type Notify<'a> =
    dyn Fn(&str, &Update) -> futures::future::BoxFuture<'a, anyhow::Result<()>> + Sync + 'a;

/// The assignee's email: to them, or to the admins when they have no address.
pub fn assignment_email(
    templates: &crate::notify::Templates,
    roster: &Roster,
    login: &str,
    u: &Update,
    now: DateTime<Utc>,
) -> anyhow::Result<crate::notify::Email> {
    let a = Advisory {
        repo: u.repo.clone(),
        ghsa_id: u.ghsa_id.clone(),
        html_url: u.info.html_url.clone(),
        state: AdvisoryState::Triage,
        created_at: u.info.created_at,
        updated_at: None,
        closed_at: None,
        published_at: None,
        credits: vec![],
        collaborating_users: vec![],
        collaborating_teams: vec![],
        private_fork: None,
    };
    let (subject, body) = templates.render(
        "coordinator-assigned.txt",
        crate::notify::report_context(&a, roster, now),
    )?;
    let to: Vec<String> = match roster
        .member(&Login::from(login))
        .and_then(|m| m.email.clone())
    {
        Some(e) => vec![e],
        None => roster.admins().filter_map(|m| m.email.clone()).collect(),
    };
    if to.is_empty() {
        anyhow::bail!(
            "nobody to email: the coordinator and the admins have no address in the roster"
        );
    }
    Ok(crate::notify::Email {
        to,
        cc: vec![],
        subject,
        body,
    })
}

/// How one run goes.
pub struct Options<'a> {
    pub apply: bool,
    pub now: DateTime<Utc>,
    /// Emails new coordinators; `None`: they are not emailed.
    pub mailer: Option<&'a crate::notify::Mailer>,
    pub templates: &'a crate::notify::Templates,
    /// CVE Services, or why it is not available.
    pub cve: Result<&'a crate::cve::CveServices, String>,
    /// Saved after each change to it (to its file; one in memory stays there).
    pub ledger: &'a mut Ledger,
    /// The output goes to a public log (a workflow): an applying run emails
    /// the admins what each report's line says ([`digest`]).
    pub public: bool,
    /// The workflow run, for the admins' email.
    pub run_url: Option<String>,
}

/// One run of `psrt advisories`: read, plan and, with `apply`, update each
/// advisory, reserving CVE ids and creating forks, and email each new
/// coordinator.
pub async fn run(gh: &GitHub, roster: &Roster, opts: Options<'_>) -> Report {
    let Options {
        apply,
        now,
        mailer,
        templates,
        cve,
        ledger,
        public,
        run_url,
    } = opts;
    if roster.members.is_empty() {
        return Report::skipped(
            "the roster has no members; psrt never empties a service".into(),
            apply,
        );
    }
    let state = match read(gh, roster).await {
        Ok(s) => s,
        Err(e) => return Report::failed_to_plan(format!("{e:#}"), apply),
    };
    let mut plan = plan::plan(roster, &state, ledger, now);
    if !apply {
        return Report::of(&plan, None, false);
    }
    let mut ledger_errors = Vec::new();
    // What psrt saw, recorded before any command is obeyed: a tag that
    // counts is recorded as no longer ignored, so a run killed before its
    // update obeys it next time.
    if let Err(e) = ledger.reports_seen(&plan.sightings, &plan.gone) {
        ledger_errors.push(e);
    }
    // Reservations the advisories now carry are forgotten.
    if !plan.ledger_clears.is_empty() {
        let done: Vec<&str> = plan.ledger_clears.iter().map(|g| g.as_str()).collect();
        if let Err(e) = ledger.reservations_done(&done) {
            ledger_errors.push(e);
        }
    }
    // Rebuilding a lost ledger: an id psrt reserved is looked up in CVE
    // Services, and must not be taken for another report's: every id an
    // advisory carries (published and withdrawn ones too) is excluded. If
    // they cannot be read, no id is reserved this run.
    let mut carried = plan.carried_cve_ids.clone();
    let mut cve_blocked = false;
    if plan.rebuilt && roster.cve.is_some() {
        match read::every_cve_id(gh, roster).await {
            Ok(ids) => carried.extend(ids),
            Err(e) => {
                cve_blocked = true;
                plan.notes.push(format!(
                    "no CVE id is reserved this run: rebuilding the lost ledger needs every advisory's CVE id, and {e}"
                ));
            }
        }
    }
    let notify = |login: &str, u: &Update| -> futures::future::BoxFuture<'_, anyhow::Result<()>> {
        let email = assignment_email(templates, roster, login, u, now);
        Box::pin(async move {
            let email = email?;
            match mailer {
                Some(m) => m.send(&email).await,
                None => Ok(()),
            }
        })
    };
    let mut writer = apply::Writer {
        gh,
        cve,
        ledger,
        notify: mailer.map(|_| &notify as _),
        now,
        carried: &carried,
        this_run: Default::default(),
        cve_blocked,
        max_reservations: roster.policy.max_cve_reservations_per_run,
        reserved: 0,
    };
    let mut results = Vec::with_capacity(plan.updates.len());
    for u in &plan.updates {
        let result = writer.apply(u).await;
        // The log may be public (a workflow): it names no report; the
        // report's line says which.
        tracing::info!(result = ?std::mem::discriminant(&result), "advisory update");
        results.push(result);
    }
    let mut report = Report::of(&plan, Some(&results), true);
    // In a public log the per-report lines are withheld: the admins get
    // them by email, when there is something new.
    if public {
        let d = digest::of(&report, ledger, now);
        match (mailer, d.is_empty()) {
            (_, true) => {}
            (Some(m), false) => {
                match digest::send(&d, roster, templates, m, ledger, now, run_url.as_deref()).await
                {
                    Ok(digest::Told::Sent(n)) => report.admins_told = Some(n),
                    Ok(digest::Told::Nothing) => {}
                    Err(e) => report.not_done.push(format!(
                        "the admins' email with each report's line is NOT sent: {e:#}"
                    )),
                }
            }
            (None, false) => report.not_done.push(
                "the admins' email with each report's line is NOT sent: no SMTP (see above)"
                    .to_owned(),
            ),
        }
    }
    for e in ledger_errors {
        report
            .notes
            .push(format!("the ledger could not be saved: {e:#}"));
    }
    report
}
