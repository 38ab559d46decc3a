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
//!   writes); then each open report's discussion ([`apply::comments`]: a
//!   deadline comment, the status comment);
//! - [`discussion`]: the only module that holds comment text: psrt's own
//!   accounts, the status and deadline comments it writes, the threads it
//!   reads (a changed `comments` count, or the daily read);
//! - [`report`]: what output says (one line per report, naming no one).
//!
//! Published and withdrawn advisories are never touched: they are read
//! ([`State::ended`], apart from everything above) only so that a `/psrt`
//! command in their discussion, as on a closed report, gets its one
//! refusal ([`apply::commands`]).
//!
//! Cost: the hourly run reads by conditional requests (`If-None-Match`
//! with the `ETag` the ledger kept by URL); a run that finds every list and
//! fork unchanged and nothing due stops there, at no rate-limit point, and
//! reads no comment. docs/benchmarks.md has the figures.

pub mod apply;
pub mod digest;
pub mod discussion;
pub mod experts;
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
/// A dry run: reading the advisories (and CODEOWNERS, for `/psrt experts`).
pub const REPO_READ_PERMISSIONS: &[Permission] = &[
    ("repository_advisories", Level::Read),
    ("contents", Level::Read),
];
/// `--apply`: updating advisories and creating their temporary private
/// forks; CODEOWNERS read for `/psrt experts`.
pub const REPO_WRITE_PERMISSIONS: &[Permission] = &[
    ("repository_advisories", Level::Write),
    ("contents", Level::Read),
];
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

/// How long the discussions go without a full read (by conditional
/// requests: what did not change costs nothing).
pub const FULL_READ_EVERY: chrono::Duration = chrono::Duration::hours(24);

