//! `psrt sync`: make the GitHub team, the mailing list and the Discord role
//! match the roster. A dry run unless `--apply`.

use std::path::Path;

use crate::config::Env;
use crate::sync::{self, Context, Options, report};

use super::{Outcome, block_on, load_opened, write_step_summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Make the changes (without it, psrt only prints the plan).
    #[arg(long)]
    pub apply: bool,
    /// Only these services (repeatable).
    #[arg(long, value_enum)]
    pub service: Vec<crate::sync::Service>,
    /// Print the plan as JSON: {"changes":[…],"errors":[…]}.
    #[arg(long)]
    pub json: bool,
    /// Allow a plan that removes more than policy.max_removal_fraction of a service's members.
    #[arg(long)]
    pub allow_mass_removal: bool,
    /// Plan mode (`PSRT_MODE=plan`) dropped --apply: the run writes nothing,
    /// but needs what a writing run needs (a missing credential fails it).
    #[arg(skip)]
    pub plan_only: bool,
}

pub fn run(roster: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let Some((_, opened)) = load_opened(roster)? else {
        return Ok(Outcome::Failed);
    };
    let env = Env::from_process();
    let templates = crate::notify::Templates::load(Some(&super::templates_dir(roster)))?;
    // A dispatch's --allow-mass-removal, when an admin asked (emailed first).
    let allow_mass_removal = super::dispatch::honour(
        super::dispatch::Override::AllowMassRemoval,
        args.allow_mass_removal,
        &opened.roster,
        &env,
        &templates,
    )?;
    let ctx = Context {
        env: &env,
        tuning: super::github_tuning(),
    };
    let opts = Options {
        apply: args.apply,
        allow_mass_removal,
    };
    let reports = block_on(sync::run_opened(&opened, &ctx, &args.service, opts))?;
    if args.json {
        println!("{}", report::json(&reports, args.apply));
    } else {
        print!("{}", report::text(&reports, args.apply));
    }
    write_step_summary(&env, &report::markdown(&reports, args.apply));
    // What the admins must act on (an invitation that failed twice): one
    // email, the night it becomes news; the plan names it every run.
    let alerts: Vec<String> = reports
        .iter()
        .flat_map(|r| r.alerts.iter().map(|a| a.message.clone()))
        .collect();
    let mut alert_failed = false;
    if args.apply && !alerts.is_empty() {
        match super::dispatch::email_admins(
            &opened.roster,
            &env,
            &templates,
            "invitation-failed.txt",
            minijinja::context! { alerts => alerts.clone() },
        ) {
            Ok(()) => println!(
                "the admins were emailed about {} invitation(s) that failed twice",
                alerts.len()
            ),
            Err(e) => {
                alert_failed = true;
                eprintln!(
                    "error: the admins could not be emailed about {} invitation(s) that failed twice: {}",
                    alerts.len(),
                    crate::net::redact(&format!("{e:#}"))
                );
            }
        }
    }
    Ok(
        if alert_failed || reports.iter().any(|r| r.failed()) || opened.key_problem() {
            Outcome::Failed
        } else {
            Outcome::Success
        },
    )
}
