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
}

pub fn run(roster_path: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let Some((_, opened)) = load_opened(roster_path)? else {
        return Ok(Outcome::Failed);
    };
    let roster = &opened.roster;
    // A coordinator whose address stays encrypted would be skipped (or
    // their warning rerouted): send nothing rather than that.
    let closed = opened.blocked(crate::roster::contacts::Field::Email);
    if let (true, Some(reason)) = (args.send, &closed) {
        eprintln!("note: deadline emails are not sent: {reason}");
    }
    let send = args.send && closed.is_none();
    let now = args.now.unwrap_or_else(chrono::Utc::now);
    let env = Env::from_process();
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt deadlines needs GitHub: {m}"))?;
    // A ledger that cannot be read stops the command before anything is
    // sent (exit 1, naming the file and --reset-ledger).
    let mut ledger = Ledger::open(&args.ledger, args.reset_ledger)?;
    let (mailer, templates) = if send {
        let smtp = env
            .smtp
            .as_ref()
            .map_err(|m| anyhow::anyhow!("psrt deadlines --send needs SMTP: {m}"))?;
        let from = roster
            .email
            .as_ref()
            .map(|e| e.from.clone())
            .ok_or_else(|| {
                anyhow::anyhow!("psrt deadlines --send needs `email.from` in the roster")
            })?;
        (
            Some(Mailer::new(smtp, &from)?),
            Templates::load(Some(&templates_dir(roster_path)))?,
        )
    } else {
        (None, Templates::built_in())
    };
    let out = block_on(async {
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
    if args.json {
        println!("{}", deadlines::json(&out, now));
    } else {
        print!("{}", deadlines::text(&out, now, send));
    }
    write_step_summary(
        &env,
        &format!(
            "### psrt deadlines\n\n```\n{}```\n",
            deadlines::text(&out, now, send)
        ),
    );
    Ok(if out.failed() || opened.key_problem() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
