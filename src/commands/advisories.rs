//! `psrt advisories`: the team on every open report, members outside the org
//! as collaborators, former members' access removed, coordinators assigned.

use std::path::Path;

use crate::config::Env;
use crate::notify::{Mailer, Templates};
use crate::sync::report;

use super::{Outcome, block_on, load_valid, templates_dir, write_step_summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Make the changes (one update per advisory) and email new coordinators.
    #[arg(long)]
    pub apply: bool,
    /// Pretend it is this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", value_parser = super::parse_now_arg)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(roster_path: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_valid(roster_path)? else {
        return Ok(Outcome::Failed);
    };
    let roster = &loaded.roster;
    let now = args.now.unwrap_or_else(chrono::Utc::now);
    let env = Env::from_process();
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt advisories needs GitHub: {m}"))?;
    let templates = Templates::load(Some(&templates_dir(roster_path)))?;
    let mailer = match (args.apply, &env.smtp, &roster.email) {
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
    let r = block_on(async {
        let gh = crate::github::GitHub::connect(gh_env, &roster.github.org, super::github_tuning())
            .await?;
        anyhow::Ok(
            crate::advisories::run(&gh, roster, now, args.apply, mailer.as_ref(), &templates).await,
        )
    })??;
    let reports = [r];
    if args.json {
        println!("{}", report::json(&reports, args.apply));
    } else {
        print!("{}", report::text(&reports, args.apply));
    }
    write_step_summary(
        &env,
        &report::markdown(&reports, args.apply).replace("### psrt sync", "### psrt advisories"),
    );
    Ok(if reports[0].failed() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
