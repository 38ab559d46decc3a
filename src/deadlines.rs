//! The 90-day disclosure deadline: which messages are due for each open
//! report, given the roster, the ledger and the time. A pure function, so a
//! report's whole life can be replayed in a test.
//!
//! Rules (PEP 811, the devguide, `policy`):
//! - deadline = `created_at` + `deadline_days`; days left count whole UTC days;
//! - for each `warn_days_left` threshold the coordinator gets one warning once
//!   days left ≤ threshold; thresholds crossed together (missed nights, a
//!   report first seen late) give one message, for the most urgent, and the
//!   others are marked done; admins are copied on the last threshold;
//! - on and after the deadline, an overdue notice to the coordinator and the
//!   admins, then every 7 days (from the last one sent) while it stays open;
//! - no coordinator credit after `coordinator_grace_days`: one "unassigned"
//!   alert to the admins; a coordinator who is not a current member: one
//!   "reassign" alert to the admins; a coordinator without an email: the
//!   admins get their warnings.
//!
//! What is printed about a report never changes because one person joined
//! or left (a coordinator who moves to emeritus is a public pull request):
//! a report's line gives its deadline and the warnings and overdue notices
//! due, never to whom (the audience switches to the admins when the
//! coordinator leaves or has no address); the admins' alerts ("reassign"
//! follows exactly the reports a leaver coordinated) are totals. In a
//! workflow's public log no unpublished report is named at all
//! ([`text_public`]): the emails carry each report's detail.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::github::advisories::Advisory;
use crate::ledger::Ledger;
// The message kinds live with `notify`, which renders and sends them; this
// module decides which are due (the dependency points one way).
pub use crate::notify::{Audience, Due, Kind};
use crate::roster::{Login, Roster};

/// Reading the advisories of every advisory repository.
pub const ADVISORY_PERMISSIONS: &[crate::github::Permission] =
    &[("repository_advisories", crate::github::Level::Read)];

/// The GitHub scope of `psrt deadlines`: read the advisories, nothing else.
pub fn github_scope(roster: &Roster) -> crate::github::Scope {
    crate::github::Scope::org(&roster.github.org, &[])
        .repos(&roster.github.advisory_repos, ADVISORY_PERMISSIONS)
}

/// Days between overdue notices.
pub const OVERDUE_REPEAT_DAYS: i64 = 7;

/// A report's standing, as public output may show it.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub ghsa_id: String,
    pub repo: String,
    pub state: String,
    pub created: NaiveDate,
    pub deadline: NaiveDate,
    pub days_left: i64,
    pub coordinator_assigned: bool,
}

/// A report's standing and the messages due for it now.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub standing: Standing,
    pub due: Vec<Due>,
}

impl Evaluation {
    /// The messages due that nobody can receive (no admin has an email).
    pub fn unaddressed(&self) -> usize {
        self.due.iter().filter(|d| d.to.is_empty()).count()
    }
}

pub fn warn_key(days: u32) -> String {
    format!("warn-{days}")
}

