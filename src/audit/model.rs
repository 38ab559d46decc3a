//! The audit's vocabulary: what it found (a [`Finding`] per thing it looked
//! at), the kinds of problem, and the report the command prints. Nothing
//! here reads or writes.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The kinds of problem, as the ledger and the emails name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// GitHub disabled a scheduled workflow (60 days without activity).
    WorkflowDisabled,
    /// Someone disabled a scheduled workflow by hand.
    WorkflowDisabledByHand,
    /// The latest scheduled run on the default branch failed.
    RunFailed,
    /// No successful scheduled run within twice the schedule's period.
    NoRecentSuccess,
    /// The default branch's rules lack a rule psrt relies on.
    RuleMissing,
    /// A ruleset that protects the default branch has bypass actors.
    Bypass,
    /// CODEOWNERS is missing, or GitHub reports errors in it.
    Codeowners,
    /// An advisory repository does not accept private reports.
    ReportingOff,
    /// A repository accepts private reports that nobody watches.
    ReportingUnwatched,
    /// `PSRT_MODE` is `plan` (or not a mode at all).
    PlanMode,
    /// A credential is absent, malformed or refused.
    Credential,
    /// Something could not be read: not checked, so not clear.
    NotChecked,
}

impl Kind {
    /// Every kind (the ledger keeps a kind by name).
    pub const ALL: [Kind; 12] = [
        Kind::WorkflowDisabled,
        Kind::WorkflowDisabledByHand,
        Kind::RunFailed,
        Kind::NoRecentSuccess,
        Kind::RuleMissing,
        Kind::Bypass,
        Kind::Codeowners,
        Kind::ReportingOff,
        Kind::ReportingUnwatched,
        Kind::PlanMode,
        Kind::Credential,
        Kind::NotChecked,
    ];

    /// The kind a ledger names; one it does not know stays a problem.
    pub fn named(s: &str) -> Kind {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(Kind::NotChecked)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::WorkflowDisabled => "workflow-disabled",
            Kind::WorkflowDisabledByHand => "workflow-disabled-by-hand",
            Kind::RunFailed => "run-failed",
            Kind::NoRecentSuccess => "no-recent-success",
            Kind::RuleMissing => "rule-missing",
            Kind::Bypass => "bypass",
            Kind::Codeowners => "codeowners",
            Kind::ReportingOff => "reporting-off",
            Kind::ReportingUnwatched => "reporting-unwatched",
            Kind::PlanMode => "plan-mode",
            Kind::Credential => "credential",
            Kind::NotChecked => "not-checked",
        }
    }

    /// What the admins can do about it (the emails say it).
    pub fn advice(self) -> &'static str {
        match self {
            Kind::WorkflowDisabled => {
                "psrt audit --apply enables it again (the scheduled workflows do); or Actions -> the workflow -> Enable workflow."
            }
            Kind::WorkflowDisabledByHand => {
                "psrt never enables a workflow an admin disabled. If nobody meant to, enable it: Actions -> the workflow -> Enable workflow."
            }
            Kind::RunFailed => {
                "Read the run's log (the link above); the next scheduled run tries again."
            }
            Kind::NoRecentSuccess => {
                "The workflow has not succeeded on schedule for twice its period: check that it runs (Actions), that it is enabled, and its latest logs."
            }
            Kind::RuleMissing => {
                "Settings -> Rules -> Rulesets: the default branch's ruleset must be active and require psrt/approvals (from the approvals App), code owners' review and approval of the most recent push (docs/operations.md, \"Require the status from the App\")."
            }
            Kind::Bypass => {
                "Settings -> Rules -> Rulesets: empty the bypass list (an owner adds themselves only for a bootstrap merge, and removes the entry right after)."
            }
            Kind::Codeowners => {
                "Fix .github/CODEOWNERS (GitHub ignores lines with errors, and those paths then need nobody's review)."
            }
            Kind::ReportingOff => {
                "Settings -> Security -> Private vulnerability reporting -> Enable, on that repository (PEP 811: GHSA enabled for the relevant repositories)."
            }
            Kind::ReportingUnwatched => {
                "Its reports get no team, no coordinator and no deadline: add it to github.advisory_repos (a roster pull request), or disable private vulnerability reporting there."
            }
            Kind::PlanMode => {
                "Set the repository variable PSRT_MODE to apply once the plan-only week is over (docs/operations.md, the go-live checklist)."
            }
            Kind::Credential => {
                "Set or rotate the credential in the psrt environment (docs/operations.md, \"The environment and secrets\")."
            }
            Kind::NotChecked => {
                "psrt could not read it, so it is not known to be fine; the next run tries again. If it lasts, check the App's permissions and installations."
            }
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The part of the world a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Mode,
    Workflows,
    Rules,
    Reporting,
    Credentials,
}

