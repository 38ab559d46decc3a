//! The report's discussion: one status comment per open report, kept up to
//! date, and one short comment per deadline threshold that mentions the
//! coordinator. Decided after the other rules, from the report as it will
//! be once this run's update lands (a coordinator assigned now is named, a
//! CVE id reserved now is not missing).
//!
//! - **Go-live.** A report psrt has never watched (no record in the ledger)
//!   gets no comment for that alone, nor for psrt's own update of it (each
//!   new comment notifies every collaborator): psrt records what it saw
//!   (after its own update), and thresholds already passed are marked done.
//!   Its status comment is written when it next changes (a coordinator's
//!   edit, a comment, a fix in its fork, psrt assigning a coordinator).
//! - **Status.** Checked (read, then created, edited or left alone) when
//!   the report changed since psrt last brought it up to date (its
//!   `updated_at`, its `comments` count, what the status shows: a fix in
//!   its fork, a CVE id, psrt's format), or when psrt writes to it. Never
//!   because a day passed: it shows the deadline's date.
//! - **Thresholds.** `policy.warn_days_left` and the deadline itself, each
//!   once: thresholds crossed together give one comment, for the most
//!   urgent.
//!
//! [`until`]: when the plan of a report that does not change would change
//! by itself (a grace period ends, a threshold arrives).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::advisories::discussion::status;
use crate::advisories::model::{
    Context, DiscussionPlan, Missing, StatusFacts, Threshold, ThresholdPlan, Update,
};
use crate::github::advisories::{AdvisoryState, Lifecycle};

/// The thresholds crossed on `today`, most urgent last.
fn crossed(ctx: &Context<'_>, deadline: NaiveDate, today: NaiveDate) -> Vec<Threshold> {
    let days_left = (deadline - today).num_days();
    let mut warn = ctx.roster.policy.warn_days_left.clone();
    warn.sort_unstable_by(|a, b| b.cmp(a));
    warn.dedup();
    let mut out: Vec<Threshold> = warn
        .into_iter()
        .filter(|t| i64::from(*t) >= days_left)
        .map(|days| Threshold::Warning { days })
        .collect();
    if days_left <= 0 {
        out.push(Threshold::Overdue);
    }
    out
}

fn in_cve_repos(ctx: &Context<'_>, a: &Lifecycle) -> bool {
    ctx.roster.cve.as_ref().is_some_and(|c| {
        c.repos
            .iter()
            .any(|r| r.eq_ignore_ascii_case(a.advisory.repo.as_str()))
    })
}

/// The status comment's facts once `update` lands; `None` when one of them
/// is unknown this run (the fork's pull requests could not be read).
fn facts(ctx: &Context<'_>, a: &Lifecycle, update: Option<&Update>) -> Option<StatusFacts> {
    let adv = &a.advisory;
    let accepted = update.is_some_and(|u| u.accept);
    let state = if accepted {
        AdvisoryState::Draft
    } else {
        adv.state
    };
    // The credits as this run's update writes them (a delegation replaces
    // the coordinator), else as read.
    let coordinators: Vec<String> = match update.and_then(|u| u.patch.credits.as_ref()) {
        Some(credits) => credits
            .iter()
            .filter(|c| c.kind == "coordinator")
            .map(|c| c.login.clone())
            .collect(),
        None => adv.coordinators().into_iter().map(str::to_owned).collect(),
    };
    let has_pull = match ctx.state.forks.get(&adv.ghsa_id) {
        Some(Ok(fork)) => fork.has_pull(),
        Some(Err(_)) => return None,
        None => false,
    };
    let cve_coming = update.is_some_and(|u| u.cve.is_some());
    let mut missing = Vec::new();
    if state == AdvisoryState::Triage {
        missing.push(Missing::Acceptance);
    }
    if in_cve_repos(ctx, a) && a.cve_id.is_none() && !cve_coming {
        missing.push(Missing::CveId);
    }
    if !has_pull {
        missing.push(Missing::FixPullRequest);
    }
    if !a.has_cvss_v4 {
        missing.push(Missing::CvssV4);
    }
    Some(StatusFacts {
        state,
        deadline: ctx.roster.policy.deadline_of(adv.created_at),
        coordinators,
        missing,
    })
}