pub fn evaluate(a: &Advisory, roster: &Roster, ledger: &Ledger, now: DateTime<Utc>) -> Evaluation {
    let policy = &roster.policy;
    let today = now.date_naive();
    let deadline = policy.deadline_of(a.created_at);
    let days_left = (deadline - today).num_days();
    let age_days = (today - a.created_at.date_naive()).num_days();

    let coordinators: Vec<Login> = a.coordinators().into_iter().map(Login::from).collect();
    let members: Vec<_> = coordinators
        .iter()
        .filter_map(|c| roster.member(c))
        .collect();
    let outsiders: Vec<&Login> = coordinators
        .iter()
        .filter(|c| roster.member(c).is_none())
        .collect();
    let coordinator_emails: Vec<String> = members.iter().filter_map(|m| m.email.clone()).collect();
    let admin_emails: Vec<String> = roster.admins().filter_map(|m| m.email.clone()).collect();

    let standing = Standing {
        ghsa_id: a.ghsa_id.to_string(),
        repo: a.repo.to_string(),
        state: a.state.to_string(),
        created: a.created_at.date_naive(),
        deadline,
        days_left,
        coordinator_assigned: !coordinators.is_empty(),
    };
    let mut ev = Evaluation {
        standing,
        due: Vec::new(),
    };
    let sent = |key: &str| ledger.messages().has(&a.ghsa_id, key);

    // Warnings and overdue notices go to the coordinators who can receive
    // them; when there are none, to the admins.
    let (to, audience_base) = if coordinator_emails.is_empty() {
        (admin_emails.clone(), Audience::Admins)
    } else {
        (coordinator_emails.clone(), Audience::Coordinator)
    };

    if days_left > 0 {
        let mut thresholds = policy.warn_days_left.clone();
        thresholds.sort_unstable_by(|x, y| y.cmp(x));
        let last = thresholds.last().copied();
        let crossed: Vec<u32> = thresholds
            .iter()
            .copied()
            .filter(|t| i64::from(*t) >= days_left)
            .collect();
        let pending: Vec<u32> = crossed
            .iter()
            .copied()
            .filter(|t| !sent(&warn_key(*t)))
            .collect();
        if let Some(most_urgent) = pending.iter().copied().min() {
            let copy_admins = Some(most_urgent) == last;
            let (cc, audience) = if copy_admins && audience_base == Audience::Coordinator {
                (admin_emails.clone(), Audience::CoordinatorAndAdmins)
            } else {
                (Vec::new(), audience_base)
            };
            ev.due.push(Due {
                kind: Kind::Warning { days: most_urgent },
                audience,
                to: to.clone(),
                cc,
                key: warn_key(most_urgent),
                also: pending
                    .iter()
                    .filter(|t| **t != most_urgent)
                    .map(|t| warn_key(*t))
                    .collect(),
            });
        }
    } else {
        // Every 7 days from the last notice actually sent (not from the
        // deadline): a catch-up after missed nights restarts the count.
        let days_over = -days_left;
        let last_notice = ledger
            .messages()
            .sent(&a.ghsa_id)
            .filter(|(k, _)| k.starts_with("overdue-"))
            .map(|(_, at)| at.date_naive())
            .max();
        let key = format!("overdue-{days_over}");
        let due_now =
            last_notice.is_none_or(|last| (today - last).num_days() >= OVERDUE_REPEAT_DAYS);
        if due_now && !sent(&key) {
            let (audience, cc) = if audience_base == Audience::Coordinator {
                (Audience::CoordinatorAndAdmins, admin_emails.clone())
            } else {
                (Audience::Admins, Vec::new())
            };
            ev.due.push(Due {
                kind: Kind::Overdue { days_over },
                audience,
                to: to.clone(),
                cc,
                key,
                also: Vec::new(),
            });
        }
    }

    if coordinators.is_empty()
        && age_days > i64::from(policy.coordinator_grace_days)
        && !sent("unassigned")
    {
        ev.due.push(Due {
            kind: Kind::Unassigned,
            audience: Audience::Admins,
            to: admin_emails.clone(),
            cc: vec![],
            key: "unassigned".into(),
            also: vec![],
        });
    }
    // A coordinator who is not a member: one alert to the admins per report.
    // The key is the kind alone, never the login: the ledger is public (an
    // Actions cache) and must not pair a person with a report. (So a second
    // non-member coordinator on the same report is not alerted again.)
    if !outsiders.is_empty() && !sent("reassign") {
        ev.due.push(Due {
            kind: Kind::Reassign,
            audience: Audience::Admins,
            to: admin_emails.clone(),
            cc: vec![],
            key: "reassign".into(),
            also: vec![],
        });
    }
    ev
}

impl Kind {
    /// An alert to the admins about who coordinates (not a deadline
    /// message): counted across reports, never on a report's line.
    pub fn is_alert(&self) -> bool {
        matches!(self, Kind::Unassigned | Kind::Reassign)
    }
}

