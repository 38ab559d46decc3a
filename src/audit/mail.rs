//! The admins hear about each problem once when it appears, weekly while it
//! lasts, once when it clears, and get a weekly "psrt is alive" digest
//! whose absence is itself the alarm (anyone with write access can switch
//! both scheduled workflows off at once, and then nothing else speaks).
//! Each message is recorded in the ledger as it goes out (kinds and
//! subjects, never a person), and carries a stable `Message-ID`, so a
//! killed run repeats at most the one message in flight.

use chrono::{DateTime, Duration, Utc};
use minijinja::context;

use super::model::{Finding, Mail, Problem, State};
use crate::ledger::{Ledger, OpenProblem};
use crate::notify::{Email, Mailer, Templates};

/// Reminders and the digest, every week.
pub const EVERY_DAYS: i64 = 7;

/// Where the emails go and how they are written.
pub struct Sending<'a> {
    pub mailer: &'a Mailer,
    pub templates: &'a Templates,
    /// The admins' addresses (opened: an `age:` value is no address).
    pub to: Vec<String>,
}

/// What to send this run, from the problems, what was cleared and the
/// ledger; sent (and recorded) only with `sending`.
#[allow(clippy::too_many_arguments)]
pub async fn tell(
    repo: &str,
    problems: &[Problem],
    cleared: &[OpenProblem],
    findings: &[Finding],
    ledger: &mut Ledger,
    record: bool,
    sending: Option<&Sending<'_>>,
    run_url: Option<&str>,
    now: DateTime<Utc>,
) -> Mail {
    let mut mail = Mail {
        sending: sending.is_some(),
        ..Mail::default()
    };
    let due = |at: Option<DateTime<Utc>>| at.is_none_or(|t| now - t >= Duration::days(EVERY_DAYS));
    for p in problems {
        let key = OpenProblem::key(p.kind.as_str(), &p.subject);
        let known = ledger.audit().problems.get(&key).cloned();
        if known.is_none() && record {
            let open = OpenProblem {
                kind: p.kind.as_str().to_owned(),
                subject: p.subject.clone(),
                scope: p.scope.clone(),
                since: p.since,
                emailed: None,
            };
            if let Err(e) = ledger.audit_problem_found(open) {
                mail.failed
                    .push(format!("the ledger could not be saved: {e:#}"));
                return mail;
            }
        }
        let emailed = known.as_ref().and_then(|k| k.emailed);
        let (list, reminder) = match emailed {
            None => (&mut mail.new, false),
            Some(t) if due(Some(t)) => (&mut mail.reminders, true),
            Some(_) => continue,
        };
        let line = format!("{} {}", p.kind, p.subject);
        list.push(line);
        let Some(s) = sending else { continue };
        let ctx = context! {
            repo => repo,
            kind => p.kind.as_str(),
            subject => p.subject.clone(),
            detail => p.text.clone(),
            advice => p.kind.advice(),
            since => p.since.format("%Y-%m-%d %H:%M UTC").to_string(),
            reminder => reminder,
            run_url => run_url.unwrap_or_default(),
        };
        let identity = format!(
            "audit.{}.{}.{}",
            p.kind,
            p.subject,
            if reminder {
                format!("reminder-{}", now.format("%G-W%V"))
            } else {
                format!("new-{}", p.since.format("%Y%m%d%H%M"))
            }
        );
        match send(s, "audit-problem.txt", ctx, &identity).await {
            Ok(()) => {
                if record {
                    if let Err(e) = ledger.audit_problem_emailed(&key, now) {
                        mail.failed
                            .push(format!("the ledger could not be saved: {e:#}"));
                        return mail;
                    }
                }
            }
            Err(e) => mail.failed.push(format!("{} {}: {e:#}", p.kind, p.subject)),
        }
    }
    for c in cleared {
        let key = OpenProblem::key(&c.kind, &c.subject);
        mail.cleared.push(format!("{} {}", c.kind, c.subject));
        let sent = match sending {
            Some(s) if c.emailed.is_some() => {
                let ctx = context! {
                    repo => repo,
                    kind => c.kind.clone(),
                    subject => c.subject.clone(),
                    since => c.since.format("%Y-%m-%d %H:%M UTC").to_string(),
                    run_url => run_url.unwrap_or_default(),
                };
                let identity = format!(
                    "audit.{}.{}.cleared-{}",
                    c.kind,
                    c.subject,
                    c.since.format("%Y%m%d%H%M")
                );
                send(s, "audit-cleared.txt", ctx, &identity).await
            }
            _ => Ok(()),
        };
        match sent {
            Ok(()) if record => {
                if let Err(e) = ledger.audit_problem_cleared(&key) {
                    mail.failed
                        .push(format!("the ledger could not be saved: {e:#}"));
                    return mail;
                }
            }
            Ok(()) => {}
            Err(e) => mail
                .failed
                .push(format!("cleared {} {}: {e:#}", c.kind, c.subject)),
        }
    }
    if due(ledger.audit().digest_sent) {
        mail.digest = true;
        if let Some(s) = sending {
            let item =
                |f: &Finding| context! { subject => f.subject.clone(), text => f.text.clone() };
            let ctx = context! {
                repo => repo,
                date => now.format("%Y-%m-%d %H:%M UTC").to_string(),
                workflows => findings
                    .iter()
                    .filter(|f| f.area == super::model::Area::Workflows)
                    .map(item)
                    .collect::<Vec<_>>(),
                problems => problems
                    .iter()
                    .map(|p| context! {
                        kind => p.kind.as_str(),
                        subject => p.subject.clone(),
                        text => p.text.clone(),
                        since => p.since.format("%Y-%m-%d").to_string(),
                    })
                    .collect::<Vec<_>>(),
                limits => findings
                    .iter()
                    .filter(|f| f.state == State::Limit)
                    .map(item)
                    .collect::<Vec<_>>(),
                run_url => run_url.unwrap_or_default(),
            };
            let identity = format!("audit.digest.{}", now.format("%G-W%V"));
            match send(s, "audit-digest.txt", ctx, &identity).await {
                Ok(()) if record => {
                    if let Err(e) = ledger.audit_digest_sent(now) {
                        mail.failed
                            .push(format!("the ledger could not be saved: {e:#}"));
                    }
                }
                Ok(()) => {}
                Err(e) => mail.failed.push(format!("the weekly digest: {e:#}")),
            }
        }
    }
    mail
}

async fn send(
    s: &Sending<'_>,
    template: &str,
    ctx: minijinja::Value,
    identity: &str,
) -> anyhow::Result<()> {
    let (subject, body) = s.templates.render(template, ctx)?;
    s.mailer
        .send_once(
            &Email {
                to: s.to.clone(),
                cc: vec![],
                subject,
                body,
            },
            identity,
        )
        .await
}
