//! The one-off flags a workflow dispatch asks for, as a command uses them:
//! [`honour`] turns one on when `crate::overrides` authorises it, after
//! announcing it and emailing the admins; a use that cannot be emailed is
//! refused.

use crate::config::Env;
use crate::notify::{Email, Mailer, Templates};
pub use crate::overrides::{Granted, Override, authorise};
use crate::roster::Roster;

/// Whether `flag` is on for this run: given on the command line, or asked
/// for by a dispatch psrt authorises. A dispatch's use is announced on
/// stdout (and as a workflow annotation) and emailed to the admins before
/// it takes effect. `Err` when it was asked for and cannot be honoured:
/// the command then stops before doing anything (exit 1).
pub fn honour(
    flag: Override,
    given: bool,
    roster: &Roster,
    env: &Env,
    templates: &Templates,
) -> anyhow::Result<bool> {
    if given || !flag.requested(env) {
        return Ok(given);
    }
    let granted = authorise(roster, &env.run, flag)
        .map_err(|why| anyhow::anyhow!("{why}; nothing was done"))?;
    let line = format!(
        "{} used by admin {} (account id {}), dispatched by hand{}",
        granted.flag,
        granted.admin,
        granted.account_id,
        granted
            .run_url
            .as_deref()
            .map_or(String::new(), |u| format!(": {u}"))
    );
    tell_the_admins(&granted, roster, env, templates).map_err(|e| {
        anyhow::anyhow!(
            "{} is not honoured: the admins could not be told ({e:#}); nothing was done",
            granted.flag
        )
    })?;
    println!("override: {line}; the admins were emailed");
    if env.in_actions {
        println!("::warning title=psrt override::{line}");
    }
    Ok(true)
}

fn tell_the_admins(
    granted: &Granted,
    roster: &Roster,
    env: &Env,
    templates: &Templates,
) -> anyhow::Result<()> {
    email_admins(
        roster,
        env,
        templates,
        "override-used.txt",
        minijinja::context! {
            flag => granted.flag,
            admin => granted.admin.clone(),
            account_id => granted.account_id,
            run_url => granted.run_url.clone().unwrap_or_default(),
        },
    )
}

/// Emails the roster's admins (their opened addresses) with `template`.
pub fn email_admins(
    roster: &Roster,
    env: &Env,
    templates: &Templates,
    template: &str,
    context: minijinja::Value,
) -> anyhow::Result<()> {
    let smtp = env.smtp.as_ref().map_err(|m| anyhow::anyhow!("{m}"))?;
    let from = roster
        .email
        .as_ref()
        .map(|e| e.from.clone())
        .ok_or_else(|| anyhow::anyhow!("the roster has no `email.from`"))?;
    // Only opened addresses: an `age:` value is not an address.
    let to: Vec<String> = roster
        .admins()
        .filter_map(|m| m.email.clone())
        .filter(|e| !e.starts_with("age:"))
        .collect();
    anyhow::ensure!(!to.is_empty(), "no admin has an address psrt can read");
    let (subject, body) = templates.render(template, context)?;
    let mailer = Mailer::new(smtp, &from)?;
    super::block_on(mailer.send(&Email {
        to,
        cc: vec![],
        subject,
        body,
    }))?
}
