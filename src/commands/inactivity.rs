//! `psrt inactivity`: the yearly report of inactive members; `--open-pr`
//! opens (or updates) the pull request the Steering Council merges.

use std::path::Path;

use crate::config::Env;
use crate::inactivity;
use crate::notify::Templates;

use super::{Outcome, block_on, load_valid, templates_dir, write_step_summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Open (or update) the pull request that moves inactive members to emeritus.
    #[arg(long)]
    pub open_pr: bool,
    /// Pretend it is this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", value_parser = super::parse_now_arg)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Plan mode (`PSRT_MODE=plan`) dropped --open-pr: the run writes nothing,
    /// but needs what a writing run needs (a missing credential fails it).
    #[arg(skip)]
    pub plan_only: bool,
}

pub fn run(roster_path: &Path, repo: Option<&str>, args: &Args) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_valid(roster_path)? else {
        return Ok(Outcome::Failed);
    };
    let now = args.now.unwrap_or_else(chrono::Utc::now);
    let env = Env::from_process();
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt inactivity needs GitHub: {m}"))?;
    let policy_repo = match (
        args.open_pr,
        repo.map(str::to_owned).or_else(|| env.repository.clone()),
    ) {
        (true, None) => anyhow::bail!(
            "--open-pr needs the policy repository: set GITHUB_REPOSITORY or pass --repo owner/name"
        ),
        (_, r) => r,
    };
    // The pull request goes through the pull-request App, installed on the
    // policy repository and the devguide alone; the reads above through
    // the main App, which writes no contents anywhere.
    let pr_env = if args.open_pr || args.plan_only {
        Some(env.pull_requests.as_ref().map_err(|m| {
            anyhow::anyhow!(
                "psrt inactivity --open-pr needs the pull-request App: {m}; nothing was written"
            )
        })?)
    } else {
        None
    };
    let templates = Templates::load(Some(&templates_dir(roster_path)))?;
    let (report, pr) = block_on(async {
        let gh = crate::github::GitHub::connect(
            gh_env,
            crate::inactivity::github_scope(&loaded.roster),
            super::github_tuning(),
        )
        .await?;
        let found = inactivity::gather(&gh, &loaded.roster).await?;
        match (&policy_repo, pr_env, args.open_pr) {
            (Some(repo), Some(pr_env), true) => {
                let writer = crate::github::GitHub::connect(
                    pr_env,
                    crate::inactivity::pull_request_scope(&loaded.roster.github.org, repo),
                    super::github_tuning(),
                )
                .await?;
                let (report, pr) =
                    inactivity::open_pr(&writer, repo, &found, now, &templates).await?;
                anyhow::Ok((report, Some(pr)))
            }
            _ => Ok((inactivity::build(&loaded.roster, &found, now), None)),
        }
    })??;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "report": report, "pull_request": pr })
            )?
        );
    } else {
        print!("{}", inactivity::text(&report));
        if let Some(pr) = &pr {
            println!(
                "{} pull request #{} ({}) on branch {}{}",
                if pr.created { "opened" } else { "updated" },
                pr.number,
                pr.url,
                pr.branch,
                if pr.committed {
                    ""
                } else {
                    "; the branch already had this edit"
                }
            );
            if !pr.not_moved.is_empty() {
                println!(
                    "not moved (the roster would break a rule): {}",
                    pr.not_moved.join(", ")
                );
            }
        }
    }
    write_step_summary(
        &env,
        &format!(
            "### psrt inactivity\n\n```\n{}```\n",
            inactivity::text(&report)
        ),
    );
    Ok(Outcome::Success)
}
