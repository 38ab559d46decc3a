//! What `psrt advisories` prints: one line per report with the kinds of
//! decision made about it, `--json`, and the job summary.
//!
//! The embargo rules for this output:
//!
//! - No line about a report changes because one person joined or left the
//!   roster (a coordinator who moves to emeritus, a member who joins or
//!   loses an address): what follows from a person's change is a total
//!   across reports. So a report's line says neither who nor how many;
//!   members outside the team added as collaborating users, former
//!   members' removals, remediation credits, unaccounted collaborators and
//!   reports nobody can coordinate are totals; and a report whose only
//!   change is one of those has no line of its own (its line on the night a
//!   person's change is synced would name the report).
//! - In a workflow (`GITHUB_ACTIONS`: the log and the job summary are
//!   public) no unpublished report is named at all ([`Report::withhold`]):
//!   counts only. GitHub shows no one that a draft advisory exists; the
//!   per-report lines go to the admins by email (`super::digest`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::apply::UpdateResult;
use super::model::{Command, Decision, Plan, RepoAccess, Unheeded, Update};
use crate::github::advisories::AdvisoryState;

/// One report's line.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub repo: String,
    pub ghsa_id: String,
    /// The advisory's page (for the admins' email).
    #[serde(skip)]
    pub url: String,
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

/// A command psrt did not obey, on one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IgnoredLine {
    pub repo: String,
    pub ghsa_id: String,
    #[serde(skip)]
    pub url: String,
    pub state: AdvisoryState,
    pub command: &'static str,
    pub why: Unheeded,
}

/// A note about one report (never a person).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportNote {
    pub ghsa_id: String,
    pub note: String,
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

/// Members outside the team added as collaborating users, across reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MembersAdded {
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

/// What a public log shows instead of the per-report parts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Withheld {
    /// Reports with a line.
    pub lines: usize,
    /// Commands not obeyed.
    pub ignored: usize,
    /// Notes about a report.
    pub report_notes: usize,
    /// The reasons updates failed, report ids taken out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
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
    /// Who collaborates on the reports of each repository outside
    /// `github.org` (a team of that organisation, or the members as users).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub outside: BTreeMap<String, RepoAccess>,
    /// Reports to update per repository (each with a line).
    pub to_update: BTreeMap<String, usize>,
    /// Nothing could be planned (the team could not be read, no members...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// One line per report (empty when withheld).
    pub reports: Vec<Line>,
    /// How many reports each decision was made for.
    pub decisions: BTreeMap<String, usize>,
    /// Set when the per-report parts are withheld (a public log).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Withheld>,
    pub members_added: MembersAdded,
    pub former_members: FormerMembers,
    pub remediation_credits: Credits,
    /// Collaborators on unpublished reports psrt cannot account for.
    pub unaccounted_collaborators: usize,
    /// The open reports' discussions (status and deadline comments).
    pub discussion: Discussion,
    /// Reports past the grace period that no member can coordinate.
    pub uncoordinated: usize,
    /// Commands not obeyed (empty when withheld).
    pub ignored: Vec<IgnoredLine>,
    /// Notes about one report each (empty when withheld).
    pub report_notes: Vec<ReportNote>,
    /// Notes about the run.
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
    /// The admins were emailed this many report lines (a public log).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admins_told: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoRead {
    Read(usize),
    Error(String),
}

