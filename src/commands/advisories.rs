//! `psrt advisories`: the advisory lifecycle (title tags, private forks, CVE
//! ids, the team and members, former members out, coordinators, remediation
//! credits), hourly.

use std::path::{Path, PathBuf};

use crate::config::Env;
use crate::ledger::Ledger;
use crate::notify::{Mailer, Templates};
use crate::roster::contacts::Field;

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
    /// Services), and a /psrt command written before this run that psrt never
    /// replied to is not run (its author is asked to write it again).
    #[arg(long)]
    pub reset_ledger: bool,
    /// Pretend it is this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", value_parser = super::parse_now_arg)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Plan mode (`PSRT_MODE=plan`) dropped --apply: the run writes nothing,
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
        .map_err(|m| anyhow::anyhow!("psrt advisories needs GitHub: {m}"))?;
    // A ledger that cannot be read stops the command before anything is
    // written (exit 1, naming the file and --reset-ledger).
    let mut ledger = Ledger::open(
        &args.ledger,
        reset_ledger,
        &super::keeping::ledger_keeping(&env)?,
    )?;
    // What an applying run needs beyond GitHub: SMTP for new coordinators
    // (their addresses opened), and CVE Services when the roster has `cve`.
    // Missing, an applying run (and plan mode) says what is not done and
    // fails; a dry run only notes it.
    let writing = args.apply || args.plan_only;
    let mut unreachable: Vec<String> = Vec::new();
    let mailer = match (&roster.email, &env.smtp, opened.blocked(Field::Email)) {
        // The roster leaves email out: nobody is emailed, quietly.
        (None, _, _) => {
            if args.apply {
                eprintln!(
                    "note: new coordinators are not emailed: the roster has no `email` section"
                );
            }
            None
        }
        (Some(_), _, Some(closed)) => {
            unreachable.push(format!("new coordinators are NOT emailed: {closed}"));
            None
        }
        (Some(_), Err(missing), None) => {
            unreachable.push(format!("new coordinators are NOT emailed: {missing}"));
            None
        }
        (Some(email), Ok(smtp), None) if args.apply => Some(Mailer::new(smtp, &email.from)?),
        (Some(_), Ok(_), None) => None,
    };
    let cve = match (&roster.cve, &env.cve) {
        (None, _) => Err("the roster has no `cve` section".to_owned()),
        (Some(_), Err(missing)) => {
            unreachable.push(format!(
                "CVE Services is NOT reached, no CVE id is reserved: {missing}"
            ));
            Err(missing.to_string())
        }
        (Some(settings), Ok(cve_env)) => Ok(crate::cve::CveServices::new(
            cve_env,
            &settings.org,
            &super::github_tuning().retry,
        )?),
    };
    for line in &unreachable {
        if writing {
            eprintln!("error: {line}");
        } else {
            eprintln!("note: with --apply, {line}");
        }
    }
    let mut report = block_on(async {
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
                    public: env.in_actions,
                    run_url: env.run.url.clone(),
                },
            )
            .await,
        )
    })??;
    if writing {
        // What the run itself could not do (the admins' email) comes after.
        report.not_done.splice(0..0, unreachable);
    }
    // In a workflow the log and the job summary are public: no unpublished
    // report is named (counts only; the admins got each report's line).
    let shown = if env.in_actions {
        report.withhold()
    } else {
        report.clone()
    };
    if args.json {
        println!("{}", shown.json());
    } else {
        print!("{}", shown.text());
    }
    write_step_summary(&env, &shown.markdown());
    Ok(if report.failed() || opened.key_problem() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
