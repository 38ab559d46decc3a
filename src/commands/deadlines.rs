//! `psrt deadlines`: every open report against its 90-day deadline; with
//! `--send`, the warnings that are due, once each.

use std::path::Path;

use crate::config::Env;
use crate::deadlines::{self, Sending};
use crate::ledger::Ledger;
use crate::notify::{Mailer, Templates};

use super::{Outcome, block_on, load_opened, templates_dir, write_step_summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Send the messages that are due (and record them in the ledger).
    #[arg(long)]
    pub send: bool,
    /// The ledger of messages already sent.
    #[arg(long, value_name = "FILE", default_value = crate::ledger::DEFAULT_PATH)]
    pub ledger: std::path::PathBuf,
    /// Start a new ledger, whatever the file holds (a corrupt one, say): each
    /// open report gets its current message once more.
    #[arg(long)]
    pub reset_ledger: bool,
    /// Pretend it is this time (RFC 3339 or YYYY-MM-DD): preview a future run.
    #[arg(long, value_name = "TIME", value_parser = super::parse_now_arg)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Plan mode (`PSRT_MODE=plan`) dropped --send: the run writes nothing,
    /// but needs what a writing run needs (a missing credential fails it).
    #[arg(skip)]
    pub plan_only: bool,
}

pub fn run(roster_path: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let Some((_, opened)) = load_opened(roster_path)? else {
        return Ok(Outcome::Failed);
    };
    let roster = &opened.roster;
    let now = args.now.unwrap_or_else(chrono::Utc::now);
    let env = Env::from_process();
    let templates = Templates::load(Some(&templates_dir(roster_path)))?;
    // A dispatch's --reset-ledger, when an admin asked (emailed first).
    let reset_ledger = super::dispatch::honour(
        super::dispatch::Override::ResetLedger,
        args.reset_ledger,
        roster,
        &env,
        &templates,
    )?;
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt deadlines needs GitHub: {m}"))?;
    // Why the messages due cannot be sent (SMTP, the sender, a coordinator's
    // address that stays encrypted): the run then says so and fails. Plan
    // mode checks the same, so the first week shows a missing credential.
    let wants_to_send = args.send || args.plan_only;
    let not_sent = if wants_to_send {
        send_blocker(&env, roster, &opened)
    } else {
        None
    };
    if let Some(why) = &not_sent {
        eprintln!("error: deadline emails are NOT sent: {why}");
    }
    let mailer = match (&not_sent, args.send) {
        (None, true) => match (&env.smtp, &roster.email) {
            (Ok(smtp), Some(email)) => Some(Mailer::new(smtp, &email.from)?),
            _ => None,
        },
        _ => None,
    };
    // A ledger that cannot be read stops the command before anything is
    // sent (exit 1, naming the file and --reset-ledger); so does a missing
    // one when sending.
    let keeping = super::keeping::ledger_keeping(&env)?;
    let mut ledger = if mailer.is_some() {
        Ledger::open_existing(&args.ledger, reset_ledger, &keeping)?
    } else {
        Ledger::open(&args.ledger, reset_ledger, &keeping)?
    };
    let send = mailer.is_some();
    let mut out = block_on(async {
        let gh = crate::github::GitHub::connect(
            gh_env,
            crate::deadlines::github_scope(roster),
            super::github_tuning(),
        )
        .await?;
        let snapshot = ledger.clone();
        let sending = mailer.as_ref().map(|m| Sending {
            mailer: m,
            templates: &templates,
            ledger: &mut ledger,
        });
        anyhow::Ok(deadlines::run(&gh, roster, &snapshot, now, sending).await)
    })??;
    out.not_sent = not_sent;
    // In a workflow the log is public: counts only, no report named.
    let public = env.in_actions;
    let text = if public {
        deadlines::text_public(&out, now, send)
    } else {
        deadlines::text(&out, now, send)
    };
    if args.json {
        if public {
            println!("{}", deadlines::json_public(&out, now));
        } else {
            println!("{}", deadlines::json(&out, now));
        }
    } else {
        print!("{text}");
    }
    write_step_summary(&env, &format!("### psrt deadlines\n\n```\n{text}```\n"));
    Ok(if out.failed() || opened.key_problem() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// Why `--send` cannot send, if it cannot: no SMTP, no sender, or an
/// address that stays encrypted (a coordinator would be skipped or their
/// warning rerouted: send nothing rather than that).
fn send_blocker(
    env: &Env,
    roster: &crate::roster::Roster,
    opened: &crate::roster::contacts::Opened,
) -> Option<String> {
    if let Err(m) = &env.smtp {
        return Some(format!("psrt deadlines --send needs SMTP: {m}"));
    }
    if roster.email.is_none() {
        return Some("psrt deadlines --send needs `email.from` in the roster".to_owned());
    }
    opened.blocked(crate::roster::contacts::Field::Email)
}
