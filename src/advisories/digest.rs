//! The admins' email about an hourly run, in a workflow. The workflow log
//! is public and names no unpublished report ([`super::Report::withhold`]);
//! what each report's line says goes here instead, to the admins only.
//!
//! Useful, not noise: an email only when the run changed a report or found
//! something new to look at. Changes happen once by nature (a report is
//! moved to draft once). Problems (an update that failed, a note about a
//! report) recur every hour while they last: each is told once, then again
//! after [`REMIND_AFTER_HOURS`]; a title tag psrt ignores is told once. What
//! was told when is kept in the ledger's messages section (`told-…` keys:
//! report ids, kinds and times, no person).

use chrono::{DateTime, Duration, Utc};

use super::report::{LineResult, Report};
use crate::ledger::Ledger;
use crate::notify::{Email, Mailer, Templates};
use crate::roster::Roster;

/// A problem still there is told again after this long.
pub const REMIND_AFTER_HOURS: i64 = 24;

/// One report's line in the email.
#[derive(Debug, Clone)]
pub struct Item {
    pub ghsa_id: String,
    pub repo: String,
    pub state: String,
    pub url: String,
    pub what: String,
}

/// What the email says: reports changed, and things to look at (each with
/// the ledger key that remembers it was told).
#[derive(Debug, Default)]
pub struct Digest {
    pub changed: Vec<Item>,
    pub attention: Vec<(Item, &'static str)>,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.attention.is_empty()
    }
}

/// What happened to the email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    /// Nothing new: no email.
    Nothing,
    /// Sent, with this many lines.
    Sent(usize),
}

/// The digest of an applied run (`report`, with every per-report part),
/// leaving out what the ledger says was told recently.
pub fn of(report: &Report, ledger: &Ledger, now: DateTime<Utc>) -> Digest {
    let recently = |ghsa: &str, key: &str, again: bool| {
        ledger
            .messages()
            .when(ghsa, key)
            .is_some_and(|at| !again || now - at < Duration::hours(REMIND_AFTER_HOURS))
    };
    let mut d = Digest::default();
    for l in &report.reports {
        let decided: Vec<String> = l.decisions.iter().map(ToString::to_string).collect();
        let item = |what: String| Item {
            ghsa_id: l.ghsa_id.clone(),
            repo: l.repo.clone(),
            state: l.state.to_string(),
            url: l.url.clone(),
            what,
        };
        match &l.result {
            Some(LineResult::Applied { notes }) => d.changed.push(item(if notes.is_empty() {
                decided.join("; ")
            } else {
                format!("{} ({})", decided.join("; "), notes.join(", "))
            })),
            Some(LineResult::Failed { error }) if !recently(&l.ghsa_id, "told-failed", true) => {
                d.attention.push((
                    item(format!("{}: {error}", decided.join("; "))),
                    "told-failed",
                ))
            }
            _ => {}
        }
    }
    for i in &report.ignored {
        if !recently(&i.ghsa_id, "told-ignored", false) {
            d.attention.push((
                Item {
                    ghsa_id: i.ghsa_id.clone(),
                    repo: i.repo.clone(),
                    state: i.state.to_string(),
                    url: i.url.clone(),
                    what: format!("[{}] ignored: {}", i.command, i.why),
                },
                "told-ignored",
            ));
        }
    }
    for n in &report.report_notes {
        if !recently(&n.ghsa_id, "told-note", true) {
            d.attention.push((
                Item {
                    ghsa_id: n.ghsa_id.clone(),
                    repo: String::new(),
                    state: String::new(),
                    url: String::new(),
                    what: n.note.clone(),
                },
                "told-note",
            ));
        }
    }
    d
}

/// Sends the digest to the admins and records what it told; nothing to
/// tell, nothing sent. An error says why it could not be sent (the run
/// then fails: the per-report detail would reach nobody).
pub async fn send(
    digest: &Digest,
    roster: &Roster,
    templates: &Templates,
    mailer: &Mailer,
    ledger: &mut Ledger,
    now: DateTime<Utc>,
    run_url: Option<&str>,
) -> anyhow::Result<Told> {
    if digest.is_empty() {
        return Ok(Told::Nothing);
    }
    let to: Vec<String> = roster
        .admins()
        .filter_map(|m| m.email.clone())
        .filter(|e| !crate::roster::contacts::is_encrypted(e))
        .collect();
    anyhow::ensure!(!to.is_empty(), "no admin has an address psrt can read");
    let value = |i: &Item| {
        minijinja::context! {
            ghsa_id => i.ghsa_id.clone(),
            repo => i.repo.clone(),
            state => i.state.clone(),
            url => i.url.clone(),
            what => i.what.clone(),
        }
    };
    let changed: Vec<minijinja::Value> = digest.changed.iter().map(value).collect();
    let attention: Vec<minijinja::Value> = digest.attention.iter().map(|(i, _)| value(i)).collect();
    let (subject, body) = templates.render(
        "advisories-digest.txt",
        minijinja::context! {
            time => now.format("%Y-%m-%d %H:%M UTC").to_string(),
            changed => changed,
            attention => attention,
            run_url => run_url.unwrap_or_default(),
        },
    )?;
    mailer
        .send(&Email {
            to,
            cc: vec![],
            subject,
            body,
        })
        .await?;
    let told: Vec<(&str, &str)> = digest
        .attention
        .iter()
        .map(|(i, key)| (i.ghsa_id.as_str(), *key))
        .collect();
    ledger.record_told(&told, now)?;
    Ok(Told::Sent(digest.changed.len() + digest.attention.len()))
}