/// One run of `psrt deadlines`.
#[derive(Debug, Default)]
pub struct Report {
    pub evaluations: Vec<Evaluation>,
    /// (GHSA id, kind, audience) of each message sent.
    pub sent: Vec<(String, Kind, Audience)>,
    /// Problems: unreadable repositories, failed sends. Public-safe.
    pub errors: Vec<String>,
    /// Repositories whose advisories could not be read: not checked.
    pub unread: Vec<String>,
    /// `--send` was asked for and nothing could be sent: why (SMTP, the
    /// contact key). Set by the command.
    pub not_sent: Option<String>,
}

impl Report {
    pub fn failed(&self) -> bool {
        !self.errors.is_empty() || self.not_sent.is_some() || self.unaddressed() > 0
    }

    /// Messages due that nobody can receive (no admin has an email).
    pub fn unaddressed(&self) -> usize {
        self.evaluations.iter().map(Evaluation::unaddressed).sum()
    }

    /// Alerts to the admins due now, by kind.
    fn alerts_due(&self) -> std::collections::BTreeMap<String, usize> {
        let mut m = std::collections::BTreeMap::new();
        for d in self.evaluations.iter().flat_map(|e| &e.due) {
            if d.kind.is_alert() {
                *m.entry(d.kind.describe()).or_default() += 1;
            }
        }
        m
    }

    /// Alerts to the admins sent, by kind.
    fn alerts_sent(&self) -> std::collections::BTreeMap<String, usize> {
        let mut m = std::collections::BTreeMap::new();
        for (_, k, _) in self.sent.iter().filter(|(_, k, _)| k.is_alert()) {
            *m.entry(k.describe()).or_default() += 1;
        }
        m
    }
}