impl Area {
    pub fn title(self) -> &'static str {
        match self {
            Area::Mode => "mode",
            Area::Workflows => "scheduled workflows",
            Area::Rules => "rules of the default branch",
            Area::Reporting => "private vulnerability reporting",
            Area::Credentials => "credentials",
        }
    }
}

/// How a thing the audit looked at stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "kind", rename_all = "kebab-case")]
pub enum State {
    /// As psrt needs it.
    Ok,
    /// It was not, and `--apply` fixed it this run.
    Fixed,
    /// A problem.
    Problem(Kind),
    /// Something psrt cannot see by design (said every time, not a failure).
    Limit,
}

/// One thing the audit looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub area: Area,
    /// The check that looked (problems found by it are cleared only by a
    /// run that made it again).
    pub scope: String,
    /// What it is about: a workflow file, a rule, a repository, a service.
    pub subject: String,
    #[serde(flatten)]
    pub state: State,
    /// For people: what was seen. Never a person, never a secret.
    pub text: String,
}

impl Finding {
    pub fn ok(area: Area, scope: &str, subject: &str, text: impl Into<String>) -> Self {
        Self::new(area, scope, subject, State::Ok, text)
    }
    pub fn problem(
        area: Area,
        scope: &str,
        kind: Kind,
        subject: &str,
        text: impl Into<String>,
    ) -> Self {
        Self::new(area, scope, subject, State::Problem(kind), text)
    }
    /// A check that could not be made: a problem of its own, never clear.
    pub fn not_checked(area: Area, scope: &str, text: impl Into<String>) -> Self {
        Self::new(area, scope, scope, State::Problem(Kind::NotChecked), text)
    }
    pub fn new(
        area: Area,
        scope: &str,
        subject: &str,
        state: State,
        text: impl Into<String>,
    ) -> Self {
        Self {
            area,
            scope: scope.to_owned(),
            subject: subject.to_owned(),
            state,
            text: text.into(),
        }
    }
    pub fn kind(&self) -> Option<Kind> {
        match self.state {
            State::Problem(k) => Some(k),
            _ => None,
        }
    }
    fn mark(&self) -> &'static str {
        match self.state {
            State::Ok => "✓",
            State::Fixed => "✓",
            State::Problem(Kind::NotChecked) => "?",
            State::Problem(_) => "✗",
            State::Limit => "·",
        }
    }
}

/// A problem as the emails and the summary list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: Kind,
    pub subject: String,
    pub scope: String,
    pub text: String,
    /// First found then (from the ledger; this run when new).
    pub since: DateTime<Utc>,
    /// Found this run (`false`: still open from an earlier run, whose check
    /// this run did not make).
    pub seen_now: bool,
}

/// What the emails did (or, without `--send`, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mail {
    pub sending: bool,
    /// Subjects of the messages, by kind of message.
    pub new: Vec<String>,
    pub reminders: Vec<String>,
    pub cleared: Vec<String>,
    pub digest: bool,
    /// Why nothing could be sent, when `--send` could not.
    pub blocked: Option<String>,
    /// Messages that failed (their reason, addresses redacted).
    pub failed: Vec<String>,
}

/// The audit's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The policy repository.
    pub repo: String,
    pub findings: Vec<Finding>,
    /// Every problem that remains: found now, or open from an earlier run
    /// and not checked again.
    pub problems: Vec<Problem>,
    /// Problems of an earlier run that this run checked and found gone.
    pub cleared: Vec<String>,
    /// The checks this run did not make on purpose (`--credentials` not
    /// given, the organisation swept recently): never "clear" either.
    pub skipped: Vec<String>,
    /// Writes `--apply` made (or would make) and those that failed.
    pub writes: Vec<String>,
    pub write_failures: Vec<String>,
    pub mail: Mail,
    /// A ledger that could not be saved (the emails stop there).
    pub ledger_error: Option<String>,
}

impl Report {
    /// Exit 1: a problem remains, a write or an email failed.
    pub fn failed(&self) -> bool {
        !self.problems.is_empty()
            || !self.write_failures.is_empty()
            || !self.mail.failed.is_empty()
            || self.mail.blocked.is_some()
            || self.ledger_error.is_some()
    }

