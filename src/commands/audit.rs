//! `psrt audit`: checks that the world psrt depends on is as psrt needs it
//! (the scheduled workflows, the default branch's rules, private
//! vulnerability reporting, `PSRT_MODE`, and with `--credentials` each
//! credential); `--apply` enables the workflows GitHub disabled and keeps
//! the rest alive; `--send` tells the admins. Exit 1 while a problem
//! remains.

use std::path::Path;

use crate::audit::{self, mail::Sending};
use crate::config::Env;
use crate::ids::RepoName;
use crate::ledger::Ledger;
use crate::notify::{Mailer, Templates};

use super::{Outcome, block_on, load_opened, templates_dir, write_step_summary};

/// Where the audit keeps what it told the admins (the workflows pass it).
pub const DEFAULT_LEDGER: &str = ".psrt/audit-ledger.json";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Enable the scheduled workflows GitHub disabled for inactivity, and
    /// keep the active ones alive while the repository is quiet.
    #[arg(long)]
    pub apply: bool,
    /// Email the admins: each new problem, a weekly reminder while it
    /// lasts, its clearing, and the weekly "psrt is alive" digest.
    #[arg(long)]
    pub send: bool,
    /// Also verify each credential by a read (the GitHub App's tokens,
    /// Mailman, Discord, SMTP, CVE Services).
    #[arg(long)]
    pub credentials: bool,
    /// The audit's ledger (problems told, digest sent; no person).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_LEDGER)]
    pub ledger: std::path::PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(roster_path: &Path, repo: Option<&str>, args: &Args) -> anyhow::Result<Outcome> {
    let Some((_, opened)) = load_opened(roster_path)? else {
        return Ok(Outcome::Failed);
    };
    let roster = &opened.roster;
    let env = Env::from_process();
    let repo = repo
        .map(str::to_owned)
        .or_else(|| env.repository.clone())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "psrt audit needs the policy repository: --repo owner/name, or GITHUB_REPOSITORY"
            )
        })?;
    let repo = RepoName::parse(&repo).map_err(|e| anyhow::anyhow!("--repo {repo}: {e}"))?;
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt audit needs GitHub: {m}; nothing was checked"))?;
    let templates = Templates::load(Some(&templates_dir(roster_path)))?;
    // Who the emails go to, and why they cannot go, if they cannot.
    let to: Vec<String> = roster
        .admins()
        .filter_map(|m| m.email.clone())
        .filter(|e| !e.starts_with("age:"))
        .collect();
    let mut send_blocked = None;
    let mut mailer = None;
    if args.send {
        match (&env.smtp, &roster.email) {
            (Err(m), _) => send_blocked = Some(format!("psrt audit --send needs SMTP: {m}")),
            (_, None) => {
                send_blocked = Some("psrt audit --send needs `email.from` in the roster".into())
            }
            (Ok(smtp), Some(email)) if !to.is_empty() => {
                mailer = Some(Mailer::new(smtp, &email.from)?)
            }
            _ => {
                send_blocked = Some(format!(
                    "no admin has an address psrt can read (set {} to open the encrypted ones)",
                    crate::roster::contacts::KEY_VAR
                ))
            }
        }
    }
    let record = args.apply || args.send;
    let ledger = Ledger::open(&args.ledger, false, &super::keeping::ledger_keeping(&env)?)?;
    let mut ledger = if record { ledger } else { ledger.detached() };
    let tuning = super::github_tuning();
    let report = block_on(async {
        let gh = crate::github::GitHub::connect(
            gh_env,
            audit::github_scope(roster, &repo.to_string(), args.apply),
            tuning.clone(),
        )
        .await?;
        let sending = mailer.as_ref().map(|m| Sending {
            mailer: m,
            templates: &templates,
            to: to.clone(),
        });
        anyhow::Ok(
            audit::run(
                &gh,
                roster,
                &repo,
                audit::Options {
                    apply: args.apply,
                    credentials: args.credentials,
                    now: chrono::Utc::now(),
                    env: &env,
                    tuning: tuning.clone(),
                    sending,
                    send_blocked,
                    record,
                    ledger: &mut ledger,
                },
            )
            .await,
        )
    })??;
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    write_step_summary(
        &env,
        &format!("### psrt audit\n\n```\n{}```\n", report.text()),
    );
    Ok(if report.failed() || opened.key_problem() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