/// "2 × reassign alert, 1 × unassigned alert".
fn counted(m: &std::collections::BTreeMap<String, usize>) -> String {
    m.iter()
        .map(|(k, n)| format!("{n} × {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where sent messages go and are recorded.
pub struct Sending<'a> {
    pub mailer: &'a crate::notify::Mailer,
    pub templates: &'a crate::notify::Templates,
    /// Saved after every message (to its file; one in memory stays there).
    pub ledger: &'a mut Ledger,
}

/// Evaluates every open report; with `sending`, sends what is due and
/// records each message once it is sent (a failed send is not recorded, so
/// the next run tries again).
///
/// Each message is sent, then recorded, then the ledger saved (atomically)
/// before the next: a run killed between a send and its save sends that one
/// message again, no more. A save that fails stops the sending: every
/// message after it could not be recorded, and would go again next run.
pub async fn run(
    gh: &crate::github::GitHub,
    roster: &Roster,
    ledger: &Ledger,
    now: DateTime<Utc>,
    mut sending: Option<Sending<'_>>,
) -> Report {
    let (reports, read_errors) = gh
        .open_advisories(&roster.github.advisory_repo_names())
        .await;
    let mut out = Report::default();
    for (repo, e) in read_errors {
        out.unread.push(repo.to_string());
        out.errors.push(format!(
            "cannot read the advisories of {repo}: {}",
            e.reason()
        ));
    }
    let mut ledger_broken = false;
    for a in &reports {
        let current_ledger = match &sending {
            Some(s) => &*s.ledger,
            None => ledger,
        };
        let ev = evaluate(a, roster, current_ledger, now);
        if let Some(s) = sending.as_mut() {
            for due in ev.due.iter().filter(|d| !d.to.is_empty()) {
                // An alert's error names no report: which reports get one
                // follows who left.
                let what = if due.kind.is_alert() {
                    "an alert to the admins".to_owned()
                } else {
                    format!("{}: the {}", a.ghsa_id, due.kind.describe())
                };
                if ledger_broken {
                    out.errors
                        .push(format!("{what} was not sent: the ledger cannot be saved"));
                    continue;
                }
                let result = async {
                    let email = crate::notify::render_due(s.templates, due, a, roster, now)?;
                    s.mailer
                        .send_once(&email, &format!("{}/{}", a.ghsa_id, due.key))
                        .await
                }
                .await;
                match result {
                    Ok(()) => {
                        let keys: Vec<&str> = std::iter::once(&due.key)
                            .chain(&due.also)
                            .map(String::as_str)
                            .collect();
                        if let Err(e) = s.ledger.record_sent(&a.ghsa_id, &keys, now) {
                            ledger_broken = true;
                            out.errors.push(format!(
                                "{}: sent, but the ledger could not be saved: {e:#}; nothing more is sent this run",
                                a.ghsa_id
                            ));
                        }
                        out.sent
                            .push((a.ghsa_id.to_string(), due.kind.clone(), due.audience));
                    }
                    Err(e) => out.errors.push(format!("{what} was not sent: {e:#}")),
                }
            }
        }
        out.evaluations.push(ev);
    }
    out
}

/// The table people read. Shows ids, repositories, states, dates and roles,
/// never names or addresses.
pub fn text(out: &Report, now: DateTime<Utc>, sending: bool) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "open reports on {} (UTC):", now.date_naive());
    if out.evaluations.is_empty() {
        let _ = writeln!(s, "  none");
    } else {
        let _ = writeln!(
            s,
            "  {:<21} {:<16} {:<7} {:<10} {:>9}  {:<11}  due now",
            "report", "repository", "state", "deadline", "days left", "coordinator"
        );
        for ev in &out.evaluations {
            let st = &ev.standing;
            let due: Vec<String> = ev
                .due
                .iter()
                .filter(|d| !d.kind.is_alert())
                .map(|d| d.kind.describe())
                .collect();
            let _ = writeln!(
                s,
                "  {:<21} {:<16} {:<7} {:<10} {:>9}  {:<11}  {}",
                st.ghsa_id,
                st.repo,
                st.state,
                st.deadline,
                st.days_left,
                if st.coordinator_assigned {
                    "assigned"
                } else {
                    "none"
                },
                if due.is_empty() {
                    "-".to_owned()
                } else {
                    due.join("; ")
                }
            );
        }
    }
    for (ghsa, kind, _) in out.sent.iter().filter(|(_, k, _)| !k.is_alert()) {
        let _ = writeln!(s, "sent: {ghsa}: {}", kind.describe());
    }
    alerts_and_errors(out, sending, &mut s, |e| e.to_owned());
    let due: usize = out.evaluations.iter().map(|e| e.due.len()).sum();
    let overdue = out
        .evaluations
        .iter()
        .filter(|e| e.standing.days_left <= 0)
        .count();
    let mut summary = format!(
        "\nsummary: {} open report(s), {overdue} past the deadline; {}",
        out.evaluations.len(),
        match (&out.not_sent, sending) {
            (Some(why), _) => format!("{due} message(s) due, NOT sent: {why}"),
            (None, true) => format!("{} message(s) sent", out.sent.len()),
            (None, false) => format!("{due} message(s) due; dry run, nothing sent (use --send)"),
        }
    );
    // Never a clean summary over a repository that could not be read.
    if !out.unread.is_empty() {
        let _ = write!(
            summary,
            "; NOT checked: {} (the advisories could not be read)",
            out.unread.join(", ")
        );
    }
    let _ = writeln!(s, "{summary}");
    s
}

/// The same for a public log (a workflow): counts only, no report named.
/// GitHub shows no one that a draft advisory exists; its deadline and the
/// warnings it gets are in the coordinators' and admins' emails.
pub fn text_public(out: &Report, now: DateTime<Utc>, sending: bool) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    // A total only: a count per repository would tell which one has a
    // report GitHub shows no one.
    let _ = writeln!(
        s,
        "open reports on {} (UTC): {}",
        now.date_naive(),
        out.evaluations.len()
    );
    let _ = writeln!(
        s,
        "  (a public log: psrt names no unpublished report here; the emails carry each report's deadline)"
    );
    let none = out
        .evaluations
        .iter()
        .filter(|e| !e.standing.coordinator_assigned)
        .count();
    if none > 0 {
        let _ = writeln!(s, "  without a coordinator credit: {none}");
    }
    let mut due: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for d in out.evaluations.iter().flat_map(|e| &e.due) {
        if !d.kind.is_alert() {
            *due.entry(d.kind.describe()).or_default() += 1;
        }
    }
    if !due.is_empty() {
        let _ = writeln!(s, "  due now: {}", counted(&due));
    }
    let sent = out.sent.iter().filter(|(_, k, _)| !k.is_alert()).count();
    if sending {
        let _ = writeln!(s, "  sent: {sent} warning(s) and overdue notice(s)");
    }
    alerts_and_errors(out, sending, &mut s, |e| {
        crate::ids::redact_ghsa_ids(e).into_owned()
    });
    // The summary names no report either.
    if let Some(line) = text(out, now, sending)
        .lines()
        .rev()
        .find(|l| l.starts_with("summary:"))
    {
        let _ = writeln!(s, "\n{}", crate::ids::redact_ghsa_ids(line));
    }
    s
}