fn command_name(c: &Command) -> &'static str {
    c.verb()
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
            outside: BTreeMap::new(),
            to_update: BTreeMap::new(),
            error: None,
            skipped: None,
            reports: vec![],
            decisions: BTreeMap::new(),
            withheld: None,
            members_added: MembersAdded::default(),
            former_members: FormerMembers::default(),
            remediation_credits: Credits::default(),
            unaccounted_collaborators: 0,
            discussion: Discussion::default(),
            uncoordinated: 0,
            ignored: vec![],
            report_notes: vec![],
            notes: vec![],
            updates: 0,
            failed_updates: None,
            changed_updates: None,
            not_done: vec![],
            admins_told: None,
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
        r.outside = plan
            .access
            .iter()
            .filter(|(_, a)| !matches!(a, RepoAccess::Team { .. }))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        r.notes = plan.notes.clone();
        r.report_notes = plan
            .report_notes
            .iter()
            .map(|(g, n)| ReportNote {
                ghsa_id: g.to_string(),
                note: n.clone(),
            })
            .collect();
        r.ignored = plan
            .ignored
            .iter()
            .map(|i| IgnoredLine {
                repo: i.repo.to_string(),
                ghsa_id: i.ghsa_id.to_string(),
                url: i.html_url.clone(),
                state: i.state,
                command: command_name(&i.given.command),
                why: i.why,
            })
            .collect();
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
        r.uncoordinated = plan.uncoordinated;
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
                continue; // totals only: counted, never listed
            }
            for d in &decisions {
                *r.decisions.entry(d.to_string()).or_default() += 1;
            }
            *r.to_update.entry(u.repo.to_string()).or_default() += 1;
            r.reports.push(Line {
                repo: u.repo.to_string(),
                ghsa_id: u.ghsa_id.to_string(),
                url: u.info.html_url.clone(),
                state: u.state,
                decisions,
                result: result.map(LineResult::from),
            });
        }
        r
    }

    fn count(&mut self, u: &Update, result: Option<&UpdateResult>) {
        let failed = matches!(result, Some(UpdateResult::Failed { .. }));
        let changed = matches!(result, Some(UpdateResult::Changed));
        if !u.remove_users.is_empty() {
            let a = &mut self.former_members;
            a.removals += u.remove_users.len();
            a.reports += 1;
            a.failed += usize::from(failed);
            a.changed += usize::from(changed);
        }
        if !u.add_users.is_empty() {
            let a = &mut self.members_added;
            a.reports += 1;
            a.failed += usize::from(failed);
            a.changed += usize::from(changed);
        }
        if !u.credits_added.is_empty() {
            self.remediation_credits.added += u.credits_added.len();
            self.remediation_credits.reports += 1;
        }
    }

    /// The same report for a public log: every per-report part (lines,
    /// commands not obeyed, notes about a report) becomes a count, and the
    /// reasons updates failed lose their report ids. What is left names no
    /// report.
    pub fn withhold(&self) -> Report {
        let mut errors: Vec<String> = self
            .reports
            .iter()
            .filter_map(|l| match &l.result {
                Some(LineResult::Failed { error }) => {
                    Some(crate::ids::redact_ghsa_ids(error).into_owned())
                }
                _ => None,
            })
            .collect();
        errors.sort();
        errors.dedup();
        let redact = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|s| crate::ids::redact_ghsa_ids(s).into_owned())
                .collect()
        };
        Report {
            reports: vec![],
            ignored: vec![],
            report_notes: vec![],
            withheld: Some(Withheld {
                lines: self.reports.len(),
                ignored: self.ignored.len(),
                report_notes: self.report_notes.len(),
                errors,
            }),
            error: self
                .error
                .as_deref()
                .map(|e| crate::ids::redact_ghsa_ids(e).into_owned()),
            repos: self
                .repos
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        RepoRead::Error(e) => {
                            RepoRead::Error(crate::ids::redact_ghsa_ids(e).into_owned())
                        }
                        read => read.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
            notes: redact(&self.notes),
            not_done: redact(&self.not_done),
            ..self.clone()
        }
    }

    /// Did anything go wrong: nothing planned, a repository unread, a write failed?
    pub fn failed(&self) -> bool {
        !self.not_done.is_empty()
            || self.error.is_some()
            || self.repos.values().any(|r| matches!(r, RepoRead::Error(_)))
            || self.failed_updates.unwrap_or(0) > 0
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
            let to_update = self.to_update.get(repo).copied().unwrap_or(0);
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
                        if to_update == 0 {
                            "nothing to change".to_owned()
                        } else {
                            format!("{to_update} to update")
                        }
                    );
                    if let Some(a) = self.outside.get(repo) {
                        let _ = writeln!(out, "  access: {a}");
                    }
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
            for i in self.ignored.iter().filter(|i| &i.repo == repo) {
                let _ = writeln!(
                    out,
                    "  - {}  {:<6}  [{}] ignored: {}",
                    i.ghsa_id,
                    i.state.as_str(),
                    i.command,
                    i.why
                );
            }
        }
        if let Some(w) = &self.withheld {
            self.withheld_text(w, &mut out);
        }
        let a = &self.members_added;
        if a.reports > 0 {
            let mut s = format!(
                "members outside the team: added as collaborating users on {} report(s)",
                a.reports
            );
            self.outcome(&mut s, a.reports, a.failed, a.changed);
            let _ = writeln!(out, "{s}");
        }
        let a = &self.former_members;
        if a.reports > 0 {
            let mut s = format!(
                "former members: access removed on {} unpublished report(s), {} removal(s) in all",
                a.reports, a.removals
            );
            self.outcome(&mut s, a.reports, a.failed, a.changed);
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
        if self.uncoordinated > 0 {
            let _ = writeln!(
                out,
                "note: {} report(s) past the grace period have nobody to coordinate them: every member is a Release Manager or on the Steering Council",
                self.uncoordinated
            );
        }
        for n in &self.report_notes {
            let _ = writeln!(out, "note: {}", n.note);
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

    /// "; N done, M changed since the plan, K failed" after `--apply`.
    fn outcome(&self, s: &mut String, reports: usize, failed: usize, changed: usize) {
        if !self.apply {
            return;
        }
        let done = reports.saturating_sub(failed + changed);
        let _ = write!(s, "; {done} done");
        if changed > 0 {
            let _ = write!(s, ", {changed} changed since the plan (next run)");
        }
        if failed > 0 {
            let _ = write!(s, ", {failed} failed (next run tries again)");
        }
    }

    /// The counts a public log shows for the per-report parts.
    fn withheld_text(&self, w: &Withheld, out: &mut String) {
        let _ = writeln!(
            out,
            "  (a public log: psrt names no unpublished report here; each report's line goes to the admins by email)"
        );
        if !self.decisions.is_empty() {
            let d: Vec<String> = self
                .decisions
                .iter()
                .map(|(what, n)| format!("{what}: {n}"))
                .collect();
            let _ = writeln!(out, "  decided, in reports: {}", d.join("; "));
        }
        if let (true, Some(failed), Some(changed)) =
            (w.lines > 0, self.failed_updates, self.changed_updates)
        {
            let _ = writeln!(
                out,
                "  updates applied: {}, failed: {failed}, changed since the plan: {changed}",
                self.updates.saturating_sub(failed + changed)
            );
        }
        for e in &w.errors {
            let _ = writeln!(out, "  ✗ failed: {e}");
        }
        if w.ignored > 0 {
            let _ = writeln!(
                out,
                "title tags and commands not obeyed: {} (a tag the title carried when psrt first saw the report is the reporter's; run psrt locally, or read the admins' email, for which)",
                w.ignored
            );
        }
        if w.report_notes > 0 {
            let _ = writeln!(
                out,
                "notes about reports: {} (in the admins' email)",
                w.report_notes
            );
        }
        if let Some(n) = self.admins_told {
            let _ = writeln!(out, "the admins were emailed {n} report line(s)");
        }
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