/// What the plan depends on besides GitHub and the ledger: the roster (a
/// public file) and the format of psrt's comments. A short hash, kept in
/// the ledger's steady section (no person can be read out of it).
pub fn fingerprint(roster: &Roster) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(roster).unwrap_or_default());
    h.update(discussion::status::format(roster));
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One run of `psrt advisories`: read, plan and, with `apply`, update each
/// advisory, reserving CVE ids and creating forks, email each new
/// coordinator, and bring each open report's discussion up to date.
///
/// With `apply` (the hourly run) reads are conditional: a run that finds
/// nothing changed and nothing due stops after the lists, costing no
/// rate-limit point. Only a run that did everything it planned leaves the
/// validators and the steady state for the next one; any other makes the
/// next run read everything again.
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
    // A ledger started afresh (or one that has read no report) remembers
    // `/psrt` commands from this run on; a dry run saves nothing, so it
    // starts no memory.
    if apply {
        ledger.begin_commands_memory(now);
    }
    let full_read_due = apply
        && ledger
            .discussion_full_read()
            .is_none_or(|t| now - t >= FULL_READ_EVERY);
    let fp = fingerprint(roster);
    let steady = ledger
        .steady()
        .filter(|s| apply && !full_read_due && s.fingerprint == fp && now < s.until)
        .filter(|_| ledger.cve().is_empty())
        .cloned();
    if apply {
        gh.use_validators(ledger.validators().clone());
    }
    let how = read::Reading {
        conditional: apply,
        steady: steady.as_ref(),
        ended: apply,
    };
    let mut state = match read::read_with(gh, roster, how).await {
        Ok(read::Read::State(s)) => *s,
        Ok(read::Read::Unchanged(reports)) => {
            let mut report = Report::unchanged(&reports, true);
            // The validators GitHub confirmed stay fresh.
            if let Some(st) = steady
                && let Err(e) = ledger.settle(gh.seen_validators(), st, now)
            {
                report
                    .notes
                    .push(format!("the ledger could not be saved: {e:#}"));
            }
            return report;
        }
        Err(e) => {
            if apply {
                let _ = ledger.unsettle();
            }
            return Report::failed_to_plan(format!("{e:#}"), apply);
        }
    };
    // The discussions whose count changed (and, once a day, all of them).
    let mut threads = if apply {
        discussion::read::read(gh, &state, ledger, full_read_due).await
    } else {
        discussion::read::Threads {
            unavailable: discussion::read::without_counts(&state),
            ..Default::default()
        }
    };
    state.discussion_unavailable = threads.unavailable.clone();
    state.discussion_changed = std::mem::take(&mut threads.changed);
    // `/psrt` commands: only the hourly run (`--apply`) runs them, from the
    // discussions it read; each is claimed before its effect, which the
    // plan makes like a title tag's (apply::commands has the protocol).
    let mut commander = None;
    let mut claimed = Vec::new();
    let mut own_note = None;
    let mut own = None;
    if apply && !threads.threads.is_empty() {
        match discussion::own::Own::learn(gh, roster).await {
            Ok(o) => {
                let mut c = apply::commands::Commander::new(gh, roster, o.clone(), now);
                claimed = c.claim(&mut state, &mut threads.threads, ledger).await;
                commander = Some(c);
                own = Some(o);
            }
            // No command is answered (psrt could not tell its own replies
            // from a pasted copy), and none is lost: every discussion read
            // is held below, so the next run reads it again.
            Err(e) => own_note = Some(format!("discussion: commands not run: {e}")),
        }
    }
    let mut plan = plan::plan(roster, &state, ledger, now);
    if !apply {
        let mut report = Report::of(&plan, None, false);
        unavailable_notes(&mut report, &threads.unavailable);
        return report;
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
    let mut results = Vec::with_capacity(plan.updates.len());
    let patched_at = {
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
            patched_at: Default::default(),
        };
        for u in &plan.updates {
            let result = writer.apply(u).await;
            // The log may be public (a workflow): it names no report; the
            // report's line says which.
            tracing::info!(result = ?std::mem::discriminant(&result), "advisory update");
            results.push(result);
        }
        writer.patched_at
    };
    let mut report = Report::of(&plan, Some(&results), true);
    // The ended reports of a repository could not be listed: its open
    // reports were planned and applied, but a command on a published or
    // withdrawn one there waits, so the run fails (it never goes quiet).
    // A repository name and a reason only: the note may be public.
    for (repo, why) in &state.ended_unread {
        report.not_done.push(format!(
            "the published and withdrawn reports of {repo} could not be listed ({why}): a `/psrt` command on one waits for the next run (nothing is forgotten)"
        ));
    }
    let commands_not_run = own_note.is_some();
    // A run that could answer no command fails: it never goes quiet.
    report.not_done.extend(own_note);
    let mut told = apply::commands::Tally::default();
    if let Some(mut c) = commander {
        c.answer(
            &claimed,
            &state,
            &plan,
            &results,
            ledger,
            templates,
            mailer,
            &mut report.notes,
        )
        .await;
        told = c.tally;
    }
    // The discussions, after their report's update (a report whose update
    // did not land waits for the next run).
    let held_back: std::collections::BTreeSet<&crate::ids::GhsaId> = plan
        .updates
        .iter()
        .zip(&results)
        .filter(|(_, r)| !matches!(r, apply::UpdateResult::Applied { .. }))
        .map(|(u, _)| &u.ghsa_id)
        .collect();
    let read_failed = threads.failed.len();
    let threads_read: std::collections::BTreeSet<crate::ids::GhsaId> =
        threads.threads.keys().cloned().collect();
    let mut talker = apply::comments::Talker::new(
        gh,
        roster,
        ledger,
        std::mem::take(&mut threads.threads),
        threads.unavailable.clone(),
        now,
    );
    if let Some(o) = own {
        talker.set_own(o);
    }
    talker.hold = if commands_not_run {
        threads_read.clone()
    } else {
        told.pending.clone()
    };
    talker.extra = told.posted.clone();
    let d = &mut report.discussion;
    d.discussions_read = threads.asked;
    d.commands_answered = told.answered;
    d.commands_refused = told.refused;
    d.commands_waiting = told.unsettled;
    d.second_claims = told.second_claims;
    d.answers_lost += told.answers_lost;
    d.failed += told.failed_on.len();
    // A discussion that could not be read is a failure like a write's:
    // the run says so and exits non-zero.
    d.failed += threads.failures;
    let mut errors: std::collections::BTreeMap<String, usize> = Default::default();
    for work in plan
        .discussions
        .iter()
        .filter(|w| !held_back.contains(&w.ghsa_id))
    {
        // psrt's own update is not a change anyone made.
        let mut work = work.clone();
        if let Some(at) = patched_at.get(&work.ghsa_id) {
            work.seen = Some(*at);
        }
        let said = talker.apply(&work).await;
        tally(d, &said);
        if let Some(e) = said.error {
            *errors.entry(e).or_default() += 1;
        }
    }
    // The discussions psrt writes no status for (reports not open, and
    // those closed now): their counts, so that only a new comment there
    // makes psrt read them again.
    let planned: std::collections::BTreeSet<&crate::ids::GhsaId> =
        plan.discussions.iter().map(|w| &w.ghsa_id).collect();
    let closed_now: std::collections::BTreeSet<&crate::ids::GhsaId> = plan
        .updates
        .iter()
        .filter(|u| u.close)
        .map(|u| &u.ghsa_id)
        .collect();
    if let Err(e) =
        talker.record_unplanned(&state, &threads_read, &planned, &closed_now, &held_back)
    {
        // A failure like any other: the run is not complete, so the next
        // one reads every list again (none answers `304` on what was not kept).
        *errors.entry(e).or_default() += 1;
        d.failed += 1;
    }
    for (e, n) in told.errors {
        *errors.entry(e).or_default() += n;
    }
    // What failed, without the reports it failed on.
    for (e, n) in errors {
        report
            .notes
            .push(format!("discussion: {e} ({n} report(s))"));
    }
    let unavailable = talker.unavailable.clone();
    drop(talker);
    report.notes.extend(threads.failed.iter().cloned());
    unavailable_notes(&mut report, &unavailable);
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
    // What the ledger keeps for the next run.
    let all_read = report
        .repos
        .values()
        .all(|r| matches!(r, report::RepoRead::Read(_)));
    if all_read && state.ended_whole {
        // Every report read, open or not: a closed or ended report's count
        // is kept, so that a command there is noticed (and refused). And
        // every report the lists without a filter held, in any state: one
        // published between two reads of this run is in no list read, and
        // forgetting it would make the next run see it first (a command
        // written just before gets no reply at all).
        let mut keep: std::collections::BTreeSet<crate::ids::GhsaId> =
            discussion::read::watched(&state)
                .into_iter()
                .map(|w| w.ghsa_id.clone())
                .collect();
        keep.extend(state.listed.iter().cloned());
        ledger.keep_discussions(&keep);
    }
    let complete = all_read
        && told.pending.is_empty()
        && !report.failed()
        && report.changed_updates.unwrap_or(0) == 0
        && read_failed == 0;
    let saved = if complete {
        let full_read_at = if full_read_due {
            now
        } else {
            ledger.discussion_full_read().unwrap_or(now)
        };
        let next_full = full_read_at + FULL_READ_EVERY;
        let steady = crate::ledger::Steady {
            fingerprint: fp,
            // A title tag or command not obeyed is said every hour (issue
            // 21: the output says why while the tag stays), so no run skips
            // the plan while one is pending: it costs the lists again.
            until: if plan.ignored.is_empty() {
                plan.until.map_or(next_full, |u| u.min(next_full))
            } else {
                now
            },
            reports: report
                .repos
                .iter()
                .filter_map(|(r, n)| match n {
                    report::RepoRead::Read(n) => Some((r.clone(), *n)),
                    report::RepoRead::Error(_) => None,
                })
                .collect(),
            forks: steady_forks(&state),
        };
        let full = if full_read_due {
            ledger.discussion_full_read_done(now)
        } else {
            Ok(())
        };
        full.and_then(|()| ledger.settle(gh.seen_validators(), steady, now))
    } else {
        ledger.unsettle()
    };
    if let Err(e) = saved {
        report
            .notes
            .push(format!("the ledger could not be saved: {e:#}"));
    }
    report
}