/// `--json` for a public log: the counts of [`text_public`].
pub fn json_public(out: &Report, now: DateTime<Utc>) -> String {
    let mut due: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for d in out.evaluations.iter().flat_map(|e| &e.due) {
        if !d.kind.is_alert() {
            *due.entry(d.kind.describe()).or_default() += 1;
        }
    }
    let errors: Vec<String> = out
        .errors
        .iter()
        .map(|e| crate::ids::redact_ghsa_ids(e).into_owned())
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "now": now,
        "withheld": "a public log names no unpublished report",
        "open_reports": out.evaluations.len(),
        "past_the_deadline": out.evaluations.iter().filter(|e| e.standing.days_left <= 0).count(),
        "due": due,
        "sent": out.sent.iter().filter(|(_, k, _)| !k.is_alert()).count(),
        "alerts": { "due": out.alerts_due(), "sent": out.alerts_sent() },
        "unaddressed": out.unaddressed(),
        "errors": errors,
        "unread": out.unread,
    }))
    .unwrap_or_default()
}

/// The admins' alerts (totals), the messages nobody can receive, and the
/// errors (through `show`: as they are, or with report ids taken out).
fn alerts_and_errors(out: &Report, sending: bool, s: &mut String, show: impl Fn(&str) -> String) {
    use std::fmt::Write as _;
    let due = out.alerts_due();
    if !due.is_empty() {
        let sent = out.alerts_sent();
        let _ = writeln!(
            s,
            "alerts to the admins (counted: the emails name the reports): {} due{}",
            counted(&due),
            if sending {
                format!(
                    ", {} sent",
                    if sent.is_empty() {
                        "none".to_owned()
                    } else {
                        counted(&sent)
                    }
                )
            } else {
                String::new()
            }
        );
    }
    let unaddressed = out.unaddressed();
    if unaddressed > 0 {
        let _ = writeln!(
            s,
            "error: {unaddressed} message(s) due have nobody to go to: no admin has an email in the roster"
        );
    }
    for e in &out.errors {
        let _ = writeln!(s, "error: {}", show(e));
    }
}

