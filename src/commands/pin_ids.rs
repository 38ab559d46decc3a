//! `psrt pin-ids`: look up every member's and emeritus entry's login and
//! record its `github_id` in `roster.yaml` in place, only for accounts
//! psrt can vouch for; the others are named for an admin to check.

use std::path::Path;

use crate::config::Env;

use super::{Outcome, block_on, load_valid};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Edit roster.yaml in place (every other byte kept); without it, print the plan only.
    #[arg(long)]
    pub apply: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(roster_path: &Path, args: &Args) -> anyhow::Result<Outcome> {
    let file = roster_path.display().to_string();
    let Some(loaded) = load_valid(roster_path)? else {
        return Ok(Outcome::Failed);
    };
    let env = Env::from_process();
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt pin-ids needs GitHub: {m}; nothing was changed"))?;
    let plan = block_on(async {
        let gh = crate::github::GitHub::connect(
            gh_env,
            crate::pin::github_scope(&loaded.roster),
            super::github_tuning(),
        )
        .await?;
        crate::pin::plan(&gh, &loaded).await
    })??;
    let write = args.apply && !plan.pinned().is_empty();
    if write {
        let text = crate::pin::edit(&loaded, &plan, super::today())
            .map_err(|e| anyhow::anyhow!("{file}: {e}; nothing was changed"))?;
        super::write_in_place(roster_path, &text)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", plan.text(&file, write));
    }
    Ok(Outcome::Success)
}
