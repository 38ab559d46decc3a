//! What `psrt advisories` prints: one line per report with the kinds of
//! decision made about it, `--json`, and the job summary.
//!
//! The embargo rule for these lines (workflow logs are public): for each
//! unpublished advisory, no line names both it and a person, and no number
//! printed about it changes when one person is added or removed. So a
//! report's line says "add collaborating users", never how many or who;
//! former members' removals, remediation credits and unaccounted
//! collaborators are totals across reports; and a report whose only change
//! is a former member's removal has no line of its own (its existence on
//! the night a removal is synced would name the report).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::apply::UpdateResult;
use super::model::{Decision, Plan, Update};
use crate::github::advisories::AdvisoryState;

/// One report's line.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub repo: String,
    pub ghsa_id: String,
    pub state: AdvisoryState,
    pub decisions: Vec<Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<LineResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LineResult {
    Applied {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// The advisory changed after the plan: nothing written.
    Changed,
    Failed {
        error: String,
    },
}

impl From<UpdateResult> for LineResult {
    fn from(o: UpdateResult) -> Self {
        match o {
            UpdateResult::Applied { notes } => LineResult::Applied { notes },
            UpdateResult::Changed => LineResult::Changed,
            UpdateResult::Failed { error, notes } => LineResult::Failed {
                error: if notes.is_empty() {
                    error
                } else {
                    format!("{error} (done: {})", notes.join(", "))
                },
            },
        }
    }
}

/// Former members' removals, across reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FormerMembers {
    pub removals: usize,
    pub reports: usize,
    /// Of those reports, how many could not be updated (after `--apply`).
    pub failed: usize,
    pub changed: usize,
}

/// Remediation credits, across reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Credits {
    pub added: usize,
    pub reports: usize,
}

/// The reports' discussions, across reports: never per report (which
/// report got a comment, or how many, is nobody's business in a public
/// log).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Discussion {
    /// Planned: status comments to check, deadline comments due.
    pub status_due: usize,
    pub deadline_due: usize,
    /// After `--apply`.
    pub status_created: usize,
    pub status_edited: usize,
    pub status_current: usize,
    pub deadline_posted: usize,
    /// Posts whose answer was lost, found posted by listing again.
    pub answers_lost: usize,
    /// Deadline comments found already posted (a killed run, a former App).
    pub deadline_found: usize,
    /// Lists of comments read (a changed count, the daily read, before a write).
    pub discussions_read: usize,
    /// Reports whose discussion work failed (the next run tries again).
    pub failed: usize,
    /// Comments that carry psrt's marker but that psrt did not write.
    pub copies: usize,
    /// `/psrt` commands answered (across reports: never who, which or where).
    pub commands_answered: usize,
    /// Of those, refused (not a member, an edited comment, a report not
    /// open) or bad input.
    pub commands_refused: usize,
    /// Claimed commands whose effect did not land: the next run settles them.
    pub commands_waiting: usize,
    /// Claims that found another run's claim older (two runs at once).
    pub second_claims: usize,
}

impl Discussion {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The run, as printed and serialised.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub apply: bool,
    /// Nothing changed since the last complete run (every list answered
    /// `304 Not Modified`, nothing fell due): nothing was planned.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unchanged: bool,
    /// Reports read per repository, or why the repository could not be read.
    pub repos: BTreeMap<String, RepoRead>,
    /// Nothing could be planned (the team could not be read, no members...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub reports: Vec<Line>,
    pub former_members: FormerMembers,
    pub remediation_credits: Credits,
    /// Collaborators on unpublished reports psrt cannot account for.
    pub unaccounted_collaborators: usize,
    /// The open reports' discussions (status and deadline comments).
    pub discussion: Discussion,
    pub notes: Vec<String>,
    /// Updates in all (one per report that changes), and after `--apply`
    /// how many failed and how many were skipped because the report changed.
    pub updates: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_updates: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_updates: Option<usize>,
    /// What an applying run could not do at all (no SMTP for new
    /// coordinators, no CVE Services): set by the command; a failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_done: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoRead {
    Read(usize),
    Error(String),
}

impl Report {
    pub fn failed_to_plan(error: String, apply: bool) -> Self {
        Self {
            error: Some(error),
            ..Self::empty(apply)
        }
    }
    pub fn skipped(reason: String, apply: bool) -> Self {
        Self {
            skipped: Some(reason),
            ..Self::empty(apply)
        }
    }
    fn empty(apply: bool) -> Self {
        Self {
            apply,
            unchanged: false,
            repos: BTreeMap::new(),
            error: None,
            skipped: None,
            reports: vec![],
            former_members: FormerMembers::default(),
            remediation_credits: Credits::default(),
            unaccounted_collaborators: 0,
            discussion: Discussion::default(),
            notes: vec![],
            updates: 0,
            failed_updates: None,
            changed_updates: None,
            not_done: vec![],
        }
    }