    /// The scopes of this run's checks that could not be made.
    pub fn not_checked(&self) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.state == State::Problem(Kind::NotChecked))
            .collect()
    }

    /// The human report.
    pub fn text(&self) -> String {
        let mut out = format!("audit {}\n", self.repo);
        let areas: BTreeSet<Area> = self.findings.iter().map(|f| f.area).collect();
        for area in areas {
            out.push_str(&format!("{}:\n", area.title()));
            for f in self.findings.iter().filter(|f| f.area == area) {
                out.push_str(&format!("  {} {:<28} {}\n", f.mark(), f.subject, f.text));
            }
        }
        let earlier: Vec<&Problem> = self.problems.iter().filter(|p| !p.seen_now).collect();
        if !earlier.is_empty() {
            out.push_str("open from earlier runs (not checked again this run):\n");
            for p in earlier {
                out.push_str(&format!(
                    "  ✗ {:<28} {} (since {})\n",
                    p.subject,
                    p.text,
                    p.since.format("%Y-%m-%d")
                ));
            }
        }
        for w in &self.writes {
            out.push_str(&format!("apply: {w}\n"));
        }
        for w in &self.write_failures {
            out.push_str(&format!("apply FAILED: {w}\n"));
        }
        for c in &self.cleared {
            out.push_str(&format!("cleared: {c}\n"));
        }
        out.push_str(&self.mail_text());
        if let Some(e) = &self.ledger_error {
            out.push_str(&format!("error: the audit ledger: {e}\n"));
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    fn mail_text(&self) -> String {
        let m = &self.mail;
        let verb = if m.sending { "emailed" } else { "would email" };
        let mut out = String::new();
        let n = m.new.len() + m.reminders.len() + m.cleared.len() + usize::from(m.digest);
        if n > 0 {
            out.push_str(&format!(
                "{verb} the admins: {} new problem(s), {} reminder(s), {} cleared{}\n",
                m.new.len(),
                m.reminders.len(),
                m.cleared.len(),
                if m.digest { ", the weekly digest" } else { "" }
            ));
        }
        if let Some(b) = &m.blocked {
            out.push_str(&format!("error: audit emails are NOT sent: {b}\n"));
        }
        for f in &m.failed {
            out.push_str(&format!("error: an audit email failed: {f}\n"));
        }
        out
    }

    /// One line: how many problems, and what was not checked.
    pub fn summary(&self) -> String {
        let mut parts = vec![if self.problems.is_empty() {
            "summary: no problem".to_owned()
        } else {
            let kinds: BTreeSet<&str> = self.problems.iter().map(|p| p.kind.as_str()).collect();
            format!(
                "summary: {} problem(s) ({})",
                self.problems.len(),
                kinds.into_iter().collect::<Vec<_>>().join(", ")
            )
        }];
        let not: Vec<String> = self.not_checked().iter().map(|f| f.scope.clone()).collect();
        if !not.is_empty() {
            parts.push(format!("NOT checked: {}", not.join(", ")));
        }
        if !self.skipped.is_empty() {
            parts.push(format!("not checked this run: {}", self.skipped.join(", ")));
        }
        let limits: Vec<&str> = self
            .findings
            .iter()
            .filter(|f| f.state == State::Limit)
            .map(|f| f.subject.as_str())
            .collect();
        if !limits.is_empty() {
            parts.push(format!("not visible to psrt: {}", limits.join(", ")));
        }
        parts.join("; ")
    }

    /// `--json`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;

    /// The ledger keeps kinds by name: each is read back as itself (a
    /// kind missing from `ALL` would be read back as `NotChecked`).
    #[test]
    fn every_kind_is_read_back_by_its_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::named(k.as_str()), k);
        }
        // A new kind must join `ALL`: this stops compiling until it is
        // named here, a reminder one line from the list.
        let listed = |k: Kind| match k {
            Kind::WorkflowDisabled
            | Kind::WorkflowDisabledByHand
            | Kind::RunFailed
            | Kind::NoRecentSuccess
            | Kind::RuleMissing
            | Kind::Bypass
            | Kind::Codeowners
            | Kind::ReportingOff
            | Kind::ReportingUnwatched
            | Kind::PlanMode
            | Kind::Credential
            | Kind::NotChecked => Kind::ALL.contains(&k),
        };
        assert!(Kind::ALL.into_iter().all(listed));
        assert_eq!(Kind::named("no-such-kind"), Kind::NotChecked);
    }
}