/// The drafts' forks read this run, with their pull requests' numbers.
fn steady_forks(state: &State) -> Vec<crate::ledger::steady::Fork> {
    state
        .advisories
        .iter()
        .filter_map(|a| {
            let fork = a.advisory.private_fork.as_ref()?;
            let read = state.forks.get(&a.advisory.ghsa_id)?.as_ref().ok()?;
            Some(crate::ledger::steady::Fork {
                report: a.advisory.ghsa_id.clone(),
                repo: fork.to_string(),
                pulls: read.numbers(),
            })
        })
        .collect()
}

/// Adds one report's discussion work to the totals.
fn tally(d: &mut report::Discussion, said: &apply::comments::Said) {
    use apply::comments::{DeadlineOutcome, StatusOutcome};
    match said.status {
        Some(StatusOutcome::Created) => d.status_created += 1,
        Some(StatusOutcome::Edited) => d.status_edited += 1,
        Some(StatusOutcome::Current) => d.status_current += 1,
        None => {}
    }
    match said.deadline {
        Some(DeadlineOutcome::Posted) => d.deadline_posted += 1,
        Some(DeadlineOutcome::PostedAnswerLost) => {
            d.deadline_posted += 1;
            d.answers_lost += 1;
        }
        Some(DeadlineOutcome::Found) => d.deadline_found += 1,
        None => {}
    }
    d.discussions_read += said.listed;
    d.copies += said.copies;
    if said.error.is_some() {
        d.failed += 1;
    }
}

/// Said once per run, per repository.
fn unavailable_notes(
    report: &mut Report,
    unavailable: &std::collections::BTreeSet<crate::ids::RepoName>,
) {
    for repo in unavailable {
        report.notes.push(format!(
            "the advisory comments API is not available on {repo} (no `comments` count, or 404: its public preview is not enabled): no status or deadline comments there; psrt goes on without them"
        ));
    }
}
