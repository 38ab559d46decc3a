//! `psrt publish`: the public member lists; `--open-pr` proposes them to
//! the devguide when its copy differs.

use std::path::{Path, PathBuf};

use crate::config::Env;
use crate::notify::Templates;
use crate::{devguide, publish};

use super::{Outcome, block_on, load_valid, templates_dir, write_step_summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the two CSV files into (default: the current
    /// directory; with --open-pr, only when given).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Open (or update) the devguide pull request when its lists differ.
    #[arg(long)]
    pub open_pr: bool,
    /// The devguide repository.
    #[arg(long, value_name = "OWNER/NAME", default_value = devguide::DEFAULT_REPO, requires = "open_pr", value_parser = super::parse_repo_arg)]
    pub devguide: String,
    /// Print the outcome as JSON (with --open-pr).
    #[arg(long, requires = "open_pr")]
    pub json: bool,
    /// Plan mode (`PSRT_MODE=plan`) dropped --open-pr: the run writes nothing,
    /// but needs what a writing run needs (a missing credential fails it).
    #[arg(skip)]
    pub plan_only: bool,
}

pub fn run(roster: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_valid(roster)? else {
        return Ok(Outcome::Failed);
    };
    let out = match (&args.out, args.open_pr || args.plan_only) {
        (Some(dir), _) => Some(dir.clone()),
        (None, false) => Some(PathBuf::from(".")),
        (None, true) => None,
    };
    if let Some(dir) = &out {
        for path in publish::write(&loaded.roster, dir)? {
            println!("wrote {}", path.display());
        }
    }
    let env = Env::from_process();
    // The devguide pull request goes through the pull-request App (installed
    // on the policy repository and the devguide alone).
    let needs_app = || {
        env.pull_requests.as_ref().map_err(|m| {
            anyhow::anyhow!(
                "psrt publish --open-pr needs the pull-request App: {m}; nothing was written"
            )
        })
    };
    if args.plan_only {
        needs_app()?;
        println!(
            "plan mode: the devguide pull request ({}) is not opened or updated this run",
            args.devguide
        );
        return Ok(Outcome::Success);
    }
    if !args.open_pr {
        return Ok(Outcome::Success);
    }
    let gh_env = needs_app()?;
    let templates = Templates::load(Some(&templates_dir(roster)))?;
    let source = env
        .repository
        .as_ref()
        .map(|r| format!("`roster.yaml` in {r}"));
    let outcome = block_on(async {
        let gh = crate::github::GitHub::connect(
            gh_env,
            devguide::github_scope(&loaded.roster.github.org, &args.devguide),
            super::github_tuning(),
        )
        .await?;
        devguide::open_pr(
            &gh,
            &args.devguide,
            &loaded.roster,
            source.as_deref(),
            &templates,
        )
        .await
    })??;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{}", devguide::text(&outcome));
    }
    write_step_summary(
        &env,
        &format!(
            "### psrt publish --open-pr\n\n```\n{}```\n",
            devguide::text(&outcome)
        ),
    );
    Ok(Outcome::Success)
}
