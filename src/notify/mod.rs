//! Notifications: message templates, and sending them by email.

pub mod mailer;
pub mod message;
pub mod templates;

pub use mailer::{Email, Mailer};
pub use message::{Audience, Due, Kind};
pub use templates::Templates;

use minijinja::Value;

use crate::github::advisories::Advisory;
use crate::roster::Roster;

/// The variables a report's templates may use: identifiers, a link, dates.
/// Never a summary, description, reporter or credits (psrt does not even
/// read them).
pub fn report_context(a: &Advisory, roster: &Roster, now: chrono::DateTime<chrono::Utc>) -> Value {
    let p = &roster.policy;
    let today = now.date_naive();
    let deadline = p.deadline_of(a.created_at);
    let days_left = (deadline - today).num_days();
    minijinja::context! {
        ghsa_id => a.ghsa_id.to_string(),
        repo => a.repo.to_string(),
        url => a.html_url.clone(),
        created => a.created_at.date_naive().to_string(),
        deadline => deadline.to_string(),
        days_left => days_left,
        days_over => (-days_left).max(0),
        deadline_days => p.deadline_days,
        age_days => (today - a.created_at.date_naive()).num_days(),
        grace_days => p.coordinator_grace_days,
    }
}

/// Renders a due message into an email.
pub fn render_due(
    templates: &Templates,
    due: &Due,
    a: &Advisory,
    roster: &Roster,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Email> {
    let (subject, body) = templates.render(due.kind.template(), report_context(a, roster, now))?;
    Ok(Email {
        to: due.to.clone(),
        cc: due.cc.clone(),
        subject,
        body,
    })
}