/// What the report's discussion needs this run, given its update (if any).
pub(crate) fn plan(
    ctx: &Context<'_>,
    a: &Lifecycle,
    update: Option<&Update>,
) -> Option<DiscussionPlan> {
    let adv = &a.advisory;
    if !adv.state.is_open()
        || update.is_some_and(|u| u.close)
        || ctx.state.discussion_unavailable.contains(&adv.repo)
    {
        return None;
    }
    let count = a.comments?;
    let deadline = ctx.roster.policy.deadline_of(adv.created_at);
    let crossed = crossed(ctx, deadline, ctx.now.date_naive());
    let facts = facts(ctx, a, update);
    let shown = facts.as_ref().map(|f| status::shown(ctx.status_format, f));
    let mut plan = DiscussionPlan {
        repo: adv.repo.clone(),
        ghsa_id: adv.ghsa_id.clone(),
        status: None,
        threshold: None,
        passed: vec![],
        count,
        seen: adv.updated_at,
        shown: shown.clone(),
    };
    // An entry holding a count only (kept while the report was not open,
    // for a `/psrt` command there) is not a watch of the open report: a
    // report first seen closed and reopened is a first sighting.
    let held = ctx
        .ledger
        .discussion()
        .get(&adv.ghsa_id)
        .filter(|h| h.seen.is_some() || h.shown.is_some() || !h.thresholds.is_empty());
    let Some(held) = held else {
        // Never watched: recorded, thresholds passed marked, no comment
        // (not even when psrt updates it now: that is psrt's change, not
        // the report's). Its status comes when it next changes.
        plan.passed = crossed.iter().map(|t| t.key()).collect();
        return Some(plan);
    };
    let pending: Vec<Threshold> = crossed
        .into_iter()
        .filter(|t| !held.thresholds.contains_key(&t.key()))
        .collect();
    if let Some(most_urgent) = pending.last().copied() {
        plan.threshold = Some(ThresholdPlan {
            threshold: most_urgent,
            deadline,
            coordinators: facts.as_ref().map_or_else(
                || adv.coordinators().into_iter().map(str::to_owned).collect(),
                |f| f.coordinators.clone(),
            ),
            also: pending
                .iter()
                .filter(|t| **t != most_urgent)
                .map(|t| t.key())
                .collect(),
        });
    }
    let status_due = update.is_some()
        || plan.threshold.is_some()
        || held.seen != adv.updated_at
        || held.count != count
        || held.shown != shown
        || ctx.state.discussion_changed.contains(&adv.ghsa_id);
    if status_due {
        plan.status = facts;
    }
    (plan.status.is_some() || plan.threshold.is_some()).then_some(plan)
}

/// When this report's plan would change with nothing else changing: the end
/// of a triage report's grace period without a coordinator, the next
/// deadline threshold.
pub(crate) fn until(ctx: &Context<'_>, a: &Lifecycle) -> Option<DateTime<Utc>> {
    let adv = &a.advisory;
    if !adv.state.is_open() {
        return None;
    }
    let mut at: Vec<DateTime<Utc>> = Vec::new();
    if adv.state == AdvisoryState::Triage && adv.coordinators().is_empty() {
        let grace = Duration::days(i64::from(ctx.roster.policy.coordinator_grace_days));
        at.push(adv.created_at + grace + Duration::seconds(1));
    }
    if a.comments.is_some() && !ctx.state.discussion_unavailable.contains(&adv.repo) {
        let deadline = ctx.roster.policy.deadline_of(adv.created_at);
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
        let mut days: Vec<i64> = ctx
            .roster
            .policy
            .warn_days_left
            .iter()
            .map(|t| i64::from(*t))
            .collect();
        days.push(0);
        for d in days {
            if let Some(t) = deadline
                .checked_sub_signed(Duration::days(d))
                .and_then(midnight)
            {
                at.push(t);
            }
        }
    }
    at.into_iter().filter(|t| *t > ctx.now).min()
}
