//! `psrt approvals --pr N`: does a membership pull request meet the base
//! roster's approval rule?

use crate::approvals;
use crate::config::Env;
use crate::github::{Access, Permission, Scope};

use super::{Outcome, block_on, parse_now, write_step_summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pull request number.
    #[arg(long, value_name = "N")]
    pub pr: u64,
    /// Judge as of this time (RFC 3339 or YYYY-MM-DD); the clock when absent.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Reading the pull request, its reviews and the base branch's roster.
pub const POLICY_REPO_PERMISSIONS: &[Permission] =
    &[("contents", Access::Read), ("pull_requests", Access::Read)];
/// Reading the eligibility and Steering Council teams.
pub const ORG_PERMISSIONS: &[Permission] = &[("members", Access::Read)];

/// The GitHub scope of `psrt approvals`: the policy repository and the
/// organisation's teams.
pub fn github_scope(org: &str, policy_repo: &str) -> Scope {
    Scope::org(org, ORG_PERMISSIONS).repos(&[policy_repo], POLICY_REPO_PERMISSIONS)
}

pub fn run(repo: Option<&str>, args: &Args) -> anyhow::Result<Outcome> {
    let env = Env::from_process();
    let gh_env = env
        .github
        .as_ref()
        .map_err(|m| anyhow::anyhow!("psrt approvals needs GitHub: {m}"))?;
    let repo = repo.map(str::to_owned).or_else(|| env.repository.clone()).ok_or_else(|| anyhow::anyhow!("psrt approvals needs the policy repository: set GITHUB_REPOSITORY or pass --repo owner/name"))?;
    let org = repo
        .split_once('/')
        .map_or(repo.as_str(), |(o, _)| o)
        .to_owned();
    let now = parse_now(args.now.as_deref())?;
    let verdict = block_on(async {
        let gh = crate::github::GitHub::connect(
            gh_env,
            github_scope(&org, &repo),
            super::github_tuning(),
        )
        .await?;
        approvals::check(&gh, &repo, args.pr, now).await
    })??;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&verdict)?);
    } else {
        print!("{}", approvals::text(&verdict, args.pr));
    }
    write_step_summary(&env, &approvals::markdown(&verdict, args.pr));
    Ok(if verdict.passes {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}
