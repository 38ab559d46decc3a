//! `psrt advisories`: the advisory lifecycle (title tags, private forks, CVE
//! ids, the team and members, former members out, coordinators, remediation
//! credits), hourly.

use std::path::{Path, PathBuf};

use crate::config::Env;
use crate::ledger::Ledger;
use crate::notify::{Mailer, Templates};

use super::{Outcome, block_on, load_opened, templates_dir, write_step_summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Make the changes (one update per advisory, forks, CVE ids) and email new coordinators.
    #[arg(long)]
    pub apply: bool,
    /// The ledger that keeps a reserved CVE id until its advisory carries it (shared with `deadlines`).
    #[arg(long, value_name = "FILE", default_value = crate::ledger::DEFAULT_PATH)]
    pub ledger: PathBuf,
    /// Start a new ledger, whatever the file holds (a corrupt one, say): a CVE
    /// id reserved but not yet on its advisory is forgotten (reject it in CVE
    /// Services).
    #[arg(long)]
    pub reset_ledger: bool,
    /// Pretend it is this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", value_parser = super::parse_now_arg)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(roster_path: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let Some((_, opened)) = load_opened(roster_path)? else {
        return Ok(Outcome::Failed);
    };
    let roster = &opened.roster;
    // Coordinators' addresses that stay encrypted (no or a wrong
    // PSRT_CONTACT_KEY): nobody is emailed rather than the wrong people.
    let closed = opened.blocked(crate::roster::contacts::Field::Email);
    let now = args.now.unwrap_or_else(chrono::Utc::now);
    let env = Env::from_process();
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt advisories needs GitHub: {m}"))?;
    // A ledger that cannot be read stops the command before anything is
    // written (exit 1, naming the file and --reset-ledger).
    let mut ledger = Ledger::open(&args.ledger, args.reset_ledger)?;
    let templates = Templates::load(Some(&templates_dir(roster_path)))?;
    let mailer = match (args.apply, &env.smtp, &roster.email) {
        (true, _, _) if closed.is_some() => {
            let reason = closed.as_deref().unwrap_or_default();
            eprintln!("note: new coordinators will not be emailed: {reason}");
            None
        }
        (true, Ok(smtp), Some(email)) => Some(Mailer::new(smtp, &email.from)?),
        (true, Err(missing), _) => {
            eprintln!("note: new coordinators will not be emailed: {missing}");
            None
        }
        (true, Ok(_), None) => {
            eprintln!("note: new coordinators will not be emailed: the roster has no `email.from`");
            None
        }
        (false, _, _) => None,
    };
    let cve = match (&roster.cve, &env.cve) {
        (None, _) => Err("the roster has no `cve` section".to_owned()),
        (Some(_), Err(missing)) => Err(missing.to_string()),
        (Some(settings), Ok(cve_env)) => Ok(crate::cve::CveServices::new(
            cve_env,
            &settings.org,
            &super::github_tuning().retry,
        )?),
    };
    if let (Some(_), Err(why)) = (&roster.cve, &cve) {
        eprintln!("note: no CVE id will be reserved: {why}");
    }
    let report = block_on(async {
        let gh = crate::github::GitHub::connect(
            gh_env,
            crate::advisories::github_scope(roster, args.apply),
            super::github_tuning(),
        )
        .await?;
        anyhow::Ok(
            crate::advisories::run(
                &gh,
                roster,
                crate::advisories::Options {
                    apply: args.apply,
                    now,
                    mailer: mailer.as_ref(),
                    templates: &templates,
                    cve: cve.as_ref().map_err(Clone::clone),
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
    write_step_summary(&env, &report.markdown());
    Ok(if report.failed() || opened.key_problem() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