    /// Nothing changed since the last complete run: the reports it read
    /// per repository, nothing planned.
    pub fn unchanged(reports: &BTreeMap<String, usize>, apply: bool) -> Self {
        Self {
            unchanged: true,
            repos: reports
                .iter()
                .map(|(r, n)| (r.clone(), RepoRead::Read(*n)))
                .collect(),
            ..Self::empty(apply)
        }
    }

    /// The report of a plan, and of what applying it did (`results`, one
    /// per update, in order) after `--apply`.
    pub fn of(plan: &Plan, results: Option<&[UpdateResult]>, apply: bool) -> Self {
        let mut r = Self::empty(apply);
        r.repos = plan
            .repos
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    match v {
                        Ok(n) => RepoRead::Read(*n),
                        Err(e) => RepoRead::Error(e.clone()),
                    },
                )
            })
            .collect();
        r.notes = plan.notes.clone();
        r.unaccounted_collaborators = plan.unaccounted;
        r.discussion.status_due = plan
            .discussions
            .iter()
            .filter(|d| d.status.is_some())
            .count();
        r.discussion.deadline_due = plan
            .discussions
            .iter()
            .filter(|d| d.threshold.is_some())
            .count();
        r.updates = plan.updates.len();
        if let Some(o) = results {
            r.failed_updates = Some(
                o.iter()
                    .filter(|x| matches!(x, UpdateResult::Failed { .. }))
                    .count(),
            );
            r.changed_updates = Some(
                o.iter()
                    .filter(|x| matches!(x, UpdateResult::Changed))
                    .count(),
            );
        }
        for (i, u) in plan.updates.iter().enumerate() {
            let result = results.and_then(|o| o.get(i)).cloned();
            r.count(u, result.as_ref());
            let decisions = u.decisions();
            if decisions.is_empty() {
                continue; // removals only: counted, never listed
            }
            r.reports.push(Line {
                repo: u.repo.to_string(),
                ghsa_id: u.ghsa_id.to_string(),
                state: u.state,
                decisions,
                result: result.map(LineResult::from),
            });
        }
        r
    }

    fn count(&mut self, u: &Update, result: Option<&UpdateResult>) {
        if !u.remove_users.is_empty() {
            self.former_members.removals += u.remove_users.len();
            self.former_members.reports += 1;
            match result {
                Some(UpdateResult::Failed { .. }) => self.former_members.failed += 1,
                Some(UpdateResult::Changed) => self.former_members.changed += 1,
                _ => {}
            }
        }
        if !u.credits_added.is_empty() {
            self.remediation_credits.added += u.credits_added.len();
            self.remediation_credits.reports += 1;
        }
    }

    /// Did anything go wrong: nothing planned, a repository unread, a write failed?
    pub fn failed(&self) -> bool {
        !self.not_done.is_empty()
            || self.error.is_some()
            || self.repos.values().any(|r| matches!(r, RepoRead::Error(_)))
            || self
                .reports
                .iter()
                .any(|l| matches!(l.result, Some(LineResult::Failed { .. })))
            || self.former_members.failed > 0
            || self.discussion.failed > 0
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        if let Some(reason) = &self.skipped {
            let _ = writeln!(out, "advisories: skipped: {reason}");
            return out;
        }
        if let Some(error) = &self.error {
            let _ = writeln!(
                out,
                "advisories: error: {error}\n  no plan: psrt never plans from a partial read; nothing was changed"
            );
            return out;
        }
        for (repo, read) in &self.repos {
            let lines: Vec<&Line> = self.reports.iter().filter(|l| &l.repo == repo).collect();
            match read {
                RepoRead::Error(e) => {
                    let _ = writeln!(
                        out,
                        "advisories {repo}: error: {e}\n  nothing was read or changed there; the other repositories go on"
                    );
                    continue;
                }
                RepoRead::Read(n) => {
                    let _ = writeln!(
                        out,
                        "advisories {repo}: {n} unpublished report(s) read; {}",
                        if lines.is_empty() {
                            "nothing to change".to_owned()
                        } else {
                            format!("{} to update", lines.len())
                        }
                    );
                }
            }
            for l in lines {
                let what: Vec<String> = l.decisions.iter().map(ToString::to_string).collect();
                let line = format!(
                    "~ {}  {:<6}  {}",
                    l.ghsa_id,
                    l.state.as_str(),
                    what.join("; ")
                );
                let _ = match &l.result {
                    None => writeln!(out, "  {line}"),
                    Some(LineResult::Applied { notes }) if notes.is_empty() => {
                        writeln!(out, "  ✓ {line}")
                    }
                    Some(LineResult::Applied { notes }) => {
                        writeln!(out, "  ✓ {line} ({})", notes.join(", "))
                    }
                    Some(LineResult::Changed) => writeln!(
                        out,
                        "  ! {line}: changed since the plan; nothing was written, the next run plans again"
                    ),
                    Some(LineResult::Failed { error }) => writeln!(out, "  ✗ {line}: {error}"),
                };
            }
        }
        let a = &self.former_members;
        if a.reports > 0 {
            let mut s = format!(
                "former members: access removed on {} unpublished report(s), {} removal(s) in all",
                a.reports, a.removals
            );
            if self.apply {
                let done = a.reports - a.failed - a.changed;
                let _ = write!(s, "; {done} done");
                if a.changed > 0 {
                    let _ = write!(s, ", {} changed since the plan (next run)", a.changed);
                }
                if a.failed > 0 {
                    let _ = write!(s, ", {} failed (next run tries again)", a.failed);
                }
            }
            let _ = writeln!(out, "{s}");
        }
        let c = &self.remediation_credits;
        if c.added > 0 {
            let _ = writeln!(
                out,
                "remediation credits: {} on {} report(s), from their private forks' pull requests",
                c.added, c.reports
            );
        }
        if let Some(line) = self.discussion_line() {
            let _ = writeln!(out, "{line}");
        }
        if self.unaccounted_collaborators > 0 {
            let _ = writeln!(
                out,
                "note: {} collaborating user(s) on unpublished reports are neither members, former members nor credited there; psrt leaves them (a coordinator may have added them): check that each still needs access",
                self.unaccounted_collaborators
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        let _ = writeln!(out, "\n{}", self.summary());
        out
    }

    /// The discussions, in one line of totals.
    fn discussion_line(&self) -> Option<String> {
        let d = &self.discussion;
        if d.is_empty() {
            return None;
        }
        if !self.apply {
            return Some(format!(
                "discussion: {} status comment(s) to check, {} deadline comment(s) due (with --apply; only the hourly run writes comments)",
                d.status_due, d.deadline_due
            ));
        }
        let mut parts = vec![format!(
            "{} status comment(s) created, {} edited, {} already up to date",
            d.status_created, d.status_edited, d.status_current
        )];
        parts.push(format!("{} deadline comment(s) posted", d.deadline_posted));
        if d.deadline_found > 0 {
            parts.push(format!(
                "{} found already posted (not posted again)",
                d.deadline_found
            ));
        }
        if d.answers_lost > 0 {
            parts.push(format!(
                "{} post(s) whose answer was lost found by listing again (not posted again)",
                d.answers_lost
            ));
        }
        if d.commands_answered > 0 || d.commands_waiting > 0 {
            parts.push(format!(
                "{} /psrt command(s) answered ({} refused or malformed, nothing changed)",
                d.commands_answered, d.commands_refused
            ));
        }
        if d.commands_waiting > 0 {
            parts.push(format!(
                "{} command(s) claimed whose effect did not land (the next run settles them)",
                d.commands_waiting
            ));
        }
        if d.second_claims > 0 {
            parts.push(format!(
                "{} command(s) already claimed by another run (not run twice)",
                d.second_claims
            ));
        }
        parts.push(format!("{} discussion(s) read", d.discussions_read));
        if d.copies > 0 {
            parts.push(format!(
                "{} comment(s) carrying psrt's marker not written by psrt, ignored",
                d.copies
            ));
        }
        if d.failed > 0 {
            parts.push(format!(
                "{} report(s) whose discussion failed (the next run tries again)",
                d.failed
            ));
        }
        Some(format!("discussion: {}", parts.join("; ")))
    }

    pub fn summary(&self) -> String {
        let updates = self.updates;
        let unread: Vec<&str> = self
            .repos
            .iter()
            .filter(|(_, r)| matches!(r, RepoRead::Error(_)))
            .map(|(repo, _)| repo.as_str())
            .collect();
        let mut s = match (self.failed_updates, self.changed_updates) {
            _ if updates == 0 && self.error.is_some() => "summary: nothing was checked".to_owned(),
            _ if self.unchanged => {
                "summary: nothing changed since the last run (every list answered 304 Not Modified) and nothing fell due: every report is as it should be".to_owned()
            }
            _ if updates == 0 && !self.not_done.is_empty() => {
                "summary: no report needs an update".to_owned()
            }
            _ if updates == 0 && !unread.is_empty() => {
                "summary: every report read is as it should be".to_owned()
            }
            _ if updates == 0 => "summary: every report is as it should be".to_owned(),
            (Some(failed), Some(changed)) => {
                let mut s = format!(
                    "summary: {} update(s) applied, {failed} failed",
                    updates.saturating_sub(failed + changed)
                );
                if changed > 0 {
                    let _ = write!(
                        s,
                        ", {changed} skipped (changed since the plan; the next run plans again)"
                    );
                }
                s
            }
            _ => format!(
                "summary: {updates} update(s) to make; this was a dry run, nothing was changed (run with --apply to make them)"
            ),
        };
        if !self.not_done.is_empty() {
            let _ = write!(s, "; NOT done: {}", self.not_done.join("; "));
        }
        // Never a clean summary over a repository that could not be read.
        if !unread.is_empty() {
            let _ = write!(
                s,
                "; NOT checked: {} (the advisories could not be read)",
                unread.join(", ")
            );
        }
        if self.failed() {
            s.push_str("; there were errors (see above)");
        }
        s
    }

    pub fn markdown(&self) -> String {
        let mut md = format!(
            "### psrt advisories{}\n\n```\n{}```\n",
            if self.apply { "" } else { " (dry run)" },
            self.text()
        );
        md.push('\n');
        md
    }
}