/// `--json`: the same, public-safe: a report's record gives the messages
/// due by kind, never to whom; the admins' alerts are totals.
pub fn json(out: &Report, now: DateTime<Utc>) -> String {
    let reports: Vec<serde_json::Value> = out
        .evaluations
        .iter()
        .map(|ev| {
            let mut v = serde_json::to_value(&ev.standing).unwrap_or_default();
            v["due"] = serde_json::json!(
                ev.due
                    .iter()
                    .filter(|d| !d.kind.is_alert())
                    .map(|d| serde_json::json!({ "message": d.kind }))
                    .collect::<Vec<_>>()
            );
            v
        })
        .collect();
    let sent: Vec<serde_json::Value> = out
        .sent
        .iter()
        .filter(|(_, k, _)| !k.is_alert())
        .map(|(g, k, _)| serde_json::json!({ "ghsa_id": g, "message": k }))
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "now": now,
        "reports": reports,
        "sent": sent,
        "alerts": { "due": out.alerts_due(), "sent": out.alerts_sent() },
        "unaddressed": out.unaddressed(),
        "errors": out.errors,
    }))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::advisories::{AdvisoryState, Credit};
    use chrono::{Duration, TimeZone};

    fn roster(extra: &str) -> Roster {
        let text = format!(
            "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\nmembers:\n  - name: Ada\n    github: ada\n    email: ada@example.org\n    roles: [admin]\n  - name: Bo\n    github: bo\n    email: bo@example.org\n    roles: [admin]\n  - name: Cy\n    github: cy\n    email: cy@example.org\n  - name: Di\n    github: di\n{extra}"
        );
        crate::roster::parse(text.as_bytes()).unwrap().roster
    }

    fn report(created: DateTime<Utc>, coordinator: Option<&str>) -> Advisory {
        Advisory {
            repo: crate::ids::RepoName::parse("python/cpython").unwrap(),
            ghsa_id: "GHSA-aaaa-bbbb-cccc".into(),
            html_url: "https://github.com/python/cpython/security/advisories/GHSA-aaaa-bbbb-cccc"
                .into(),
            state: AdvisoryState::Triage,
            created_at: created,
            updated_at: None,
            closed_at: None,
            published_at: None,
            credits: coordinator
                .map(|c| {
                    vec![Credit {
                        login: c.into(),
                        kind: "coordinator".into(),
                    }]
                })
                .unwrap_or_default(),
            collaborating_users: vec![],
            collaborating_teams: vec![],
            private_fork: None,
        }
    }

    fn day0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 10, 30, 0).unwrap()
    }

    /// Runs nightly (03:00 UTC) for `days` days, skipping `missed` nights,
    /// sending whatever is due; returns "day N: kind audience" lines.
    fn life(
        r: &Roster,
        a: &mut Advisory,
        days: i64,
        missed: &[i64],
        mut each_day: impl FnMut(i64, &mut Advisory),
    ) -> Vec<String> {
        let mut ledger = Ledger::default();
        let mut log = Vec::new();
        for d in 0..=days {
            each_day(d, a);
            if missed.contains(&d) || !a.state.is_open() {
                continue;
            }
            let now = (day0() + Duration::days(d))
                .date_naive()
                .and_hms_opt(3, 0, 0)
                .unwrap()
                .and_utc();
            for due in evaluate(a, r, &ledger, now).due {
                log.push(format!(
                    "day {d:>3} ({:>3} left): {} {}",
                    evaluate(a, r, &ledger, now).standing.days_left,
                    due.kind.describe(),
                    due.audience.describe()
                ));
                let keys: Vec<&str> = std::iter::once(&due.key)
                    .chain(&due.also)
                    .map(String::as_str)
                    .collect();
                ledger.record_sent(&a.ghsa_id, &keys, now).unwrap();
            }
        }
        log
    }

    /// Three reports on the night of day 88: two credit `cy` as
    /// coordinator, one `ada`. A report's standing and due list.
    fn night(r: &Roster) -> Report {
        let now = day0() + Duration::days(88);
        let mut out = Report::default();
        for (id, who) in [
            ("GHSA-cy01-0000-0001", "cy"),
            ("GHSA-ada1-0000-0002", "ada"),
            ("GHSA-cy02-0000-0003", "cy"),
        ] {
            let mut a = report(day0(), Some(who));
            a.ghsa_id = id.into();
            out.evaluations
                .push(evaluate(&a, r, &Ledger::default(), now));
        }
        out
    }

    /// The lines and JSON records that mention a report.
    fn per_report(out: &Report) -> (Vec<String>, String) {
        let now = day0() + Duration::days(88);
        let lines = text(out, now, false)
            .lines()
            .filter(|l| l.contains("GHSA-"))
            .map(str::to_owned)
            .collect();
        let v: serde_json::Value = serde_json::from_str(&json(out, now)).unwrap();
        (lines, format!("{} {}", v["reports"], v["sent"]))
    }

    /// Issue 21: a coordinator moving to emeritus is a public pull request;
    /// the nightly log showed "reassign alert to the admins" on exactly the
    /// reports they coordinated. No line or record about a report differs
    /// because one person left, joined or lost an address; the admins'
    /// alerts are totals.
    #[test]
    fn no_reports_line_changes_because_one_person_joined_or_left() {
        let base = roster("");
        let before = per_report(&night(&base));
        let worlds = [
            // Cy, who coordinates two reports, moves to emeritus.
            (
                "a coordinator leaves",
                "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\nmembers:\n  - name: Ada\n    github: ada\n    email: ada@example.org\n    roles: [admin]\n  - name: Bo\n    github: bo\n    email: bo@example.org\n    roles: [admin]\n  - name: Di\n    github: di\nemeritus:\n  - name: Cy\n    github: cy\n",
            ),
            // Cy loses their address: their warnings go to the admins.
            (
                "a coordinator loses an address",
                "version: 1\ngithub:\n  org: python\n  team: psrt\n  eligibility_teams: [python-core]\nmembers:\n  - name: Ada\n    github: ada\n    email: ada@example.org\n    roles: [admin]\n  - name: Bo\n    github: bo\n    email: bo@example.org\n    roles: [admin]\n  - name: Cy\n    github: cy\n  - name: Di\n    github: di\n",
            ),
        ];
        for (world, text) in worlds {
            let r = crate::roster::parse(text.as_bytes()).unwrap().roster;
            assert_eq!(per_report(&night(&r)), before, "{world}");
        }
        // Someone joins.
        let joined = roster("  - name: Ed\n    github: ed\n    email: ed@example.org\n");
        assert_eq!(per_report(&night(&joined)), before, "a member joins");
        // The reassign alerts are there, as a total naming no report.
        let left = crate::roster::parse(worlds[0].1.as_bytes()).unwrap().roster;
        let now = day0() + Duration::days(88);
        let t = text(&night(&left), now, false);
        assert!(
            t.contains("alerts to the admins (counted: the emails name the reports): 2 × reassign"),
            "{t}"
        );
        assert!(
            !t.lines()
                .any(|l| l.contains("GHSA-") && l.contains("reassign")),
            "{t}"
        );
    }

    /// Issue 22: in a workflow the log is public; it names no report.
    #[test]
    fn the_public_text_names_no_report() {
        let r = roster("");
        let mut out = night(&r);
        out.errors
            .push("GHSA-cy01-0000-0001: the warning (1 day left) was not sent: refused".into());
        let now = day0() + Duration::days(88);
        let public = format!("{}{}", text_public(&out, now, true), json_public(&out, now));
        for marker in [
            "GHSA-cy01-0000-0001",
            "GHSA-ada1-0000-0002",
            "GHSA-cy02-0000-0003",
            "python/cpython",
        ] {
            assert!(!public.contains(marker), "{marker} in {public}");
        }
        assert!(
            public.contains("open reports on 2026-03-30 (UTC): 3"),
            "{public}"
        );
        // A local run shows each report.
        assert!(text(&out, now, true).contains("GHSA-cy02-0000-0003"));
    }

    #[test]
    fn the_schedule_of_one_report_over_its_life() {
        let r = roster("");
        let mut a = report(day0(), Some("cy"));
        let log = life(&r, &mut a, 110, &[], |_, _| {});
        insta::assert_snapshot!(log.join("\n"), @r"
        day  60 ( 30 left): warning (30 days left) to the coordinator
        day  76 ( 14 left): warning (14 days left) to the coordinator
        day  83 (  7 left): warning (7 days left) to the coordinator
        day  89 (  1 left): warning (1 day left) to the coordinator, admins copied
        day  90 (  0 left): overdue notice (0 days past) to the coordinator, admins copied
        day  97 ( -7 left): overdue notice (7 days past) to the coordinator, admins copied
        day 104 (-14 left): overdue notice (14 days past) to the coordinator, admins copied
        ");
    }

    #[test]
    fn missed_nights_send_one_message_for_the_most_urgent_threshold() {
        let r = roster("");
        let mut a = report(day0(), Some("cy"));
        let missed: Vec<i64> = (70..=85).collect();
        let log = life(&r, &mut a, 92, &missed, |_, _| {});
        insta::assert_snapshot!(log.join("\n"), @r"
        day  60 ( 30 left): warning (30 days left) to the coordinator
        day  86 (  4 left): warning (7 days left) to the coordinator
        day  89 (  1 left): warning (1 day left) to the coordinator, admins copied
        day  90 (  0 left): overdue notice (0 days past) to the coordinator, admins copied
        ");
    }

    #[test]
    fn a_report_first_seen_late_gets_one_message_and_a_lost_ledger_resends_once() {
        let r = roster("");
        let a = report(day0(), Some("cy"));
        let now = day0() + Duration::days(88);
        let due = evaluate(&a, &r, &Ledger::default(), now).due;
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].kind, Kind::Warning { days: 7 });
        assert_eq!(due[0].also, ["warn-30", "warn-14"]);
        let past = day0() + Duration::days(100);
        let due = evaluate(&a, &r, &Ledger::default(), past).due;
        assert_eq!(
            due.iter().map(|d| d.kind.clone()).collect::<Vec<_>>(),
            [Kind::Overdue { days_over: 10 }]
        );
    }

    #[test]
    fn publication_ends_the_warnings() {
        let r = roster("");
        let mut a = report(day0(), Some("cy"));
        let log = life(&r, &mut a, 110, &[], |d, a| {
            if d == 80 {
                a.state = AdvisoryState::Published;
            }
        });
        assert_eq!(log.len(), 2, "{log:#?}");
    }

    #[test]
    fn no_coordinator_alerts_the_admins_once_and_they_get_the_warnings() {
        let r = roster("");
        let mut a = report(day0(), None);
        let log = life(&r, &mut a, 62, &[], |_, _| {});
        assert_eq!(
            log,
            [
                "day   4 ( 86 left): unassigned alert to the admins",
                "day  60 ( 30 left): warning (30 days left) to the admins"
            ]
        );
        let due = evaluate(&a, &r, &Ledger::default(), day0() + Duration::days(60)).due;
        let warning = due
            .iter()
            .find(|d| matches!(d.kind, Kind::Warning { .. }))
            .unwrap();
        assert_eq!(warning.to, ["ada@example.org", "bo@example.org"]);
    }

    #[test]
    fn a_coordinator_who_left_triggers_one_reassign_alert_per_report() {
        let r = roster("emeritus:\n  - name: Ex\n    github: ex\n");
        let mut a = report(day0(), Some("ex"));
        let log = life(&r, &mut a, 40, &[], |d, a| {
            if d == 10 {
                a.credits = vec![Credit {
                    login: "stranger".into(),
                    kind: "coordinator".into(),
                }];
            }
            if d == 20 {
                a.credits = vec![Credit {
                    login: "ada".into(),
                    kind: "coordinator".into(),
                }];
            }
        });
        assert_eq!(log, ["day   0 ( 90 left): reassign alert to the admins",]);
    }

    #[test]
    fn a_coordinator_without_email_has_the_admins_warned_instead() {
        let r = roster("");
        let a = report(day0(), Some("di"));
        let due = evaluate(&a, &r, &Ledger::default(), day0() + Duration::days(61)).due;
        assert_eq!(due[0].audience, Audience::Admins);
        assert_eq!(due[0].to, ["ada@example.org", "bo@example.org"]);
    }

    #[test]
    fn creation_times_at_the_ends_of_the_calendar_never_panic() {
        let r = roster("");
        for created in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            let a = report(created, Some("cy"));
            for now in [day0(), DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
                let ev = evaluate(&a, &r, &Ledger::default(), now);
                let ctx = crate::notify::report_context(&a, &r, now);
                assert!(ctx.get_attr("deadline").is_ok());
                assert!(ev.due.len() <= 3, "{:?}", ev.due);
            }
        }
    }

    #[test]
    fn days_left_count_whole_utc_days() {
        let r = roster("");
        let a = report(
            Utc.with_ymd_and_hms(2026, 1, 1, 23, 59, 0).unwrap(),
            Some("cy"),
        );
        // 90 days after 2026-01-01 is 2026-04-01, whatever the hour.
        let ev = evaluate(
            &a,
            &r,
            &Ledger::default(),
            Utc.with_ymd_and_hms(2026, 3, 31, 0, 1, 0).unwrap(),
        );
        assert_eq!(ev.standing.deadline.to_string(), "2026-04-01");
        assert_eq!(ev.standing.days_left, 1);
    }
}
